"""A tool version's security policy as a client meets it, in process (Django's async test
client, a pool on the test's event loop, the fake upstream): a call that waits for a
person's approval, a declined call, and a limit on calls per session."""

from __future__ import annotations

from typing import Any

import pytest
from prometheus_client import REGISTRY

from agents.models import Session, SessionEvent, ToolExecution
from maruntime.asyncdb import run_sync
from tests.catalog.factories import next_tool_version
from tests.fakes.sgr import final_args, offered_tools, plan_args, sgr_replies
from tests.inprocess import answer_of, chat, chat_body, complete, read_events, session_of
from tests.runtime import settled

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
async def agents(async_client: Any, serving: Any) -> Any:
    """The built-in catalog, a pool serving, and the client to ask them with."""
    serving()
    return async_client


def _planned(session_id: str) -> int:
    return ToolExecution.objects.filter(session_id=session_id, tool_name="generate_plan").count()


def _approvals(answer: str) -> float:
    labels = {"tool": "generate_plan", "answer": answer}
    return REGISTRY.get_sample_value("maruntime_tool_approvals_total", labels) or 0.0


def _payload(session_id: str, event_type: str) -> dict[str, Any]:
    return SessionEvent.objects.get(session_id=session_id, type=event_type).payload


async def test_a_call_that_needs_approval_waits_for_it_and_then_runs(agents, fake_llm):
    await run_sync(next_tool_version)("generate_plan", requires_approval=True)
    fake_llm.script(
        *sgr_replies(("generate_plan", plan_args()), ("final_answer", final_args("Done.")))
    )
    counted = {answer: _approvals(answer) for answer in ("requested", "approved")}

    stream = await chat(agents, chat_body("sgr_agent", "Plan a trip to Rome"))

    assert stream.content.startswith("Approval needed: the agent wants to call generate_plan(")
    finishes = [c["choices"][0]["finish_reason"] for c in stream.chunks if c.get("choices")]
    assert finishes[-1] == "stop" and stream.done
    assert (await settled(stream.session_id)).state == "waiting_for_approval"
    detail = (await agents.get(f"/v1/sessions/{stream.session_id}")).json()
    assert detail["pending_approval"]["tool"] == "generate_plan"
    assert set(detail["pending_approval"]["arguments"]) == set(plan_args())
    assert await run_sync(_planned)(stream.session_id) == 0 and len(fake_llm.requests) == 1
    plain = await complete(agents, stream.session_id, "hello?")
    assert plain.status_code == 409 and plain.json()["error"]["code"] == "approval_pending"

    answered = await complete(agents, stream.session_id, "go ahead", approve=True)

    assert answer_of(answered) == "Done."
    assert await run_sync(_planned)(stream.session_id) == 1
    approval = await run_sync(_payload)(stream.session_id, "approval")
    assert approval["approved"] is True and approval["reason"] == "go ahead"
    assert {answer: _approvals(answer) - counted[answer] for answer in counted} == {
        "requested": 1,
        "approved": 1,
    }


async def test_a_declined_call_never_runs_and_the_model_reads_why(agents, fake_llm):
    await run_sync(next_tool_version)("generate_plan", requires_approval=True)
    fake_llm.script(
        *sgr_replies(("generate_plan", plan_args()), ("final_answer", final_args("Fine.")))
    )
    session_id = session_of(await complete(agents, "sgr_agent", "Plan a trip"))

    declined = await agents.post(
        f"/v1/sessions/{session_id}/approval",
        {"approve": False, "reason": "no plans, just answer"},
        content_type="application/json",
    )

    assert declined.status_code == 200, declined.content
    events = await read_events(agents, session_id)
    assert events[-1]["type"] == "state" and events[-1]["payload"]["state"] == "completed"
    assert any(e["type"] == "final_answer" for e in events)
    assert (await run_sync(Session.objects.get)(pk=session_id)).state == "completed"
    assert await run_sync(_planned)(session_id) == 0
    tool_message = fake_llm.requests[1]["messages"][-1]
    assert tool_message["role"] == "tool"
    assert "did not approve" in tool_message["content"]
    assert "no plans, just answer" in tool_message["content"]
    again = await agents.post(
        f"/v1/sessions/{session_id}/approval", {"approve": True}, content_type="application/json"
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "approval_not_pending"


@pytest.mark.parametrize(
    ("body", "param"),
    [({}, "approve"), ({"approve": "yes"}, "approve"), ({"approve": True, "reason": 1}, "reason")],
)
async def test_a_malformed_approval_is_400(async_client, body, param):
    response = await async_client.post(
        "/v1/sessions/00000000-0000-0000-0000-000000000000/approval",
        body,
        content_type="application/json",
    )
    assert response.status_code == 400 and response.json()["error"]["param"] == param


def _last_selection(session_id: str) -> dict[str, Any]:
    events = SessionEvent.objects.filter(session_id=session_id, type="tool_selection")
    return events.latest("seq").payload


async def test_a_tool_is_no_longer_offered_once_its_calls_are_used_up(agents, fake_llm):
    await run_sync(next_tool_version)("generate_plan", limits={"max_calls_per_session": 1})
    fake_llm.script(
        *sgr_replies(("generate_plan", plan_args()), ("final_answer", final_args("Planned.")))
    )

    session_id = session_of(await complete(agents, "sgr_agent", "Plan a trip"))

    offered = offered_tools(fake_llm.requests[1])
    assert "generate_plan" not in offered and "final_answer" in offered
    selection = await run_sync(_last_selection)(session_id)
    assert selection["excluded"]["generate_plan"] == "limit: 1 calls per session used"
