"""The Django admin site for ``/v1`` API keys: list, adjust model and tool scopes and
limits, revoke.

Keys are issued by ``manage.py create_api_key`` (which prints the key once), so the admin
has no add form; it never shows the digest either. Revoking goes through the service and is
final; keys are not deleted, so their history stays readable.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from gateway import services
from gateway.models import ApiKey


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = (
        "prefix",
        "name",
        "owner",
        "templates",
        "is_admin",
        "requests_per_minute",
        "tokens_per_day",
        "concurrent_runs",
        "revoked",
        "expires_at",
        "created_at",
        "last_used_at",
    )
    list_filter = ("revoked", "is_admin", "tool_risk_ceiling")
    search_fields = ("prefix", "name", "owner")
    fields = (
        "prefix",
        "name",
        "owner",
        "templates",
        "tools_allow",
        "tools_deny",
        "tool_risk_ceiling",
        "is_admin",
        "requests_per_minute",
        "tokens_per_day",
        "concurrent_runs",
        "expires_at",
        "revoked",
        "revoked_at",
        "created_at",
        "last_used_at",
    )
    # The owner ties the key to its sessions; changing it would orphan them.
    readonly_fields = ("prefix", "owner", "revoked", "revoked_at", "created_at", "last_used_at")
    actions = ("revoke",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Revoke selected API keys")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        prefixes = list(queryset.filter(revoked=False).values_list("prefix", flat=True))
        for prefix in prefixes:
            services.api_key_revoke(prefix=prefix)
        self.message_user(request, f"Revoked {len(prefixes)} API key(s).", messages.SUCCESS)
