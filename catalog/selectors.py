"""Reads of the catalog that other apps use (they never query catalog models directly)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from catalog.exceptions import CatalogNotFound
from catalog.models import AgentTemplateVersion, PipelineVersion, Skill, Tool, ToolVersion


@dataclass(frozen=True)
class ResolvedModel:
    """What an OpenAI ``model`` name names: a template version or a pipeline version."""

    name: str
    template_version: AgentTemplateVersion | None = None
    pipeline_version: PipelineVersion | None = None


def model_resolve(name: str) -> ResolvedModel:
    """``name`` -> active version, ``name@N`` -> that version (active or not), of a
    template or a pipeline. Raises ``CatalogNotFound``."""
    base, _, pinned = name.partition("@")
    templates = AgentTemplateVersion.objects.select_related("template").filter(template__name=base)
    pipelines = PipelineVersion.objects.select_related("pipeline").filter(pipeline__name=base)
    if pinned:
        if not pinned.isdigit():
            raise CatalogNotFound(f"The model '{name}' does not exist", param="model")
        templates = templates.filter(version=int(pinned))
        pipelines = pipelines.filter(version=int(pinned))
    else:
        templates = templates.filter(is_active=True)
        pipelines = pipelines.filter(is_active=True)
    # At most one row matches; ``order_by()`` drops the Meta ordering and its join.
    template_version = templates.order_by().first()
    if template_version is not None:
        return ResolvedModel(name=name, template_version=template_version)
    pipeline_version = pipelines.order_by().first()
    if pipeline_version is not None:
        return ResolvedModel(name=name, pipeline_version=pipeline_version)
    raise CatalogNotFound(f"The model '{name}' does not exist", param="model")


def active_template_versions() -> QuerySet[AgentTemplateVersion]:
    return AgentTemplateVersion.objects.select_related("template").filter(is_active=True)


def active_pipeline_versions() -> QuerySet[PipelineVersion]:
    return PipelineVersion.objects.select_related("pipeline").filter(is_active=True)


def active_tool_versions(*, names: list[str] | None = None) -> QuerySet[ToolVersion]:
    """Active, bound tool versions (unbound ones are never offered), optionally by name."""
    versions = (
        ToolVersion.objects.select_related("tool")
        .filter(is_active=True)
        .exclude(binding_kind=ToolVersion.BindingKind.UNBOUND)
    )
    if names is not None:
        versions = versions.filter(tool__name__in=names)
    return versions


def tool_and_latest_version(*, name: str) -> tuple[Tool | None, ToolVersion | None]:
    """The tool of that name and its active version, else its newest one (Nones when
    there is no such tool, or it has no version)."""
    tool = Tool.objects.filter(name=name).first()
    if tool is None:
        return None, None
    return tool, tool.versions.order_by("-is_active", "-version").first()


def template_version_get(*, template_version_id: int) -> AgentTemplateVersion:
    """A template version by id, with its template (``DoesNotExist`` when there is none)."""
    return AgentTemplateVersion.objects.select_related("template").get(pk=template_version_id)


def template_versions(*, ids: list[int]) -> list[AgentTemplateVersion]:
    """The template versions with these ids, in the order of ``ids``."""
    found = AgentTemplateVersion.objects.select_related("template").in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]


def template_version_for_step(*, template: str, version: int | None) -> AgentTemplateVersion:
    """The template version a pipeline step runs: pinned, or the active one."""
    versions = AgentTemplateVersion.objects.select_related("template").filter(
        template__name=template
    )
    found = (
        versions.filter(version=version).first()
        if version is not None
        else versions.filter(is_active=True).first()
    )
    if found is None:
        raise CatalogNotFound(f"pipeline step template {template!r} has no usable version")
    return found


def skill_get(name: str) -> Skill | None:
    """The skill of that name (any spelling of its case), or None."""
    return Skill.objects.filter(name=name.strip().lower()).first()


def skill_names() -> list[str]:
    return list(Skill.objects.order_by("name").values_list("name", flat=True))
