"""Admin of agent templates and their versions (flavour, prompts, policies)."""

from __future__ import annotations

from typing import Any

import pydantic
from django.contrib import admin
from django.utils.safestring import SafeString

from catalog import services
from catalog.admin.base import (
    PROVENANCE,
    EntryAdmin,
    VersionAddForm,
    VersionAdmin,
    VersionInline,
)
from catalog.admin.filters import HasActiveVersionFilter, TagFilter
from catalog.admin.rendering import pretty_json
from catalog.models import AgentTemplate, AgentTemplateVersion
from catalog.policies import ExecutionPolicy, LLMPolicy, Rule, ToolPolicy


class TemplateVersionInline(VersionInline):
    model = AgentTemplateVersion
    fields = readonly_fields = (
        "version",
        "is_active",
        "flavour",
        "tags",
        "source_branch",
        "created_at",
    )


@admin.register(AgentTemplate)
class AgentTemplateAdmin(EntryAdmin):
    signal_kind = "agent"
    list_display = ("name", "description", "active_version", "updated_at")
    list_filter = (HasActiveVersionFilter, "versions__flavour", "versions__source_branch")
    search_fields = ("name", "description", "versions__capabilities")
    fields = ("name", "description")
    inlines = (TemplateVersionInline,)

    def upsert(self, obj: AgentTemplate, data: dict[str, Any]) -> AgentTemplate:
        return services.template_upsert(
            name=obj.name or data["name"], description=data.get("description", "")
        )


class TemplateVersionAddForm(VersionAddForm):
    class Meta:
        model = AgentTemplateVersion
        fields = (
            "template",
            "flavour",
            "system_prompt",
            "initial_user_prompt",
            "clarification_prompt",
            "llm_policy",
            "execution_policy",
            "tool_policy",
            "rules",
            "capabilities",
            "tags",
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self._check_policy(LLMPolicy, "llm_policy")
        self._check_policy(ExecutionPolicy, "execution_policy")
        self._check_policy(ToolPolicy, "tool_policy")
        rules = data.get("rules") or []
        if not isinstance(rules, list):
            self.add_error("rules", "rules must be a JSON list")
        else:
            for rule in rules:
                try:
                    Rule.model_validate(rule)
                except pydantic.ValidationError as exc:
                    self.add_error("rules", str(exc.errors()[0]["msg"]))
                    break
        return data


@admin.register(AgentTemplateVersion)
class AgentTemplateVersionAdmin(VersionAdmin):
    parent_field = "template"
    signal_kind = "agent"
    form = TemplateVersionAddForm
    list_display = ("__str__", "is_active", "flavour", "tags", "source_branch", "created_at")
    list_filter = ("is_active", "flavour", TagFilter, "source_branch")
    search_fields = ("template__name", "system_prompt", "capabilities")
    add_fieldsets = (
        (None, {"fields": ("template", "flavour", "capabilities", "tags")}),
        ("Prompts", {"fields": ("system_prompt", "initial_user_prompt", "clarification_prompt")}),
        ("Policies", {"fields": ("llm_policy", "execution_policy", "tool_policy", "rules")}),
        (None, {"fields": ("activate",)}),
    )
    view_fieldsets = (
        (None, {"fields": ("template", "version", "is_active", "new_version", "flavour")}),
        ("Directory", {"fields": ("capabilities", "tags")}),
        ("Prompts", {"fields": ("system_prompt", "initial_user_prompt", "clarification_prompt")}),
        (
            "Policies",
            {
                "fields": (
                    "llm_policy_view",
                    "execution_policy_view",
                    "tool_policy_view",
                    "rules_view",
                )
            },
        ),
        ("Provenance", {"fields": (*PROVENANCE, "content_hash", "created_at")}),
    )

    @admin.display(description="LLM policy")
    def llm_policy_view(self, obj: AgentTemplateVersion) -> SafeString:
        return pretty_json(obj.llm_policy)

    @admin.display(description="Execution policy")
    def execution_policy_view(self, obj: AgentTemplateVersion) -> SafeString:
        return pretty_json(obj.execution_policy)

    @admin.display(description="Tool policy")
    def tool_policy_view(self, obj: AgentTemplateVersion) -> SafeString:
        return pretty_json(obj.tool_policy)

    @admin.display(description="Rules")
    def rules_view(self, obj: AgentTemplateVersion) -> SafeString:
        return pretty_json(obj.rules)

    def create_version(self, data: dict[str, Any]) -> tuple[AgentTemplateVersion, bool]:
        return services.template_version_create(
            template=data["template"],
            flavour=data["flavour"],
            system_prompt=data["system_prompt"],
            initial_user_prompt=data.get("initial_user_prompt", ""),
            clarification_prompt=data.get("clarification_prompt", ""),
            llm_policy=data.get("llm_policy") or {},
            execution_policy=data.get("execution_policy") or {},
            tool_policy=data.get("tool_policy") or {},
            rules=data.get("rules") or [],
            capabilities=data.get("capabilities", ""),
            tags=data.get("tags") or [],
            activate=data.get("activate", False),
        )
