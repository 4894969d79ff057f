"""What belongs to one event loop (``PerLoop``), and the loop a ``run_sync`` thread serves."""

from __future__ import annotations

import asyncio
import gc
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from maruntime.asyncdb import loop_served, run_sync
from maruntime.loops import PerLoop


class Client:
    """Stands for a connection pool bound to the loop that made it."""

    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()


def test_each_loop_gets_its_own_and_keeps_it():
    clients: PerLoop[Client] = PerLoop(Client)

    async def twice() -> tuple[Client, Client]:
        return clients.get(), clients.get()

    first, again = asyncio.run(twice())
    other, _ = asyncio.run(twice())
    assert first is again  # built once per loop
    assert other is not first and other.loop is not first.loop


class Publisher:
    """Stands for what does not hold on to its loop."""


def test_a_closed_loops_value_is_dropped_with_it():
    clients: PerLoop[Publisher] = PerLoop(Publisher)
    loop = asyncio.new_event_loop()
    loop.run_until_complete(_touch(clients))
    assert len(clients) == 1
    loop.close()
    del loop
    gc.collect()
    assert len(clients) == 0


async def _touch(clients: PerLoop[Any]) -> None:
    clients.get()


def test_outside_a_running_loop_there_is_nothing_to_bind_to():
    with pytest.raises(RuntimeError):
        PerLoop(Client).get()


async def test_a_run_sync_thread_serves_the_loop_that_awaits_it_while_the_call_lasts():
    thread = ThreadPoolExecutor(1)
    try:
        assert await run_sync(loop_served, executor=thread)() is asyncio.get_running_loop()
        assert loop_served() is asyncio.get_running_loop()  # the loop's own thread
        # The same thread, called otherwise once that call is over, serves no loop.
        assert thread.submit(loop_served).result() is None
    finally:
        thread.shutdown()


def test_a_plain_thread_serves_no_loop():
    seen: list[Any] = ["unset"]
    thread = threading.Thread(target=lambda: seen.__setitem__(0, loop_served()))
    thread.start()
    thread.join()
    assert seen == [None]
