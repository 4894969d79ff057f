"""Agent classes of a branch: the classes deriving from sgr-agent-core's ``BaseAgent``, their
registry names and the limit defaults of their ``__init__``."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass

from catalog.seeding.ast_values import literal, string_constant
from catalog.seeding.source_index import ClassInfo, SourceIndex, path_rank

AGENT_ROOT = "BaseAgent"
LIMIT_NAMES = ("max_iterations", "max_clarifications", "max_searches")


@dataclass
class AgentClass:
    class_name: str
    path: str
    registry_name: str | None
    docstring: str
    limits: dict[str, int]
    is_abstract: bool


def find_agent_classes(index: SourceIndex) -> list[AgentClass]:
    found = []
    for cls in index.all_classes():
        if cls.name == AGENT_ROOT or not index.derives_from(cls, frozenset({AGENT_ROOT})):
            continue
        chain = [cls, *index.ancestors(cls)]
        found.append(
            AgentClass(
                class_name=cls.name,
                path=cls.path,
                # Its own ``name`` only: subclasses inheriting one would all collide.
                registry_name=string_constant(cls.class_var("name")),
                docstring=cls.docstring,
                limits=_limit_defaults(chain),
                is_abstract=cls.name.startswith("Base") or "ABC" in cls.base_names,
            )
        )
    return sorted(found, key=lambda a: (path_rank(a.path), a.class_name))


def agent_lineage(index: SourceIndex, name: str) -> list[str]:
    """``name`` and the names of the repository classes it derives from, nearest
    first; ``name`` may be a class name or an agent's registry ``name``."""
    cls = index.resolve(name)
    if cls is None:
        cls = next(
            (c for c in index.all_classes() if string_constant(c.class_var("name")) == name), None
        )
    if cls is None:
        return [name.rsplit(".", 1)[-1]]
    return [cls.name, *index.lineage(cls)]


def _limit_defaults(chain: list[ClassInfo]) -> dict[str, int]:
    """Limit defaults from the nearest ``__init__`` keyword defaults (0.2.x agents)."""
    limits: dict[str, int] = {}
    for cls in chain:
        for stmt in cls.node.body:
            if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef) and (
                stmt.name == "__init__"
            ):
                for name, default in _arg_defaults(stmt.args):
                    if name in LIMIT_NAMES and name not in limits:
                        value = literal(default)
                        if isinstance(value, int) and not isinstance(value, bool):
                            limits[name] = value
    return limits


def _arg_defaults(args: ast.arguments) -> Iterator[tuple[str, ast.expr]]:
    positional = [*args.posonlyargs, *args.args]
    for arg, default in zip(
        positional[len(positional) - len(args.defaults) :], args.defaults, strict=True
    ):
        yield arg.arg, default
    for arg, kw_default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        if kw_default is not None:
            yield arg.arg, kw_default
