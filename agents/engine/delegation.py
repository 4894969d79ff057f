"""Agent-as-tool: an ``agent``-bound tool runs another template as a child session.

The parent's worker claims the child's run and executes it inline (no free pool slot is
needed, so nested delegation cannot starve the pool), renewing the child's lease while it
runs. A retried delegation finds its child by the call's key instead of starting another;
if the child is running elsewhere (its first worker died), the parent waits for it. Depth
is bounded by ``DELEGATION_MAX_DEPTH``; cancelling the parent cancels the child. A child
that failed or was cancelled makes the call fail: the parent sees a tool error, never an
answer.
"""

from __future__ import annotations

import asyncio
from typing import Any

from django.conf import settings

from agents import services
from agents.engine.loop import execute_run
from agents.models import Session
from agents.tools.base import ToolContext, ToolOutcome
from maruntime.asyncdb import run_sync

SETTLE_POLL_SECONDS = 0.2


class DelegationRefused(Exception):
    pass


class DelegationFailed(Exception):
    """The child session ended without an answer (failed or cancelled)."""


async def delegate(template: str, arguments: dict[str, Any], context: ToolContext) -> ToolOutcome:
    """Run ``template`` on the call's ``task`` as a child session, inline on this worker
    (the runner every pool worker's runtime brings to the tool executor)."""
    runtime = context.runtime
    if runtime is None:
        raise DelegationRefused("agent tools run only inside a pool worker")
    if context.depth + 1 > settings.DELEGATION_MAX_DEPTH:
        raise DelegationRefused(
            f"delegation depth limit ({settings.DELEGATION_MAX_DEPTH}) reached; answer directly"
        )
    task = str(arguments.get("task") or arguments.get("query") or "").strip()
    if not task:
        raise DelegationRefused("give the agent a 'task'")
    child, run = await run_sync(services.child_session_open)(
        parent_id=context.session_id,
        parent_run_id=context.run_id,
        worker=runtime.worker,
        # The call's own key: one child per call, found again when the call is retried.
        delegation_key=context.idempotency_key,
        template=template,
        task=task,
    )
    if run is not None:
        claimed = await run_sync(services.run_claim_one)(
            run_id=run.pk, worker=runtime.worker, lease_seconds=settings.POOL_LEASE_SECONDS
        )
        if claimed:
            keeper = asyncio.create_task(_keep_lease(run.pk, runtime.worker))
            try:
                await execute_run(run_id=run.pk, runtime=runtime)
            except asyncio.CancelledError:
                await run_sync(services.run_interrupted)(
                    run_id=run.pk, worker=runtime.worker, hand_over=runtime.handing_over.is_set()
                )
                raise
            finally:
                keeper.cancel()
    settled = await _settled(child.pk)
    return _outcome(template, settled)


async def _keep_lease(run_id: int, worker: str) -> None:
    while True:
        await asyncio.sleep(settings.POOL_LEASE_SECONDS / 3)
        await run_sync(services.run_renew_leases)(
            worker=worker, run_ids=[run_id], lease_seconds=settings.POOL_LEASE_SECONDS
        )


def _child_state(session_id: Any) -> Session:
    return Session.objects.get(pk=session_id)


async def _settled(session_id: Any) -> Session:
    """Wait until the child has no run in progress (it ran here or on another worker)."""
    while True:
        child = await run_sync(_child_state)(session_id)
        if child.state not in (Session.State.INITED, Session.State.RUNNING):
            return child
        await asyncio.sleep(SETTLE_POLL_SECONDS)


def _outcome(template: str, child: Session) -> ToolOutcome:
    payload = {"child_session_id": str(child.pk), "template": template, "child_state": child.state}
    if child.state == Session.State.COMPLETED:
        content = f"Agent {template} answered:\n{child.result}"
    elif child.state == Session.State.WAITING_FOR_CLARIFICATION:
        content = (
            f"Agent {template} needs clarification before it can answer; ask the user "
            "yourself or answer with what you know."
        )
    elif child.state == Session.State.WAITING_FOR_APPROVAL:
        tool = (child.context.get("pending_call") or {}).get("tool")
        content = (
            f"Agent {template} stopped before calling {tool}, which needs a person's "
            "approval; ask the user or answer with what you know."
        )
    else:
        raise DelegationFailed(
            f"agent {template} {child.state} without an answer (session {child.pk}): "
            f"{child.error or 'no error recorded'}"
        )
    return ToolOutcome(content=content, payload=payload)
