"""Forking a session: a new session with the same history up to an event, so a user can
branch a conversation or go back to an earlier point, built on the event log.

A fork at event N starts from the checkpoint of the batch of events that wrote N (a
step's phase, a user message: written at once, so N's batch may end a few events after
it, at M): the session's whole run state as it was then — messages with every tool result,
counters, plan, sources, stage, a call waiting for approval — and its own memory store as
it was then (rebuilt from the store's journal). The fork's log is a copy of events 1..M
and then a ``state`` event naming its origin; the original's checkpoints and memory
journal up to M are copied too, so the fork can be forked in turn.

Its tool executions are never copied and never re-run: what the tools answered is in the
copied context and events. A call the original had decided but not yet run at M is not
run either: the fork closes it with a tool message saying so (the model reads it) and
rests. A fork rests where the user acts next — waiting for a clarification, an approval or
a tool result as the original was, or ``completed`` when the original was mid-turn or
cancelled at M — and a message with ``model`` = the fork's id continues it.

Sessions that existed before checkpoints (migration 0010) have one at their latest event
only; a fork at an earlier event of theirs goes on from the conversation as the user saw
it (the user's messages and the agent's answers and questions), with fresh counters and an
empty session memory.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterable
from typing import Any, TypeVar

from django.db import transaction

from agents import memory
from agents.exceptions import SessionBusy
from agents.models import (
    MemoryChange,
    MemoryEntry,
    Run,
    Session,
    SessionCheckpoint,
    SessionEvent,
)
from agents.services.context import new_context
from agents.services.events import NewEvent, append_events, insert_events
from agents.services.sessions import _locked_session
from maruntime.errors import InvalidInput

_Row = TypeVar("_Row", SessionCheckpoint, MemoryChange)

# The events whose payload is what the user read, and what they said.
_REPLIES: dict[str, str] = {
    SessionEvent.Type.FINAL_ANSWER: "answer",
    SessionEvent.Type.CLARIFICATION: "content",
}
# States in which a fork rests as the original did: the user acts next.
_RESTING = (
    Session.State.COMPLETED,
    Session.State.WAITING_FOR_CLARIFICATION,
    Session.State.WAITING_FOR_APPROVAL,
    Session.State.WAITING_FOR_TOOL_RESULT,
    Session.State.FAILED,
)
# A waiting call of these states is the fork's to answer; any other pending call is closed.
_WAITING_ON_CALL = (Session.State.WAITING_FOR_APPROVAL, Session.State.WAITING_FOR_TOOL_RESULT)
NOT_RUN_IN_FORK = (
    "Not run: the conversation was forked before this call ran. Decide again whether it is needed."
)


def _transcript(events: list[SessionEvent]) -> tuple[list[dict[str, str]], str]:
    """The conversation the events hold, as chat messages, and the state it rests in."""
    messages: list[dict[str, str]] = []
    state = Session.State.COMPLETED
    for event in events:
        if event.type == SessionEvent.Type.USER_MESSAGE:
            messages.append({"role": "user", "content": str(event.payload.get("content", ""))})
            state = Session.State.COMPLETED
        elif event.type in _REPLIES:
            messages.append(
                {"role": "assistant", "content": str(event.payload.get(_REPLIES[event.type], ""))}
            )
            waiting = event.type == SessionEvent.Type.CLARIFICATION
            state = Session.State.WAITING_FOR_CLARIFICATION if waiting else state
    return messages, state


def _checkpoint_at(original: Session, at: int) -> SessionCheckpoint | None:
    """The checkpoint of the batch that wrote event ``at``; None when that is not known
    (events from before checkpoints)."""
    checkpoint = original.checkpoints.filter(seq__gte=at).order_by("seq").first()
    if checkpoint is None or (checkpoint.backfilled and checkpoint.seq != at):
        return None
    return checkpoint


def _resting(checkpoint: SessionCheckpoint) -> tuple[dict[str, Any], str]:
    """The checkpoint's context and state as a fork rests in them: a call decided but not
    run is closed (the model reads why), a turn in progress is over."""
    context = copy.deepcopy(checkpoint.context)
    state = checkpoint.state
    pending = context.get("pending_call")
    if pending and state not in _WAITING_ON_CALL:
        context["messages"].append(
            {"role": "tool", "tool_call_id": pending["call_id"], "content": NOT_RUN_IN_FORK}
        )
        context["pending_call"] = None
    if state not in _RESTING:
        state = Session.State.COMPLETED
    return context, state


@transaction.atomic
def session_fork(
    *, session_id: uuid.UUID | str, owner: str = "", at_seq: int | None = None
) -> Session:
    """The fork of the session at ``at_seq`` (default: its latest event). Holds the
    original's row lock; refused while it has an active run (``SessionBusy``)."""
    original = _locked_session(session_id, owner)
    if original.runs.filter(state__in=Run.ACTIVE_STATES).exists():
        raise SessionBusy(f"Session '{session_id}' is running; fork it when the turn is over")
    requested = original.last_seq if at_seq is None else at_seq
    if not 1 <= requested <= original.last_seq:
        raise InvalidInput(
            f"at_seq must be an event of the session, 1 to {original.last_seq}", param="at_seq"
        )
    checkpoint = _checkpoint_at(original, requested)
    at = requested if checkpoint is None else checkpoint.seq
    events = list(original.events.filter(seq__lte=at).order_by("seq"))
    context: dict[str, Any]
    if checkpoint is not None:
        context, state = _resting(checkpoint)
        template_version_id = checkpoint.template_version_id
        pipeline_step, result = checkpoint.pipeline_step, checkpoint.result
    else:
        messages, state = _transcript(events)
        # Steps go on being numbered after the copied ones (and count against the limits).
        iteration = max(event.step for event in events)
        context = {**new_context(), "messages": messages, "iteration": iteration}
        template_version_id, pipeline_step, result = original.template_version_id, 0, ""
    fork = Session.objects.create(
        template_version_id=template_version_id,
        pipeline_version=original.pipeline_version,
        pipeline_plan=original.pipeline_plan,
        pipeline_step=pipeline_step,
        owner=original.owner,
        tool_scope=original.tool_scope,
        state=state,
        task=original.task,
        context=context,
        result=result,
        last_seq=at,
    )
    insert_events(fork, None, [NewEvent(e.type, e.payload, e.step) for e in events], after=0)
    if checkpoint is not None:
        _copy_history(original, fork, at)
    origin: dict[str, Any] = {"state": fork.state, "forked_from": str(original.pk), "at_seq": at}
    if requested != at:
        origin["requested_seq"] = requested
    append_events(fork, None, [NewEvent(SessionEvent.Type.STATE, origin)])
    return fork


