"""An in-process runtime, as pytest fixtures (a plugin of ``tests/conftest.py``): pools
serving on the test's event loop (``serving``), the in-memory channel layer or Redis
(``redis_layer``), the fake upstream; real faults: database outages (``database_outage``)
and a Redis of the test's own to restart (``own_redis``); and the helpers that wait on
what a user would see (``settled``, ``until``, ``event_log``)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, TypeVar

import psycopg
import pytest
from asgiref.sync import sync_to_async
from django.core.management import call_command
from django.db import connection, connections

from agents import services
from agents.models import Session, SessionEvent
from agents.runtime.consumer import serve_pool
from agents.runtime.pool import Pool
from catalog.models import AgentTemplateVersion
from maruntime.asyncdb import run_sync
from maruntime.faults import DATABASE_FAULTS
from maruntime.settings import redis_channel_layer
from tests.fakes.redis_server import RedisServer
from tests.redis_test_url import require_redis

R = TypeVar("R")

LEASE_SECONDS = 4.0


@pytest.fixture
def runtime_settings(settings: Any, fake_llm: Any, transactional_db: None) -> Any:
    call_command("seed_builtin", stdout=open(os.devnull, "w"))  # noqa: SIM115
    settings.OPENAI_BASE_URL = fake_llm.base_url
    settings.OPENAI_API_KEY = "test-key"
    settings.OPENAI_MODEL = "fake-model"
    settings.LLM_RETRY_BACKOFF_SECONDS = 0.05
    settings.POOL_LEASE_SECONDS = LEASE_SECONDS
    settings.POOL_POLL_SECONDS = 0.2
    return settings


@pytest.fixture
def redis_layer(settings: Any) -> str:
    """The channel layer on the test Redis, under a prefix of this test's own."""
    url = require_redis()
    prefix = f"maruntime-test-{uuid.uuid4().hex[:10]}"
    settings.CHANNEL_LAYERS = {"default": redis_channel_layer(url, prefix=prefix)}
    return url


class Serving:
    """Pools serving on the test's event loop. ``serving()`` starts one; ``await
    serving.stop(pool)`` stops it gracefully (as SIGTERM does) and waits until it is done."""

    def __init__(self) -> None:
        self.running: dict[Pool, asyncio.Task[None]] = {}

    def __call__(self, *, listen: bool = False, **kwargs: Any) -> Pool:
        """``listen``: with the wake-up listener on the channel layer, as ``runpool``."""
        pool = Pool(concurrency=kwargs.pop("concurrency", 4), **kwargs)
        self.running[pool] = asyncio.create_task(serve_pool(pool) if listen else pool.serve())
        return pool

    async def stop(self, pool: Pool, *, within: float = 30) -> float:
        """Stop ``pool`` and wait for it to finish; returns the seconds that took."""
        task = self.running.pop(pool)
        assert not task.done(), f"pool {pool.worker_id} died: {task.exception()!r}"
        started = time.monotonic()
        pool.stop()
        await asyncio.wait_for(task, within)
        return time.monotonic() - started


@pytest.fixture
def own_redis(settings: Any) -> Iterator[RedisServer]:
    """A redis-server of this test's own on a free loopback port, with the channel layer on
    it, for tests that restart Redis (``own_redis.stop()``, ``own_redis.start()``)."""
    try:
        server = RedisServer()
    except FileNotFoundError as error:
        if os.environ.get("MARUNTIME_REQUIRE_REDIS") == "1":
            pytest.fail(str(error))
        pytest.skip(str(error))
    with server:
        settings.CHANNEL_LAYERS = {"default": redis_channel_layer(server.url)}
        yield server


@pytest.fixture
async def serving(runtime_settings: Any) -> AsyncIterator[Serving]:
    """Start pools with ``serving()``; every pool still serving at the end of the test is
    stopped, and must not have died meanwhile."""
    pools = Serving()
    yield pools
    for pool, task in pools.running.items():
        assert not task.done(), f"pool {pool.worker_id} died: {task.exception()!r}"
        pool.stop()
    await asyncio.wait_for(asyncio.gather(*pools.running.values()), 30)


def start_session(template: str = "sgr_agent", task: str = "Research the thing") -> Session:
    version = AgentTemplateVersion.objects.get(template__name=template, is_active=True)
    session, _ = services.session_start(template_version=version, task=task)
    return session


async def settled(session_id: Any, within: float = 30) -> Session:
    """The session once it stopped running (completed, failed, waiting)."""
    deadline = time.monotonic() + within
    state = "unknown"
    while time.monotonic() < deadline:
        with contextlib.suppress(*DATABASE_FAULTS):  # read through outages
            session = await run_sync(Session.objects.get)(pk=session_id)
            state = session.state
            if state not in (Session.State.INITED, Session.State.RUNNING):
                return session
        await asyncio.sleep(0.05)
    raise AssertionError(f"session {session_id} still {state} after {within} s")


async def until(predicate: Callable[[], R | None], within: float = 20, what: str = "") -> R:
    """``predicate()``'s first truthy value, read off the event loop (it may query the
    database) every 50 ms; fails after ``within`` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        with contextlib.suppress(*DATABASE_FAULTS):  # read through outages
            value = await run_sync(predicate)()
            if value:
                return value
        await asyncio.sleep(0.05)
    raise AssertionError(f"not within {within} s: {what or predicate}")


def event_log(session_id: Any) -> list[SessionEvent]:
    """The session's events, asserted gap-free and without duplicates."""
    events = list(SessionEvent.objects.filter(session_id=session_id).order_by("seq"))
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    return events


class DatabaseSwitch:
    """Turns the test database off and on from a connection to the server's ``postgres``
    database, the one connection no outage touches."""

    def __init__(self) -> None:
        db = connection.settings_dict
        self.name = db["NAME"]
        self.control = psycopg.connect(
            dbname="postgres",
            user=db["USER"],
            password=db["PASSWORD"] or None,
            host=db["HOST"] or None,
            port=db["PORT"] or None,
            autocommit=True,
        )

    def set_allowed(self, allowed: bool) -> None:
        self.control.execute(
            f'ALTER DATABASE "{self.name}" WITH ALLOW_CONNECTIONS {str(allowed).lower()}'
        )
        if not allowed:  # every connection to it dies now, as in a restart
            self.control.execute(
                "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE datname = %s",
                [self.name],
            )


@pytest.fixture
def _test_thread_reconnects(transactional_db: None) -> Iterator[None]:
    yield
    connection.close()  # terminated by an outage: the flush after the test reconnects


@pytest.fixture
async def database_outage(_test_thread_reconnects: None) -> AsyncIterator[Callable[..., Any]]:
    """``await database_outage(seconds)``: for that long, the test database refuses every
    new connection, and every open one is terminated when it starts, as when the server
    restarts (connections then fail with ``OperationalError``). ``during``: called once
    the database is away."""
    switch = DatabaseSwitch()

    async def outage(seconds: float, *, during: Callable[[], None] | None = None) -> None:
        await asyncio.to_thread(switch.set_allowed, False)
        try:
            if during is not None:
                during()
            await asyncio.sleep(seconds)
        finally:
            await asyncio.to_thread(switch.set_allowed, True)

    try:
        yield outage
    finally:
        await asyncio.to_thread(switch.set_allowed, True)
        await asyncio.to_thread(switch.control.close)
        # Django's async ORM calls share one thread; its connection died too.
        await sync_to_async(connections.close_all)()
