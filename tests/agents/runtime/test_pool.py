"""The pool in process: claims shared between pools, slots, leases kept by heartbeat, the
hand-over on a graceful stop (SIGTERM's path), the takeover of a dead worker's expired
lease, instances reused across sessions, and real database faults in the middle of
multi-step runs (connections refused and terminated, as in a server restart)."""

from __future__ import annotations

import asyncio
import datetime
import threading
import time
from typing import Any

import pytest
from django.utils import timezone

from agents import services
from agents.engine.loop import DefinitionCache, execute_run
from agents.models import AgentInstance, Run, ToolExecution
from agents.runtime.pool import Pool
from agents.services import LeaseLost
from agents.tools.base import WorkerRuntime
from maruntime.asyncdb import run_sync
from maruntime.observability import ACTIVE_RUNS
from tests.fakes.fake_llm import Reply
from tests.fakes.sgr import echo_responder, final_args, plan_args, sgr_replies
from tests.runtime import event_log, settled, start_session, until

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


def _runs(session_ids: list[Any]) -> list[Run]:
    return list(Run.objects.filter(session_id__in=session_ids).order_by("created_at"))


def _most_at_once(runs: list[Run]) -> int:
    """The most of ``runs`` that were running at the same moment."""
    edges = sorted(
        [(run.started_at, 1) for run in runs] + [(run.finished_at, -1) for run in runs],
        key=lambda edge: (edge[0], edge[1]),  # a run ending as another starts: not overlapping
    )
    running = most = 0
    for _, change in edges:
        running += change
        most = max(most, running)
    return most


def _tool_results(session_id: Any) -> list[str]:
    return [e.payload["tool"] for e in event_log(session_id) if e.type == "tool_result"]


async def test_two_pools_share_the_queue_and_run_each_run_once(serving, fake_llm):
    fake_llm.responder = echo_responder(delay=0.3)
    sessions = [await run_sync(start_session)(task=f"task {n}") for n in range(6)]
    pools = [serving(concurrency=2), serving(concurrency=2)]

    for n, session in enumerate(sessions):
        finished = await settled(session.pk)
        assert finished.state == "completed" and finished.result == f"echo: task {n}"
    runs = await run_sync(_runs)([s.pk for s in sessions])
    assert [run.attempt for run in runs] == [1] * 6  # nobody ran a run another one held
    assert len(fake_llm.requests) == 6
    owners = {
        pool.worker_id: [r for r in runs if r.lease_owner == pool.worker_id] for pool in pools
    }
    assert sum(len(owned) for owned in owners.values()) == 6
    # More runs than one pool's slots: both served, neither beyond its concurrency.
    assert all(1 <= _most_at_once(owned) <= 2 for owned in owners.values())


async def test_a_run_longer_than_its_lease_keeps_it_by_heartbeat(
    serving, fake_llm, runtime_settings
):
    runtime_settings.POOL_LEASE_SECONDS = 2.0
    fake_llm.script(*sgr_replies(("final_answer", final_args("kept")), delay=5.0))
    holder = serving()
    session = await run_sync(start_session)()
    await until(lambda: Run.objects.filter(session_id=session.pk, state="running").exists())
    serving()  # a second pool that would take over a lease left to expire

    finished = await settled(session.pk)
    assert finished.result == "kept"
    run = await run_sync(Run.objects.get)(session_id=session.pk)
    assert run.attempt == 1 and run.lease_owner == holder.worker_id
    assert len(fake_llm.requests) == 1


async def test_a_stopped_pool_finishes_its_step_and_another_pool_goes_on(serving, fake_llm):
    fake_llm.script(
        *sgr_replies(("generate_plan", plan_args()), delay=1.5),
        *sgr_replies(("final_answer", final_args("drained"))),
    )
    leaving = serving()
    session = await run_sync(start_session)()
    await asyncio.to_thread(fake_llm.wait_for_requests, 1)
    await serving.stop(leaving)

    # The step in flight was finished and the run handed back (no attempt spent), not failed.
    run = await run_sync(Run.objects.get)(session_id=session.pk)
    assert run.state == "queued" and run.lease_owner == "" and run.attempt == 0
    assert await run_sync(_tool_results)(session.pk) == ["generate_plan"]
    states = await run_sync(
        lambda: set(
            AgentInstance.objects.filter(worker=leaving.worker_id).values_list("state", flat=True)
        )
    )()
    assert states == {"stopped"}

    going_on = serving()
    finished = await settled(session.pk)
    assert finished.state == "completed" and finished.result == "drained"
    run = await run_sync(Run.objects.get)(session_id=session.pk)
    assert run.attempt == 1 and run.lease_owner == going_on.worker_id
    assert await run_sync(_tool_results)(session.pk) == ["generate_plan", "final_answer"]
    assert len(fake_llm.requests) == 2