def _copy_rows(
    model: type[_Row], rows: Iterable[_Row], fork: Session, fields: tuple[str, ...]
) -> None:
    """Copies of the original's ``rows`` of ``model``, belonging to the fork."""
    model.objects.bulk_create(
        model(session=fork, **{name: getattr(row, name) for name in fields}) for row in rows
    )


def _copy_history(original: Session, fork: Session, at: int) -> None:
    """The original's checkpoints before ``at`` (the fork's own at ``at`` was written as
    it was created) and its memory journal up to ``at``, and the fork's session store as
    that journal leaves it."""
    _copy_rows(
        SessionCheckpoint,
        original.checkpoints.filter(seq__lt=at).order_by("seq"),
        fork,
        ("seq", "state", "context", "template_version_id", "pipeline_step", "result", "backfilled"),
    )
    changes = list(original.memory_changes.filter(after_seq__lt=at).order_by("id"))
    _copy_rows(MemoryChange, changes, fork, ("after_seq", "path", "kind", "content", "deleted"))
    store: dict[str, MemoryChange] = {}
    for change in changes:
        if change.deleted:
            store.pop(change.path, None)
        else:
            store[change.path] = change
    key = memory.store_key(scope="session", session_id=fork.pk, template="", owner="")
    MemoryEntry.objects.bulk_create(
        MemoryEntry(
            store=key,
            path=path,
            kind=change.kind,
            content=change.content,
            size=memory.size_of(change.content),
            session=fork,
        )
        for path, change in sorted(store.items())
    )
