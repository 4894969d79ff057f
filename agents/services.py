"""Every write to sessions, runs and events.

Invariants kept here:
- ``SessionEvent.seq`` is allocated under the session's row lock, so it is gap-free.
- At most one queued/running run per session (DB constraint); extra messages wait as
  ``pending`` runs (enqueue policy) and are promoted when the active run finishes.
- A worker writes a step only while it holds the run's lease (fencing): a worker that lost
  its lease gets ``LeaseLost`` and its writes roll back.
- Announcements (session events, pool wake-ups) go out after commit.
"""

from __future__ import annotations

import datetime
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from agents.engine.prompts import render_prompt
from agents.exceptions import SessionBusy, SessionNotFound, SessionNotResumable
from agents.models import Artifact, Run, Session, SessionEvent, ToolExecution
from agents.notify import notify_pool, notify_session
from catalog.models import AgentTemplateVersion, PipelineVersion


class LeaseLost(Exception):
    """The run's lease belongs to someone else now; the caller must stop working on it."""


class RunCancelled(Exception):
    """A cancel was requested for the run; the step being written is dropped."""


@dataclass
class NewEvent:
    type: str
    payload: dict[str, Any] = field(default_factory=dict)
    step: int = 0


def new_context() -> dict[str, Any]:
    return {
        "messages": [],
        "iteration": 0,
        "searches_used": 0,
        "clarifications_used": 0,
        "tool_calls": 0,
        "stage": "",
        "plan": None,
        "sources": [],
        "pending_call": None,
    }


def _insert_events(session: Session, run: Run | None, events: list[NewEvent], *, after: int) -> int:
    """Insert ``events`` numbered from ``after + 1`` (the caller holds the session row lock
    and stores the returned last seq on the session). Announced after commit."""
    seq = after
    rows = []
    for event in events:
        seq += 1
        rows.append(
            SessionEvent(
                session=session,
                seq=seq,
                run=run,
                type=event.type,
                step=event.step,
                payload=event.payload,
            )
        )
    SessionEvent.objects.bulk_create(rows)
    last = seq
    transaction.on_commit(lambda: notify_session(session.pk, last))
    return last


def _append_events(session: Session, run: Run | None, events: list[NewEvent]) -> int:
    """Append under the session row lock (the caller holds it). Returns the last seq."""
    session.last_seq = _insert_events(session, run, events, after=session.last_seq)
    Session.objects.filter(pk=session.pk).update(
        last_seq=session.last_seq, updated_at=timezone.now()
    )
    return session.last_seq


def _queue_run(session: Session, *, message: str) -> Run:
    run = Run.objects.create(session=session, state=Run.State.QUEUED, user_message=message)
    transaction.on_commit(notify_pool)
    return run


def _locked_session(session_id: uuid.UUID | str) -> Session:
    try:
        return Session.objects.select_for_update().get(pk=session_id)
    except (Session.DoesNotExist, ValueError, IntegrityError) as exc:
        raise SessionNotFound(f"No session '{session_id}'", param="model") from exc


@transaction.atomic
def session_start(
    *,
    template_version: AgentTemplateVersion,
    task: str,
    owner: str = "",
    pipeline_version: PipelineVersion | None = None,
    pipeline_plan: list[int] | None = None,
    parent: Session | None = None,
) -> tuple[Session, Run]:
    """Create the session with its first user message and a queued run, atomically."""
    context = new_context()
    context["messages"].append(
        {
            "role": "user",
            "content": render_prompt(template_version.initial_user_prompt or "{task}", task=task),
        }
    )
    events = [
        NewEvent(SessionEvent.Type.USER_MESSAGE, {"content": task}),
        NewEvent(SessionEvent.Type.STATE, {"state": Session.State.INITED}),
    ]
    # The new session's seq counter starts at its first events: no update afterwards.
    session = Session.objects.create(
        template_version=template_version,
        pipeline_version=pipeline_version,
        pipeline_plan=pipeline_plan or [],
        parent=parent,
        depth=(parent.depth + 1) if parent else 0,
        owner=owner,
        task=task,
        context=context,
        last_seq=len(events),
    )
    run = _queue_run(session, message=task)
    _insert_events(session, run, events, after=0)
    return session, run


