"""Run lifecycle services: claiming with bounded attempts, hand-over, cancel fencing."""

from __future__ import annotations

import datetime
import os

import pytest
from django.core.management import call_command
from django.utils import timezone

from agents import services
from agents.models import Run, Session, SessionEvent
from agents.services import NewEvent, RunCancelled, StepRecord
from catalog.models import AgentTemplateVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def session() -> Session:
    call_command("seed_builtin", stdout=open(os.devnull, "w"))  # noqa: SIM115
    version = AgentTemplateVersion.objects.get(template__name="sgr_agent", is_active=True)
    session, _ = services.session_start(template_version=version, task="hi")
    return session


def _claim_now(worker: str = "w1") -> list[int]:
    # a zero-second lease has expired by the next claim: as if the worker had crashed
    return services.run_claim(worker=worker, limit=10, lease_seconds=0)


def test_a_run_that_keeps_crashing_fails_after_max_attempts(session, settings):
    settings.POOL_MAX_ATTEMPTS = 3
    run = session.runs.get()
    for attempt in range(1, 4):  # each time on a new worker: the last one crashed
        assert _claim_now(f"w{attempt}") == [run.pk]
        assert Run.objects.get(pk=run.pk).attempt == attempt

    assert _claim_now("w4") == []
    run.refresh_from_db()
    session.refresh_from_db()
    assert run.state == "finished" and run.outcome == "failed"
    assert session.state == "failed" and "3 times" in session.error
    error = session.events.get(type=SessionEvent.Type.ERROR)
    assert error.payload["code"] == "run_attempts_exhausted"
    assert session.events.latest("seq").payload == {"state": "failed"}


def test_a_graceful_hand_over_is_not_an_attempt(session, settings):
    settings.POOL_MAX_ATTEMPTS = 2
    run = session.runs.get()
    for _ in range(5):
        assert services.run_claim(worker="w1", limit=1, lease_seconds=30) == [run.pk]
        services.run_release(run_id=run.pk, worker="w1")
    run.refresh_from_db()
    assert run.state == "queued" and run.attempt == 0


def test_a_crash_hand_over_counts(session, settings):
    settings.POOL_MAX_ATTEMPTS = 2
    run = session.runs.get()
    for _ in range(2):
        assert services.run_claim(worker="w1", limit=1, lease_seconds=30) == [run.pk]
        services.run_release(run_id=run.pk, worker="w1", crashed=True)
    assert services.run_claim(worker="w1", limit=1, lease_seconds=30) == []
    assert Session.objects.get(pk=session.pk).state == "failed"


def test_a_worker_claiming_back_its_own_lapsed_lease_starts_no_new_attempt(session):
    run = session.runs.get()
    assert _claim_now("w1") == [run.pk]
    assert _claim_now("w1") == [run.pk]  # its lease ran out while the database was away
    assert Run.objects.get(pk=run.pk).attempt == 1
    assert _claim_now("w2") == [run.pk]  # w1 is gone: a takeover
    assert Run.objects.get(pk=run.pk).attempt == 2


def test_a_step_in_flight_cannot_undo_a_cancel(session):
    run = session.runs.get()
    assert services.run_claim(worker="w1", limit=1, lease_seconds=30) == [run.pk]
    services.session_cancel(session_id=session.pk)
    record = StepRecord(
        events=[NewEvent(SessionEvent.Type.REASONING, {"text": "late"})],
        context=session.context,
        session_state=Session.State.RUNNING,
    )
    with pytest.raises(RunCancelled):
        services.step_record(run_id=run.pk, session_id=run.session_id, worker="w1", record=record)
    session.refresh_from_db()
    assert session.state == "cancelled"
    assert not session.events.filter(type=SessionEvent.Type.REASONING).exists()


def test_cancel_of_a_dead_workers_run_ends_it_at_once(session):
    run = session.runs.get()
    services.run_claim(worker="dead", limit=1, lease_seconds=30)
    Run.objects.filter(pk=run.pk).update(
        lease_expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    services.session_cancel(session_id=session.pk)
    run.refresh_from_db()
    assert run.state == "finished" and run.outcome == "cancelled"
    assert _claim_now("alive") == []


def test_an_expired_run_with_a_cancel_pending_is_closed_not_resumed(session):
    run = session.runs.get()
    services.run_claim(worker="w1", limit=1, lease_seconds=30)
    services.session_cancel(session_id=session.pk)  # flagged: w1's lease is alive
    assert Run.objects.get(pk=run.pk).cancel_requested
    Run.objects.filter(pk=run.pk).update(
        lease_expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    assert _claim_now("w2") == []
    run.refresh_from_db()
    assert run.state == "finished" and run.outcome == "cancelled"


def test_the_next_takeover_is_when_the_first_lease_of_another_worker_runs_out(session):
    version = session.template_version
    leases = {"w1": 30, "w2": 5, "w3": -5}  # w3's lease ran out: claimable already
    runs = []
    for worker, seconds in leases.items():
        _, run = services.session_start(template_version=version, task=worker)
        Run.objects.filter(pk=run.pk).update(
            state=Run.State.RUNNING,
            lease_owner=worker,
            lease_expires_at=timezone.now() + datetime.timedelta(seconds=seconds),
        )
        runs.append(run.pk)
    # ``session``'s own run is queued: no lease, nothing to wait for.

    assert 4 < (services.run_next_takeover_seconds(worker="w1") or 0) <= 5  # w2's, not its own
    assert 29 < (services.run_next_takeover_seconds(worker="w2") or 0) <= 30
    Run.objects.filter(pk__in=runs).update(state=Run.State.FINISHED)
    assert services.run_next_takeover_seconds(worker="w1") is None
