"""JSON schemas the upstream is asked to fill, built once per tool set and cached.

The SGR step is one object: reasoning fields, then ``function``: one of the offered tools,
told apart by the literal ``tool_name_discriminator``.
"""

from __future__ import annotations

from typing import Any

import jsonschema

from agents.engine.definition import ToolSpec
from catalog.builtin import REASONING_FIELDS

DISCRIMINATOR = "tool_name_discriminator"


# Nesting deeper than this (a recursive definition) is left unconstrained in the step schema;
# the tool's own schema still validates the arguments.
_MAX_REF_DEPTH = 8


def _inline_refs(node: Any, definitions: dict[str, Any], depth: int = 0) -> Any:
    """``node`` with local ``$ref``s (``#/$defs/X``, ``#/definitions/X``) replaced by what
    they name: a tool's variant is embedded in the step schema, whose root has no ``$defs``."""
    if isinstance(node, list):
        return [_inline_refs(item, definitions, depth) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.split("/")[-1] in definitions:
        if depth >= _MAX_REF_DEPTH:
            return {}
        return _inline_refs(definitions[ref.split("/")[-1]], definitions, depth + 1)
    return {
        key: _inline_refs(value, definitions, depth)
        for key, value in node.items()
        if key not in ("$defs", "definitions")
    }


def _tool_variant(spec: ToolSpec) -> dict[str, Any]:
    schema = spec.input_schema
    definitions = {**schema.get("definitions", {}), **schema.get("$defs", {})}
    if definitions:
        schema = _inline_refs(schema, definitions)
    return {
        "type": "object",
        "title": spec.name,
        "description": spec.description,
        "properties": {
            DISCRIMINATOR: {"type": "string", "enum": [spec.name]},
            **schema.get("properties", {}),
        },
        "required": [DISCRIMINATOR, *schema.get("required", [])],
    }


def _cached(
    cache: dict[tuple[tuple[int, str], ...], Any], tools: tuple[ToolSpec, ...], build: Any
) -> Any:
    """Tool versions are immutable, so their ids (with the variant of a per-session change)
    identify a tool set's schema for good."""
    key = tuple((spec.version_id, spec.variant) for spec in tools)
    value = cache.get(key)
    if value is None:
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        value = cache[key] = build(tools)
    return value


_CACHE_LIMIT = 1024
_step_schemas: dict[tuple[tuple[int, str], ...], dict[str, Any]] = {}
_action_schemas: dict[tuple[tuple[int, str], ...], dict[str, Any]] = {}
_function_specs: dict[tuple[tuple[int, str], ...], list[dict[str, Any]]] = {}


def _build_action_schema(tools: tuple[ToolSpec, ...]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "function": {
                "description": "The one next action.",
                "anyOf": [_tool_variant(spec) for spec in tools],
            },
        },
        "required": ["function"],
    }


def action_schema(tools: tuple[ToolSpec, ...]) -> dict[str, Any]:
    """``{"function": <one of the tools>}``: the choice of the next action alone (the
    parameters of ``ACTION_FUNCTION`` where a server only honours forced function calls).
    Built once per tool set; callers must not mutate it."""
    schema: dict[str, Any] = _cached(_action_schemas, tools, _build_action_schema)
    return schema


# The one function a tool-calling agent is forced to call where the server honours no other
# ``tool_choice`` than a named function: its arguments name the real tool and its arguments.
ACTION_FUNCTION = "next_action"


def _build_step_schema(tools: tuple[ToolSpec, ...]) -> dict[str, Any]:
    action = action_schema(tools)
    return {
        "type": "object",
        "properties": {**REASONING_FIELDS, **action["properties"]},
        "required": [*REASONING_FIELDS, *action["required"]],
    }


def step_schema(tools: tuple[ToolSpec, ...]) -> dict[str, Any]:
    """The SGR step schema for this tool set (built once per set of tool versions; callers
    must not mutate it)."""
    schema: dict[str, Any] = _cached(_step_schemas, tools, _build_step_schema)
    return schema


REASONING_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": REASONING_FIELDS,
    "required": list(REASONING_FIELDS),
}


def _build_function_specs(tools: tuple[ToolSpec, ...]) -> list[dict[str, Any]]:
    return [
        {
            "type": "function",
            "function": {
                "name": spec.name,
                "description": spec.description,
                "parameters": spec.input_schema,
            },
        }
        for spec in tools
    ]


def function_specs(tools: tuple[ToolSpec, ...]) -> list[dict[str, Any]]:
    """OpenAI ``tools`` for native function calling (built once per tool set)."""
    specs: list[dict[str, Any]] = _cached(_function_specs, tools, _build_function_specs)
    return specs


_validators: dict[int, tuple[dict[str, Any], jsonschema.Draft202012Validator]] = {}


def _validator(schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    """Schemas here are long-lived cached objects, so identity is a sound cache key (the
    schema is kept referenced beside its validator so its id cannot be reused)."""
    cached = _validators.get(id(schema))
    if cached is None or cached[0] is not schema:
        if len(_validators) >= _CACHE_LIMIT:
            _validators.clear()
        cached = _validators[id(schema)] = (schema, jsonschema.Draft202012Validator(schema))
    return cached[1]


def schema_errors(schema: dict[str, Any], value: Any) -> str | None:
    """The first validation error as text, or None when ``value`` matches."""
    validator = _validator(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(value))
    if error is None:
        return None
    where = "/".join(str(p) for p in error.absolute_path) or "(root)"
    return f"{where}: {error.message}"
