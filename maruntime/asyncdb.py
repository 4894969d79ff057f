"""Calling the sync ORM from async code without blocking the event loop.

``run_sync`` uses a thread pool (not Django's single thread-sensitive thread), so the
gateway's requests and the pool's runs reach the database in parallel; every function
passed here must be thread-safe, which plain ORM code is (one connection per thread).

These threads live as long as the process and keep the connection they took from the
process's pool (``DATABASES[...]["OPTIONS"]["pool"]``), so each call first gives it back
if a query on it failed or it was held ``DB_CONN_MAX_AGE`` seconds (Django does this only
around a request, in the request's own thread): after a database
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
from django.conf import settings
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


_threads_lock = threading.Lock()
_threads: ThreadPoolExecutor | None = None


def _orm_threads() -> ThreadPoolExecutor:
    """The process's ``DB_THREADS`` ORM threads, started on first use and kept for the
    life of the process, whatever event loop calls: a thread that ended would take its
    pooled connection with it, and the pool would never have it back."""
    global _threads
    with _threads_lock:
        if _threads is None:
            _threads = ThreadPoolExecutor(settings.DB_THREADS, thread_name_prefix="orm")
        return _threads


def release_connections() -> None:
    """Give this thread's connections back to the pool: for a thread of the caller's
    (``run_sync(..., executor=...)``) before it ends."""
    connections.close_all()


def run_sync(
    function: Callable[P, R], *, executor: ThreadPoolExecutor | None = None
) -> Callable[P, Awaitable[R]]:
    """``function`` as a coroutine run in one of the process's ORM threads (``executor``:
    a thread of the caller's, whose connections it gives back with
    ``release_connections`` before the thread ends)."""

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

    in_thread = sync_to_async(
        with_usable_connection, thread_sensitive=False, executor=executor or _orm_threads()
    )

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
    """This thread's connections that failed or were held ``DB_CONN_MAX_AGE`` seconds,
    given back to the process's pool (which drops a broken one; the next query takes
    another); after a fault anywhere in the process, also those that no longer answer.
    Otherwise the thread keeps its connection from call to call: taking one from the pool
    for every call would cost a round trip and ~0.1 ms of CPU each time."""
    check_health = _faults.unchecked()
    for wrapper in connections.all(initialized_only=True):
        if wrapper.connection is None or wrapper.in_atomic_block:
            continue
        # Under the pool CONN_MAX_AGE is 0, so Django's ``close_at`` is when it was taken.
        taken_at = wrapper.close_at if wrapper.close_at is not None else time.monotonic()
        held_too_long = time.monotonic() - taken_at >= settings.DB_CONN_MAX_AGE
        if wrapper.errors_occurred or held_too_long or (check_health and not wrapper.is_usable()):
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
