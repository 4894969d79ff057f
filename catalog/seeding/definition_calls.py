"""Python ``AgentDefinition(...)`` calls of a branch, with their keyword arguments evaluated
statically (see ``static_value``)."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

from catalog.seeding.ast_values import dotted
from catalog.seeding.source_index import ModuleInfo, SourceIndex


@dataclass
class DefinitionCall:
    """``AgentDefinition(...)``'s keyword arguments, statically evaluated."""

    path: str
    values: dict[str, Any]


def find_definition_calls(index: SourceIndex) -> list[DefinitionCall]:
    calls = []
    for module in index.modules:
        for node in ast.walk(module.tree):
            if not isinstance(node, ast.Call):
                continue
            func = dotted(node.func).rsplit(".", 1)[-1]
            if not func.endswith("AgentDefinition"):
                continue
            values = {
                kw.arg: static_value(index, kw.value, module)
                for kw in node.keywords
                if kw.arg is not None
            }
            if isinstance(values.get("name"), str):
                calls.append(DefinitionCall(path=module.path, values=values))
    return calls


def static_value(index: SourceIndex, node: ast.expr, module: ModuleInfo, depth: int = 0) -> Any:
    """What an expression evaluates to, as far as it can be known without running it:
    literals, module constants, class references (as their dotted names), ``Path``s and
    config-object calls (as dicts of their keyword arguments)."""
    if depth > 20:
        return None
    again = lambda n: static_value(index, n, module, depth + 1)  # noqa: E731
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.List | ast.Tuple | ast.Set):
        items: list[Any] = []
        for element in node.elts:
            if isinstance(element, ast.Starred):
                value = again(element.value)
                items.extend(value if isinstance(value, list) else [])
            else:
                items.append(again(element))
        return items
    if isinstance(node, ast.Dict):
        result: dict[Any, Any] = {}
        for key, value in zip(node.keys, node.values, strict=True):
            if key is None:
                spread = again(value)
                if isinstance(spread, dict):
                    result.update(spread)
            else:
                result[again(key)] = again(value)
        return result
    if isinstance(node, ast.Name):
        assigned = module.assignments.get(node.id)
        if assigned is not None:
            return static_value(index, assigned, module, depth + 1)
        elsewhere = index.globals.get(node.id, [])
        if len(elsewhere) == 1 and index.resolve(node.id) is None:
            owner, value = elsewhere[0]
            return static_value(index, value, owner, depth + 1)
        return node.id
    if isinstance(node, ast.Attribute):
        return dotted(node)
    if isinstance(node, ast.BinOp):
        left, right = again(node.left), again(node.right)
        if isinstance(node.op, ast.Add) and type(left) is type(right) and left is not None:
            return left + right
        if isinstance(node.op, ast.Div) and isinstance(left, str) and isinstance(right, str):
            return f"{left.rstrip('/')}/{right}"
        return None
    if isinstance(node, ast.Call):
        func = dotted(node.func).rsplit(".", 1)[-1]
        if func in {"Path", "PurePath", "PurePosixPath", "str"} and node.args:
            return again(node.args[0])
        return {kw.arg: again(kw.value) for kw in node.keywords if kw.arg is not None}
    return None