async def test_a_stopping_pool_hands_back_a_run_stuck_upstream_after_the_drain_time(
    serving, fake_llm, runtime_settings
):
    runtime_settings.POOL_DRAIN_SECONDS = 1.0
    fake_llm.script(Reply.hang(), *sgr_replies(("final_answer", final_args("taken over"))))
    leaving = serving()
    session = await run_sync(start_session)()
    await asyncio.to_thread(fake_llm.wait_for_requests, 1)

    # It waits the drain time for the step, no longer (a hung call never ends by itself).
    assert await serving.stop(leaving) >= 1.0
    going_on = serving()
    finished = await settled(session.pk)
    assert finished.result == "taken over"
    run = await run_sync(Run.objects.get)(session_id=session.pk)
    assert run.attempt == 1 and run.lease_owner == going_on.worker_id  # handed over
    assert len(fake_llm.requests) == 2  # the interrupted call, issued again


async def test_a_dead_workers_run_is_taken_over_at_lease_expiry_and_the_dead_cannot_write(
    serving, fake_llm
):
    """A worker that stops renewing (a SIGKILL, a frozen VM) keeps nothing: once its lease
    expires a pool continues the run from its last stored step, and the late answer the
    dead worker still gets is fenced off."""
    late_answer_may_come = threading.Event()

    def upstream(request: dict[str, Any]) -> Reply:
        if len(fake_llm.requests) == 2:  # the dead worker's call in flight
            late_answer_may_come.wait(30)
            return sgr_replies(("generate_plan", plan_args()))[0]
        return echo_responder()(request)

    fake_llm.script(*sgr_replies(("generate_plan", plan_args())))
    fake_llm.responder = upstream
    session = await run_sync(start_session)(task="recovered")
    [run_id] = await run_sync(services.run_claim)(worker="dead", limit=1, lease_seconds=1.5)
    claimed_at = time.monotonic()
    dead = WorkerRuntime(worker="dead", stopping=asyncio.Event(), definitions=DefinitionCache())
    dying = asyncio.create_task(execute_run(run_id=run_id, runtime=dead))
    await asyncio.to_thread(fake_llm.wait_for_requests, 2)
    pool = serving()

    finished = await settled(session.pk)
    assert time.monotonic() - claimed_at >= 1.5  # not a moment before the lease expired
    assert finished.state == "completed" and finished.result == "echo: recovered"
    late_answer_may_come.set()
    with pytest.raises(LeaseLost):
        await asyncio.wait_for(dying, 30)

    run = await run_sync(Run.objects.get)(pk=run_id)
    assert run.attempt == 2 and run.lease_owner == pool.worker_id
    # The plan stored by the dead worker is not made again; its late step left no trace.
    assert await run_sync(_tool_results)(session.pk) == ["generate_plan", "final_answer"]
    executions = await run_sync(
        lambda: sorted(
            ToolExecution.objects.filter(session_id=session.pk).values_list("tool_name", flat=True)
        )
    )()
    assert executions == ["final_answer", "generate_plan"]
    assert len(fake_llm.requests) == 3


def _instances() -> list[AgentInstance]:
    return list(AgentInstance.objects.select_related("template_version__template"))


async def test_an_instance_serves_session_after_session(serving, fake_llm):
    fake_llm.responder = echo_responder(delay=0.5)
    pool = serving()
    first = await run_sync(start_session)(task="first")
    [busy] = await until(
        lambda: [i for i in _instances() if i.state == "busy"], what="a busy instance"
    )
    assert busy.current_session_id == first.pk and busy.worker == pool.worker_id
    assert busy.template_version.template.name == "sgr_agent"
    await settled(first.pk)
    for n in range(3):
        session = await run_sync(start_session)(task=f"task {n}")
        assert (await settled(session.pk)).result == f"echo: task {n}"

    [instance] = await until(
        lambda: [i for i in _instances() if i.state == "idle"], what="the idle instance"
    )
    assert instance.pk == busy.pk and instance.sessions_served == 4
    assert instance.current_session_id is None


async def test_a_stop_that_comes_while_the_pool_claims_is_not_lost_until_the_next_poll(
    serving, runtime_settings, monkeypatch
):
    runtime_settings.POOL_POLL_SECONDS = 60.0
    claiming = threading.Event()
    claim = services.run_claim

    def slow_claim(**kwargs: Any) -> Any:
        claiming.set()
        time.sleep(0.5)  # the database is slow to answer
        return claim(**kwargs)

    monkeypatch.setattr(services, "run_claim", slow_claim)
    pool = serving()
    await asyncio.to_thread(claiming.wait, 10)
    # SIGTERM's path, while the claim is in flight: the pool stops once it is back, not
    # a poll interval (a minute) later.
    assert await serving.stop(pool, within=20) < 20
