"""Database connections stay within the documented bound under load: four gateways, two
``runpool`` workers and the admin, each a real process on the test database, busy at once.
Each process names itself to PostgreSQL (``PGAPPNAME``), so the connections each one holds
are counted where they are, in ``pg_stat_activity``."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import psycopg
import pytest
from django.db import connection

from maruntime.database import connections_per_process
from tests.e2e.conftest import Stack
from tests.fakes.fake_llm import Reply
from tests.fakes.redis_server import RedisServer
from tests.fakes.sgr import final_args, step

pytestmark = pytest.mark.usefixtures("seeded")

DB_THREADS = 4
ADMIN_KEY = "connections-test-admin-key-0123456789"
GATEWAYS = 4
WORKERS = 2
CHATS = 48  # at once, spread over the gateways
ADMIN_REQUESTS = 120  # 24 at a time


class ConnectionCount:
    """The most connections each process held at once, read from ``pg_stat_activity``
    every 50 ms by a thread of its own."""

    def __init__(self, dsn: str, database: str) -> None:
        self.peaks: dict[str, int] = {}
        self._control = psycopg.connect(dsn, autocommit=True)
        self._database = database
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._count, daemon=True)
        self._thread.start()

    def _count(self) -> None:
        while not self._stop.wait(0.05):
            for name, count in self._control.execute(
                "SELECT application_name, count(*) FROM pg_stat_activity "
                "WHERE datname = %s GROUP BY 1",
                [self._database],
            ).fetchall():
                self.peaks[name] = max(count, self.peaks.get(name, 0))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._control.close()


def _answer_at_once(request: dict[str, Any]) -> Reply:
    answer = {k: v for k, v in final_args("within bounds").items() if k != "reasoning"}
    return Reply.structured(step("final_answer", **answer), delay=0.3)


@pytest.fixture(scope="module")
def topology(stack: Stack) -> Iterator[dict[str, Any]]:
    """Four gateways, two workers and the admin, on a Redis of their own."""
    with RedisServer() as redis_server:
        common: dict[str, Any] = {
            "REDIS_URL": redis_server.url,
            "DB_THREADS": str(DB_THREADS),
            "ADMIN_API_KEY": ADMIN_KEY,
        }
        gateways = [
            stack.gateway(
                pool=False, MARUNTIME_SURFACE="gateway", PGAPPNAME=f"gateway-{n}", **common
            )
            for n in range(GATEWAYS)
        ]
        admin = stack.gateway(pool=False, MARUNTIME_SURFACE="admin", PGAPPNAME="admin", **common)
        for n in range(WORKERS):
            stack.worker(PGAPPNAME=f"worker-{n}", **common)
        yield {"gateways": gateways, "admin": admin}


def _chat(base_url: str, n: int) -> tuple[int, str]:
    body = {"model": "sgr_agent", "messages": [{"role": "user", "content": f"question {n}"}]}
    response = httpx.post(f"{base_url}/v1/chat/completions", json=body, timeout=120)
    return response.status_code, response.text


def _admin_read(base_url: str, n: int) -> tuple[int, str]:
    path = ("tools", "templates", "pipelines")[n % 3]
    response = httpx.get(
        f"{base_url}/api/admin/{path}/", headers={"X-API-Key": ADMIN_KEY}, timeout=120
    )
    return response.status_code, response.text[:200]


def test_seven_busy_processes_stay_within_their_connection_bound(topology, stack, fake_llm):
    fake_llm.responder = _answer_at_once
    db = connection.settings_dict
    counting = ConnectionCount(
        f"dbname=postgres user={db['USER']} host={db['HOST']} port={db['PORT']}", db["NAME"]
    )
    try:
        with ThreadPoolExecutor(CHATS) as chats, ThreadPoolExecutor(24) as reads:
            chatted = [
                chats.submit(_chat, topology["gateways"][n % GATEWAYS], n) for n in range(CHATS)
            ]
            read = [reads.submit(_admin_read, topology["admin"], n) for n in range(ADMIN_REQUESTS)]
            chat_results = [future.result() for future in chatted]
            read_results = [future.result() for future in read]
        time.sleep(0.2)  # one more count after the last request
    finally:
        counting.stop()

    assert [status for status, _ in chat_results] == [200] * CHATS, chat_results[:3]
    assert all("within bounds" in text for _, text in chat_results)
    assert [status for status, _ in read_results] == [200] * ADMIN_REQUESTS, read_results[:3]
    logs = "".join(path.read_text(errors="replace") for path in stack.tmp.glob("*.log"))
    assert "too many clients" not in logs
    names = [f"gateway-{n}" for n in range(GATEWAYS)] + [f"worker-{n}" for n in range(WORKERS)]
    peaks = {name: counting.peaks.get(name, 0) for name in [*names, "admin"]}
    bound = connections_per_process(DB_THREADS)
    assert all(0 < peak <= bound for peak in peaks.values()), f"at most {bound}: {peaks}"
