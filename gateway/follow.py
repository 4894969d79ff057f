"""Following a session's events: replay from the table, then live.

Channel-layer messages only say "something new"; the events themselves always come from
the database, so any gateway process can follow any session, a lost message costs at
most one poll interval, and a reconnect with ``after=seq`` has no gap and no duplicate.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator

from channels.layers import get_channel_layer

from agents.notify import session_group
from agents.selectors import events_after
from gateway.chunks import EventView
from maruntime.asyncdb import run_sync

POLL_SECONDS = 1.0


async def follow_events(
    session_id: uuid.UUID, *, after: int, heartbeat: float | None = None
) -> AsyncIterator[EventView | None]:
    """Yield events with ``seq > after`` forever; ``None`` every ``heartbeat`` seconds of
    silence (for keep-alives). The caller decides when to stop."""
    layer = get_channel_layer()
    channel = await layer.new_channel() if layer else None
    if layer and channel:
        await layer.group_add(session_group(session_id), channel)
    quiet = 0.0
    try:
        while True:
            rows = await run_sync(events_after)(session_id=session_id, after=after)
            for row in rows:
                after = row.seq
                yield EventView(row.seq, row.type, row.step, row.payload, row.run_id)
            if rows:
                quiet = 0.0
                continue
            if heartbeat is not None and quiet >= heartbeat:
                quiet = 0.0
                yield None
            started = asyncio.get_running_loop().time()
            if layer and channel:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(layer.receive(channel), timeout=POLL_SECONDS)
            else:
                await asyncio.sleep(POLL_SECONDS)
            quiet += asyncio.get_running_loop().time() - started
    finally:
        if layer and channel:
            await layer.group_discard(session_group(session_id), channel)
