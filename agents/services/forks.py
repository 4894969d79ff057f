"""Forking a session: a new session with the same history up to an event, so a user can
branch a conversation or go back to an earlier point, built on the event log.

A fork copies the original's events up to ``at_seq`` (renumbered from 1 as they were, with
no run: the fork's own runs come later) and appends a ``state`` event naming its origin. Its
tool executions are never copied and never re-run: what the tools answered is in the copied
events. At the latest event the fork continues from the original's whole context (its
messages, counters, plan, sources, a call waiting for approval) and a copy of its session
memory. At an earlier event the context at that moment is not stored, so the fork goes on
from the conversation as the user saw it — the user's messages and the agent's replies
(answers, questions) up to ``at_seq`` — with fresh counters and an empty session memory.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

from django.db import transaction

from agents import memory
from agents.exceptions import SessionBusy
from agents.models import MemoryEntry, Run, Session, SessionEvent
from agents.services.context import new_context
from agents.services.events import NewEvent, append_events, insert_events
from agents.services.sessions import _locked_session
from maruntime.errors import InvalidInput

# The events whose payload is what the user read, and what they said.
_REPLIES: dict[str, str] = {
    SessionEvent.Type.FINAL_ANSWER: "answer",
    SessionEvent.Type.CLARIFICATION: "content",
}
_RESTING = (Session.State.COMPLETED, Session.State.WAITING_FOR_CLARIFICATION)


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


@transaction.atomic
def session_fork(
    *, session_id: uuid.UUID | str, owner: str = "", at_seq: int | None = None
) -> Session:
    """The fork of the session at ``at_seq`` (default: its latest event). Holds the
    original's row lock; refused while it has an active run (``SessionBusy``)."""
    original = _locked_session(session_id, owner)
    if original.runs.filter(state__in=Run.ACTIVE_STATES).exists():
        raise SessionBusy(f"Session '{session_id}' is running; fork it when the turn is over")
    latest = at_seq is None or at_seq == original.last_seq
    at = original.last_seq if at_seq is None else at_seq
    if not 1 <= at <= original.last_seq:
        raise InvalidInput(
            f"at_seq must be an event of the session, 1 to {original.last_seq}", param="at_seq"
        )
    events = list(original.events.filter(seq__lte=at).order_by("seq"))
    context: dict[str, Any]
    if latest:
        context, state = copy.deepcopy(original.context), original.state
        if state not in (*_RESTING, Session.State.WAITING_FOR_APPROVAL, Session.State.FAILED):
            # Stopped mid-turn (cancelled): the fork rests where the original stopped.
            context["pending_call"] = None
            state = Session.State.COMPLETED
    else:
        messages, state = _transcript(events)
        # Steps go on being numbered after the copied ones (and count against the limits).
        iteration = max((event.step for event in events), default=0)
        context = {**new_context(), "messages": messages, "iteration": iteration}
    fork = Session.objects.create(
        template_version=original.template_version,
        pipeline_version=original.pipeline_version,
        pipeline_plan=original.pipeline_plan,
        pipeline_step=original.pipeline_step if latest else 0,
        owner=original.owner,
        tool_scope=original.tool_scope,
        state=state,
        task=original.task,
        context=context,
        result=original.result if latest else "",
        last_seq=len(events),
    )
    insert_events(fork, None, [NewEvent(e.type, e.payload, e.step) for e in events], after=0)
    origin = {"state": fork.state, "forked_from": str(original.pk), "at_seq": at}
    append_events(fork, None, [NewEvent(SessionEvent.Type.STATE, origin)])
    if latest:
        _copy_session_memory(original, fork)
    return fork


def _copy_session_memory(original: Session, fork: Session) -> None:
    """The original's own memory store, copied (a long-term store is shared, not copied)."""
    source = memory.store_key(scope="session", session_id=original.pk, template="", owner="")
    target = memory.store_key(scope="session", session_id=fork.pk, template="", owner="")
    MemoryEntry.objects.bulk_create(
        MemoryEntry(
            store=target,
            path=entry.path,
            kind=entry.kind,
            content=entry.content,
            size=entry.size,
            session=fork,
        )
        for entry in MemoryEntry.objects.filter(store=source)
    )
