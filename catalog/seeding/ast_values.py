"""What single ``ast`` nodes say without running anything: dotted names, string constants,
literals, and those literals made JSON-safe."""

from __future__ import annotations

import ast
from typing import Any

# ``literal``'s "cannot be known" marker, where ``None`` is a real value.
MISSING = object()


def dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = dotted(node.value)
        return f"{inner}.{node.attr}" if inner else node.attr
    if isinstance(node, ast.Subscript):
        return dotted(node.value)
    if isinstance(node, ast.Call):
        return dotted(node.func)
    return ""


def string_constant(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def literal(node: ast.expr, missing: Any = None) -> Any:
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return missing


def jsonable(value: Any) -> Any:
    if isinstance(value, tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if value is Ellipsis:
        return None
    return value
