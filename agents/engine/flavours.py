"""The three agent flavours of sgr-agent-core, each turning the conversation and the
offered tools into one ``Decision``: the next tool and its arguments.

- ``sgr``: one structured-output call; the tool is chosen inside the schema.
- ``sgr_tool_calling``: a forced ``reasoning`` function call, then native tool calling.
- ``tool_calling``: native tool calling only.

How the upstream is asked follows what it accepts (``capabilities``): the structured-output
mode and the ``tool_choice`` form move down their orders when the server rejects one (or,
for ``tool_choice``, answers in prose although a call was required), and the form that then
works is recorded. A reply that does not validate, or that was cut off at ``max_tokens``, is
re-asked ``LLM_MAX_SCHEMA_REASKS`` times, each time with the problem stated (not the whole
bad reply again); then the step fails. A plain-text answer is never taken as a tool call.
Every call's tokens and every re-ask go into the step's ``StepLedger``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from openai.types.chat import ChatCompletion
from openai.types.chat.chat_completion import Choice

from agents.engine.capabilities import (
    Forms,
    capability_learn,
    structured_output_forms,
    tool_choice_forms,
)
from agents.engine.definition import AgentDefinition, ToolSpec
from agents.engine.llm import complete
from agents.engine.replies import ReplyUnreadable, json_object_in, tool_call_in
from agents.engine.schemas import (
    ACTION_FUNCTION,
    DISCRIMINATOR,
    REASONING_SCHEMA,
    action_schema,
    function_specs,
    schema_errors,
    step_schema,
)
from agents.exceptions import StructuredOutputInvalid, UpstreamFailed, UpstreamRejected
from agents.upstream import Upstream, resolve_upstream
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


@dataclass
class StepLedger:
    """One step's upstream calls: the tokens of every reply (charged to the session whether
    the step succeeds or fails) and every repeated request, which the loop records as
    ``llm_retry`` events."""

    usage: dict[str, int] = field(default_factory=lambda: {"prompt": 0, "completion": 0})
    retries: list[dict[str, Any]] = field(default_factory=list)

    def charge(self, response: ChatCompletion) -> dict[str, int]:
        """Add the reply's tokens; returns them."""
        tokens = {"prompt": 0, "completion": 0}
        if response.usage is not None:
            tokens = {
                "prompt": response.usage.prompt_tokens,
                "completion": response.usage.completion_tokens,
            }
        for key, value in tokens.items():
            self.usage[key] += value
        return tokens

    def retry(self, *, reason: str, mode: str, problem: str, tokens: dict[str, int]) -> None:
        """Note that the request is repeated: ``reason`` ``invalid_output``, ``truncated``,
        ``no_tool_call`` or ``rejected``; ``tokens``: what the repeated reply cost."""
        self.retries.append(
            {
                "reason": reason,
                "attempt": len(self.retries) + 1,
                "mode": mode,
                "problem": problem,
                "usage": tokens,
            }
        )


NO_TOKENS = {"prompt": 0, "completion": 0}


def tool_call_message(
    call_id: str, name: str, arguments: dict[str, Any], content: str = ""
) -> Message:
    """An assistant message with one tool call (``content`` "" when there is none: some
    servers refuse ``null``)."""
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


# How much of a bad reply a re-ask shows back: enough to see the mistake, never the whole.
REPLY_EXCERPT_CHARS = 300


def _correction(reply: str, problem: str, what: str) -> list[Message]:
    """The re-ask: an excerpt of the bad reply (so roles keep alternating, as some chat
    templates demand) and the problem with it."""
    excerpt = reply if len(reply) <= REPLY_EXCERPT_CHARS else reply[:REPLY_EXCERPT_CHARS] + "…"
    return [
        {"role": "assistant", "content": excerpt},
        {
            "role": "user",
            "content": f"Your previous reply was not usable: {problem}. Reply again with {what}.",
        },
    ]


def _with_schema_instruction(messages: list[Message], schema: dict[str, Any]) -> list[Message]:
    """``messages`` with the schema spelled out in the leading system message (some chat
    templates refuse a system message anywhere else)."""
    instruction = "Reply with only one JSON object matching this JSON Schema:\n" + json.dumps(
        schema, ensure_ascii=False
    )
    if messages and messages[0].get("role") == "system":
        first = messages[0]
        return [{**first, "content": f"{first['content']}\n\n{instruction}"}, *messages[1:]]
    return [{"role": "system", "content": instruction}, *messages]


