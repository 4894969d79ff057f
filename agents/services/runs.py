"""Runs: queueing, claiming with leases, persisting steps, finishing.

- At most one queued/running run per session (DB constraint); extra messages wait as
  ``pending`` runs (enqueue policy) and are promoted when the active run finishes.
- A worker writes a step only while it holds the run's lease (fencing): a worker that lost
  its lease gets ``LeaseLost`` and its writes roll back. Writers lock the session row,
  then the run row.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from agents.models import Run, Session, SessionEvent, ToolExecution
from agents.notify import notify_pool
from agents.services import rows
from agents.services.context import absorb_user_message
from agents.services.events import NewEvent, append_events, insert_events


class LeaseLost(Exception):
    """The run's lease belongs to someone else now; the caller must stop working on it."""


class RunCancelled(Exception):
    """A cancel was requested for the run; the step being written is dropped."""


def queue_run(session: Session, *, message: str, transcript_hash: str = "") -> Run:
    run = Run.objects.create(
        session=session,
        state=Run.State.QUEUED,
        user_message=message,
        transcript_hash=transcript_hash,
    )
    transaction.on_commit(notify_pool)
    return run


def run_claim(*, worker: str, limit: int, lease_seconds: float) -> list[int]:
    """Claim up to ``limit`` queued runs or runs whose lease expired (a dead worker's),
    oldest first, with ``SKIP LOCKED`` so workers never wait on each other. A claimed run
    past ``POOL_MAX_ATTEMPTS`` fails instead of running again; an expired run whose cancel
    was requested is closed instead of resumed."""
    if limit <= 0:
        return []
    now = timezone.now()
    expires = now + datetime.timedelta(seconds=lease_seconds)
    claimed = rows.claim_runs(worker=worker, limit=limit, now=now, expires=expires)
    ids = []
    for run_id, attempt, cancel_requested in claimed:
        if cancel_requested:
            run_finish_cancelled(run_id=run_id, worker=worker)
        elif attempt >= settings.POOL_MAX_ATTEMPTS:
            run_fail(
                run_id=run_id,
                worker=worker,
                code="run_attempts_exhausted",
                message=f"the run was started {attempt} times without finishing; giving up",
            )
        else:
            ids.append(run_id)
    return ids


def run_renew_leases(*, worker: str, run_ids: list[int], lease_seconds: float) -> set[int]:
    """Extend the leases this worker still holds; returns the ids it still owns."""
    expires = timezone.now() + datetime.timedelta(seconds=lease_seconds)
    owned = Run.objects.filter(id__in=run_ids, lease_owner=worker, state=Run.State.RUNNING)
    kept = set(owned.values_list("id", flat=True))
    owned.update(lease_expires_at=expires)
    return kept


def runs_cancel_requested(*, worker: str, run_ids: list[int]) -> set[int]:
    return set(
        Run.objects.filter(id__in=run_ids, lease_owner=worker, cancel_requested=True).values_list(
            "id", flat=True
        )
    )


def queued_run_count() -> int:
    return Run.objects.filter(state=Run.State.QUEUED).count()


def run_next_takeover_seconds(*, worker: str) -> float | None:
    """Seconds until a run another worker leases becomes claimable (its lease runs out, as
    when that worker died); None while no other worker holds a lease."""
    now = timezone.now()
    expiry = rows.next_lease_expiry(worker=worker, now=now)
    return None if expiry is None else (expiry - now).total_seconds()


def lock_owned_run(
    run_id: int,
    worker: str,
    *,
    fence_cancel: bool = False,
    session_id: uuid.UUID | None = None,
    without_context: bool = False,
) -> Run:
    """The run and its session, row-locked in the order every writer uses (session, then
    run), while ``worker`` holds the lease; ``RunCancelled`` once a cancel was requested
    (with ``fence_cancel``), so a step in flight cannot overwrite the cancelled state.
    ``without_context``: the caller replaces the session's context, so it is not read
    (it grows with the conversation)."""
    if session_id is None:
        session_id = Run.objects.filter(pk=run_id).values_list("session_id", flat=True).first()
    defer = ("context",) if without_context else ()
    session = rows.get(Session, session_id, defer=defer, for_update=True)
    run = rows.get(Run, run_id, for_update=True)
    if session is None or run is None:
        raise LeaseLost(f"run {run_id} no longer exists")
    run.session = session
    if run.lease_owner != worker or run.state != Run.State.RUNNING:
        raise LeaseLost(f"run {run_id} is no longer leased by {worker}")
    if fence_cancel and run.cancel_requested:
        raise RunCancelled(f"run {run_id} was cancelled")
    return run


@transaction.atomic
def run_release(*, run_id: int, worker: str, crashed: bool = False) -> None:
    """Give a run back to the queue; the next worker continues it. A graceful hand-over
    (stop) does not count as an attempt; a crash does (``POOL_MAX_ATTEMPTS``)."""
    try:
        run = lock_owned_run(run_id, worker)
    except LeaseLost:
        return
    _requeue(run, crashed=crashed)


def _requeue(run: Run, *, crashed: bool) -> None:
    run.state = Run.State.QUEUED
    run.lease_owner = ""
    run.lease_expires_at = None
    if not crashed:
        run.attempt = max(0, run.attempt - 1)
    run.save(update_fields=["state", "lease_owner", "lease_expires_at", "attempt"])
    transaction.on_commit(notify_pool)


