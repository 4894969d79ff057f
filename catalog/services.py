"""Every write to the catalog.

Versions are immutable: a ``*_version_create`` whose content hashes the same as an
existing version of the same entry returns that version instead of creating a new one, so
seeding and curation are idempotent. Activation swaps the active version under a row lock
on the parent entry. Each change is announced after commit (``signals.announce_change``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import jsonschema
from django.conf import settings
from django.db import models, transaction
from pydantic import ValidationError

from catalog import bindings
from catalog.exceptions import CatalogConflict, InvalidCatalogEntry
from catalog.models import (
    AgentTemplate,
    AgentTemplateVersion,
    Pipeline,
    PipelineVersion,
    Skill,
    Tool,
    ToolVersion,
    slug_validator,
)
from catalog.policies import (
    ExecutionPolicy,
    LLMPolicy,
    PipelineStep,
    Rule,
    ToolLimits,
    ToolPolicy,
)
from catalog.signals import announce_change

PROVENANCE_FIELDS = (
    "source_repo",
    "source_branch",
    "source_commit",
    "source_path",
    "source_class",
)

V = TypeVar("V", ToolVersion, AgentTemplateVersion, PipelineVersion)


def content_hash(content: Mapping[str, Any]) -> str:
    """Stable hash of a version's content (canonical JSON, keys sorted)."""
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def validate_name(name: str) -> None:
    try:
        slug_validator(name)
    except Exception as exc:
        raise InvalidCatalogEntry(f"Invalid name {name!r}: {exc}", param="name") from exc


def validate_input_schema(schema: Any) -> None:
    """An input schema must be a JSON Schema object describing an object."""
    if not isinstance(schema, dict):
        raise InvalidCatalogEntry("input_schema must be a JSON object", param="input_schema")
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise InvalidCatalogEntry(
            f"input_schema is not valid JSON Schema: {exc.message}", param="input_schema"
        ) from exc
    if schema.get("type", "object") != "object":
        raise InvalidCatalogEntry("input_schema must describe an object", param="input_schema")


def validate_binding(kind: str, binding: Mapping[str, Any]) -> None:
    """A binding must resolve: a registered python entrypoint, an http(s) URL, a tool on
    an MCP server configured in this process (``MCP_SERVERS``), or an existing agent
    template."""
    if kind == ToolVersion.BindingKind.PYTHON:
        entrypoint = binding.get("entrypoint", "")
        if entrypoint not in bindings.python_entrypoints():
            raise InvalidCatalogEntry(
                f"python binding {entrypoint!r} names no built-in implementation; known: "
                f"{', '.join(sorted(bindings.python_entrypoints()))}",
                param="binding",
            )
    elif kind == ToolVersion.BindingKind.HTTP:
        url = str(binding.get("url", ""))
        if not url.startswith(("http://", "https://")):
            raise InvalidCatalogEntry("http binding needs an http(s) 'url'", param="binding")
    elif kind == ToolVersion.BindingKind.MCP:
        if not binding.get("server") or not binding.get("tool"):
            raise InvalidCatalogEntry("mcp binding needs 'server' and 'tool'", param="binding")
        if binding["server"] not in settings.MCP_SERVERS:
            raise InvalidCatalogEntry(
                f"mcp binding names server {binding['server']!r}, which is not configured in "
                f"MCP_SERVERS; configured: {', '.join(sorted(settings.MCP_SERVERS)) or 'none'}",
                param="binding",
            )
    elif kind == ToolVersion.BindingKind.AGENT:
        template = binding.get("template", "")
        if not AgentTemplate.objects.filter(name=template).exists():
            raise InvalidCatalogEntry(
                f"agent binding names unknown template {template!r}", param="binding"
            )
    elif kind != ToolVersion.BindingKind.UNBOUND:
        raise InvalidCatalogEntry(f"unknown binding kind {kind!r}", param="binding_kind")


def _validate_policy(model: type[Any], value: Any, param: str) -> dict[str, Any]:
    try:
        return dict(model.model_validate(value or {}).model_dump(mode="json"))
    except ValidationError as exc:
        raise InvalidCatalogEntry(
            f"{param}: {exc.errors()[0]['msg']} at "
            f"{'.'.join(str(p) for p in exc.errors()[0]['loc'])}",
            param=param,
        ) from exc


def validate_tool_limits(limits: Any) -> dict[str, Any]:
    """A tool version's limits as stored: validated (``ToolLimits``), unset ones left out."""
    validated = _validate_policy(ToolLimits, limits, "limits")
    return {name: value for name, value in validated.items() if value is not None}


