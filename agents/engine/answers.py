"""The shape of a final answer a client asked for (``response_format``).

The final-answer tool's ``answer`` field takes the client's JSON Schema, so the model
answers with an object the client can parse, validated like any tool call (re-asked when it
does not match). Its ``$defs`` move to the root of the tool's schema, where references to
them resolve.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

from agents.engine.definition import ToolSpec

FINAL_ANSWER_TOOL = "final_answer"


def _shaped(spec: ToolSpec, answer_schema: dict[str, Any]) -> ToolSpec:
    answer = dict(answer_schema)
    definitions = {**answer.pop("definitions", {}), **answer.pop("$defs", {})}
    schema = dict(spec.input_schema)
    schema["properties"] = {**schema.get("properties", {}), "answer": answer}
    schema["required"] = sorted({*schema.get("required", []), "answer"})
    if definitions:
        schema["$defs"] = {**schema.get("$defs", {}), **definitions}
    encoded = json.dumps(answer_schema, sort_keys=True).encode()
    return dataclasses.replace(
        spec, input_schema=schema, variant=hashlib.sha256(encoded).hexdigest()[:16]
    )


def shape_answers(
    offered: tuple[ToolSpec, ...], answer_schema: dict[str, Any] | None
) -> tuple[ToolSpec, ...]:
    """``offered`` with the final-answer tool's answer following ``answer_schema`` (the
    tools unchanged when there is none)."""
    if not answer_schema:
        return offered
    return tuple(
        _shaped(spec, answer_schema) if spec.name == FINAL_ANSWER_TOOL else spec for spec in offered
    )
