"""Following a session's events: replay from the table, then live.

Channel-layer messages only say "something new"; the events themselves always come from
the database, so any gateway process can follow any session, a lost message costs at
most one poll interval, and a reconnect with ``after=seq`` has no gap and no duplicate.

One ``SessionWatch`` per process (per event loop) does the listening for every follower:
one channel-layer channel joined to the groups of the followed sessions, one reader, and
one batched poll (a single query for all followed sessions) that covers lost messages.
A thousand open streams cost one Redis reader and one query per poll interval, not a
thousand of each.

Neither the database nor Redis going away ends a follower: the watch falls back to
polling (and joins its sessions' groups again once Redis answers: a restarted Redis has
lost them), and a follower whose read fails retries with backoff and goes on from its
last seq when the database answers again (``STREAM_OUTAGE_SECONDS`` at most, then the
fault is raised for the stream to report). Silence is broken by keep-alives all along.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from channels.layers import get_channel_layer
from django.conf import settings

from agents.notify import session_group
from agents.selectors import events_after, sessions_last_seq
from gateway.chunks import EventView
from maruntime.asyncdb import call_retrying, run_sync
from maruntime.faults import DATABASE_FAULTS, Backoff
from maruntime.loops import PerLoop

logger = logging.getLogger(__name__)

R = TypeVar("R")

POLL_SECONDS = 1.0
# Events a follower reads at most per query.
READ_LIMIT = 500
# Group joins and leaves in flight at once (each holds a Redis connection).
GROUP_OPS_AT_ONCE = 16


@dataclass(eq=False)
class Follower:
    session_id: uuid.UUID
    after: int
    wake: asyncio.Event = field(default_factory=asyncio.Event)


class SessionWatch:
    def __init__(self) -> None:
        self.layer = get_channel_layer()
        self.channel = ""
        self.followers: dict[uuid.UUID, set[Follower]] = {}
        self._group_ops = asyncio.Semaphore(GROUP_OPS_AT_ONCE)
        self._tasks: list[asyncio.Task[None]] = []
        self._starting: asyncio.Task[None] | None = None

    async def started(self) -> SessionWatch:
        """This watch, its channel open and its reader and poll running (started by the
        first caller; any other waits for the same start)."""
        if self._starting is None:
            self._starting = asyncio.create_task(self._start())
        try:
            await asyncio.shield(self._starting)
        except Exception:
            self._starting = None  # nothing started: the next follower tries again
            raise
        return self

    async def _start(self) -> None:
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

    async def _rejoin(self) -> None:
        """Join every followed session's group again (joining twice is harmless); raises
        if the channel layer still fails."""
        assert self.layer is not None

        async def join(session_id: uuid.UUID) -> None:
            async with self._group_ops:
                await self.layer.group_add(session_group(session_id), self.channel)

        await asyncio.gather(*(join(session_id) for session_id in list(self.followers)))

    def _wake(self, session_id: uuid.UUID, seq: int) -> None:
        for follower in self.followers.get(session_id, ()):
            if seq > follower.after:
                follower.wake.set()

    async def _read(self) -> None:
        assert self.layer is not None
        receiving = Backoff("channel layer receive (followers rely on polling)", logger)
        rejoin = False
        while True:
            try:
                if rejoin:
                    await self._rejoin()
                    rejoin = False
                message = await self.layer.receive(self.channel)
                receiving.reset()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                # Redis may come back empty (a restart): the followed sessions' groups are
                # joined again before the next receive, or their announcements never come.
                rejoin = True
                await asyncio.sleep(max(POLL_SECONDS, receiving.failed(error)))
                continue
            with contextlib.suppress(KeyError, ValueError, TypeError):
                self._wake(uuid.UUID(str(message["session"])), int(message["seq"]))

    async def _poll(self) -> None:
        polling = Backoff("polling followed sessions", logger)
        while True:
            await asyncio.sleep(max(POLL_SECONDS, polling.delay))
            if not self.followers:
                continue
            try:
                seqs = await run_sync(sessions_last_seq)(session_ids=list(self.followers))
                polling.reset()
            except DATABASE_FAULTS as error:
                polling.failed(error)
                continue
            except Exception:
                logger.exception("polling followed sessions failed")
                continue
            for session_id, seq in seqs.items():
                self._wake(session_id, seq)


_watches: PerLoop[SessionWatch] = PerLoop(SessionWatch)


async def session_watch() -> SessionWatch:
    """This event loop's watch, started on first use."""
    return await _watches.get().started()


async def follow_events(
    session_id: uuid.UUID, *, after: int, keepalive: float | None = None
) -> AsyncIterator[EventView | None]:
    """Yield events with ``seq > after`` forever, and ``None`` after every ``keepalive``
    seconds without one (default ``STREAM_KEEPALIVE_SECONDS``), for the stream to send a
    keep-alive. A read the database fails is retried with backoff from the last seq
    yielded, so nothing is skipped or repeated; after ``STREAM_OUTAGE_SECONDS`` of
    failures the fault is raised. The caller decides when to stop."""
    if keepalive is None:
        keepalive = settings.STREAM_KEEPALIVE_SECONDS
    watch = await session_watch()
    follower = await watch.subscribe(session_id, after)
    loop = asyncio.get_running_loop()
    # One line per outage from the watch's poll is enough: each follower logs at debug.
    reading = Backoff(f"reading the events of session {session_id}", logger, level=logging.DEBUG)
    quiet_since = loop.time()
    try:
        while True:
            # Cleared before reading: a wake-up arriving during the query is kept.
            follower.wake.clear()
            retry_in = keepalive
            attempt = time.monotonic()
            try:
                rows = await run_sync(events_after)(
                    session_id=session_id, after=follower.after, limit=READ_LIMIT
                )
                reading.reset()
            except DATABASE_FAULTS as error:
                # From when the first failing read began: a read may wait for a connection
                # (the pool's timeout) before it fails.
                rows, retry_in = [], reading.failed(error, since=attempt)
                if reading.outage_seconds() >= settings.STREAM_OUTAGE_SECONDS:
                    raise
            for row in rows:
                follower.after = row.seq
                yield EventView(row.seq, row.type, row.step, row.payload, row.run_id)
            if rows:
                quiet_since = loop.time()
                # Read again only if there may be more: a full page, or a wake-up that came
                # during the read or while the caller handled the rows. Anything committed
                # later sends its own wake-up (or the watch's poll finds it).
                if len(rows) == READ_LIMIT or follower.wake.is_set():
                    continue
            if loop.time() - quiet_since >= keepalive:
                quiet_since = loop.time()
                yield None
            # The watch's poll wakes us too; the timeout only brings the next keep-alive.
            until_keepalive = keepalive - (loop.time() - quiet_since)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(follower.wake.wait(), timeout=min(retry_in, until_keepalive))
    finally:
        await watch.unsubscribe(follower)


async def read_retrying(function: Callable[..., R], **kwargs: Any) -> R:
    """``function(**kwargs)`` off the event loop, retried with backoff while the database
    is unreachable, for ``STREAM_OUTAGE_SECONDS`` at most (a stream's other reads)."""
    reading = Backoff(f"{function.__name__} for a stream", logger, level=logging.DEBUG)
    until = asyncio.get_running_loop().time() + settings.STREAM_OUTAGE_SECONDS
    return await call_retrying(function, until=until, backoff=reading, **kwargs)
