"""What counts as an honest run, judged from what any client can read: a chat completion's
answer and the session's API (``/v1/sessions/{id}``, its event stream, ``/v1/tools``).

The real-server tests assert on a ``Verdict``; ``make conformance`` tabulates them. A run is
honest when it either completed with every step valid, or failed with an error a user can
act on. A *silent false success* is a session reported completed that did not earn it: a
step that does not match its tool's schema (a prose reply turned into a "final answer"
has no completed steps, which the schema forbids), no ``final_answer`` call, an empty
answer, or a delegated child that failed (a child that stopped to ask the user, or for a
person's approval, is honest: the parent is told so and answers on its own).
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import jsonschema

# How long one chat turn may take against a slow CPU-bound model server.
TURN_TIMEOUT_SECONDS = 900.0
MAX_CLARIFICATION_ANSWERS = 3
# What an error must not look like: a bare status, or the server's traceback passed on.
_STATUS_WORDS = re.compile(r"\b(\d{3}|error|code|status|http)\b|\W", re.IGNORECASE)
# Where a delegated child may honestly stop: the parent's tool result says so.
CHILD_WAITING_STATES = ("waiting_for_clarification", "waiting_for_approval")
_TRACEBACK = re.compile(r"Traceback \(most recent call last\)|File \"[^\"]+\", line \d+")


@dataclass
class Verdict:
    """One session's run, judged. ``steps``: tool calls the model chose; ``reasks``: the
    ``llm_retry`` events (invalid output asked again); ``problems``: every way the run broke
    the protocol, empty for an honest run."""

    session_id: str
    model: str
    state: str
    answer: str = ""
    error: str = ""
    steps: int = 0
    reasks: int = 0
    seconds: float = 0.0
    invalid_steps: list[str] = field(default_factory=list)
    false_success: list[str] = field(default_factory=list)
    unclear_error: str = ""
    children: list[Verdict] = field(default_factory=list)
    delegated: bool = False

    @property
    def completed(self) -> bool:
        return self.state == "completed" and not self.false_success

    @property
    def total_steps(self) -> int:
        """Steps taken for this task, the delegates' included."""
        return self.steps + sum(child.total_steps for child in self.children)

    @property
    def problems(self) -> list[str]:
        found = [f"invalid step: {problem}" for problem in self.invalid_steps]
        found += [f"silent false success: {problem}" for problem in self.false_success]
        if self.unclear_error:
            found.append(f"unclear error: {self.unclear_error}")
        settled = ("completed", "failed", *(CHILD_WAITING_STATES if self.delegated else ()))
        if self.state not in settled:
            found.append(f"run ended in state {self.state!r}")
        for child in self.children:
            found += [f"child {child.model}: {problem}" for problem in child.problems]
        return found

    def describe(self) -> str:
        """A paragraph for a failing assertion: what happened and why it is not honest."""
        lines = [
            f"{self.model} session {self.session_id}: {self.state} after {self.steps} steps"
            f" ({self.reasks} re-asks, {self.seconds:.0f} s)",
            f"answer: {self.answer[:300]!r}" if self.answer else f"error: {self.error[:600]!r}",
        ]
        return "\n".join(lines + [f"- {problem}" for problem in self.problems])


def error_problem(message: str, endpoint: str) -> str:
    """Why ``message`` is not an error a user can act on ('' when it is). An upstream's
    failure must name the upstream, so the user knows which server and setting to look at."""
    if not message.strip():
        return "no error message"
    if not _STATUS_WORDS.sub("", message):
        return f"a bare status with no explanation: {message!r}"
    if _TRACEBACK.search(message):
        return "the upstream's traceback passed on as the message"
    if "upstream" in message.lower() and endpoint not in message:
        return f"an upstream failure that does not name the upstream ({endpoint})"
    return ""


