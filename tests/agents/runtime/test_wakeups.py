"""Wake-ups over the real Redis channel layer: an idle listener is no error, and a queued
run reaches a worker long before the worker would have polled for it."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

# Imported before any test runs: its first import (by the wake-up listener) runs
# django.setup(), whose logging config would drop caplog's handler mid-test.
import maruntime.asgi  # noqa: F401
from agents.models import Run
from maruntime.asyncdb import run_sync
from tests.fakes.sgr import final_args, sgr_replies
from tests.runtime import settled, start_session

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_listener_idle_on_redis_for_12_seconds_logs_nothing(
    serving, redis_layer, runtime_settings, caplog
):
    serving(listen=True)
    with caplog.at_level(logging.DEBUG, logger="agents.runtime"):
        await asyncio.sleep(12)  # longer than a blocking receive and the read timeout
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []
    assert not [r for r in caplog.records if r.exc_info]


async def test_a_wakeup_reaches_the_worker_long_before_its_poll(
    serving, redis_layer, runtime_settings, fake_llm
):
    runtime_settings.POOL_POLL_SECONDS = 30.0
    fake_llm.script(*sgr_replies(("final_answer", final_args("woken"))))
    serving(listen=True)
    await asyncio.sleep(0.5)  # the pool's first claim is behind it: only a wake-up helps
    queued_at = time.monotonic()
    session = await run_sync(start_session)()

    await settled(session.pk, within=10)
    run = await run_sync(Run.objects.get)(session_id=session.pk)
    assert run.started_at is not None and run.outcome == "completed"
    assert time.monotonic() - queued_at < 3  # a tenth of the poll interval
