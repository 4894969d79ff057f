"""The session event log: append-only, ``seq`` gap-free per session.

Sequence numbers are allocated under the session's row lock (held by the caller), and
every append is announced to the session's group after commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from agents.models import Run, Session, SessionEvent
from agents.notify import notify_session
from agents.services import rows


@dataclass
class NewEvent:
    type: str
    payload: dict[str, Any] = field(default_factory=dict)
    step: int = 0


def insert_events(session: Session, run: Run | None, events: list[NewEvent], *, after: int) -> int:
    """Insert ``events`` numbered from ``after + 1`` (the caller holds the session row lock
    and stores the returned last seq on the session). Announced after commit, except a
    session's first events (``session_start`` writes them with the session): nobody can
    follow a session before it exists, and a follower reads the table after joining the
    group, so that announcement would wake no one (a group send costs ~1 ms of CPU)."""
    rows.insert(
        [
            SessionEvent(
                session=session,
                seq=seq,
                run=run,
                type=event.type,
                step=event.step,
                payload=event.payload,
            )
            for seq, event in enumerate(events, start=after + 1)
        ]
    )
    last = after + len(events)
    if after > 0:
        transaction.on_commit(lambda: notify_session(session.pk, last))
    return last


def append_events(session: Session, run: Run | None, events: list[NewEvent]) -> int:
    """Append under the session row lock (the caller holds it). Returns the last seq."""
    session.last_seq = insert_events(session, run, events, after=session.last_seq)
    Session.objects.filter(pk=session.pk).update(
        last_seq=session.last_seq, updated_at=timezone.now()
    )
    return session.last_seq
