"""A session's timeline for the admin site, read from its event log.

The log is grouped into turns (one per run: what the user said, then the agent's steps)
and steps (one per run and step number: the tools offered, the reasoning, the calls with
their results, what was asked of the user, the answer). A call and its result, a
clarification and the user's answer, an approval request and the person's answer are shown
together, so each thing that happened appears once. Timings come from the events'
``created_at``: a step lasts from the event before it to its last event, and the model's
part of it ends with its call; a tool's own time is its ``ToolExecution.duration_ms``.
Tokens are the calls' ``usage``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from agents.models import Session, SessionEvent, ToolExecution

Event = SessionEvent.Type
CallKey = tuple[int, Any]  # (pipeline step, call id)
# What these tools say is for the reader (the answer, the questions); their own events
# (final_answer, clarification) show it, so the call and its result are not shown again.
READER_TOOLS = frozenset({"final_answer", "clarification"})
# The SGR reasoning: its situation is the entry's text, these lists its rows, and the
# other fields (plan status, the yes/no flags) one line beside its title.
REASONING_SITUATION = "current_situation"
REASONING_LISTS = ("reasoning_steps", "remaining_steps")


def plain_text(value: Any) -> str:
    """A plain JSON value (text, number, boolean, null) as one line of text."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value if isinstance(value, str) else json.dumps(value)


def readable(value: Any) -> SafeString:
    """A JSON value as a person reads it: text keeps its line breaks, a list of plain values
    is a bulleted list, booleans are yes/no, anything nested is indented JSON."""
    if isinstance(value, str):
        return format_html('<span class="tl-text">{}</span>', value)
    if _is_plain(value):
        return format_html("{}", plain_text(value))
    if isinstance(value, list) and all(_is_plain(v) for v in value):
        if not value:
            return format_html('<span class="tl-muted">{}</span>', "none")
        return format_html(
            '<ul class="tl-list">{}</ul>',
            format_html_join("", "<li>{}</li>", ((readable(v),) for v in value)),
        )
    if isinstance(value, dict) and value and all(_is_plain_or_list(v) for v in value.values()):
        return format_html(
            '<dl class="tl-rows">{}</dl>',
            format_html_join("", "<dt>{}</dt><dd>{}</dd>", labelled(value)),
        )
    return format_html(
        '<pre class="tl-json">{}</pre>', json.dumps(value, indent=2, ensure_ascii=False)
    )


def _is_plain(value: Any) -> bool:
    return isinstance(value, str | int | float | bool) or value is None


def _is_plain_or_list(value: Any) -> bool:
    return _is_plain(value) or (isinstance(value, list) and all(_is_plain(v) for v in value))


def labelled(values: dict[str, Any]) -> list[tuple[str, SafeString]]:
    """``(label, readable value)`` rows: ``planned_steps`` is labelled "Planned steps"."""
    return [(key.replace("_", " ").capitalize(), readable(value)) for key, value in values.items()]


@dataclass
class Entry:
    """One thing that happened, as the template renders its ``kind``: ``user``,
    ``selection``, ``reasoning``, ``call``, ``clarification``, ``approval``, ``answer``,
    ``error`` or ``note``."""

    kind: str
    seq: int
    title: str
    text: str = ""
    rows: list[tuple[str, SafeString]] = field(default_factory=list)
    # What answered it (a call's result, the user's answer, a person's approval), or why
    # there is no answer yet (``waiting``).
    outcome_title: str = ""
    outcome: str = ""
    waiting: str = ""
    failed: bool = False
    detail: str = ""  # one line beside the title
    why: str = ""  # the model's reason for a call
    link: str = ""
    is_step = False  # (for the template, which cannot ask for a type)


@dataclass
class Step:
    number: int
    pipeline_index: int  # which pipeline step's template took it (0 outside pipelines)
    continued: bool  # the step began in an earlier turn (it waited for an approval)
    started_at: datetime
    finished_at: datetime
    decided_at: datetime | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    entries: list[Entry] = field(default_factory=list)
    is_step = True

    @property
    def duration(self) -> str:
        return format_duration((self.finished_at - self.started_at).total_seconds())

    @property
    def model_duration(self) -> str:
        """From the step's start to the model's decision (its call); "" without a call."""
        if self.decided_at is None:
            return ""
        return format_duration((self.decided_at - self.started_at).total_seconds())


