"""The Django admin site for the catalog.

Versions are immutable: their change pages are read-only and "editing" one opens the add
form pre-filled from it (``?from=<pk>``), which creates a new version through the service.
Entries (tools, templates, pipelines) are created and updated through ``*_upsert``. Nothing
here deletes: retiring an entry means deactivating its version. Add forms check content
with the same rules the services apply, so a refused entry shows as a form error.
"""

from __future__ import annotations

import json
from typing import Any

import pydantic
from django import forms
from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from catalog import services
from catalog.exceptions import InvalidCatalogEntry
from catalog.models import (
    AgentTemplate,
    AgentTemplateVersion,
    Pipeline,
    PipelineVersion,
    Tool,
    ToolVersion,
)
from catalog.policies import ExecutionPolicy, LLMPolicy, PipelineStep, Rule, ToolPolicy
from catalog.signals import announce_change

PROVENANCE = ("source_repo", "source_branch", "source_commit", "source_path", "source_class")
SCHEMA_KEYWORDS_SHOWN_ELSEWHERE = {"type", "description", "title"}


# --- rendering -----------------------------------------------------------------------------


def pretty_json(value: Any) -> SafeString:
    return format_html(
        '<pre style="white-space: pre-wrap; margin: 0">{}</pre>',
        json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True),
    )


def _type_of(prop: dict[str, Any]) -> str:
    kind = prop.get("type")
    if isinstance(kind, list):
        kind = " | ".join(str(k) for k in kind)
    if kind == "array" and isinstance(prop.get("items"), dict):
        return f"array of {_type_of(prop['items'])}"
    if kind:
        return str(kind)
    for combinator in ("anyOf", "oneOf", "allOf"):
        if isinstance(prop.get(combinator), list):
            return " | ".join(_type_of(p) for p in prop[combinator] if isinstance(p, dict))
    if "$ref" in prop:
        return str(prop["$ref"]).rsplit("/", 1)[-1]
    return "any"


def schema_parameters(schema: Any) -> list[dict[str, str]]:
    """One row per top-level property of an object schema: name, type, required,
    description and the remaining keywords as constraints."""
    if not isinstance(schema, dict) or not isinstance(schema.get("properties"), dict):
        return []
    required = set(schema.get("required") or [])
    rows = []
    for name, prop in schema["properties"].items():
        prop = prop if isinstance(prop, dict) else {}
        constraints = {
            key: value
            for key, value in prop.items()
            if key not in SCHEMA_KEYWORDS_SHOWN_ELSEWHERE and key != "items"
        }
        rows.append(
            {
                "name": str(name),
                "type": _type_of(prop),
                "required": "yes" if name in required else "no",
                "description": str(prop.get("description") or prop.get("title") or ""),
                "constraints": ", ".join(
                    f"{key}={json.dumps(value, ensure_ascii=False)}"
                    for key, value in constraints.items()
                ),
            }
        )
    return rows


def render_input_schema(schema: Any) -> SafeString:
    rows = schema_parameters(schema)
    if not rows:
        table = format_html("<p>{}</p>", "No parameters.")
    else:
        table = format_html(
            "<table><thead><tr><th>name</th><th>type</th><th>required</th>"
            "<th>description</th><th>constraints</th></tr></thead><tbody>{}</tbody></table>",
            format_html_join(
                "",
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                (
                    (r["name"], r["type"], r["required"], r["description"], r["constraints"])
                    for r in rows
                ),
            ),
        )
    return format_html("{}<details><summary>JSON</summary>{}</details>", table, pretty_json(schema))


def _new_version_link(obj: Model | None) -> SafeString | str:
    if obj is None or obj.pk is None:
        return "-"
    url = reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_add")
    return format_html(
        '<a class="button" href="{}?from={}">New version from this one</a>', url, obj.pk
    )


# --- list filters --------------------------------------------------------------------------


class TagFilter(admin.SimpleListFilter):
    title = "tag"
    parameter_name = "tag"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        tags: set[str] = set()
        for row in model_admin.model._default_manager.values_list("tags", flat=True):
            tags.update(row or [])
        return [(tag, tag) for tag in sorted(tags)]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        return queryset.filter(tags__contains=[value]) if value else queryset


class HasActiveVersionFilter(admin.SimpleListFilter):
    title = "active version"
    parameter_name = "has_active"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "has an active version"), ("no", "no active version")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(versions__is_active=True)
        if self.value() == "no":
            return queryset.exclude(versions__is_active=True)
        return queryset


