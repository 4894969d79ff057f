"""``run_sync``: ORM calls off the event loop, on connections that recover by themselves."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.db import OperationalError, connection

from maruntime.asyncdb import run_sync

pytestmark = pytest.mark.django_db(transaction=True)


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def _terminate(pid: int) -> None:
    with connection.cursor() as cursor:
        # Waits (up to 5 s) until the backend is gone, so the next query surely meets it dead.
        cursor.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])


async def test_a_thread_reconnects_after_its_connection_was_killed():
    thread = ThreadPoolExecutor(1)  # one worker thread: one connection to kill
    first = await run_sync(_backend_pid, executor=thread)()
    await run_sync(_terminate)(first)

    with pytest.raises(OperationalError):
        await run_sync(_backend_pid, executor=thread)()  # the call that finds it dead
    again = await run_sync(_backend_pid, executor=thread)()

    assert again != first
    thread.shutdown()


def test_the_gateway_surface_runs_requests_without_sync_receivers():
    """Each sync receiver would cost every request a thread under ASGI."""
    script = (
        "import django; django.setup(); from django.core import signals; "
        "print(len(signals.request_started.receivers), len(signals.request_finished.receivers))"
    )
    counts = {}
    for surface in ("gateway", "all"):
        env = {
            **os.environ,
            "MARUNTIME_SURFACE": surface,
            "DJANGO_SETTINGS_MODULE": "maruntime.settings",
        }
        env["DATABASE_URL"] = "postgres://nobody@127.0.0.1:9/none"  # never connected to
        done = subprocess.run(
            [sys.executable, "-c", script],
            cwd=Path(__file__).resolve().parents[2],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        counts[surface] = done.stdout.split()
    assert counts["gateway"] == ["0", "0"]
    assert counts["all"] != ["0", "0"]  # the admin's sync views still need them
