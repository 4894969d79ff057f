"""Every class and module-level assignment of one branch's python files, read with ``ast``.

The repository's code is never imported or executed: classes are found by name across all
parsed files and inheritance is followed by base-class names. What the classes mean is read
by ``tool_classes``, ``agent_classes`` and ``definition_calls``.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from catalog.seeding.ast_values import dotted


@dataclass
class ClassInfo:
    name: str
    path: str
    node: ast.ClassDef
    bases: list[str]
    module: ModuleInfo

    @property
    def base_names(self) -> list[str]:
        return [base.rsplit(".", 1)[-1] for base in self.bases]

    def class_var(self, name: str) -> ast.expr | None:
        """The value assigned to a class-level name in this class's own body."""
        for stmt in self.node.body:
            if isinstance(stmt, ast.Assign):
                if any(isinstance(t, ast.Name) and t.id == name for t in stmt.targets):
                    return stmt.value
            elif (
                isinstance(stmt, ast.AnnAssign)
                and isinstance(stmt.target, ast.Name)
                and stmt.target.id == name
                and stmt.value is not None
            ):
                return stmt.value
        return None

    @property
    def docstring(self) -> str:
        return inspect.cleandoc(ast.get_docstring(self.node, clean=False) or "")


@dataclass
class ModuleInfo:
    path: str
    tree: ast.Module
    assignments: dict[str, ast.expr] = field(default_factory=dict)


class SourceIndex:
    """Every class and module-level assignment of one branch's python files."""

    def __init__(self) -> None:
        self.modules: list[ModuleInfo] = []
        self.classes: dict[str, list[ClassInfo]] = {}
        self.globals: dict[str, list[tuple[ModuleInfo, ast.expr]]] = {}

    def add_module(self, path: str, text: str) -> None:
        """Parse one file; raises SyntaxError (callers report and skip it)."""
        tree = ast.parse(text, filename=path)
        module = ModuleInfo(path=path, tree=tree)
        for stmt in tree.body:
            if isinstance(stmt, ast.Assign):
                for target in stmt.targets:
                    if isinstance(target, ast.Name):
                        module.assignments[target.id] = stmt.value
            elif (
                isinstance(stmt, ast.AnnAssign)
                and isinstance(stmt.target, ast.Name)
                and stmt.value is not None
            ):
                module.assignments[stmt.target.id] = stmt.value
        for name, value in module.assignments.items():
            self.globals.setdefault(name, []).append((module, value))
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                info = ClassInfo(
                    name=node.name,
                    path=path,
                    node=node,
                    bases=[dotted(b) for b in node.bases if dotted(b)],
                    module=module,
                )
                self.classes.setdefault(node.name, []).append(info)
        self.modules.append(module)

    def resolve(self, name: str, near: ClassInfo | None = None) -> ClassInfo | None:
        """The repository class called ``name`` (same file first, then the shallowest)."""
        candidates = self.classes.get(name.rsplit(".", 1)[-1], [])
        if near is not None:
            for candidate in candidates:
                if candidate.path == near.path and candidate is not near:
                    return candidate
        others = [c for c in candidates if c is not near]
        return min(others, key=lambda c: path_rank(c.path), default=None)

    def lineage(self, cls: ClassInfo) -> Iterator[str]:
        """All base names reachable from ``cls``, breadth first, each once."""
        seen: set[int] = {id(cls)}
        queue: list[tuple[ClassInfo, str]] = [(cls, b) for b in cls.bases]
        while queue:
            owner, base = queue.pop(0)
            yield base.rsplit(".", 1)[-1]
            parent = self.resolve(base, near=owner)
            if parent is not None and id(parent) not in seen:
                seen.add(id(parent))
                queue.extend((parent, b) for b in parent.bases)

    def ancestors(self, cls: ClassInfo) -> Iterator[ClassInfo]:
        """Repository classes ``cls`` derives from, nearest first."""
        seen: set[int] = {id(cls)}
        queue: list[ClassInfo] = [cls]
        while queue:
            current = queue.pop(0)
            for base in current.bases:
                parent = self.resolve(base, near=current)
                if parent is not None and id(parent) not in seen:
                    seen.add(id(parent))
                    yield parent
                    queue.append(parent)

    def derives_from(self, cls: ClassInfo, roots: frozenset[str]) -> bool:
        return any(name in roots for name in self.lineage(cls))

    def all_classes(self) -> Iterator[ClassInfo]:
        for infos in self.classes.values():
            yield from infos


def path_rank(path: str) -> tuple[int, int, str]:
    """Order of preference between files defining the same thing: the package itself
    before examples and docs, shallow before deep."""
    parts = PurePosixPath(path).parts
    aside = int(any(p in {"examples", "example", "docs", "benchmark", "benchmarks"} for p in parts))
    return aside, len(parts), path