# --- shared admin behaviour ----------------------------------------------------------------


class VersionInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class EntryAdmin(admin.ModelAdmin):
    """Tools, templates and pipelines: written through ``*_upsert``, never deleted here."""

    signal_kind: str
    actions = ["reindex"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("name", "created_at", "updated_at") if obj else ()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def upsert(self, obj: Any, data: dict[str, Any]) -> Any:
        raise NotImplementedError

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        saved = self.upsert(obj, dict(form.cleaned_data))
        obj.pk = saved.pk

    @admin.display(description="Active version")
    def active_version(self, obj: Any) -> str:
        active = obj.versions.filter(is_active=True).values_list("version", flat=True).first()
        return str(active) if active is not None else "-"

    @admin.action(description="Reindex the selected entries for retrieval")
    def reindex(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        names = list(queryset.values_list("name", flat=True))
        for name in names:
            announce_change(kind=self.signal_kind, name=name)
        self.message_user(request, f"Reindex requested for {len(names)} entries.")


class VersionAdmin(admin.ModelAdmin):
    """Read-only versions; the add form creates a version through the service."""

    parent_field: str
    signal_kind: str
    view_fieldsets: Any
    add_fieldsets: Any
    actions = ["activate", "deactivate", "reindex"]
    list_select_related = True

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.view_fieldsets if obj else self.add_fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ()
        return [field for _, opts in self.view_fieldsets for field in opts["fields"]]

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial = super().get_changeform_initial_data(request)
        source_pk = request.GET.get("from", "")
        source = (
            self.model._default_manager.filter(pk=source_pk).first()
            if source_pk.isdigit()
            else None
        )
        if source is not None:
            for field in self.form.base_fields:
                if hasattr(source, field):
                    value = getattr(source, field)
                    initial[field] = value.pk if isinstance(value, Model) else value
        return initial

    def create_version(self, data: dict[str, Any]) -> tuple[Any, bool]:
        raise NotImplementedError

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        version, created = self.create_version(dict(form.cleaned_data))
        obj.pk, obj.version = version.pk, version.version
        if not created:
            self.message_user(
                request,
                f"Identical content already exists as version {version.version}; "
                "no new version was created.",
                messages.WARNING,
            )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Versions have no related rows to save; the service wrote everything."""

    @admin.display(description="Edit")
    def new_version(self, obj: Any) -> SafeString | str:
        return _new_version_link(obj)

    def _one_per_parent(self, request: HttpRequest, queryset: QuerySet[Any]) -> bool:
        parents = queryset.values_list(f"{self.parent_field}_id", flat=True)
        if len(set(parents)) != len(parents):
            self.message_user(
                request, "Select at most one version of each entry to activate.", messages.ERROR
            )
            return False
        return True

    def activate_one(self, version: Any) -> Any:
        raise NotImplementedError

    def deactivate_one(self, version: Any) -> Any:
        raise NotImplementedError

    @admin.action(description="Activate the selected versions")
    def activate(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        if not self._one_per_parent(request, queryset):
            return
        versions = list(queryset.select_related(self.parent_field))
        for version in versions:
            self.activate_one(version)
        self.message_user(request, f"Activated {len(versions)} versions.")

    @admin.action(description="Deactivate the selected versions")
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        versions = list(queryset.filter(is_active=True).select_related(self.parent_field))
        for version in versions:
            self.deactivate_one(version)
        self.message_user(request, f"Deactivated {len(versions)} versions.")

    @admin.action(description="Reindex the entries of the selected versions for retrieval")
    def reindex(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        names = set(queryset.values_list(f"{self.parent_field}__name", flat=True))
        for name in sorted(names):
            announce_change(kind=self.signal_kind, name=name)
        self.message_user(request, f"Reindex requested for {len(names)} entries.")


class VersionAddForm(forms.ModelForm):
    activate = forms.BooleanField(
        required=False, initial=True, help_text="Make the new version the active one."
    )

    def validate_unique(self) -> None:
        """Numbering, hashing and uniqueness are the service's."""

    def _refuse(self, error: InvalidCatalogEntry) -> None:
        field = error.param if error.param in self.fields else None
        self.add_error(field, error.message)

    def _check_policy(self, model: type[pydantic.BaseModel], field: str) -> None:
        if field not in self.cleaned_data:
            return
        try:
            model.model_validate(self.cleaned_data[field] or {})
        except pydantic.ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            self.add_error(field, f"{first['msg']} at {where}" if where else first["msg"])


# --- tools ---------------------------------------------------------------------------------


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

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            if "input_schema" in data:
                services.validate_input_schema(data["input_schema"])
            if "binding_kind" in data:
                binding = data.get("binding") or {}
                if not isinstance(binding, dict):
                    raise InvalidCatalogEntry("binding must be a JSON object", param="binding")
                services.validate_binding(data["binding_kind"], binding)
                if data["binding_kind"] == ToolVersion.BindingKind.UNBOUND and not data.get(
                    "unbound_reason"
                ):
                    raise InvalidCatalogEntry(
                        "an unbound tool needs an unbound_reason", param="unbound_reason"
                    )
        except InvalidCatalogEntry as error:
            self._refuse(error)
        if "limits" in data and not isinstance(data["limits"] or {}, dict):
            self.add_error("limits", "limits must be a JSON object")
        return data


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

    def activate_one(self, version: ToolVersion) -> ToolVersion:
        return services.tool_version_activate(version=version)

    def deactivate_one(self, version: ToolVersion) -> ToolVersion:
        return services.tool_version_deactivate(version=version)


# --- agent templates -----------------------------------------------------------------------


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

    def activate_one(self, version: AgentTemplateVersion) -> AgentTemplateVersion:
        return services.template_version_activate(version=version)

    def deactivate_one(self, version: AgentTemplateVersion) -> AgentTemplateVersion:
        return services.template_version_deactivate(version=version)


# --- pipelines -----------------------------------------------------------------------------


class PipelineVersionInline(VersionInline):
    model = PipelineVersion
    fields = readonly_fields = ("version", "is_active", "steps", "created_at")


@admin.register(Pipeline)
class PipelineAdmin(EntryAdmin):
    signal_kind = "pipeline"
    list_display = ("name", "description", "active_version", "updated_at")
    list_filter = (HasActiveVersionFilter,)
    search_fields = ("name", "description")
    fields = ("name", "description")
    inlines = (PipelineVersionInline,)

    def upsert(self, obj: Pipeline, data: dict[str, Any]) -> Pipeline:
        return services.pipeline_upsert(
            name=obj.name or data["name"], description=data.get("description", "")
        )


class PipelineVersionAddForm(VersionAddForm):
    class Meta:
        model = PipelineVersion
        fields = ("pipeline", "steps")

    def clean_steps(self) -> list[dict[str, Any]]:
        steps = self.cleaned_data.get("steps")
        if not isinstance(steps, list) or not steps:
            raise forms.ValidationError("A pipeline needs a JSON list of at least one step.")
        for raw in steps:
            try:
                step = PipelineStep.model_validate(raw)
            except pydantic.ValidationError as exc:
                raise forms.ValidationError(str(exc.errors()[0]["msg"])) from exc
            versions = AgentTemplateVersion.objects.filter(template__name=step.template)
            if step.version is not None:
                versions = versions.filter(version=step.version)
            if not versions.exists():
                raise forms.ValidationError(f"Unknown template {step.template!r} in a step.")
        return steps


@admin.register(PipelineVersion)
class PipelineVersionAdmin(VersionAdmin):
    parent_field = "pipeline"
    signal_kind = "pipeline"
    form = PipelineVersionAddForm
    list_display = ("__str__", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("pipeline__name",)
    add_fieldsets = ((None, {"fields": ("pipeline", "steps", "activate")}),)
    view_fieldsets = (
        (None, {"fields": ("pipeline", "version", "is_active", "new_version")}),
        ("Steps", {"fields": ("steps_view",)}),
        ("Provenance", {"fields": ("content_hash", "created_at")}),
    )

    @admin.display(description="Steps")
    def steps_view(self, obj: PipelineVersion) -> SafeString:
        return pretty_json(obj.steps)

    def create_version(self, data: dict[str, Any]) -> tuple[PipelineVersion, bool]:
        return services.pipeline_version_create(
            pipeline=data["pipeline"], steps=data["steps"], activate=data.get("activate", False)
        )

    def activate_one(self, version: PipelineVersion) -> PipelineVersion:
        return services.pipeline_version_activate(version=version)

    def deactivate_one(self, version: PipelineVersion) -> PipelineVersion:
        return services.pipeline_version_deactivate(version=version)