Entry = Tool | AgentTemplate | Pipeline
# Each entry kind: its version model, the versions' link to it, the kind announced.
_VERSIONING: dict[type[models.Model], tuple[type[models.Model], str, str]] = {
    Tool: (ToolVersion, "tool", "tool"),
    AgentTemplate: (AgentTemplateVersion, "template", "agent"),
    Pipeline: (PipelineVersion, "pipeline", "pipeline"),
}


def _entry_of(version: ToolVersion | AgentTemplateVersion | PipelineVersion) -> Entry:
    entry: Entry
    if isinstance(version, ToolVersion):
        entry = version.tool
    elif isinstance(version, AgentTemplateVersion):
        entry = version.template
    else:
        entry = version.pipeline
    return entry


def _lock_and_versions(entry: Entry) -> models.QuerySet[Any]:
    """Row-lock the entry (serialising its version numbering and activation) and return
    its versions."""
    version_model, link, _ = _VERSIONING[type(entry)]
    type(entry)._default_manager.select_for_update().get(pk=entry.pk)
    return version_model._default_manager.filter(**{link: entry})


def _store_version(
    entry: Entry,
    content: dict[str, Any],
    *,
    extra: Mapping[str, Any],
    activate: bool,
    seeded: bool = False,
) -> tuple[Any, bool]:
    """The entry's version with exactly this content: the existing one, or a new one
    numbered after the last. Activated when asked — for a seed's version only where
    ``seed_may_activate`` allows. Holds the entry's row lock."""
    version_model, link, kind = _VERSIONING[type(entry)]
    digest = content_hash(content)
    versions = _lock_and_versions(entry)
    if seeded:
        activate = activate and seed_may_activate(versions, source=extra["source_repo"])
    version: Any = versions.filter(content_hash=digest).first()
    created = version is None
    if seeded and version is not None and not version.source_repo:
        # The same content, stored before seeds recorded their source (or curated by
        # hand to the letter): the seed claims it, so it can replace it later.
        versions.filter(pk=version.pk).update(**extra)
        for name, value in extra.items():
            setattr(version, name, value)
    if version is None:
        latest = versions.aggregate(models.Max("version"))["version__max"]
        version = version_model._default_manager.create(
            **{link: entry},
            version=(latest or 0) + 1,
            content_hash=digest,
            **content,
            **extra,
        )
        announce_change(kind=kind, name=entry.name)
    if activate and not version.is_active:
        version_activate(version=version)
    return version, created


def seed_may_activate(versions: models.QuerySet[Any], *, source: str) -> bool:
    """Whether a seed from ``source`` may activate its version of an entry with these
    versions: when the entry is new, or when its active version came from the same source.
    A version an admin activated (another source's, or one made by hand) and an entry an
    admin left with no active version stay as they are."""
    if not versions.exists():
        return True
    active = versions.filter(is_active=True).first()
    return active is not None and active.source_repo == source


def active_version_note(version: ToolVersion | AgentTemplateVersion | PipelineVersion) -> str:
    """Which version of this version's entry is active and where it came from, for a seed's
    report."""
    entry = _entry_of(version)
    version_model, link, _ = _VERSIONING[type(entry)]
    active: Any = version_model._default_manager.filter(**{link: entry}, is_active=True).first()
    if active is None:
        return "no version is active"
    return f"v{active.version} ({active.source_repo or 'made by hand'}) stays active"


@transaction.atomic
def version_activate(*, version: V) -> V:
    """Make this the only active version of its tool, template or pipeline (row lock on
    the entry; the database's partial unique index backs the invariant)."""
    entry = _entry_of(version)
    versions = _lock_and_versions(entry)
    versions.exclude(pk=version.pk).filter(is_active=True).update(is_active=False)
    versions.filter(pk=version.pk).update(is_active=True)
    version.is_active = True
    announce_change(kind=_VERSIONING[type(entry)][2], name=entry.name)
    return version


@transaction.atomic
def version_deactivate(*, version: V) -> V:
    """After this the entry may have no active version (then it is offered nowhere)."""
    entry = _entry_of(version)
    version.is_active = False
    version.save(update_fields=["is_active"])
    announce_change(kind=_VERSIONING[type(entry)][2], name=entry.name)
    return version


# --- tools ---------------------------------------------------------------------------------


