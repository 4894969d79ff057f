"""Announcements over the channel layer. They only wake listeners up: the database holds
every fact, so a lost message delays nothing that polling does not recover."""

from __future__ import annotations

import contextlib
import uuid

from asgiref.sync import async_to_sync
from channels.exceptions import ChannelFull
from channels.layers import get_channel_layer

POOL_CHANNEL = "runtime.pool"


def session_group(session_id: uuid.UUID | str) -> str:
    return f"session.{session_id}"


def notify_session(session_id: uuid.UUID | str, seq: int) -> None:
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(
            session_group(session_id),
            {"type": "session.event", "session": str(session_id), "seq": seq},
        )


def notify_pool() -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    # A full channel means enough wake-ups are already waiting (and workers also poll).
    with contextlib.suppress(ChannelFull):
        async_to_sync(layer.send)(POOL_CHANNEL, {"type": "run.wakeup"})
