"""Calling the sync ORM from async code without blocking the event loop.

``run_sync`` uses a thread pool (not Django's single thread-sensitive thread), so the
gateway's requests and the pool's runs reach the database in parallel; every function
passed here must be thread-safe, which plain ORM code is (one connection per thread).

These threads live as long as the process and keep their connections, so each call first
drops the thread's connection if a query on it failed or it is older than ``CONN_MAX_AGE``
(Django does this only around a request, in the request's own thread): after a database
restart or failover, the call that meets the dead connection fails and the next one
reconnects. No health-check query is spent on calls whose connection is fine, except
once per thread after any call in the process met a database fault: then every thread's
connection is probably dead too (the server restarted), and checking it first spares the
next call on each thread from failing as well.

While a call runs, ``loop_served()`` in its thread is the event loop that awaits it: what
is announced from there after commit (``agents.notify``) is handed to that loop.
"""

import asyncio
import functools
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar

from asgiref.sync import sync_to_async
from django.db import close_old_connections, connections

from maruntime.faults import DATABASE_FAULTS, Backoff

P = ParamSpec("P")
R = TypeVar("R")


class _Faults:
    """How many database faults this process met; each thread's last checked count."""

    def __init__(self) -> None:
        self.count = 0
        self.checked = threading.local()

    def met(self) -> None:
        self.count += 1  # a lost increment only delays a check: no lock needed

    def unchecked(self) -> bool:
        if getattr(self.checked, "count", 0) == self.count:
            return False
        self.checked.count = self.count
        return True


_faults = _Faults()


class _Served(threading.local):
    loop: asyncio.AbstractEventLoop | None = None


_served = _Served()


def loop_served() -> asyncio.AbstractEventLoop | None:
    """The running event loop this thread works for: the one awaiting its current
    ``run_sync`` call, else the thread's own running loop; None for a plain thread (a
    management command, a sync test)."""
    loop = _served.loop
    if loop is None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return None
    return loop if loop.is_running() else None


def run_sync(
    function: Callable[P, R], *, executor: ThreadPoolExecutor | None = None
) -> Callable[P, Awaitable[R]]:
    """``function`` as a coroutine run in a worker thread (``executor``: a pool of the
    caller's instead of asgiref's shared one)."""

    def with_usable_connection(
        loop: asyncio.AbstractEventLoop, /, *args: P.args, **kwargs: P.kwargs
    ) -> R:
        _served.loop = loop
        _recycle_connections()
        try:
            return function(*args, **kwargs)
        except DATABASE_FAULTS:
            _faults.met()
            raise
        finally:
            _served.loop = None

    in_thread = sync_to_async(with_usable_connection, thread_sensitive=False, executor=executor)

    @functools.wraps(function)
    async def call(*args: P.args, **kwargs: P.kwargs) -> R:
        return await in_thread(asyncio.get_running_loop(), *args, **kwargs)

    return call


async def call_retrying(
    function: Callable[..., R], *, until: float, backoff: Backoff, **kwargs: Any
) -> R:
    """``function(**kwargs)`` through ``run_sync``, tried again after each database fault
    with ``backoff``'s delays while the next try would start before ``until`` (the running
    loop's clock); then the last fault is raised. Only for calls that are safe to repeat:
    a fault may come after the work committed."""
    loop = asyncio.get_running_loop()
    while True:
        try:
            result = await run_sync(function)(**kwargs)
        except DATABASE_FAULTS as error:
            delay = backoff.failed(error)
            if loop.time() + delay > until:
                raise
            await asyncio.sleep(delay)
        else:
            backoff.reset()
            return result


def _recycle_connections() -> None:
    """This thread's connections that failed or outlived ``CONN_MAX_AGE``, closed (the next
    query opens a new one); after a fault anywhere in the process, also those that no
    longer answer."""
    check_health = _faults.unchecked()
    for wrapper in connections.all(initialized_only=True):
        if wrapper.connection is None:
            continue
        obsolete = wrapper.close_at is not None and time.monotonic() >= wrapper.close_at
        if wrapper.errors_occurred or obsolete:
            wrapper.close_if_unusable_or_obsolete()
        elif check_health and not wrapper.in_atomic_block and not wrapper.is_usable():
            wrapper.close()


def detach_request_connection_handling() -> None:
    """For a process whose views are all async and reach the database only through
    ``run_sync`` (the gateway surface): Django's per-request receivers (reset queries,
    close old connections, close caches) are sync, so under ASGI each request would start a
    thread just to run them, on connections that thread never has. ``run_sync`` keeps the
    connections healthy instead."""
    from django.core import signals
    from django.core.cache import close_caches
    from django.db import reset_queries

    signals.request_started.disconnect(reset_queries)
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_caches)