@transaction.atomic
def tool_upsert(
    *,
    name: str,
    type: str = Tool.Type.DOMAIN,
    aliases: list[str] | None = None,
    category: str = "",
    tags: list[str] | None = None,
) -> Tool:
    """Create the tool or update its descriptive fields (not versioned)."""
    validate_name(name)
    if type not in Tool.Type.values:
        raise InvalidCatalogEntry(f"unknown tool type {type!r}", param="type")
    tool, _ = Tool.objects.update_or_create(
        name=name,
        defaults={
            "type": type,
            "aliases": sorted(set(aliases or [])),
            "category": category,
            "tags": sorted(set(tags or [])),
        },
    )
    announce_change(kind="tool", name=name)
    return tool


@transaction.atomic
def tool_version_create(
    *,
    tool: Tool,
    description: str,
    input_schema: dict[str, Any],
    binding_kind: str,
    binding: dict[str, Any] | None = None,
    long_description: str = "",
    unbound_reason: str = "",
    risk_level: str = ToolVersion.Risk.LOW,
    requires_approval: bool = False,
    idempotent: bool = False,
    on_takeover: str = ToolVersion.Takeover.RETRY,
    limits: dict[str, Any] | None = None,
    provenance: Mapping[str, str] | None = None,
    activate: bool = True,
    seeded: bool = False,
) -> tuple[ToolVersion, bool]:
    """Return ``(version, created)``; unchanged content returns the existing version.
    ``seeded``: the version comes from a seed named by ``provenance['source_repo']``, which
    activates it only as ``seed_may_activate`` allows. Holds a row lock on the tool while
    numbering and activating."""
    binding = binding or {}
    validate_input_schema(input_schema)
    validate_binding(binding_kind, binding)
    if binding_kind == ToolVersion.BindingKind.UNBOUND and not unbound_reason:
        raise InvalidCatalogEntry("an unbound tool needs an unbound_reason", param="binding")
    if risk_level not in ToolVersion.Risk.values:
        raise InvalidCatalogEntry(f"unknown risk level {risk_level!r}", param="risk_level")
    if not description.strip():
        raise InvalidCatalogEntry("description must not be empty", param="description")
    if on_takeover not in ToolVersion.Takeover.values:
        raise InvalidCatalogEntry(
            f"on_takeover must be one of {', '.join(ToolVersion.Takeover.values)}",
            param="on_takeover",
        )
    limits = validate_tool_limits(limits)
    content = {
        "description": description,
        "long_description": long_description,
        "input_schema": input_schema,
        "binding_kind": binding_kind,
        "binding": binding,
        "unbound_reason": unbound_reason,
        "risk_level": risk_level,
        "requires_approval": requires_approval,
        "limits": limits,
    }
    # The takeover policy joins the content (and its hash) only where it is not the
    # default, so versions stored before it existed keep their hash.
    if idempotent:
        content["idempotent"] = True
    if on_takeover != ToolVersion.Takeover.RETRY:
        content["on_takeover"] = on_takeover
    return _store_version(
        tool,
        content,
        extra={k: (provenance or {}).get(k, "") for k in PROVENANCE_FIELDS},
        activate=activate,
        seeded=seeded,
    )


# --- agent templates -----------------------------------------------------------------------


@transaction.atomic
def template_upsert(*, name: str, description: str = "") -> AgentTemplate:
    validate_name(name)
    if Pipeline.objects.filter(name=name).exists():
        raise InvalidCatalogEntry(
            f"{name!r} is already a pipeline; models must be unique", param="name"
        )
    template, _ = AgentTemplate.objects.update_or_create(
        name=name, defaults={"description": description}
    )
    announce_change(kind="agent", name=name)
    return template