@transaction.atomic
def run_fail(*, run_id: int, worker: str, code: str, message: str) -> None:
    """End a leased run as failed: an error event, the session failed, pending messages
    promoted. Holds the session and run row locks."""
    try:
        run = lock_owned_run(run_id, worker)
    except LeaseLost:
        return
    session = run.session
    session.state = Session.State.FAILED
    session.error = message
    context = session.context
    context["pending_call"] = None
    session.save(update_fields=["state", "error", "context", "updated_at"])
    append_events(
        session,
        run,
        [
            NewEvent(SessionEvent.Type.ERROR, {"code": code, "message": message, "status": 500}),
            NewEvent(SessionEvent.Type.STATE, {"state": Session.State.FAILED}),
        ],
    )
    _finish_run(run, outcome=Session.State.FAILED, error=message)


@dataclass
class StepRecord:
    """What one persisted step changes: events to append and the session's new state."""

    events: list[NewEvent]
    context: dict[str, Any]
    session_state: str | None = None
    result: str | None = None
    error: str | None = None
    template_version_id: int | None = None
    pipeline_step: int | None = None
    finish_outcome: str | None = None
    # A pure tool's finished execution, stored with the step rather than around the call.
    tool_execution: ToolExecution | None = None


@transaction.atomic
def step_record(*, run_id: int, session_id: uuid.UUID, worker: str, record: StepRecord) -> Session:
    """Persist one step in one transaction, only while holding the lease. When
    ``finish_outcome`` is set the run finishes and the next pending run is promoted."""
    run = lock_owned_run(
        run_id, worker, fence_cancel=True, session_id=session_id, without_context=True
    )
    session = run.session
    changes: dict[str, Any] = {"context": record.context, "updated_at": timezone.now()}
    for name in ("result", "error", "template_version_id", "pipeline_step"):
        value = getattr(record, name)
        if value is not None:
            changes[name] = value
    if record.session_state is not None and record.session_state != session.state:
        changes["state"] = record.session_state
        record.events.append(NewEvent(SessionEvent.Type.STATE, {"state": record.session_state}))
    if record.events:
        changes["last_seq"] = insert_events(session, run, record.events, after=session.last_seq)
    rows.update(Session, session.pk, changes)
    for name, value in changes.items():
        setattr(session, name, value)
    if record.tool_execution is not None:
        record.tool_execution.run = run
        rows.insert([record.tool_execution])
    if record.finish_outcome is not None:
        _finish_run(run, outcome=record.finish_outcome, error=record.error or "")
    return session


def _finish_run(run: Run, *, outcome: str, error: str = "") -> None:
    run.state = Run.State.FINISHED
    run.outcome = outcome
    run.error = error
    run.finished_at = timezone.now()
    run.lease_expires_at = None
    rows.update(
        Run,
        run.pk,
        {
            "state": run.state,
            "outcome": outcome,
            "error": error,
            "finished_at": run.finished_at,
            "lease_expires_at": None,
        },
    )
    _promote_pending(run.session)


def _promote_pending(session: Session) -> None:
    """The oldest enqueued message becomes the session's next queued run."""
    pending = session.runs.filter(state=Run.State.PENDING).order_by("created_at").first()
    if pending is None:
        return
    session.refresh_from_db(fields=["state", "context", "template_version"])
    if session.state == Session.State.CANCELLED:
        return
    pending.state = Run.State.QUEUED
    pending.save(update_fields=["state"])
    declined = absorb_user_message(session, pending.user_message)
    if declined:
        append_events(session, pending, declined)
    transaction.on_commit(notify_pool)


def close_run_as_cancelled(run: Run) -> None:
    run.state = Run.State.FINISHED
    run.outcome = Session.State.CANCELLED
    run.finished_at = timezone.now()
    run.save(update_fields=["state", "outcome", "finished_at"])


@transaction.atomic
def run_finish_cancelled(*, run_id: int, worker: str) -> None:
    """The worker stopped a cancelled run: close it (session state already cancelled)."""
    try:
        run = lock_owned_run(run_id, worker)
    except LeaseLost:
        return
    close_run_as_cancelled(run)


@transaction.atomic
def run_interrupted(*, run_id: int, worker: str, hand_over: bool) -> None:
    """The worker stopped the run mid-step. A user's cancel closes it; a drain that ran
    out of time (``hand_over``) gives it back to the queue, like a graceful stop: another
    worker continues from the last persisted step."""
    try:
        run = lock_owned_run(run_id, worker)
    except LeaseLost:
        return
    if hand_over and not run.cancel_requested:
        _requeue(run, crashed=False)
    else:
        close_run_as_cancelled(run)


def run_claim_one(*, run_id: int, worker: str, lease_seconds: float) -> bool:
    """Claim this queued run (a delegated child the parent's worker runs inline)."""
    now = timezone.now()
    return bool(
        Run.objects.filter(pk=run_id, state=Run.State.QUEUED).update(
            state=Run.State.RUNNING,
            lease_owner=worker,
            lease_expires_at=now + datetime.timedelta(seconds=lease_seconds),
            attempt=F("attempt") + 1,
            started_at=now,
        )
    )
