"""Tool classes of a branch: the concrete classes deriving from one of sgr-agent-core's
tool roots, with their name, description and input schema."""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from catalog.seeding.ast_values import string_constant
from catalog.seeding.source_index import ClassInfo, SourceIndex, path_rank
from catalog.seeding.tool_schemas import TOOL_ROOTS, SchemaBuilder

MCP_ROOT = "MCPBaseTool"
# Helpers that derive from a tool root but are never offered as tools.
ABSTRACT_TOOLS = TOOL_ROOTS | {"NextStepToolStub", "ToolNameSelectorStub"}


@dataclass
class ToolClass:
    class_name: str
    path: str
    tool_name: str | None
    description: str
    input_schema: dict[str, Any]
    is_mcp: bool

    @property
    def folder(self) -> str:
        return PurePosixPath(self.path).parent.name


def find_tool_classes(index: SourceIndex) -> list[ToolClass]:
    found = []
    for cls in index.all_classes():
        if _is_helper(cls) or not index.derives_from(cls, TOOL_ROOTS):
            continue
        found.append(
            ToolClass(
                class_name=cls.name,
                path=cls.path,
                tool_name=string_constant(cls.class_var("tool_name")),
                description=_tool_description(index, cls),
                input_schema=SchemaBuilder(index).model_schema(cls),
                is_mcp=index.derives_from(cls, frozenset({MCP_ROOT})),
            )
        )
    return sorted(found, key=lambda t: (path_rank(t.path), t.class_name))


def _tool_description(index: SourceIndex, cls: ClassInfo) -> str:
    own = string_constant(cls.class_var("description"))
    if own:
        return inspect.cleandoc(own)
    if cls.docstring:
        return cls.docstring
    for parent in index.ancestors(cls):
        if parent.name in ABSTRACT_TOOLS:
            continue
        inherited = string_constant(parent.class_var("description")) or parent.docstring
        if inherited:
            return inspect.cleandoc(inherited)
    return ""


def _is_helper(cls: ClassInfo) -> bool:
    """Abstract tool helpers: the known ones, ABCs and ``Base*``/``*Base``/``*Mixin``."""
    return (
        cls.name in ABSTRACT_TOOLS
        or "ABC" in cls.base_names
        or cls.name.startswith("Base")
        or cls.name.endswith(("Base", "Mixin"))
    )
