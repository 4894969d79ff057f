"""The three agent flavours of sgr-agent-core, each turning the conversation and the
offered tools into one ``Decision``: the next tool and its arguments.

- ``sgr``: one structured-output call; the tool is chosen inside the schema.
- ``sgr_tool_calling``: a forced ``reasoning`` function call, then native tool calling.
- ``tool_calling``: native tool calling only.
Plain-text answers from the tool-calling flavours become a final answer. Output that does
not validate is re-asked ``LLM_MAX_SCHEMA_REASKS`` times, then the step fails.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from openai.types.chat import ChatCompletion

from agents.engine.definition import AgentDefinition, ToolSpec
from agents.engine.llm import complete
from agents.engine.schemas import (
    DISCRIMINATOR,
    REASONING_SCHEMA,
    function_specs,
    schema_errors,
    step_schema,
)
from agents.exceptions import StructuredOutputInvalid
from catalog.builtin import REASONING_FIELDS
from catalog.policies import LLMPolicy

Message = dict[str, Any]


@dataclass
class Decision:
    tool: str
    arguments: dict[str, Any]
    call_id: str
    reasoning: dict[str, Any] | None = None
    # Messages that precede the action in the history (the hybrid flavour's reasoning call).
    preamble: list[Message] = field(default_factory=list)
    usage: dict[str, int] = field(default_factory=lambda: {"prompt": 0, "completion": 0})


def _add_usage(usage: dict[str, int], response: ChatCompletion) -> None:
    if response.usage is not None:
        usage["prompt"] += response.usage.prompt_tokens
        usage["completion"] += response.usage.completion_tokens


def tool_call_message(
    call_id: str, name: str, arguments: dict[str, Any], content: str | None = None
) -> Message:
    return {
        "role": "assistant",
        "content": content,
        "tool_calls": [
            {
                "id": call_id,
                "type": "function",
                "function": {"name": name, "arguments": json.dumps(arguments, ensure_ascii=False)},
            }
        ],
    }


def _structured_request(mode: str, schema: dict[str, Any], name: str) -> dict[str, Any]:
    if mode == "json_object":
        return {"response_format": {"type": "json_object", "schema": schema}}
    if mode == "function_call":
        return {
            "tools": [{"type": "function", "function": {"name": name, "parameters": schema}}],
            "tool_choice": {"type": "function", "function": {"name": name}},
        }
    return {
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": name, "schema": schema, "strict": False},
        }
    }


def _structured_text(response: ChatCompletion, mode: str) -> str:
    message = response.choices[0].message
    if mode == "function_call" and message.tool_calls:
        call = message.tool_calls[0]
        return str(getattr(call, "function", call).arguments)  # type: ignore[union-attr]
    return message.content or ""


async def ask_structured(
    policy: LLMPolicy,
    messages: list[Message],
    schema: dict[str, Any],
    *,
    name: str,
    mode: str,
    usage: dict[str, int],
) -> dict[str, Any]:
    """Ask until the reply is a JSON object matching ``schema`` (bounded re-asks)."""
    conversation = list(messages)
    if mode == "json_object":
        conversation.append(
            {
                "role": "system",
                "content": "Reply with one JSON object matching this JSON Schema:\n"
                + json.dumps(schema, ensure_ascii=False),
            }
        )
    request = _structured_request(mode, schema, name)
    problem = ""
    for _ in range(settings.LLM_MAX_SCHEMA_REASKS + 1):
        response = await complete(policy, messages=conversation, **request)
        _add_usage(usage, response)
        raw = _structured_text(response, mode)
        try:
            value = json.loads(raw)
            problem = (
                schema_errors(schema, value) or ""
                if isinstance(value, dict)
                else "the reply must be a JSON object"
            )
        except json.JSONDecodeError as exc:
            problem = f"the reply is not valid JSON ({exc.msg})"
        if not problem:
            return dict(value)
        conversation += [
            {"role": "assistant", "content": raw},
            {
                "role": "user",
                "content": f"Your reply does not match the required schema: {problem}. "
                "Reply again with one JSON object that matches it exactly.",
            },
        ]
    raise StructuredOutputInvalid(
        f"The model's structured output stayed invalid after "
        f"{settings.LLM_MAX_SCHEMA_REASKS} re-asks: {problem}"
    )


async def decide_sgr(
    definition: AgentDefinition, messages: list[Message], offered: tuple[ToolSpec, ...], step: int
) -> Decision:
    usage = {"prompt": 0, "completion": 0}
    value = await ask_structured(
        definition.llm,
        messages,
        step_schema(offered),
        name="sgr_step",
        mode=definition.llm.structured_output,
        usage=usage,
    )
    arguments = dict(value["function"])
    tool = arguments.pop(DISCRIMINATOR)
    reasoning = {k: value[k] for k in REASONING_FIELDS if k in value}
    return Decision(tool, arguments, f"call_{step}_action", reasoning, usage=usage)


async def decide_tool_calling(
    definition: AgentDefinition, messages: list[Message], offered: tuple[ToolSpec, ...], step: int
) -> Decision:
    usage = {"prompt": 0, "completion": 0}
    by_name = {spec.name: spec for spec in offered}
    conversation = list(messages)
    problem = ""
    call_id = f"call_{step}_action"
    for _ in range(settings.LLM_MAX_SCHEMA_REASKS + 1):
        response = await complete(
            definition.llm,
            messages=conversation,
            tools=function_specs(offered),
            tool_choice="required",
        )
        _add_usage(usage, response)
        message = response.choices[0].message
        if not message.tool_calls:
            answer = (message.content or "").strip()
            return Decision(
                "final_answer",
                {"reasoning": "", "completed_steps": [], "answer": answer, "status": "completed"},
                call_id,
                usage=usage,
            )
        call = message.tool_calls[0]
        function = getattr(call, "function", None)
        name = getattr(function, "name", "")
        raw = getattr(function, "arguments", "") or "{}"
        try:
            arguments = json.loads(raw)
            problem = (
                f"unknown tool {name!r}; offered: {', '.join(by_name)}"
                if name not in by_name
                else schema_errors(by_name[name].input_schema, arguments) or ""
            )
        except json.JSONDecodeError as exc:
            arguments, problem = {}, f"arguments are not valid JSON ({exc.msg})"
        if not problem:
            return Decision(name, dict(arguments), call_id, usage=usage)
        conversation += [
            tool_call_message(call.id, name, {"raw": raw}),
            {"role": "tool", "tool_call_id": call.id, "content": f"Invalid call: {problem}."},
        ]
    raise StructuredOutputInvalid(
        f"The model's tool call stayed invalid after {settings.LLM_MAX_SCHEMA_REASKS} "
        f"re-asks: {problem}"
    )


async def decide_hybrid(
    definition: AgentDefinition, messages: list[Message], offered: tuple[ToolSpec, ...], step: int
) -> Decision:
    usage = {"prompt": 0, "completion": 0}
    reasoning = await ask_structured(
        definition.llm,
        messages,
        REASONING_SCHEMA,
        name="reasoning",
        mode="function_call",
        usage=usage,
    )
    reasoning_id = f"call_{step}_reasoning"
    preamble = [
        tool_call_message(reasoning_id, "reasoning", reasoning),
        {"role": "tool", "tool_call_id": reasoning_id, "content": "Reasoning noted; now act."},
    ]
    actions = tuple(spec for spec in offered if spec.name != "reasoning") or offered
    decision = await decide_tool_calling(definition, messages + preamble, actions, step)
    decision.reasoning = reasoning
    decision.preamble = preamble
    decision.usage = {k: usage[k] + decision.usage[k] for k in usage}
    return decision


FLAVOURS = {
    "sgr": decide_sgr,
    "sgr_tool_calling": decide_hybrid,
    "tool_calling": decide_tool_calling,
}
