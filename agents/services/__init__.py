"""Every write to sessions, runs, events, tool executions and upstream capabilities (see each
module's invariants).

Callers import from here: ``from agents import services`` / ``services.step_record(...)``.
"""

from agents.services.budgets import (
    TokenReservation,
    token_admit,
    token_estimate,
    token_hold,
    token_reserve,
    token_settle,
)
from agents.services.context import declined_call_content, new_context
from agents.services.events import NewEvent
from agents.services.forks import session_fork
from agents.services.runs import (
    LeaseLost,
    RunCancelled,
    StepRecord,
    queued_run_count,
    run_claim,
    run_claim_one,
    run_fail,
    run_finish_cancelled,
    run_interrupted,
    run_next_takeover_seconds,
    run_release,
    run_renew_leases,
    runs_cancel_requested,
    step_record,
)
from agents.services.sessions import (
    Turn,
    artifact_create,
    chat_turn,
    child_session_open,
    session_approve,
    session_cancel,
    session_message,
    session_start,
    session_tool_result,
)
from agents.services.tools import (
    tool_execution_begin,
    tool_execution_finish,
    tool_execution_state,
)
from agents.services.upstreams import (
    upstream_capability_forget,
    upstream_capability_learn,
    upstream_capability_set,
)

__all__ = [
    "LeaseLost",
    "NewEvent",
    "RunCancelled",
    "StepRecord",
    "TokenReservation",
    "Turn",
    "artifact_create",
    "chat_turn",
    "child_session_open",
    "declined_call_content",
    "new_context",
    "queued_run_count",
    "run_claim",
    "run_claim_one",
    "run_fail",
    "run_finish_cancelled",
    "run_interrupted",
    "run_next_takeover_seconds",
    "run_release",
    "run_renew_leases",
    "runs_cancel_requested",
    "session_approve",
    "session_cancel",
    "session_fork",
    "session_message",
    "session_start",
    "session_tool_result",
    "step_record",
    "token_admit",
    "token_estimate",
    "token_hold",
    "token_reserve",
    "token_settle",
    "tool_execution_begin",
    "tool_execution_finish",
    "tool_execution_state",
    "upstream_capability_forget",
    "upstream_capability_learn",
    "upstream_capability_set",
]