@dataclass
class Turn:
    number: int
    run_id: int | None
    started_at: datetime
    finished_at: datetime
    # In the order they happened: steps, and what came outside any step (the user's
    # message, a pipeline step starting, an error).
    items: list[Step | Entry] = field(default_factory=list)
    state: str = ""  # the session's state when the turn ended
    started_by: str = ""  # what started it: the task, a message, an answer, an approval

    @property
    def duration(self) -> str:
        return format_duration((self.finished_at - self.started_at).total_seconds())

    @property
    def state_label(self) -> str:
        return Session.State(self.state).label if self.state in Session.State.values else self.state


def session_timeline(session: Session) -> list[Turn]:
    events = list(session.events.order_by("seq"))
    executions = {e.idempotency_key: e for e in session.tool_executions.all()}
    return TimelineBuilder(session, events, executions).build()


class TimelineBuilder:
    """Walks the events once in ``seq`` order; answers are found ahead by call id."""

    def __init__(
        self, session: Session, events: list[SessionEvent], executions: dict[str, ToolExecution]
    ) -> None:
        self.session = session
        self.events = events
        self.executions = executions
        # Calls by (pipeline step, call id): each pipeline step numbers its calls afresh.
        by_call: dict[str, dict[CallKey, SessionEvent]] = {
            kind: {} for kind in (Event.TOOL_CALL, Event.TOOL_RESULT, Event.APPROVAL_REQUEST)
        }
        by_call[Event.APPROVAL] = {}
        pipeline_index = 0
        for event in events:
            if event.type == Event.PIPELINE_STEP:
                pipeline_index = int(event.payload.get("step", 0))
            elif event.type in by_call:
                by_call[event.type][(pipeline_index, event.payload.get("call_id"))] = event
        self.called = by_call[Event.TOOL_CALL]
        self.results = by_call[Event.TOOL_RESULT]
        self.requested = by_call[Event.APPROVAL_REQUEST]
        self.approvals = by_call[Event.APPROVAL]
        self.turns: list[Turn] = []
        self.steps_seen: set[tuple[int, int]] = set()
        self.pipeline_index = 0  # which pipeline step's template is running
        # The reason given with a final_answer or clarification call, for its event to show.
        self.reader_why = ""
        self.previous_at: datetime | None = None

    def build(self) -> list[Turn]:
        for index, event in enumerate(self.events):
            turn = self._turn_for(event)
            if event.step and event.type != Event.STATE:
                self._add_to_step(turn, event, index)
            else:
                self._add_to_turn(turn, event, index)
            turn.finished_at = event.created_at
            self.previous_at = event.created_at
        for turn in self.turns:
            # A step that only received an answer shows it where it was asked.
            turn.items = [i for i in turn.items if not (isinstance(i, Step) and not i.entries)]
        return self.turns

    def _turn_for(self, event: SessionEvent) -> Turn:
        if not self.turns or (event.run_id is not None and event.run_id != self.turns[-1].run_id):
            # From its first event (the message or answer that started it), not from the
            # turn before: the time the session waited for the user is not the turn's.
            at = event.created_at
            self.turns.append(Turn(len(self.turns) + 1, event.run_id, at, at))
        return self.turns[-1]

    def _step_for(self, turn: Turn, event: SessionEvent) -> Step:
        key = (self.pipeline_index, event.step)
        last = turn.items[-1] if turn.items else None
        if isinstance(last, Step) and (last.pipeline_index, last.number) == key:
            return last
        step = Step(
            number=event.step,
            pipeline_index=self.pipeline_index,
            continued=key in self.steps_seen,
            # From the event before it in this turn: a step answered in a later turn (an
            # approval) does not count the wait.
            started_at=max(self.previous_at or event.created_at, turn.started_at),
            finished_at=event.created_at,
        )
        self.steps_seen.add(key)
        turn.items.append(step)
        return step

    # --- events outside any step ---

    def _add_to_turn(self, turn: Turn, event: SessionEvent, index: int) -> None:
        entries = turn.items
        payload = event.payload
        if event.type == Event.STATE:
            turn.state = str(payload.get("state", ""))
        elif event.type == Event.USER_MESSAGE:
            if self._answers_a_clarification(index):
                turn.started_by = turn.started_by or "the user's answer to the clarification"
            else:
                turn.started_by = turn.started_by or ("the task" if index == 0 else "a message")
                title = "Task" if index == 0 else "The user"
                entries.append(Entry("user", event.seq, title, text=str(payload.get("content"))))
        elif event.type == Event.PIPELINE_STEP:
            self.pipeline_index = int(payload.get("step", 0))
            entries.append(
                Entry(
                    "note",
                    event.seq,
                    f"Pipeline step {self.pipeline_index + 1} starts",
                    rows=labelled({"previous_answer": payload.get("previous_answer", "")}),
                )
            )
        else:
            entries.extend(self._shared(event))

    # --- events of a step ---

    def _add_to_step(self, turn: Turn, event: SessionEvent, index: int) -> None:
        step = self._step_for(turn, event)
        step.finished_at = event.created_at
        payload = event.payload
        if event.type == Event.TOOL_SELECTION:
            step.entries.append(self._selection(event))
        elif event.type == Event.REASONING:
            step.entries.append(self._reasoning(event))
        elif event.type == Event.TOOL_CALL:
            usage = payload.get("usage") or {}
            step.prompt_tokens += int(usage.get("prompt", 0))
            step.completion_tokens += int(usage.get("completion", 0))
            step.decided_at = event.created_at
            step.entries.extend(self._call(event))
        elif event.type == Event.TOOL_RESULT:
            if self._call_key(event) in self.called:
                return  # shown with its call
            step.entries.append(
                Entry(
                    "call",
                    event.seq,
                    str(payload.get("tool")),
                    outcome_title="Result",
                    outcome=str(payload.get("content", "")),
                )
            )
        elif event.type == Event.CLARIFICATION:
            step.entries.append(self._clarification(event, index))
        elif event.type == Event.APPROVAL_REQUEST:
            step.entries.append(self._approval_request(event))
        elif event.type == Event.FINAL_ANSWER:
            rest = {k: v for k, v in payload.items() if k != "answer"}
            step.entries.append(
                Entry(
                    "answer",
                    event.seq,
                    "Final answer",
                    text=str(payload.get("answer", "")),
                    rows=labelled(rest),
                    failed=payload.get("status") == "failed",
                    why=self._take_reader_why(),
                )
            )
        else:
            step.entries.extend(self._shared(event))

    def _shared(self, event: SessionEvent) -> list[Entry]:
        """Events that may come inside or outside a step, and any other event as it is."""
        payload = event.payload
        if event.type == Event.APPROVAL:
            turn = self.turns[-1]
            turn.started_by = turn.started_by or "a person's answer to the approval request"
        if event.type == Event.ERROR:
            return [
                Entry(
                    "error",
                    event.seq,
                    f"Error: {payload.get('code', 'error')}",
                    text=str(payload.get("message", "")),
                    detail=f"status {payload['status']}" if payload.get("status") else "",
                    failed=True,
                )
            ]
        if event.type == Event.APPROVAL:
            if self._call_key(event) in self.requested:
                return []  # shown with its request
            return [self._approval_answer_note(event)]
        if event.type == Event.CHILD_SESSION:
            child = payload.get("child_session_id")
            return [
                Entry(
                    "note",
                    event.seq,
                    f"Delegated to {payload.get('template')}",
                    text=str(payload.get("task", "")),
                    link=reverse("admin:agents_session_change", args=[child]) if child else "",
                    detail=f"session {child}",
                )
            ]
        return [Entry("note", event.seq, event.get_type_display(), rows=labelled(payload))]

    def _selection(self, event: SessionEvent) -> Entry:
        payload = event.payload
        offered = payload.get("offered") or []
        reasons = payload.get("reasons") or {}
        excluded = payload.get("excluded") or {}
        rows = [(name, readable(reasons.get(name, ""))) for name in offered] + [
            (f"{name} (left out)", readable(why)) for name, why in excluded.items()
        ]
        for key in ("query", "stage"):
            if payload.get(key):
                rows.append((key.capitalize(), readable(payload[key])))
        summary = f"{len(offered)} tools offered: " + ", ".join(offered)
        if excluded:
            summary += f"; {len(excluded)} left out"
        return Entry("selection", event.seq, "Tools", text=summary, rows=rows)

    def _call(self, event: SessionEvent) -> list[Entry]:
        payload = event.payload
        arguments = dict(payload.get("arguments") or {})
        why = arguments.pop("reasoning", "")
        if payload.get("tool") in READER_TOOLS:
            self.reader_why = str(why)  # the event that follows shows the arguments
            return []
        call_id = payload.get("call_id")
        entry = Entry(
            "call",
            event.seq,
            str(payload.get("tool")),
            why=str(why),
            rows=labelled(arguments),
            detail=f"call {call_id}",
        )
        key = self._call_key(event)
        result = self.results.get(key)
        if result is None:
            entry.waiting = (
                "Not run: it waits for a person's approval."
                if key in self.requested and key not in self.approvals
                else "No result yet."
            )
            return [entry]
        execution = self.executions.get(
            f"{self.session.pk}:{self.pipeline_index}:{event.step}:{call_id}"
        )
        entry.outcome_title = "Result"
        if execution is not None:
            entry.failed = execution.status == ToolExecution.Status.FAILED
            entry.outcome_title += f" ({execution.status}"
            if execution.duration_ms is not None:
                entry.outcome_title += f", {format_duration(execution.duration_ms / 1000)}"
            entry.outcome_title += ")"
        entry.outcome = str(result.payload.get("content", ""))
        return [entry]

    def _clarification(self, event: SessionEvent, index: int) -> Entry:
        payload = event.payload
        entry = Entry(
            "clarification",
            event.seq,
            "Question to the user",
            text=str(payload.get("content", "")),
            why=self._take_reader_why(),
        )
        answer = self._answer_after(index)
        if answer is None:
            waiting = self.session.state == Session.State.WAITING_FOR_CLARIFICATION
            entry.waiting = "Waiting for the user's answer." if waiting else "Not answered."
        else:
            entry.outcome_title = "The user's answer"
            entry.outcome = str(answer.payload.get("content", ""))
        return entry

    def _approval_request(self, event: SessionEvent) -> Entry:
        payload = event.payload
        # The call above it shows the arguments.
        entry = Entry(
            "approval",
            event.seq,
            f"Approval needed to call {payload.get('tool')}",
            detail=f"risk level {payload.get('risk_level', 'unknown')}",
        )
        answer = self.approvals.get(self._call_key(event))
        if answer is None:
            waiting = self.session.state == Session.State.WAITING_FOR_APPROVAL
            entry.waiting = (
                "Waiting for a person: select the session in the list and use the approve or "
                "decline action."
                if waiting
                else "Not answered."
            )
        else:
            entry.outcome_title, entry.outcome = approval_text(answer.payload)
            entry.failed = not answer.payload.get("approved")
        return entry

    def _approval_answer_note(self, event: SessionEvent) -> Entry:
        title, text = approval_text(event.payload)
        return Entry("note", event.seq, f"{title}: {event.payload.get('tool')}", text=text)

    def _reasoning(self, event: SessionEvent) -> Entry:
        payload = dict(event.payload)
        situation = payload.pop(REASONING_SITUATION, "")
        lists = {k: payload.pop(k) for k in REASONING_LISTS if k in payload}
        facts = {k: v for k, v in payload.items() if _is_plain(v)}
        rest = {k: v for k, v in payload.items() if k not in facts}
        return Entry(
            "reasoning",
            event.seq,
            "Reasoning",
            text=str(situation),
            rows=labelled({**lists, **rest}),
            detail=" · ".join(
                f"{key.replace('_', ' ')}: {plain_text(value)}" for key, value in facts.items()
            ),
        )

    def _call_key(self, event: SessionEvent) -> CallKey:
        return (self.pipeline_index, event.payload.get("call_id"))

    def _take_reader_why(self) -> str:
        why, self.reader_why = self.reader_why, ""
        return why

    def _answers_a_clarification(self, index: int) -> bool:
        """Whether the user's message at ``index`` answers the clarification before it."""
        for event in reversed(self.events[:index]):
            if event.type == Event.USER_MESSAGE:
                return False
            if event.type == Event.CLARIFICATION:
                return True
        return False

    def _answer_after(self, index: int) -> SessionEvent | None:
        """The user's message that answered the clarification at ``index``."""
        for event in self.events[index + 1 :]:
            if event.type == Event.USER_MESSAGE:
                return event
            if event.type == Event.CLARIFICATION:
                return None
        return None


def approval_text(payload: dict[str, Any]) -> tuple[str, str]:
    title = "Approved" if payload.get("approved") else "Declined"
    by = f" by {payload['approver']}" if payload.get("approver") else ""
    reason = payload.get("reason") or ""
    return title + by, reason


def format_duration(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms" if seconds >= 0.001 else f"{seconds * 1000:.2f} ms"
    return f"{seconds:.1f} s" if seconds < 60 else f"{seconds // 60:.0f} min {seconds % 60:.0f} s"