@transaction.atomic
def session_message(
    *, session_id: uuid.UUID | str, message: str, owner: str = "", on_busy: str = "reject"
) -> tuple[Session, Run]:
    """A new user message on an existing session: the answer to a clarification, or a
    follow-up. Holds the session row lock. Busy sessions refuse (409) or enqueue."""
    session = _locked_session(session_id)
    if owner and session.owner and session.owner != owner:
        raise SessionNotFound(f"No session '{session_id}'", param="model")
    active = session.runs.filter(state__in=Run.ACTIVE_STATES).exists()
    if active and on_busy != "enqueue":
        raise SessionBusy(
            f"Session '{session_id}' is already running; wait for it, cancel it, or send "
            "with on_busy='enqueue'",
            param="model",
        )
    if session.state == Session.State.CANCELLED and not active:
        raise SessionNotResumable(f"Session '{session_id}' was cancelled", param="model")
    if active:
        run = Run.objects.create(session=session, state=Run.State.PENDING, user_message=message)
    else:
        run = _queue_run(session, message=message)
        _absorb_message(session, message)
    _append_events(session, run, [NewEvent(SessionEvent.Type.USER_MESSAGE, {"content": message})])
    return session, run


def _absorb_message(session: Session, message: str) -> None:
    """Put a user message into the conversation the engine will continue."""
    context = session.context
    if session.state == Session.State.WAITING_FOR_CLARIFICATION:
        prompt = session.template_version.clarification_prompt or "{clarifications}"
        content = render_prompt(prompt, clarifications=message)
    else:
        content = message
    context["messages"].append({"role": "user", "content": content})
    context["pending_call"] = None
    session.context = context
    session.state = Session.State.RUNNING
    session.save(update_fields=["context", "state", "updated_at"])


# --- the pool's side -------------------------------------------------------------------------


def run_claim(*, worker: str, limit: int, lease_seconds: float) -> list[int]:
    """Claim up to ``limit`` queued runs or runs whose lease expired (a dead worker's),
    oldest first, with ``SKIP LOCKED`` so workers never wait on each other. A claimed run
    past ``POOL_MAX_ATTEMPTS`` fails instead of running again; an expired run whose cancel
    was requested is closed instead of resumed."""
    if limit <= 0:
        return []
    now = timezone.now()
    expired = Q(state=Run.State.RUNNING, lease_expires_at__lt=now)
    with transaction.atomic():
        claimed = list(
            Run.objects.select_for_update(skip_locked=True)
            .filter(Q(state=Run.State.QUEUED) | expired)
            .order_by("created_at")
            .values_list("id", "attempt", "cancel_requested")[:limit]
        )
        if claimed:
            Run.objects.filter(id__in=[run_id for run_id, _, _ in claimed]).update(
                state=Run.State.RUNNING,
                lease_owner=worker,
                lease_expires_at=now + datetime.timedelta(seconds=lease_seconds),
                attempt=F("attempt") + 1,
                started_at=now,
            )
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