def _forced(name: str) -> dict[str, Any]:
    return {"type": "function", "function": {"name": name}}


def _structured_request(mode: str, schema: dict[str, Any], name: str) -> dict[str, Any]:
    if mode == "json_schema":
        return {
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": name, "schema": schema, "strict": False},
            }
        }
    if mode == "json_object":
        return {"response_format": {"type": "json_object", "schema": schema}}
    if mode == "function_call":
        return {
            "tools": [{"type": "function", "function": {"name": name, "parameters": schema}}],
            "tool_choice": _forced(name),
        }
    return {}  # text: the schema is in the prompt only


def _structured_text(choice: Choice, mode: str) -> str:
    message = choice.message
    if mode == "function_call" and message.tool_calls:
        call = message.tool_calls[0]
        return str(getattr(call, "function", call).arguments)  # type: ignore[union-attr]
    return message.content or ""


class _Budget:
    """The ``max_tokens`` of the next request: raised once a reply was cut off, when the
    policy's ``max_tokens_on_truncation`` allows."""

    def __init__(self, policy: LLMPolicy) -> None:
        self.policy = policy
        self.max_tokens = policy.max_tokens

    def truncated(self) -> str:
        """The problem to state for a reply cut off at the current budget (and raise it)."""
        problem = (
            f"the reply was cut off at max_tokens={self.max_tokens} (finish_reason: length) "
            "before it was complete"
        )
        self.max_tokens = max(self.max_tokens, self.policy.max_tokens_on_truncation)
        return problem


def _forms_hint(upstream: Upstream, forms: Forms, setting: str, others: str) -> str:
    if forms.source:
        return (
            f"{forms.source} fixes it to {forms.known!r}: change that setting to 'auto' (or "
            f"unpin the capability) to negotiate, or to one of {others}"
        )
    return (
        f"no form this server accepts is known; set {setting} to one it supports, or pin "
        f"one on the upstream capability of {upstream} (admin: Upstream capabilities)"
    )


async def _learn(upstream: Upstream, forms: Forms, kind: str, form: str, tried: list[str]) -> None:
    if forms.learning and form != forms.known:
        evidence = "; ".join(tried) if tried else f"{form} accepted"
        await capability_learn(upstream, evidence=evidence, **{kind: form})


async def ask_structured(
    policy: LLMPolicy,
    messages: list[Message],
    schema: dict[str, Any],
    *,
    name: str,
    ledger: StepLedger,
    prefer_function_call: bool = False,
) -> dict[str, Any]:
    """Ask until the reply is a JSON object matching ``schema``, in the first structured-output
    mode the upstream accepts (``prefer_function_call``: a forced ``name`` call first, and
    nothing learned from it)."""
    upstream = resolve_upstream(policy)
    forms = await structured_output_forms(upstream, policy.structured_output)
    if prefer_function_call:
        rest = tuple(mode for mode in forms.candidates if mode != "function_call")
        forms = Forms(("function_call", *rest), False, forms.known, source=forms.source)
    tried: list[str] = []
    for mode in forms.candidates:
        try:
            value = await _ask_in_mode(policy, messages, schema, name, mode, ledger)
        except UpstreamRejected as rejection:
            tried.append(f"{mode} rejected: {rejection.upstream_message}")
            if mode == forms.candidates[-1]:
                raise UpstreamFailed(
                    f"The upstream LLM at {upstream} rejected structured output "
                    f"({'; '.join(tried)}) — "
                    + _forms_hint(
                        upstream,
                        forms,
                        "llm_policy.structured_output (or LLM_STRUCTURED_OUTPUT)",
                        "json_schema, json_object, function_call, text",
                    )
                ) from rejection
            ledger.retry(
                reason="rejected", mode=mode, problem=rejection.upstream_message, tokens=NO_TOKENS
            )
            continue
        await _learn(upstream, forms, "structured_output", mode, tried)
        return value
    raise AssertionError("there is always a candidate mode")


