"""factory_boy factories for catalog rows, built through the catalog's services (never the
ORM directly), so the content hash, the one active version per entry and the change
announcements the retrieval index listens to are what the product makes::

    weather = ToolVersionFactory.create(name="weather_forecast", description="Rain and wind.")
    agent = TemplateVersionFactory.create(tool_policy={"tools": ["weather_forecast"]})

Each returns the new active version (``.tool`` / ``.template`` is its entry). A field not
given has a plain default: an ``http`` tool with a one-string ``q`` argument, an ``sgr``
agent whose prompt lists its tools.
"""

from __future__ import annotations

import inspect
from typing import Any

import factory

from catalog import services
from catalog.models import AgentTemplateVersion, ToolVersion

QUERY_SCHEMA = {"type": "object", "properties": {"q": {"type": "string"}}}


class ToolVersionFactory(factory.Factory[ToolVersion]):
    class Meta:
        model = ToolVersion

    name = factory.Sequence(lambda n: f"tool_{n}")
    type = "domain"
    tags: Any = factory.LazyFunction(list)
    description = factory.LazyAttribute(lambda tool: f"The {tool.name} tool.")
    input_schema = factory.LazyFunction(lambda: dict(QUERY_SCHEMA))
    binding_kind = "http"
    binding = factory.LazyAttribute(lambda tool: {"url": f"https://tools.example.com/{tool.name}"})

    @classmethod
    def _create(
        cls, model_class: Any, *, name: str, type: str, tags: list[str], **fields: Any
    ) -> ToolVersion:
        tool = services.tool_upsert(name=name, type=type, tags=tags)
        version, _ = services.tool_version_create(tool=tool, **fields)
        return version


class TemplateVersionFactory(factory.Factory[AgentTemplateVersion]):
    class Meta:
        model = AgentTemplateVersion

    name = factory.Sequence(lambda n: f"agent_{n}")
    description = ""
    flavour = "sgr"
    system_prompt = "Work. {available_tools}"

    @classmethod
    def _create(
        cls,
        model_class: Any,
        *,
        name: str,
        description: str,
        **fields: Any,
    ) -> AgentTemplateVersion:
        template = services.template_upsert(name=name, description=description)
        version, _ = services.template_version_create(template=template, **fields)
        return version


def per_step_retrieval(tools: list[str], *, k: int) -> dict[str, Any]:
    """A tool policy offering the required ``final_answer`` and the ``k`` best of ``tools``
    for each step."""
    return {
        "tools": [*tools, "final_answer"],
        "required": ["final_answer"],
        "selection": "retrieval_per_step",
        "retrieval_k": k,
    }


def _content_of(version: Any, create: Any) -> dict[str, Any]:
    """What ``create`` (a ``*_version_create`` service) takes from an existing version:
    every keyword it accepts that the version has, but the entry and the how-to flags."""
    skip = {"tool", "template", "provenance", "activate", "seeded"}
    return {
        name: getattr(version, name)
        for name in inspect.signature(create).parameters
        if name not in skip and hasattr(version, name)
    }


def next_tool_version(tool_name: str, **changes: Any) -> ToolVersion:
    """A new active version of ``tool_name`` that differs from the active one only by
    ``changes`` (its security policy, say)."""
    current = ToolVersion.objects.select_related("tool").get(tool__name=tool_name, is_active=True)
    content = _content_of(current, services.tool_version_create) | changes
    version, _ = services.tool_version_create(tool=current.tool, **content)
    return version


def next_template_version(template_name: str, **changes: Any) -> AgentTemplateVersion:
    """A new active version of ``template_name`` that differs from the active one only by
    ``changes``."""
    current = AgentTemplateVersion.objects.select_related("template").get(
        template__name=template_name, is_active=True
    )
    content = _content_of(current, services.template_version_create) | changes
    version, _ = services.template_version_create(template=current.template, **content)
    return version
