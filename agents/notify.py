"""Announcements over the channel layer. They only wake listeners up: the database holds
every fact, so a lost message delays nothing that polling does not recover.

They are called after commit from the threads that run ORM code for an event loop
(``run_sync``, whose ``loop_served`` names that loop). Rather than block that thread on
the send (``async_to_sync``), each is handed to the loop, where one ``Publisher`` (per
loop) sends them a few at a time and, while they wait, keeps only the newest seq per
session: a follower reads everything after its own seq from the table, so one wake-up
covers them all.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from typing import Any

from asgiref.sync import async_to_sync
from channels.exceptions import ChannelFull
from channels.layers import get_channel_layer

from maruntime.asyncdb import loop_served
from maruntime.loops import PerLoop

POOL_CHANNEL = "runtime.pool"
# Sends in flight at once per event loop (each holds a Redis connection).
SENDS_AT_ONCE = 8

logger = logging.getLogger(__name__)


def session_group(session_id: uuid.UUID | str) -> str:
    return f"session.{session_id}"


class Publisher:
    """The announcements waiting to be sent from one event loop."""

    def __init__(self, layer: Any) -> None:
        self.layer = layer
        self.sessions: dict[str, int] = {}
        self.pool_wakeups = 0
        self.senders = 0
        self._tasks: set[asyncio.Task[None]] = set()

    def add_session(self, session_id: str, seq: int) -> None:
        self.sessions[session_id] = max(seq, self.sessions.get(session_id, 0))

    def add_pool_wakeup(self) -> None:
        # Not merged: each wakes one worker, and a burst of runs should wake them all.
        self.pool_wakeups += 1

    def start(self) -> None:
        """Have a sender working on what is waiting (on the loop's thread)."""
        if self.senders < SENDS_AT_ONCE:
            self.senders += 1
            task = asyncio.get_running_loop().create_task(self._send_waiting())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Send everything waiting, one by one."""
        self.senders += 1
        await self._send_waiting()

    async def _send_waiting(self) -> None:
        try:
            while self.pool_wakeups or self.sessions:
                try:
                    await self._send_one()
                except ChannelFull:
                    pass  # enough wake-ups are already waiting there
                except Exception:
                    logger.warning("channel layer send failed; listeners rely on polling")
        finally:
            self.senders -= 1

    async def _send_one(self) -> None:
        if self.pool_wakeups:
            self.pool_wakeups -= 1
            await self.layer.send(POOL_CHANNEL, {"type": "run.wakeup"})
            return
        session_id = next(iter(self.sessions))
        seq = self.sessions.pop(session_id)
        await self.layer.group_send(
            session_group(session_id), {"type": "session.event", "session": session_id, "seq": seq}
        )


_publishers: PerLoop[Publisher] = PerLoop(lambda: Publisher(get_channel_layer()))


def _announce(add: Callable[[Publisher], None]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    loop = loop_served()
    if loop is None:
        # No loop to hand it to (a management command, a sync test): send it now.
        publisher = Publisher(layer)
        add(publisher)
        async_to_sync(publisher.drain)()
        return

    def on_loop() -> None:
        publisher = _publishers.get()
        add(publisher)
        publisher.start()

    try:
        loop.call_soon_threadsafe(on_loop)
    except RuntimeError:  # the loop closed meanwhile; polling covers it
        logger.debug("event loop closed; announcement dropped")


def notify_session(session_id: uuid.UUID | str, seq: int) -> None:
    _announce(lambda publisher: publisher.add_session(str(session_id), seq))


def notify_pool() -> None:
    _announce(Publisher.add_pool_wakeup)
