"""Tool executions with idempotency keys: a finished call is never executed again."""

from __future__ import annotations

import json
import uuid
from typing import Any

from agents.models import ToolExecution


def tool_execution_state(*, idempotency_key: str) -> tuple[str | None, dict[str, Any] | None]:
    """What became of the call with this key: its status (None: it never started) and,
    once finished, its stored outcome (never run a finished call twice). ``running``
    without an outcome: it was in flight when its worker died (``engine.takeover``)."""
    row = (
        ToolExecution.objects.filter(idempotency_key=idempotency_key)
        .values_list("status", "result")
        .first()
    )
    if row is None:
        return None, None
    status, result = row
    return status, None if status == ToolExecution.Status.RUNNING else json.loads(result)


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
    *, idempotency_key: str, outcome: dict[str, Any], failed: bool, duration_ms: float | None
) -> None:
    ToolExecution.objects.filter(idempotency_key=idempotency_key).update(
        result=json.dumps(outcome, ensure_ascii=False),
        status=ToolExecution.Status.FAILED if failed else ToolExecution.Status.COMPLETED,
        duration_ms=duration_ms,
    )
