"""Following a session's events: replay from the table, then live.

Channel-layer messages only say "something new"; the events themselves always come from
the database, so any gateway process can follow any session, a lost message costs at
most one poll interval, and a reconnect with ``after=seq`` has no gap and no duplicate.

One ``SessionWatch`` per process (per event loop) does the listening for every follower:
one channel-layer channel joined to the groups of the followed sessions, one reader, and
one batched poll (a single query for all followed sessions) that covers lost messages.
A thousand open streams cost one Redis reader and one query per poll interval, not a
thousand of each.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from channels.layers import get_channel_layer

from agents.models import Session
from agents.notify import session_group
from agents.selectors import events_after
from gateway.chunks import EventView
from maruntime.asyncdb import run_sync

logger = logging.getLogger(__name__)

POLL_SECONDS = 1.0
# Group joins and leaves in flight at once (each holds a Redis connection).
GROUP_OPS_AT_ONCE = 16


@dataclass(eq=False)
class Follower:
    session_id: uuid.UUID
    after: int
    wake: asyncio.Event = field(default_factory=asyncio.Event)


def _last_seqs(session_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    return dict(Session.objects.filter(pk__in=session_ids).values_list("pk", "last_seq"))


class SessionWatch:
    def __init__(self) -> None:
        self.layer = get_channel_layer()
        self.channel = ""
        self.followers: dict[uuid.UUID, set[Follower]] = {}
        self._group_ops = asyncio.Semaphore(GROUP_OPS_AT_ONCE)
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        if self.layer is not None:
            self.channel = await self.layer.new_channel()
            self._tasks.append(asyncio.create_task(self._read()))
        self._tasks.append(asyncio.create_task(self._poll()))

    async def subscribe(self, session_id: uuid.UUID, after: int) -> Follower:
        follower = Follower(session_id, after)
        followers = self.followers.setdefault(session_id, set())
        followers.add(follower)
        if len(followers) == 1 and self.layer is not None:
            await self._group_op(self.layer.group_add, session_id)
        return follower

    async def unsubscribe(self, follower: Follower) -> None:
        followers = self.followers.get(follower.session_id, set())
        followers.discard(follower)
        if not followers:
            self.followers.pop(follower.session_id, None)
            if self.layer is not None:
                await self._group_op(self.layer.group_discard, follower.session_id)

    async def _group_op(self, operation: Any, session_id: uuid.UUID) -> None:
        # Best effort: a failed join only means this stream waits for the poll.
        async with self._group_ops:
            try:
                await operation(session_group(session_id), self.channel)
            except Exception:
                logger.warning("channel layer group change failed for %s", session_id)

    def _wake(self, session_id: uuid.UUID, seq: int) -> None:
        for follower in self.followers.get(session_id, ()):
            if seq > follower.after:
                follower.wake.set()

    async def _read(self) -> None:
        assert self.layer is not None
        while True:
            try:
                message = await self.layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("channel layer receive failed; relying on polling")
                await asyncio.sleep(POLL_SECONDS)
                continue
            with contextlib.suppress(KeyError, ValueError, TypeError):
                self._wake(uuid.UUID(str(message["session"])), int(message["seq"]))

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(POLL_SECONDS)
            if not self.followers:
                continue
            try:
                seqs = await run_sync(_last_seqs)(list(self.followers))
            except Exception:
                logger.exception("polling followed sessions failed")
                continue
            for session_id, seq in seqs.items():
                self._wake(session_id, seq)


_watches: dict[int, SessionWatch] = {}


async def session_watch() -> SessionWatch:
    """This event loop's watch, started on first use."""
    loop_id = id(asyncio.get_running_loop())
    watch = _watches.get(loop_id)
    if watch is None:
        watch = _watches[loop_id] = SessionWatch()
        await watch.start()
    return watch


async def follow_events(
    session_id: uuid.UUID, *, after: int, heartbeat: float | None = None
) -> AsyncIterator[EventView | None]:
    """Yield events with ``seq > after`` forever; ``None`` every ``heartbeat`` seconds of
    silence (for keep-alives). The caller decides when to stop."""
    watch = await session_watch()
    follower = await watch.subscribe(session_id, after)
    loop = asyncio.get_running_loop()
    quiet = 0.0
    try:
        while True:
            # Cleared before reading: a wake-up arriving during the query is kept.
            follower.wake.clear()
            rows = await run_sync(events_after)(session_id=session_id, after=follower.after)
            for row in rows:
                follower.after = row.seq
                yield EventView(row.seq, row.type, row.step, row.payload, row.run_id)
            if rows:
                quiet = 0.0
                continue
            if heartbeat is not None and quiet >= heartbeat:
                quiet = 0.0
                yield None
            started = loop.time()
            # The watch's poll wakes us too; the timeout is only a last resort.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(follower.wake.wait(), timeout=heartbeat or 5 * POLL_SECONDS)
            quiet += loop.time() - started
    finally:
        await watch.unsubscribe(follower)