async def _ask_in_mode(
    policy: LLMPolicy,
    messages: list[Message],
    schema: dict[str, Any],
    name: str,
    mode: str,
    ledger: StepLedger,
) -> dict[str, Any]:
    """Re-ask in ``mode`` until the reply validates. ``UpstreamRejected`` escapes only from
    the first request (the mode itself was refused)."""
    conversation = (
        _with_schema_instruction(messages, schema) if mode in ("json_object", "text") else messages
    )
    request = _structured_request(mode, schema, name)
    budget = _Budget(policy)
    correction: list[Message] = []
    problem = ""
    for attempt in range(settings.LLM_MAX_SCHEMA_REASKS + 1):
        try:
            response = await complete(
                policy, conversation + correction, max_tokens=budget.max_tokens, **request
            )
        except UpstreamRejected as rejection:
            if attempt == 0:
                raise
            raise UpstreamFailed(rejection.message) from rejection
        tokens = ledger.charge(response)
        choice = response.choices[0]
        reason = "invalid_output"
        raw = _structured_text(choice, mode)
        try:
            value = json_object_in(raw)
            problem = schema_errors(schema, value) or ""
        except ReplyUnreadable as unreadable:
            problem = str(unreadable)
            if choice.finish_reason == "length":
                reason, problem = "truncated", budget.truncated()
        if not problem:
            return value
        if attempt < settings.LLM_MAX_SCHEMA_REASKS:
            ledger.retry(reason=reason, mode=mode, problem=problem, tokens=tokens)
        correction = _correction(raw, problem, "only one JSON object that matches the schema")
    raise StructuredOutputInvalid(
        f"The model's structured output ({mode}, from {resolve_upstream(policy)}) stayed "
        f"invalid after {settings.LLM_MAX_SCHEMA_REASKS} re-asks: {problem}"
    )


async def decide_sgr(
    definition: AgentDefinition,
    messages: list[Message],
    offered: tuple[ToolSpec, ...],
    step: int,
    ledger: StepLedger,
) -> Decision:
    value = await ask_structured(
        definition.llm, messages, step_schema(offered), name="sgr_step", ledger=ledger
    )
    arguments = dict(value["function"])
    tool = arguments.pop(DISCRIMINATOR)
    reasoning = {k: value[k] for k in REASONING_FIELDS if k in value}
    return Decision(tool, arguments, f"call_{step}_action", reasoning)


def _tool_request(form: str, offered: tuple[ToolSpec, ...]) -> dict[str, Any]:
    """Tools and ``tool_choice`` for one form. ``function``: a lone tool is forced by name;
    several are offered as ``ACTION_FUNCTION``, whose arguments name the one chosen."""
    if form != "function":
        return {"tools": function_specs(offered), "tool_choice": form}
    if len(offered) == 1:
        return {"tools": function_specs(offered), "tool_choice": _forced(offered[0].name)}
    action = {"name": ACTION_FUNCTION, "parameters": action_schema(offered)}
    return {
        "tools": [{"type": "function", "function": action}],
        "tool_choice": _forced(ACTION_FUNCTION),
    }


def _reply_text(choice: Choice) -> str:
    """What the reply said, as text: its content, else its first call's arguments."""
    message = choice.message
    function = getattr(message.tool_calls[0], "function", None) if message.tool_calls else None
    return message.content or (function.arguments if function is not None else "")


@dataclass
class _ReadCall:
    """A tool call read from a reply, or why there is none (``reason`` as in ``retry``)."""

    name: str = ""
    arguments: dict[str, Any] = field(default_factory=dict)
    reason: str = ""
    problem: str = ""


def _read_call(choice: Choice, offered: tuple[ToolSpec, ...], budget: _Budget) -> _ReadCall:
    by_name = {spec.name: spec for spec in offered}
    message = choice.message
    function = getattr(message.tool_calls[0], "function", None) if message.tool_calls else None
    if function is None:
        written = tool_call_in(message.content or "", set(by_name))
        if written is not None:
            return _check(_ReadCall(written.name, written.arguments), by_name, offered)
        if choice.finish_reason == "length":
            return _ReadCall(reason="truncated", problem=budget.truncated())
        return _ReadCall(
            reason="no_tool_call",
            problem="the reply is text, but a call to one of the offered tools is required",
        )
    try:
        arguments = json_object_in(function.arguments or "{}")
    except ReplyUnreadable as unreadable:
        if choice.finish_reason == "length":
            return _ReadCall(reason="truncated", problem=budget.truncated())
        return _ReadCall(reason="invalid_output", problem=f"the call's arguments: {unreadable}")
    if function.name == ACTION_FUNCTION and ACTION_FUNCTION not in by_name:
        problem = schema_errors(action_schema(offered), arguments)
        if problem:
            return _ReadCall(reason="invalid_output", problem=problem)
        chosen = dict(arguments["function"])
        return _check(_ReadCall(str(chosen.pop(DISCRIMINATOR)), chosen), by_name, offered)
    return _check(_ReadCall(function.name, arguments), by_name, offered)


