"""What belongs to one running event loop.

Connection pools and clients (httpx, openai, redis-py asyncio) are bound to the event loop
that opened them, and the gateway's session watch and the announcements' publisher serve
one loop each. ``PerLoop`` holds one such object per loop: built on first use inside that
loop and found again by the loop itself, weakly (never by ``id(loop)``, which a new loop
may reuse after a closed one is gone), so it is dropped once its loop is garbage (a value
that holds on to its loop, a watch's tasks say, lives as long as that loop). A process
serving one loop (a gateway, a worker) builds each once; the tests, one loop per test,
get fresh ones.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class PerLoop(Generic[T]):
    """One ``factory()`` per running event loop."""

    def __init__(self, factory: Callable[[], T]) -> None:
        self._factory = factory
        self._values: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, T] = (
            weakref.WeakKeyDictionary()
        )

    def get(self) -> T:
        """The running loop's value, built now if it has none. Raises ``RuntimeError``
        outside a running loop: there is nothing to bind it to."""
        loop = asyncio.get_running_loop()
        value = self._values.get(loop)
        if value is None:
            value = self._values[loop] = self._factory()
        return value

    def __len__(self) -> int:
        """How many live loops have a value."""
        return len(self._values)
