"""The Django admin site for the runtime: read-only views of sessions (with their event
timeline), runs, tool executions, artifacts and agent instances. Only the engine writes
these rows, so the admin never adds, changes or deletes them; its one write is a person's
answer to a call waiting for approval, through ``services.session_approve``."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString

from agents import services
from agents.exceptions import ApprovalNotPending
from agents.models import AgentInstance, Artifact, Run, Session, SessionEvent, ToolExecution


def pretty_json(value: Any) -> SafeString:
    return format_html(
        '<pre style="white-space: pre-wrap; margin: 0">{}</pre>',
        json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True),
    )


class ReadOnlyMixin:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class SessionEventInline(ReadOnlyMixin, admin.TabularInline):
    model = SessionEvent
    ordering = ("seq",)
    fields = readonly_fields = ("seq", "type", "step", "run", "payload_view", "created_at")
    extra = 0

    @admin.display(description="Payload")
    def payload_view(self, obj: SessionEvent) -> SafeString:
        return pretty_json(obj.payload)


class RunInline(ReadOnlyMixin, admin.TabularInline):
    model = Run
    fields = readonly_fields = (
        "state",
        "outcome",
        "attempt",
        "lease_owner",
        "created_at",
        "started_at",
        "finished_at",
        "error",
    )
    extra = 0
    show_change_link = True


@admin.register(Session)
class SessionAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("id", "template_version", "state", "owner", "last_seq", "created_at")
    list_filter = ("state", "template_version__template", "created_at")
    list_select_related = ("template_version__template",)
    search_fields = ("id", "owner", "task")
    date_hierarchy = "created_at"
    readonly_fields = ("context_view",)
    exclude = ("context",)
    inlines = (RunInline, SessionEventInline)
    actions = ("approve_pending_calls", "decline_pending_calls")

    @admin.display(description="Context")
    def context_view(self, obj: Session) -> SafeString:
        return pretty_json(obj.context)

    @admin.action(description="Approve the pending tool call")
    def approve_pending_calls(self, request: HttpRequest, queryset: QuerySet[Session]) -> None:
        self._answer(request, queryset, approved=True)

    @admin.action(description="Decline the pending tool call")
    def decline_pending_calls(self, request: HttpRequest, queryset: QuerySet[Session]) -> None:
        self._answer(request, queryset, approved=False)

    def _answer(self, request: HttpRequest, queryset: QuerySet[Session], *, approved: bool) -> None:
        """Answer each selected session waiting for approval; the rest are left as they are."""
        answered, skipped = 0, 0
        for session_id in queryset.values_list("pk", flat=True):
            try:
                services.session_approve(
                    session_id=session_id,
                    approved=approved,
                    reason="answered in the admin site",
                    approver=f"admin:{request.user.get_username()}",
                )
            except ApprovalNotPending:
                skipped += 1
            else:
                answered += 1
        verb = "Approved" if approved else "Declined"
        self.message_user(request, f"{verb} the pending call of {answered} session(s).")
        if skipped:
            self.message_user(
                request, f"{skipped} session(s) were not waiting for approval.", messages.WARNING
            )


@admin.register(Run)
class RunAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("id", "session", "state", "outcome", "attempt", "lease_owner", "created_at")
    list_filter = ("state", "outcome", "cancel_requested")
    search_fields = ("session__id", "lease_owner")


@admin.register(ToolExecution)
class ToolExecutionAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("tool_name", "session", "status", "duration_ms", "started_at")
    list_filter = ("status", "tool_name")
    search_fields = ("tool_name", "idempotency_key", "session__id")


@admin.register(Artifact)
class ArtifactAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("name", "session", "content_type", "created_at")
    list_filter = ("content_type",)
    search_fields = ("name", "session__id")


@admin.register(AgentInstance)
class AgentInstanceAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("id", "worker", "template_version", "state", "sessions_served", "heartbeat_at")
    list_filter = ("state", "worker")
    search_fields = ("worker",)
