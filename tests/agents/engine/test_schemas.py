"""The SGR step schema: each offered tool a variant, nested definitions inlined."""

from __future__ import annotations

from typing import Any

from agents.engine.definition import ToolSpec
from agents.engine.schemas import schema_errors, step_schema


def _spec(name: str, input_schema: dict[str, Any], version_id: int) -> ToolSpec:
    return ToolSpec(
        name=name,
        version_id=version_id,
        type="domain",
        tags=(),
        description=f"{name} tool",
        input_schema=input_schema,
        binding_kind="http",
        binding={"url": "https://tools.example.com"},
        risk_level="low",
    )


def _step(tool: str, arguments: dict[str, Any]) -> dict[str, Any]:
    return {
        "current_situation": "s",
        "plan_status": "p",
        "reasoning_steps": ["r1", "r2"],
        "enough_data": False,
        "remaining_steps": ["n"],
        "task_completed": False,
        "function": {"tool_name_discriminator": tool, **arguments},
    }


def test_a_tool_schema_with_definitions_is_inlined_into_the_step():
    address = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    booking = _spec(
        "book_hotel",
        {
            "type": "object",
            "$defs": {"Address": address},
            "properties": {"where": {"$ref": "#/$defs/Address"}, "nights": {"type": "integer"}},
            "required": ["where", "nights"],
        },
        version_id=9001,
    )
    schema = step_schema((booking,))

    assert "$ref" not in str(schema)
    assert (
        schema_errors(schema, _step("book_hotel", {"where": {"city": "Rome"}, "nights": 2})) is None
    )
    assert schema_errors(schema, _step("book_hotel", {"where": {}, "nights": 2})) is not None


def test_a_recursive_definition_stops_at_a_bounded_depth():
    node = {"type": "object", "properties": {"child": {"$ref": "#/$defs/Node"}}}
    tree = _spec(
        "walk",
        {
            "type": "object",
            "$defs": {"Node": node},
            "properties": {"root": {"$ref": "#/$defs/Node"}},
        },
        version_id=9002,
    )
    schema = step_schema((tree,))
    assert "$ref" not in str(schema)
    assert schema_errors(schema, _step("walk", {"root": {"child": {"child": {}}}})) is None
