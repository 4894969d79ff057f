"""What a run that took over from a dead worker does with a call that was in flight.

Such a call is recorded as running (``ToolExecution``) but has no outcome: it may or may
not have taken effect. It is never run again silently. A tool that is safe to repeat
(``idempotent``, or an agent binding, whose child session is found again by the call's
key) runs again; for any other, the tool version's ``on_takeover`` decides: ``retry`` runs
it again with the same idempotency key (for endpoints that honour keys), ``ask`` puts it to
a person as an approval, ``report`` tells the model its outcome is unknown. Whatever the
decision, a ``tool_takeover`` event records it.
"""

from __future__ import annotations

from typing import Any, Literal, cast

from agents.engine.definition import ToolSpec
from agents.models import SessionEvent
from agents.services import NewEvent

Decision = Literal["repeat", "retry", "ask", "report", "approved"]

UNKNOWN_OUTCOME = (
    "The outcome of this call is unknown: it was in flight when the worker running it "
    "stopped, so it may or may not have taken effect. Check before calling it again."
)
MAY_HAVE_RUN = (
    "This call may already have run: the worker running it stopped while it was in "
    "flight. Approve to run it again (with the same idempotency key), or decline."
)
_EXPLANATIONS: dict[Decision, str] = {
    "repeat": "safe to repeat: running it again",
    "retry": "running it again with the same idempotency key",
    "ask": "asking a person whether to run it again",
    "report": "not running it again: the model is told its outcome is unknown",
    "approved": "a person approved running it again",
}


def takeover_decision(spec: ToolSpec | None, call: dict[str, Any]) -> Decision:
    """What to do with ``call``, found in flight by a run that took over."""
    if spec is None or spec.idempotent or spec.binding_kind == "agent":
        return "repeat"  # a tool no longer offered fails without running, as on any call
    approval = call.get("approval") or {}
    if call.get("may_have_run") and approval.get("approved"):
        return "approved"
    # The version's policy: "retry", "ask" or "report" (``ToolVersion.Takeover``).
    return cast(Decision, spec.on_takeover)


def takeover_event(call: dict[str, Any], key: str, decision: Decision) -> NewEvent:
    return NewEvent(
        SessionEvent.Type.TOOL_TAKEOVER,
        {
            "tool": call["tool"],
            "call_id": call["call_id"],
            "idempotency_key": key,
            "decision": decision,
            "message": f"The call may already have run; {_EXPLANATIONS[decision]}.",
        },
        int(call["step"]),
    )