@transaction.atomic
def template_version_create(
    *,
    template: AgentTemplate,
    flavour: str,
    system_prompt: str,
    initial_user_prompt: str = "",
    clarification_prompt: str = "",
    llm_policy: dict[str, Any] | None = None,
    execution_policy: dict[str, Any] | None = None,
    tool_policy: dict[str, Any] | None = None,
    rules: list[dict[str, Any]] | None = None,
    capabilities: str = "",
    tags: list[str] | None = None,
    provenance: Mapping[str, str] | None = None,
    activate: bool = True,
    seeded: bool = False,
) -> tuple[AgentTemplateVersion, bool]:
    """Return ``(version, created)``; policies are validated and stored normalised, so
    equal content always hashes equal. ``seeded`` as for ``tool_version_create``. Holds a
    row lock on the template."""
    if flavour not in AgentTemplateVersion.Flavour.values:
        raise InvalidCatalogEntry(f"unknown flavour {flavour!r}", param="flavour")
    if not system_prompt.strip():
        raise InvalidCatalogEntry("system_prompt must not be empty", param="system_prompt")
    if not isinstance(rules or [], list):
        raise InvalidCatalogEntry("rules must be a list", param="rules")
    content = {
        "flavour": flavour,
        "system_prompt": system_prompt,
        "initial_user_prompt": initial_user_prompt,
        "clarification_prompt": clarification_prompt,
        "llm_policy": _validate_policy(LLMPolicy, llm_policy, "llm_policy"),
        "execution_policy": _validate_policy(ExecutionPolicy, execution_policy, "execution_policy"),
        "tool_policy": _validate_policy(ToolPolicy, tool_policy, "tool_policy"),
        "rules": [_validate_policy(Rule, rule, "rules") for rule in rules or []],
        "capabilities": capabilities,
        "tags": sorted(set(tags or [])),
    }
    return _store_version(
        template,
        content,
        extra={k: (provenance or {}).get(k, "") for k in PROVENANCE_FIELDS},
        activate=activate,
        seeded=seeded,
    )


# --- pipelines -----------------------------------------------------------------------------


@transaction.atomic
def pipeline_upsert(*, name: str, description: str = "") -> Pipeline:
    validate_name(name)
    if AgentTemplate.objects.filter(name=name).exists():
        raise InvalidCatalogEntry(
            f"{name!r} is already an agent template; models must be unique", param="name"
        )
    pipeline, _ = Pipeline.objects.update_or_create(
        name=name, defaults={"description": description}
    )
    announce_change(kind="pipeline", name=name)
    return pipeline


@transaction.atomic
def pipeline_version_create(
    *, pipeline: Pipeline, steps: list[dict[str, Any]], activate: bool = True
) -> tuple[PipelineVersion, bool]:
    """Steps must name existing templates (and versions, when pinned)."""
    if not isinstance(steps, list) or not steps:
        raise InvalidCatalogEntry("a pipeline needs at least one step", param="steps")
    normalised = [_validate_policy(PipelineStep, step, "steps") for step in steps]
    for step in normalised:
        versions = AgentTemplateVersion.objects.filter(template__name=step["template"])
        if step["version"] is not None:
            versions = versions.filter(version=step["version"])
        if not versions.exists():
            raise InvalidCatalogEntry(
                f"pipeline step names unknown template {step['template']!r}"
                + (f" version {step['version']}" if step["version"] is not None else ""),
                param="steps",
            )
    return _store_version(pipeline, {"steps": normalised}, extra={}, activate=activate)


# --- skills ------------------------------------------------------------------------------


@transaction.atomic
def skill_upsert(
    *, name: str, description: str, content: str, provenance: Mapping[str, str] | None = None
) -> tuple[Skill, bool]:
    """Create the skill or replace its text; returns ``(skill, changed)`` (False when it
    already read exactly so)."""
    validate_name(name)
    if not description.strip():
        raise InvalidCatalogEntry("a skill needs a description", param="description")
    fields = {
        "description": description[:1000],
        "content": content,
        **{k: (provenance or {}).get(k, "") for k in PROVENANCE_FIELDS},
    }
    skill = Skill.objects.filter(name=name).first()
    if skill is not None and all(getattr(skill, k) == v for k, v in fields.items()):
        return skill, False
    skill, _ = Skill.objects.update_or_create(name=name, defaults=fields)
    return skill, True


# --- deleting entries --------------------------------------------------------------------

_SIGNAL_KIND = {Tool: "tool", AgentTemplate: "agent", Pipeline: "pipeline"}


def _delete_blocker(entry: Tool | AgentTemplate | Pipeline) -> str:
    """Why the entry cannot go ('' when it can): an active version, or a template still
    run by a pipeline or delegated to by a tool. Sessions protect their versions in the
    database (``ProtectedError``)."""
    kind = {"agent": "template"}.get(_SIGNAL_KIND[type(entry)], _SIGNAL_KIND[type(entry)])
    if entry.versions.filter(is_active=True).exists():
        return (
            f"The {kind} {entry.name!r} has an active version; deactivate it before "
            f"deleting the {kind}"
        )
    if isinstance(entry, AgentTemplate):
        if PipelineVersion.objects.filter(steps__contains=[{"template": entry.name}]).exists():
            return f"A pipeline version runs the template {entry.name!r}; it cannot be deleted"
        if ToolVersion.objects.filter(
            binding_kind=ToolVersion.BindingKind.AGENT, binding__template=entry.name
        ).exists():
            return f"A tool version delegates to the template {entry.name!r}"
    return ""


