"""Admin of tools and their versions (description, input schema, binding, security)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.utils.html import format_html
from django.utils.safestring import SafeString

from catalog import bindings, services
from catalog.admin.base import (
    PROVENANCE,
    EntryAdmin,
    VersionAddForm,
    VersionAdmin,
    VersionInline,
)
from catalog.admin.filters import HasActiveVersionFilter, TagFilter
from catalog.admin.json_fields import JSONTextField, keys_help
from catalog.admin.rendering import pretty_json, render_input_schema
from catalog.exceptions import InvalidCatalogEntry
from catalog.models import Tool, ToolVersion
from catalog.policies import ToolLimits


class ToolVersionInline(VersionInline):
    model = ToolVersion
    fields = readonly_fields = (
        "version",
        "is_active",
        "description",
        "binding_kind",
        "unbound_reason",
        "risk_level",
        "source_branch",
        "created_at",
    )


@admin.register(Tool)
class ToolAdmin(EntryAdmin):
    signal_kind = "tool"
    list_display = ("name", "type", "category", "tags", "active_version", "updated_at")
    list_filter = (
        "type",
        TagFilter,
        HasActiveVersionFilter,
        "versions__binding_kind",
        "versions__source_branch",
    )
    search_fields = ("name", "category", "versions__description")
    fields = ("name", "type", "aliases", "category", "tags")
    inlines = (ToolVersionInline,)

    def upsert(self, obj: Tool, data: dict[str, Any]) -> Tool:
        return services.tool_upsert(
            name=obj.name or data["name"],
            type=data["type"],
            aliases=data.get("aliases") or [],
            category=data.get("category", ""),
            tags=data.get("tags") or [],
        )


def binding_help() -> SafeString:
    """What a binding holds for each kind, with the names this process knows."""
    entrypoints = sorted(bindings.python_entrypoints())
    servers = sorted(settings.MCP_SERVERS)
    return format_html(
        "A JSON object that says what runs the tool, by binding kind:"
        '<ul class="json-keys">'
        '<li><code>python</code>: {{"entrypoint": one of {}}}</li>'
        '<li><code>http</code>: {{"url": "https://...", "method": "POST" (default), '
        '"timeout_seconds": 30 (default)}}; the arguments are sent as the JSON body</li>'
        '<li><code>mcp</code>: {{"server": a name in MCP_SERVERS ({}), "tool": its name on '
        "that server}}</li>"
        '<li><code>agent</code>: {{"template": an agent template\'s name}}</li>'
        "<li><code>unbound</code>: {{}} (and say why in the unbound reason)</li></ul>",
        ", ".join(entrypoints) or "none registered",
        ", ".join(servers) or "none configured",
    )


class ToolVersionAddForm(VersionAddForm):
    class Meta:
        model = ToolVersion
        fields = (
            "tool",
            "description",
            "long_description",
            "input_schema",
            "binding_kind",
            "binding",
            "unbound_reason",
            "risk_level",
            "requires_approval",
            "limits",
        )
        field_classes = {
            "input_schema": JSONTextField,
            "binding": JSONTextField,
            "limits": JSONTextField,
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._explain(
            {
                "input_schema": (
                    "The JSON Schema of the call's arguments; it describes an object, and the "
                    'model reads its descriptions: {"type": "object", "properties": {"q": '
                    '{"type": "string", "description": "What to look for"}}, "required": ["q"]}'
                ),
                "binding": binding_help(),
                "limits": keys_help(
                    ToolLimits,
                    "A JSON object; a key left out (or null) sets no limit. A call running "
                    "past timeout_seconds fails; after max_calls_per_session calls the tool is "
                    "no longer offered in that session. Keys:",
                ),
            }
        )

    def clean(self) -> dict[str, Any]:
        """Each field is checked on its own, so every refused one shows its message."""
        data = super().clean() or {}
        if "input_schema" in data:
            self._refuse_when(services.validate_input_schema, data["input_schema"])
        if "binding_kind" in data:
            self._refuse_when(self._check_binding, data["binding_kind"], data)
        if "limits" in data:
            self._check_policy(ToolLimits, "limits")
            if "limits" not in self.errors:
                data["limits"] = services.validate_tool_limits(data["limits"])
        return data

    @staticmethod
    def _check_binding(kind: str, data: dict[str, Any]) -> None:
        binding = data.get("binding") or {}
        if not isinstance(binding, dict):
            raise InvalidCatalogEntry("binding must be a JSON object", param="binding")
        services.validate_binding(kind, binding)
        if kind == ToolVersion.BindingKind.UNBOUND and not data.get("unbound_reason"):
            raise InvalidCatalogEntry(
                "an unbound tool needs an unbound_reason", param="unbound_reason"
            )


@admin.register(ToolVersion)
class ToolVersionAdmin(VersionAdmin):
    parent_field = "tool"
    signal_kind = "tool"
    form = ToolVersionAddForm
    list_display = (
        "__str__",
        "is_active",
        "binding_kind",
        "risk_level",
        "requires_approval",
        "unbound_reason",
        "source_branch",
        "created_at",
    )
    list_filter = (
        "is_active",
        "binding_kind",
        "risk_level",
        "requires_approval",
        "tool__type",
        "source_branch",
    )
    search_fields = ("tool__name", "description", "long_description")
    add_fieldsets = (
        (None, {"fields": ("tool", "description", "long_description", "input_schema")}),
        ("Binding", {"fields": ("binding_kind", "binding", "unbound_reason")}),
        ("Security", {"fields": ("risk_level", "requires_approval", "limits")}),
        (None, {"fields": ("activate",)}),
    )
    view_fieldsets = (
        (None, {"fields": ("tool", "version", "is_active", "new_version")}),
        ("Description", {"fields": ("description", "long_description")}),
        ("Input schema", {"fields": ("input_schema_view",)}),
        ("Binding", {"fields": ("binding_kind", "binding_view", "unbound_reason")}),
        ("Security", {"fields": ("risk_level", "requires_approval", "limits_view")}),
        ("Provenance", {"fields": (*PROVENANCE, "content_hash", "created_at")}),
    )

    @admin.display(description="Parameters")
    def input_schema_view(self, obj: ToolVersion) -> SafeString:
        return render_input_schema(obj.input_schema)

    @admin.display(description="Binding")
    def binding_view(self, obj: ToolVersion) -> SafeString:
        return pretty_json(obj.binding)

    @admin.display(description="Limits")
    def limits_view(self, obj: ToolVersion) -> SafeString:
        return pretty_json(obj.limits)

    def create_version(self, data: dict[str, Any]) -> tuple[ToolVersion, bool]:
        return services.tool_version_create(
            tool=data["tool"],
            description=data["description"],
            long_description=data.get("long_description", ""),
            input_schema=data["input_schema"],
            binding_kind=data["binding_kind"],
            binding=data.get("binding") or {},
            unbound_reason=data.get("unbound_reason", ""),
            risk_level=data["risk_level"],
            requires_approval=data.get("requires_approval", False),
            limits=data.get("limits") or {},
            activate=data.get("activate", False),
        )