class MaruntimeClient:
    """A user's view of one maruntime server: chat turns and the session API."""

    def __init__(self, base_url: str, *, upstream: str) -> None:
        self.base_url = base_url.rstrip("/")
        # How the upstream is named in errors: host:port of its base URL.
        self.endpoint = re.sub(r"^https?://|/v1/?$", "", upstream.rstrip("/"))
        self.http = httpx.Client(base_url=self.base_url, timeout=TURN_TIMEOUT_SECONDS)
        self._schemas: dict[str, dict[str, Any]] | None = None

    def close(self) -> None:
        self.http.close()

    def tool_schemas(self) -> dict[str, dict[str, Any]]:
        if self._schemas is None:
            tools = self.http.get("/v1/tools").raise_for_status().json()["data"]
            self._schemas = {tool["name"]: tool["input_schema"] for tool in tools}
        return self._schemas

    def chat(self, model: str, content: str) -> tuple[str, httpx.Response]:
        """One non-streamed turn: the session id and the response."""
        response = self.http.post(
            "/v1/chat/completions",
            json={"model": model, "messages": [{"role": "user", "content": content}]},
        )
        return response.headers.get("X-Session-Id", ""), response

    def run(self, model: str, task: str, *, clarification_answer: str) -> Verdict:
        """``task`` as a new session of ``model``, answering each clarification question
        with ``clarification_answer`` (bounded), judged once the session settles."""
        started = time.monotonic()
        session_id, response = self.chat(model, task)
        if not session_id:
            return Verdict(
                "", model, "rejected", error=response.text, unclear_error=_no_session(response)
            )
        for _ in range(MAX_CLARIFICATION_ANSWERS):
            if self.session(session_id)["state"] != "waiting_for_clarification":
                break
            _, response = self.chat(session_id, clarification_answer)
        verdict = self.judge(session_id, response)
        verdict.seconds = time.monotonic() - started
        return verdict

    def session(self, session_id: str) -> dict[str, Any]:
        return dict(self.http.get(f"/v1/sessions/{session_id}").raise_for_status().json())

    def events(self, session_id: str) -> list[dict[str, Any]]:
        """The session's whole event log (the stream ends once the session settles)."""
        events = []
        with self.http.stream("GET", f"/v1/sessions/{session_id}/events") as stream:
            for line in stream.iter_lines():
                if line.startswith("data: "):
                    events.append(json.loads(line[len("data: ") :]))
        return events

    def judge(self, session_id: str, response: httpx.Response | None = None) -> Verdict:
        """The settled session, checked step by step. ``response``: the last chat turn's,
        whose answer or error must agree with the session."""
        summary = self.session(session_id)
        events = self.events(session_id)
        verdict = Verdict(
            session_id,
            summary["template"],
            summary["state"],
            answer=summary["result"] or "",
            error=summary["error"] or "",
        )
        self._check_steps(verdict, events)
        for event in events:
            if event["type"] == "llm_retry":
                verdict.reasks += 1
            elif event["type"] == "tool_result" and event["payload"].get("child_session_id"):
                child = self.judge(event["payload"]["child_session_id"])
                child.delegated = True
                verdict.children.append(child)
        if verdict.state == "completed":
            self._check_success(verdict, events)
        elif verdict.state == "failed":
            verdict.unclear_error = error_problem(verdict.error, self.endpoint)
        if response is not None:
            self._check_response(verdict, response)
        return verdict

    def _check_steps(self, verdict: Verdict, events: list[dict[str, Any]]) -> None:
        schemas = self.tool_schemas()
        for event in events:
            payload, step = event["payload"], event["step"]
            if event["type"] == "tool_call":
                verdict.steps += 1
                tool = payload["tool"]
                if tool not in schemas:
                    verdict.invalid_steps.append(f"step {step} calls unknown tool {tool!r}")
                    continue
                problem = _schema_problem(schemas[tool], payload["arguments"])
                if problem:
                    verdict.invalid_steps.append(f"step {step} {tool}: {problem}")
            elif event["type"] == "reasoning" and "reasoning" in schemas:
                problem = _schema_problem(schemas["reasoning"], payload)
                if problem:
                    verdict.invalid_steps.append(f"step {step} reasoning: {problem}")

    def _check_success(self, verdict: Verdict, events: list[dict[str, Any]]) -> None:
        calls = [e["payload"] for e in events if e["type"] == "tool_call"]
        finals = [call for call in calls if call["tool"] == "final_answer"]
        if not finals:
            verdict.false_success.append("completed without a final_answer call")
        elif finals[-1]["arguments"].get("status") != "completed":
            verdict.false_success.append("completed although the final answer says it failed")
        if verdict.invalid_steps:
            verdict.false_success.append("completed although a step did not validate")
        if not verdict.answer.strip():
            verdict.false_success.append("completed with an empty answer")
        for child in verdict.children:
            if not child.completed and child.state not in CHILD_WAITING_STATES:
                verdict.false_success.append(
                    f"completed although its delegate {child.model} ended {child.state}"
                )

    def _check_response(self, verdict: Verdict, response: httpx.Response) -> None:
        """The client must be told what the session says: the answer, or the error."""
        if verdict.state == "completed":
            if response.status_code != 200:
                verdict.false_success.append(
                    f"completed but the turn answered {response.status_code}"
                )
            elif response.json()["choices"][0]["message"]["content"] != verdict.answer:
                verdict.false_success.append("the turn's content is not the session's answer")
            return
        if verdict.state == "failed":
            if response.status_code < 400:
                verdict.unclear_error = verdict.unclear_error or (
                    f"the session failed but the turn answered {response.status_code}"
                )
                return
            message = response.json().get("error", {}).get("message", "")
            verdict.unclear_error = verdict.unclear_error or error_problem(message, self.endpoint)


def _no_session(response: httpx.Response) -> str:
    """A turn refused before any session existed is honest only as a clear error."""
    if response.status_code < 400:
        return f"answered {response.status_code} without a session"
    try:
        message = response.json()["error"]["message"]
    except (ValueError, KeyError, TypeError):
        return f"answered {response.status_code} without an error envelope"
    return error_problem(message, "") or ""


def _schema_problem(schema: dict[str, Any], value: Any) -> str:
    errors = sorted(
        jsonschema.Draft202012Validator(schema).iter_errors(value), key=lambda e: list(e.path)
    )
    if not errors:
        return ""
    first = errors[0]
    where = "/".join(str(part) for part in first.path) or "(root)"
    return f"{where}: {first.message}"
