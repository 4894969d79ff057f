"""Calling the sync ORM from async code without blocking the event loop.

``run_sync`` uses a thread pool (not Django's single thread-sensitive thread), so the
gateway's requests and the pool's runs reach the database in parallel; every function
passed here must be thread-safe, which plain ORM code is (one connection per thread).
"""

from collections.abc import Awaitable, Callable
from typing import ParamSpec, TypeVar

from asgiref.sync import sync_to_async

P = ParamSpec("P")
R = TypeVar("R")


def run_sync(function: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    return sync_to_async(function, thread_sensitive=False)
