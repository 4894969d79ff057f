"""The pool in process: claims, slots and leases, and real database faults in the middle
of multi-step runs (connections refused and terminated, as in a server restart)."""

from __future__ import annotations

import asyncio
import datetime

import pytest
from django.utils import timezone

from agents.models import Run, ToolExecution
from agents.runtime.pool import Pool
from maruntime.asyncdb import run_sync
from maruntime.observability import ACTIVE_RUNS
from tests.agents.runtime.conftest import event_log, settled, start_session
from tests.fakes.sgr import final_args, plan_args, sgr_replies

pytestmark = pytest.mark.django_db(transaction=True)


def _active_runs() -> float:
    return ACTIVE_RUNS._value.get()


async def test_a_run_whose_instance_cannot_be_acquired_frees_its_slot_and_goes_back(
    runtime_settings, monkeypatch
):
    session = await run_sync(start_session)()
    pool = Pool(concurrency=2)

    def broken_acquire(run_id: int) -> None:
        raise RuntimeError("no instance today")

    monkeypatch.setattr(pool.slots, "acquire_for_run", broken_acquire)
    active_before = _active_runs()
    await pool._claim()
    assert len(pool._tasks) == 1
    await asyncio.gather(*pool._tasks.values())

    # Nobody renews the lease of a run nobody runs, and the slot is free again.
    assert pool._tasks == {}
    assert _active_runs() == active_before
    run = await run_sync(Run.objects.get)(session_id=session.pk)
    assert run.state == Run.State.QUEUED and run.lease_owner == ""
    assert run.attempt == 1  # a crash counts towards POOL_MAX_ATTEMPTS


async def test_runs_continue_through_a_database_outage_without_a_restart(
    serving, fake_llm, database_outage
):
    report = {"title": "Findings", "content": "All good.", "confidence": "high"}
    fake_llm.script(
        *sgr_replies(("generate_plan", plan_args()), delay=0.3),
        # The outage starts while this call is in flight and outlasts it (with room for a
        # loaded machine's slow start of the outage): its step cannot be written, so the
        # resumed run asks again.
        *sgr_replies(("create_report", report), delay=1.0),
        *sgr_replies(("create_report", report)),
        *sgr_replies(("final_answer", final_args("survived"))),
    )
    pool = serving()
    session = await run_sync(start_session)()
    await asyncio.to_thread(fake_llm.wait_for_requests, 2)
    await database_outage(3.0)

    finished = await settled(session.pk)
    assert finished.state == "completed" and finished.result == "survived"
    await run_sync(_assert_done_once)(session.pk, pool.worker_id)
    assert len(fake_llm.requests) == 4  # only the call whose step was lost, again


def _assert_done_once(session_id, worker_id) -> None:
    events = event_log(session_id)
    results = [e.payload["tool"] for e in events if e.type == "tool_result"]
    assert results == ["generate_plan", "create_report", "final_answer"]
    executions = ToolExecution.objects.filter(session_id=session_id)
    assert sorted(executions.values_list("tool_name", "status")) == [
        ("create_report", "completed"),
        ("final_answer", "completed"),
        ("generate_plan", "completed"),
    ]
    run = Run.objects.get(session_id=session_id)
    # Handed back and resumed by the same worker: a database fault spends no attempt.
    assert run.outcome == "completed" and run.lease_owner == worker_id
    assert run.attempt == 1


async def test_an_idle_pool_survives_an_outage_and_claims_what_comes_after(
    serving, fake_llm, database_outage
):
    serving()
    await asyncio.sleep(0.3)
    await database_outage(2)  # the claim and upkeep loops meet it
    fake_llm.script(*sgr_replies(("final_answer", final_args("after the outage"))))
    session = await run_sync(start_session)()

    finished = await settled(session.pk, within=10)
    assert finished.result == "after the outage"


def _leased_by_a_dead_worker(session_id, seconds: float) -> int:
    """The session's run as a worker that died mid-run left it: running, its lease
    running out in ``seconds``."""
    run = Run.objects.get(session_id=session_id)
    Run.objects.filter(pk=run.pk).update(
        state=Run.State.RUNNING,
        lease_owner="a-worker-that-died",
        lease_expires_at=timezone.now() + datetime.timedelta(seconds=seconds),
        attempt=1,
    )
    return run.pk


async def test_a_dead_workers_run_is_taken_over_when_its_lease_runs_out_not_at_the_next_poll(
    runtime_settings, serving, fake_llm
):
    runtime_settings.POOL_POLL_SECONDS = 60.0  # no poll comes during this test
    fake_llm.script(*sgr_replies(("final_answer", final_args("taken over"))))
    session = await run_sync(start_session)()
    await run_sync(_leased_by_a_dead_worker)(session.pk, 1.0)
    pool = serving()

    finished = await settled(session.pk, within=15)
    assert finished.result == "taken over"
    run = await run_sync(Run.objects.get)(session_id=session.pk)
    assert run.lease_owner == pool.worker_id and run.attempt == 2
