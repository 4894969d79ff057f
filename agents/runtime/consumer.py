"""The Channels side of the pool: a consumer on the ``runtime.pool`` channel whose only job
is to wake this process's pool when a run is queued."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from channels.consumer import AsyncConsumer
from channels.layers import get_channel_layer
from channels.worker import Worker

from agents.notify import POOL_CHANNEL
from agents.runtime.pool import Pool
from maruntime.faults import Backoff

__all__ = ["POOL_CHANNEL", "PoolConsumer", "serve_pool"]

logger = logging.getLogger(__name__)

_pools: list[Pool] = []


class PoolConsumer(AsyncConsumer):
    async def run_wakeup(self, message: dict[str, Any]) -> None:
        for pool in _pools:
            pool.wake()


async def serve_pool(pool: Pool) -> None:
    """Run the pool with a Channels worker listening for wake-ups, until the pool stops."""
    from maruntime.asgi import application

    async def listen() -> None:
        # Wake-ups are an optimisation (the pool polls): a broken Redis connection is
        # logged once per outage and the listener starts again with backoff; it never
        # takes the pool down. A listener that ran a while before failing starts afresh.
        backoff = Backoff(f"wake-up listener of pool {pool.worker_id}", logger)
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            try:
                await Worker(application, [POOL_CHANNEL], get_channel_layer()).arun()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                if loop.time() - started > backoff.cap:
                    backoff.reset()
                await asyncio.sleep(backoff.failed(error))

    _pools.append(pool)
    listener = asyncio.create_task(listen())
    try:
        await pool.serve()
    finally:
        listener.cancel()
        _pools.remove(pool)
