"""Planning the tools of a branch: each tool class becomes one planned tool version with a
canonical name, aliases, tags, its input schema and a binding to a built-in implementation
(or none)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from catalog import bindings, services
from catalog.exceptions import InvalidCatalogEntry
from catalog.models import Tool, ToolVersion
from catalog.seeding.names import canonical_tool_name, normalised_key
from catalog.seeding.summary import BranchSummary
from catalog.seeding.tool_classes import ToolClass

SOURCE_TAG = "sgr-agent-core"
BUILTIN_TOOL_TYPES: dict[str, str] = {
    "reasoning": Tool.Type.SYSTEM,
    "clarification": Tool.Type.SYSTEM,
    "generate_plan": Tool.Type.SYSTEM,
    "adapt_plan": Tool.Type.SYSTEM,
    "final_answer": Tool.Type.SYSTEM,
    "create_report": Tool.Type.AUX,
    "web_search": Tool.Type.DOMAIN,
    "extract_page_content": Tool.Type.DOMAIN,
    "answer": Tool.Type.SYSTEM,
    "search_tools": Tool.Type.SYSTEM,
    "use_skill": Tool.Type.SYSTEM,
    "run_command": Tool.Type.DOMAIN,
}


@dataclass
class ToolPlan:
    name: str
    type: str
    aliases: set[str]
    tags: list[str]
    description: str
    long_description: str
    input_schema: dict[str, Any]
    binding_kind: str
    binding: dict[str, Any]
    unbound_reason: str
    provenance: dict[str, str]


def known_tool_keys() -> dict[str, str]:
    """Normalised spelling -> name of every built-in and catalog tool (and its aliases)."""
    keys = {normalised_key(name): name for name in BUILTIN_TOOL_TYPES}
    for name, aliases in Tool.objects.values_list("name", "aliases"):
        for spelling in [name, *aliases]:
            keys.setdefault(normalised_key(spelling), name)
    return keys


def plan_tools(
    classes: list[ToolClass],
    *,
    known: dict[str, str],
    provenance: dict[str, str],
    summary: BranchSummary,
) -> list[ToolPlan]:
    plans: dict[str, ToolPlan] = {}
    entrypoints = bindings.python_entrypoints()
    for cls in classes:
        own_keys = {**known, normalised_key(cls.class_name): canonical_tool_name(cls.class_name)}
        name = canonical_tool_name(cls.tool_name or cls.class_name, own_keys)
        path = provenance | {"source_path": cls.path, "source_class": cls.class_name}
        if name in plans:
            kept = plans[name].provenance
            summary.warnings.append(
                f"tool {name!r}: {cls.class_name} in {cls.path} duplicates "
                f"{kept['source_class']} in {kept['source_path']}; kept the latter"
            )
            continue
        aliases = {cls.class_name, cls.class_name.lower(), cls.tool_name or cls.class_name.lower()}
        aliases.discard(name)
        description, long_description = split_description(cls.description)
        tags = [SOURCE_TAG, cls.folder[:50]] + (["mcp"] if cls.is_mcp else [])
        entrypoint = next((n for n in [name, *sorted(aliases)] if n in entrypoints), None)
        if cls.is_mcp:
            kind, binding = ToolVersion.BindingKind.UNBOUND, {}
            reason = (
                f"MCP tool (sgr-agent-core class {cls.class_name}): bind it to an MCP "
                "server and tool"
            )
        elif entrypoint:
            kind, binding, reason = ToolVersion.BindingKind.PYTHON, {"entrypoint": entrypoint}, ""
        else:
            kind, binding = ToolVersion.BindingKind.UNBOUND, {}
            reason = (
                f"no built-in implementation for {name!r} (sgr-agent-core class {cls.class_name})"
            )
        plan = ToolPlan(
            name=name,
            type=BUILTIN_TOOL_TYPES.get(name, Tool.Type.DOMAIN),
            aliases=aliases,
            tags=tags,
            description=description or f"{cls.class_name} (sgr-agent-core tool)",
            long_description=long_description,
            input_schema=cls.input_schema,
            binding_kind=kind,
            binding=binding,
            unbound_reason=reason[:500],
            provenance=path,
        )
        try:
            services.validate_name(plan.name)
            services.validate_input_schema(plan.input_schema)
        except InvalidCatalogEntry as exc:
            summary.warnings.append(f"tool {cls.class_name} in {cls.path}: {exc.message}; skipped")
            continue
        plans[name] = plan
    return list(plans.values())


def split_description(text: str) -> tuple[str, str]:
    """The first paragraph as the short description; the whole text as the long one when
    there is more to it."""
    text = text.strip()
    first = re.split(r"\n\s*\n", text, maxsplit=1)[0]
    first = " ".join(line.strip() for line in first.splitlines() if line.strip())
    if len(first) > 1000:
        first = first[:997].rstrip() + "..."
    return first, text if text != first else ""
