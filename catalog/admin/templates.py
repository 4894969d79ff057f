"""Admin of agent templates and their versions (flavour, prompts, policies)."""

from __future__ import annotations

from typing import Any

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
from catalog.admin.json_fields import JSONTextField, keys_help
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
        labels = {"llm_policy": "LLM policy"}
        field_classes = {
            "llm_policy": JSONTextField,
            "execution_policy": JSONTextField,
            "tool_policy": JSONTextField,
            "rules": JSONTextField,
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        helps: dict[str, SafeString | str] = {
            "llm_policy": keys_help(
                LLMPolicy,
                "A JSON object; keys left out take their default. Empty base_url and model "
                "fall back to OPENAI_BASE_URL and OPENAI_MODEL; api_key_ref names an "
                "environment variable (never a key). Keys:",
            ),
            "execution_policy": keys_help(
                ExecutionPolicy, "A JSON object; keys left out take their default. Keys:"
            ),
            "tool_policy": keys_help(
                ToolPolicy,
                "A JSON object: the tools the agent may be offered (by name, type, tag and "
                "risk) and how they are chosen; keys left out take their default. Keys:",
            ),
            "rules": keys_help(
                Rule,
                "A JSON list of rules, checked before each step: when all of a rule's "
                "'when' bounds hold (counters such as iteration_gte, searches_used_lt; "
                "state, stage), it leaves out 'exclude', keeps only 'keep_only' and/or moves "
                'to set_stage. Example: [{"when": {"searches_used_gte": 3}, '
                '"exclude": ["web_search"]}]. A rule takes:',
            ),
        }
        self._explain(helps)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self._check_policy(LLMPolicy, "llm_policy")
        self._check_policy(ExecutionPolicy, "execution_policy")
        self._check_policy(ToolPolicy, "tool_policy")
        self._check_each(Rule, "rules", "rule")
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