def _locked_owned_run(
    run_id: int, worker: str, *, fence_cancel: bool = False, session_id: uuid.UUID | None = None
) -> Run:
    """The run and its session, row-locked in the order every writer uses (session, then
    run), while ``worker`` holds the lease; ``RunCancelled`` once a cancel was requested
    (with ``fence_cancel``), so a step in flight cannot overwrite the cancelled state."""
    if session_id is None:
        session_id = Run.objects.filter(pk=run_id).values_list("session_id", flat=True).first()
    if session_id is None:
        raise LeaseLost(f"run {run_id} no longer exists")
    session = Session.objects.select_for_update().get(pk=session_id)
    run = Run.objects.select_for_update().get(pk=run_id)
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
        run = _locked_owned_run(run_id, worker)
    except LeaseLost:
        return
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
        run = _locked_owned_run(run_id, worker)
    except LeaseLost:
        return
    session = run.session
    session.state = Session.State.FAILED
    session.error = message
    context = session.context
    context["pending_call"] = None
    session.save(update_fields=["state", "error", "context", "updated_at"])
    _append_events(
        session,
        run,
        [
            NewEvent(SessionEvent.Type.ERROR, {"code": code, "message": message}),
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
    run = _locked_owned_run(run_id, worker, fence_cancel=True, session_id=session_id)
    session = run.session
    session.context = record.context
    fields = ["context", "updated_at"]
    for name in ("result", "error", "template_version_id", "pipeline_step"):
        value = getattr(record, name)
        if value is not None:
            setattr(session, name, value)
            fields.append(name)
    if record.session_state is not None and record.session_state != session.state:
        session.state = record.session_state
        fields.append("state")
        record.events.append(NewEvent(SessionEvent.Type.STATE, {"state": record.session_state}))
    if record.events:
        session.last_seq = _insert_events(session, run, record.events, after=session.last_seq)
        fields.append("last_seq")
    session.save(update_fields=fields)
    if record.tool_execution is not None:
        record.tool_execution.run = run
        record.tool_execution.save()
    if record.finish_outcome is not None:
        _finish_run(run, outcome=record.finish_outcome, error=record.error or "")
    return session


def _finish_run(run: Run, *, outcome: str, error: str = "") -> None:
    run.state = Run.State.FINISHED
    run.outcome = outcome
    run.error = error
    run.finished_at = timezone.now()
    run.lease_expires_at = None
    run.save(update_fields=["state", "outcome", "error", "finished_at", "lease_expires_at"])
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
    _absorb_message(session, pending.user_message)
    transaction.on_commit(notify_pool)


@transaction.atomic
def session_cancel(*, session_id: uuid.UUID | str, owner: str = "") -> Session:
    """Cancel the active run (and drop enqueued messages); repeating it is harmless. A run
    held by a worker is flagged and stopped by that worker; a queued one ends here."""
    session = _locked_session(session_id)
    if owner and session.owner and session.owner != owner:
        raise SessionNotFound(f"No session '{session_id}'")
    runs = session.runs.select_for_update().filter(
        state__in=[Run.State.PENDING, *Run.ACTIVE_STATES]
    )
    if session.state in Session.TERMINAL_STATES and not runs.exists():
        return session
    events = []
    for run in runs:
        lease_alive = run.lease_expires_at is not None and run.lease_expires_at > timezone.now()
        if run.state == Run.State.RUNNING and lease_alive:
            if not run.cancel_requested:
                run.cancel_requested = True
                run.save(update_fields=["cancel_requested"])
        else:
            _finish_and_skip_promotion(run)
    if session.state != Session.State.CANCELLED:
        session.state = Session.State.CANCELLED
        session.save(update_fields=["state", "updated_at"])
        events.append(NewEvent(SessionEvent.Type.STATE, {"state": Session.State.CANCELLED}))
        _append_events(session, None, events)
    for child in session.children.exclude(state__in=Session.TERMINAL_STATES):
        session_cancel(session_id=child.pk)
    return session


def _finish_and_skip_promotion(run: Run) -> None:
    run.state = Run.State.FINISHED
    run.outcome = Session.State.CANCELLED
    run.finished_at = timezone.now()
    run.save(update_fields=["state", "outcome", "finished_at"])


@transaction.atomic
def run_finish_cancelled(*, run_id: int, worker: str) -> None:
    """The worker stopped a cancelled run: close it (session state already cancelled)."""
    try:
        run = _locked_owned_run(run_id, worker)
    except LeaseLost:
        return
    _finish_and_skip_promotion(run)


def artifact_create(
    *, session_id: uuid.UUID | str, name: str, content: str, content_type: str = "text/markdown"
) -> Artifact:
    return Artifact.objects.create(
        session_id=session_id, name=name, content=content, content_type=content_type
    )


# --- tool executions -------------------------------------------------------------------------


def tool_execution_outcome(*, idempotency_key: str) -> dict[str, Any] | None:
    """The stored outcome of a finished call with this key, if any (never run it twice)."""
    execution = (
        ToolExecution.objects.filter(idempotency_key=idempotency_key)
        .exclude(status=ToolExecution.Status.RUNNING)
        .first()
    )
    return json.loads(execution.result) if execution else None


def tool_execution_begin(
    *,
    idempotency_key: str,
    session_id: uuid.UUID,
    run_id: int,
    tool_name: str,
    arguments: dict[str, Any],
) -> None:
    """Record that the call starts (a retry after a crash resets the same row); one
    ``INSERT ... ON CONFLICT`` statement."""
    ToolExecution.objects.bulk_create(
        [
            ToolExecution(
                idempotency_key=idempotency_key,
                session_id=session_id,
                run_id=run_id,
                tool_name=tool_name,
                arguments=arguments,
                status=ToolExecution.Status.RUNNING,
            )
        ],
        update_conflicts=True,
        unique_fields=["idempotency_key"],
        update_fields=["run", "arguments", "status"],
    )


def tool_execution_finish(
    *, idempotency_key: str, outcome: dict[str, Any], failed: bool, duration_ms: float
) -> None:
    ToolExecution.objects.filter(idempotency_key=idempotency_key).update(
        result=json.dumps(outcome, ensure_ascii=False),
        status=ToolExecution.Status.FAILED if failed else ToolExecution.Status.COMPLETED,
        duration_ms=duration_ms,
    )


# --- a chat turn (what the gateway asks for) -------------------------------------------------


@dataclass(frozen=True)
class Turn:
    session: Session
    run: Run
    model: str
    # Events with a larger seq belong to this turn's follow-up.
    after_seq: int
    stream_format: str
    resumed: bool


def chat_turn(*, model: str, task: str, owner: str = "", on_busy: str | None = None) -> Turn:
    """Start a session for a template or pipeline, or continue the session ``model`` names.
    Refuses (503) before writing anything when the agent has no upstream configured."""
    from agents.engine.llm import resolve_upstream
    from agents.selectors import is_session_id, session_get
    from catalog.policies import ExecutionPolicy, LLMPolicy
    from catalog.selectors import model_resolve, template_version_for_step

    if is_session_id(model):
        existing = session_get(session_id=model, owner=owner)
        policy = ExecutionPolicy.model_validate(existing.template_version.execution_policy)
        resolve_upstream(LLMPolicy.model_validate(existing.template_version.llm_policy))
        after = existing.last_seq
        session, run = session_message(
            session_id=existing.pk, message=task, owner=owner, on_busy=on_busy or policy.on_busy
        )
        return Turn(session, run, model, after, policy.stream_format, resumed=True)
    resolved = model_resolve(model)
    plan: list[int] = []
    if resolved.pipeline_version is not None:
        plan = [
            template_version_for_step(template=step["template"], version=step["version"]).pk
            for step in resolved.pipeline_version.steps
        ]
        first = AgentTemplateVersion.objects.get(pk=plan[0])
    else:
        assert resolved.template_version is not None
        first = resolved.template_version
    resolve_upstream(LLMPolicy.model_validate(first.llm_policy))
    session, run = session_start(
        template_version=first,
        task=task,
        owner=owner,
        pipeline_version=resolved.pipeline_version,
        pipeline_plan=plan,
    )
    policy = ExecutionPolicy.model_validate(first.execution_policy)
    return Turn(session, run, model, 0, policy.stream_format, resumed=False)


# --- delegation (agent-as-tool) --------------------------------------------------------------


def child_session_open(
    *, parent_id: uuid.UUID, delegation_key: str, template: str, task: str
) -> tuple[Session, Run | None]:
    """The child session for one delegated call: found again by its key on a retried call
    (then with no new run), else started now with a queued run."""
    from catalog.selectors import model_resolve

    existing = Session.objects.filter(
        parent_id=parent_id, context__delegation_key=delegation_key
    ).first()
    if existing is not None:
        return existing, existing.runs.filter(state__in=Run.ACTIVE_STATES).first()
    parent = Session.objects.get(pk=parent_id)
    resolved = model_resolve(template)
    if resolved.template_version is None:
        raise SessionNotFound(f"agent tool names no agent template {template!r}")
    with transaction.atomic():
        session, run = session_start(
            template_version=resolved.template_version, task=task, owner=parent.owner, parent=parent
        )
        session.context["delegation_key"] = delegation_key
        Session.objects.filter(pk=session.pk).update(context=session.context)
    return session, run


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