def _check(
    call: _ReadCall, by_name: dict[str, ToolSpec], offered: tuple[ToolSpec, ...]
) -> _ReadCall:
    if call.name not in by_name:
        call.reason = "invalid_output"
        call.problem = f"unknown tool {call.name!r}; offered: {', '.join(by_name)}"
    else:
        call.problem = schema_errors(by_name[call.name].input_schema, call.arguments) or ""
        call.reason = "invalid_output" if call.problem else ""
    return call


async def decide_tool_calling(
    definition: AgentDefinition,
    messages: list[Message],
    offered: tuple[ToolSpec, ...],
    step: int,
    ledger: StepLedger,
) -> Decision:
    """Native tool calling in the first ``tool_choice`` form the upstream honours: a form it
    rejects, or answers with prose although a call was required, gives way to the next."""
    policy = definition.llm
    upstream = resolve_upstream(policy)
    forms = await tool_choice_forms(upstream)
    candidates = list(forms.candidates)
    budget = _Budget(policy)
    correction: list[Message] = []
    tried: list[str] = []
    accepted = False
    reasks = 0
    while True:
        form = candidates[0]
        try:
            response = await complete(
                policy,
                messages + correction,
                max_tokens=budget.max_tokens,
                **_tool_request(form, offered),
            )
        except UpstreamRejected as rejection:
            if accepted:
                raise UpstreamFailed(rejection.message) from rejection
            tried.append(f"tool_choice {form} rejected: {rejection.upstream_message}")
            if len(candidates) == 1:
                raise UpstreamFailed(
                    f"The upstream LLM at {upstream} rejected tool calling "
                    f"({'; '.join(tried)}) — use the sgr flavour with this server, or pin a "
                    f"tool_choice on the upstream capability of {upstream}"
                ) from rejection
            ledger.retry(
                reason="rejected", mode=form, problem=rejection.upstream_message, tokens=NO_TOKENS
            )
            candidates.pop(0)
            continue
        tokens = ledger.charge(response)
        call = _read_call(response.choices[0], offered, budget)
        if not call.problem:
            await _learn(upstream, forms, "tool_choice", form, tried)
            return Decision(call.name, call.arguments, f"call_{step}_action")
        if call.reason == "no_tool_call" and "function" in candidates[1:]:
            # A server that honours ``tool_choice`` cannot answer this form with prose.
            tried.append(f"tool_choice {form} ignored: the server answered with text")
            ledger.retry(reason=call.reason, mode=form, problem=tried[-1], tokens=tokens)
            candidates = ["function"]
            continue
        accepted = True
        if reasks == settings.LLM_MAX_SCHEMA_REASKS:
            hint = (
                " — this server ignores tool_choice; the sgr flavour needs no tool calling"
                if call.reason == "no_tool_call"
                else ""
            )
            raise StructuredOutputInvalid(
                f"The model's tool call (tool_choice {form}, from {upstream}) stayed invalid "
                f"after {reasks} re-asks: {call.problem}{hint}"
            )
        reasks += 1
        ledger.retry(reason=call.reason, mode=form, problem=call.problem, tokens=tokens)
        correction = _correction(
            _reply_text(response.choices[0]), call.problem, "one call to one of the offered tools"
        )


async def decide_hybrid(
    definition: AgentDefinition,
    messages: list[Message],
    offered: tuple[ToolSpec, ...],
    step: int,
    ledger: StepLedger,
) -> Decision:
    reasoning = await ask_structured(
        definition.llm,
        messages,
        REASONING_SCHEMA,
        name="reasoning",
        ledger=ledger,
        prefer_function_call=True,
    )
    reasoning_id = f"call_{step}_reasoning"
    preamble = [
        tool_call_message(reasoning_id, "reasoning", reasoning),
        {"role": "tool", "tool_call_id": reasoning_id, "content": "Reasoning noted; now act."},
    ]
    actions = tuple(spec for spec in offered if spec.name != "reasoning") or offered
    decision = await decide_tool_calling(definition, messages + preamble, actions, step, ledger)
    decision.reasoning = reasoning
    decision.preamble = preamble
    return decision


FLAVOURS = {
    "sgr": decide_sgr,
    "sgr_tool_calling": decide_hybrid,
    "tool_calling": decide_tool_calling,
}
