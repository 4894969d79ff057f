"""Tool executions with idempotency keys: a finished call is never executed again."""

from __future__ import annotations

import json
import uuid
from typing import Any

from agents.models import ToolExecution


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
