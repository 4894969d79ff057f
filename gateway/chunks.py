"""Session events rendered as ``chat.completion.chunk`` objects.

``OpenAIChunks`` (default): ``delta.content`` carries only what a person should read (the
final answer, clarification questions, approval requests); reasoning and tool activity go to
``delta.reasoning_content``; exactly one ``finish_reason`` at the end.
``SGRChunks``: sgr-agent-core's shape (phase-named chunk ids, the agent id as ``model``,
structured output as content, tool results with ``role: tool``, a stop per step) so its
existing front-ends keep working.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

Chunk = dict[str, Any]
ENDING_TYPES = frozenset(
    {"final_answer", "clarification", "approval_request", "client_tool_call", "error"}
)
# Tools whose arguments are written for the reader, not the "thinking" pane.
READER_TOOLS = frozenset({"final_answer", "clarification"})


@dataclass(frozen=True)
class EventView:
    seq: int
    type: str
    step: int
    payload: dict[str, Any]
    run_id: int | None


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def reasoning_text(event: EventView) -> str:
    """A readable line for the "thinking" pane, or "" for events a reader need not see."""
    payload = event.payload
    if event.type == "reasoning":
        steps = "; ".join(str(s) for s in payload.get("reasoning_steps") or [])
        return f"Step {event.step}: {steps or payload.get('current_situation', '')}\n"
    if event.type == "tool_call" and payload.get("tool") in READER_TOOLS:
        return ""  # what they say reaches the reader as content
    if event.type == "tool_call":
        arguments = {k: v for k, v in (payload.get("arguments") or {}).items() if k != "reasoning"}
        return (
            f"→ {payload.get('tool')}({_shorten(json.dumps(arguments, ensure_ascii=False), 200)})\n"
        )
    if event.type == "tool_result" and payload.get("tool") not in READER_TOOLS:
        return f"← {payload.get('tool')}: {_shorten(str(payload.get('content', '')), 300)}\n"
    if event.type == "llm_retry":
        return f"Asking the model again ({payload.get('reason')}): {payload.get('problem')}\n"
    if event.type == "pipeline_step":
        return f"Pipeline: step {int(payload.get('step', 0)) + 1} starts\n"
    if event.type == "tool_takeover":
        return f"⚠ {payload.get('tool')}: {payload.get('message', '')}\n"
    if event.type == "child_session":
        return (
            f"Delegated to {payload.get('template')} (session {payload.get('child_session_id')})\n"
        )
    return ""


def _tool_call(payload: dict[str, Any]) -> dict[str, Any]:
    """A tool call event's payload as an entry of ``delta.tool_calls``."""
    return {
        "index": 0,
        "id": payload.get("call_id"),
        "type": "function",
        "function": {
            "name": payload.get("tool"),
            "arguments": json.dumps(payload.get("arguments") or {}, ensure_ascii=False),
        },
    }


def client_tool_calls(event: EventView) -> list[dict[str, Any]]:
    """The call to one of the client's tools that ends a turn, as OpenAI's ``tool_calls``
    (empty for any other event)."""
    if event.type != "client_tool_call":
        return []
    return [_tool_call(event.payload)]


def reader_text(event: EventView) -> str:
    if event.type == "final_answer":
        return str(event.payload.get("answer", ""))
    if event.type == "clarification":
        return str(event.payload.get("content", ""))
    if event.type == "approval_request":
        arguments = json.dumps(event.payload.get("arguments") or {}, ensure_ascii=False)
        wants = "may already have called" if event.payload.get("may_have_run") else "wants to call"
        return (
            f"Approval needed: the agent {wants} {event.payload.get('tool')}"
            f"({_shorten(arguments, 500)}). Answer on this session (model = its id) with "
            '"approve": true or false in the request body, or POST '
            "/v1/sessions/<session id>/approval."
        )
    return ""


class OpenAIChunks:
    """``include_usage`` (the client's ``stream_options.include_usage``): as OpenAI does,
    every chunk carries ``usage: null`` and one more chunk after the finish carries the
    usage with ``choices: []``; without it no chunk carries usage."""

    def __init__(
        self, *, completion_id: str, model: str, session_id: str, include_usage: bool = False
    ) -> None:
        self.completion_id = completion_id
        self.model = model
        self.session_id = session_id
        self.include_usage = include_usage
        self.created = int(time.time())
        # "tool_calls" once the agent called one of the client's tools.
        self.finish_reason = "stop"

    def _envelope(self, choices: list[dict[str, Any]]) -> Chunk:
        chunk: Chunk = {
            "id": self.completion_id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "session_id": self.session_id,
            "choices": choices,
        }
        if self.include_usage:
            chunk["usage"] = None
        return chunk

    def chunk(self, delta: dict[str, Any], finish_reason: str | None = None) -> Chunk:
        return self._envelope([{"index": 0, "delta": delta, "finish_reason": finish_reason}])

    def usage_chunks(self, usage: dict[str, int]) -> list[Chunk]:
        """The final usage chunk, when the client asked for it."""
        if not self.include_usage:
            return []
        chunk = self._envelope([])
        chunk["usage"] = usage
        return [chunk]

    def start(self) -> list[Chunk]:
        return [self.chunk({"role": "assistant", "content": ""})]

    def render(self, event: EventView) -> list[Chunk]:
        calls = client_tool_calls(event)
        if calls:
            self.finish_reason = "tool_calls"
            return [self.chunk({"tool_calls": calls})]
        thinking = reasoning_text(event)
        if thinking:
            return [self.chunk({"reasoning_content": thinking})]
        text = reader_text(event)
        return [self.chunk({"content": text})] if text else []

    def finish(self, usage: dict[str, int]) -> list[Chunk]:
        return [self.chunk({}, self.finish_reason), *self.usage_chunks(usage)]


class SGRChunks(OpenAIChunks):
    def __init__(
        self, *, completion_id: str, model: str, session_id: str, include_usage: bool = False
    ) -> None:
        super().__init__(
            completion_id=completion_id,
            model=session_id,
            session_id=session_id,
            include_usage=include_usage,
        )

    def _phase(self, phase: str, delta: dict[str, Any], finish: str | None = None) -> Chunk:
        chunk = self.chunk(delta, finish)
        chunk["id"] = phase
        return chunk

    def start(self) -> list[Chunk]:
        return [
            self._phase(
                "0-start", {"role": "assistant", "content": f"Agent {self.session_id} started"}
            )
        ]

    def render(self, event: EventView) -> list[Chunk]:
        step, payload = event.step, event.payload
        if event.type == "reasoning":
            text = json.dumps(payload, ensure_ascii=False)
            return [self._phase(f"{step}-reasoning", {"role": "assistant", "content": text})]
        if event.type == "tool_call":
            action: dict[str, Any] = {"role": "assistant", "tool_calls": [_tool_call(payload)]}
            return [self._phase(f"{step}-action", action)]
        if event.type == "tool_result" and payload.get("tool") not in READER_TOOLS:
            delta = {
                "role": "tool",
                "content": payload.get("content", ""),
                "tool_call_id": payload.get("call_id"),
            }
            return [self._phase(f"{step}-action", delta, "stop")]
        calls = client_tool_calls(event)
        if calls:
            delta = {"role": "assistant", "tool_calls": calls}
            return [self._phase(f"{step}-action", delta, "tool_calls")]
        text = reader_text(event)
        if text:
            return [self._phase(f"{step}-final", {"role": "assistant", "content": text}, "stop")]
        return []

    def finish(self, usage: dict[str, int]) -> list[Chunk]:
        # Every step already ended with its own finish_reason.
        return self.usage_chunks(usage)