@transaction.atomic
def catalog_entry_delete(*, entry: Tool | AgentTemplate | Pipeline) -> None:
    """Delete a tool, template or pipeline with all its versions, unless something still
    needs it (``CatalogConflict``)."""
    blocker = _delete_blocker(entry)
    if blocker:
        raise CatalogConflict(blocker)
    name = entry.name
    entry.delete()
    announce_change(kind=_SIGNAL_KIND[type(entry)], name=name)


# --- the built-in catalog ------------------------------------------------------------------

# The provenance of every built-in version: seeds replace only what their own source wrote.
BUILTIN_PROVENANCE = {"source_repo": "maruntime", "source_path": "catalog/builtin.py"}


@dataclass
class SeedSummary:
    created: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    not_offered: dict[str, str] = field(default_factory=dict)
    # Built-in versions left inactive because an admin chose another: label -> what stays.
    kept_inactive: dict[str, str] = field(default_factory=dict)

    def record(self, version: ToolVersion | AgentTemplateVersion, *, created: bool) -> None:
        (self.created if created else self.unchanged).append(str(version))
        if not version.is_active:
            self.kept_inactive[str(version)] = active_version_note(version)


@transaction.atomic
def catalog_seed_builtin(*, search_api_key: str) -> SeedSummary:
    """Write the built-in tools and templates (idempotent). Without a search API key
    (Tavily's, or another engine's setting) the search tools are stored unbound, with the
    reason, and so never offered; so is a tool the catalog refuses (``unavailable``). A built-in
    version is activated only where the entry is new or its active version is a built-in
    one: a version an admin activated stays active (``seed_may_activate``)."""
    from catalog.builtin import (
        ASSISTANT_TEMPLATE,
        BUILTIN_TEMPLATES,
        BUILTIN_TOOLS,
        ROUTER_TEMPLATE,
        agent_tool,
    )
    from catalog.builtin_memory import MEMORY_TOOLS

    summary = SeedSummary()
    for spec in [*BUILTIN_TOOLS, *MEMORY_TOOLS]:
        tool = tool_upsert(
            name=spec["name"],
            type=spec["type"],
            aliases=spec["aliases"],
            tags=[*spec.get("tags", []), "builtin"],
        )
        reason = spec.get("unavailable", "")
        if spec.get("needs_search_api") and not search_api_key:
            reason = "TAVILY_API_KEY is not set: web search is not configured"
        if spec.get("needs_setting") and not getattr(settings, spec["needs_setting"], ""):
            reason = f"{spec['needs_setting']} is not set: this search engine is not configured"
        version, created = tool_version_create(
            tool=tool,
            description=spec["description"],
            long_description=spec.get("long_description", ""),
            input_schema=spec["input_schema"],
            binding_kind=ToolVersion.BindingKind.UNBOUND
            if reason
            else ToolVersion.BindingKind.PYTHON,
            binding={} if reason else {"entrypoint": spec["name"]},
            unbound_reason=reason,
            risk_level=spec.get("risk_level")
            or (ToolVersion.Risk.LOW if spec["type"] != "domain" else ToolVersion.Risk.MEDIUM),
            requires_approval=spec.get("requires_approval", False),
            provenance=BUILTIN_PROVENANCE,
            seeded=True,
        )
        summary.record(version, created=created)
        if reason:
            summary.not_offered[spec["name"]] = reason
    for spec in BUILTIN_TEMPLATES:
        _seed_template(spec, summary)
    for spec in map(agent_tool, BUILTIN_TEMPLATES):
        tool = tool_upsert(name=spec["name"], type=spec["type"], tags=[*spec["tags"], "builtin"])
        version, created = tool_version_create(
            tool=tool,
            description=spec["description"],
            input_schema=spec["input_schema"],
            binding_kind=ToolVersion.BindingKind.AGENT,
            binding=spec["binding"],
            provenance=BUILTIN_PROVENANCE,
            seeded=True,
        )
        summary.record(version, created=created)
    _seed_template(ROUTER_TEMPLATE, summary)
    _seed_template(ASSISTANT_TEMPLATE, summary)
    return summary


def _seed_template(spec: dict[str, Any], summary: SeedSummary) -> None:
    template = template_upsert(name=spec["name"], description=spec["description"])
    fields = {k: v for k, v in spec.items() if k not in ("name", "description")}
    version, created = template_version_create(
        template=template, provenance=BUILTIN_PROVENANCE, seeded=True, **fields
    )
    summary.record(version, created=created)
