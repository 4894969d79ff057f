"""Writing a branch's plan through the catalog services and counting what changed; the
services make unchanged content a no-op."""

from __future__ import annotations

from catalog import services
from catalog.models import AgentTemplate, AgentTemplateVersion, Tool, ToolVersion
from catalog.seeding.planning import BranchPlan
from catalog.seeding.summary import BranchSummary, Counts
from catalog.seeding.tool_plans import ToolPlan


def write_branch(plan: BranchPlan, *, activate: bool) -> BranchSummary:
    summary = plan.summary
    for tool_plan in plan.tools:
        tool = _upsert_tool(tool_plan)
        had_versions = tool.versions.exists()
        version, created = services.tool_version_create(
            tool=tool,
            description=tool_plan.description,
            long_description=tool_plan.long_description,
            input_schema=tool_plan.input_schema,
            binding_kind=tool_plan.binding_kind,
            binding=tool_plan.binding,
            unbound_reason=tool_plan.unbound_reason,
            provenance=tool_plan.provenance,
            activate=activate,
            seeded=True,
        )
        _count(summary.tools, version, created=created, had_versions=had_versions)
        _note_kept(summary.tools, version, activate=activate)
        if tool_plan.binding_kind == ToolVersion.BindingKind.UNBOUND:
            summary.tools.unbound.append(tool_plan.name)
    for template_plan in plan.templates:
        template = AgentTemplate.objects.filter(name=template_plan.name).first()
        if template is None or not template.description:
            template = services.template_upsert(
                name=template_plan.name, description=template_plan.description
            )
        had_versions = template.versions.exists()
        template_version, created = services.template_version_create(
            template=template,
            provenance=template_plan.provenance,
            activate=activate,
            seeded=True,
            **template_plan.content,
        )
        _count(summary.templates, template_version, created=created, had_versions=had_versions)
        _note_kept(summary.templates, template_version, activate=activate)
    for skill in plan.skills:
        _, changed = services.skill_upsert(
            name=skill.name,
            description=skill.description,
            content=skill.content,
            provenance=plan.provenance | {"source_path": skill.path},
        )
        (summary.skills_written if changed else summary.skills_unchanged).append(skill.name)
    return summary


def _upsert_tool(plan: ToolPlan) -> Tool:
    """Create the tool, or merge our aliases and tags into it; a curated type and category
    are kept, and an unchanged tool is not written at all."""
    existing = Tool.objects.filter(name=plan.name).first()
    aliases = sorted(set(existing.aliases if existing else []) | plan.aliases)
    tags = sorted(set(existing.tags if existing else []) | set(plan.tags))
    if existing is not None and existing.aliases == aliases and existing.tags == tags:
        return existing
    return services.tool_upsert(
        name=plan.name,
        type=existing.type if existing else plan.type,
        aliases=aliases,
        category=existing.category if existing else "",
        tags=tags,
    )


def _count(
    counts: Counts,
    version: ToolVersion | AgentTemplateVersion,
    *,
    created: bool,
    had_versions: bool,
) -> None:
    label = str(version)
    if not created:
        counts.unchanged.append(label)
    elif had_versions:
        counts.new_version.append(label)
    else:
        counts.created.append(label)


def _note_kept(
    counts: Counts, version: ToolVersion | AgentTemplateVersion, *, activate: bool
) -> None:
    """A version the seed would have activated but left inactive: another source's (the
    built-in catalog's, or an admin's) version of that name is active."""
    if activate and not version.is_active:
        counts.kept_inactive[str(version)] = services.active_version_note(version)
