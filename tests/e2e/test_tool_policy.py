"""A tool version's security policy, end to end: calls that wait for a person's approval,
and limits on calls per session."""

from __future__ import annotations

from typing import Any

import httpx
import openai
import pytest

from agents.models import Session, ToolExecution
from catalog import services
from catalog.models import ToolVersion
from tests.e2e.conftest import client_for
from tests.fakes.sgr import final_args, plan_args, sgr_replies

pytestmark = pytest.mark.usefixtures("seeded")


@pytest.fixture(scope="module")
def server(stack) -> str:
    return stack.gateway()


def _new_version(tool_name: str, **policy: Any) -> None:
    """Activate a version of a built-in tool that differs only in its security policy."""
    current = ToolVersion.objects.select_related("tool").get(tool__name=tool_name, is_active=True)
    services.tool_version_create(
        tool=current.tool,
        description=current.description,
        long_description=current.long_description,
        input_schema=current.input_schema,
        binding_kind=current.binding_kind,
        binding=current.binding,
        risk_level=current.risk_level,
        **policy,
    )


def _ask(server: str, model: str, content: str, **extra: Any):
    return client_for(server).chat.completions.create(
        model=model, messages=[{"role": "user", "content": content}], extra_body=extra or None
    )


def _planned(session_id: str) -> int:
    return ToolExecution.objects.filter(session_id=session_id, tool_name="generate_plan").count()


def test_a_call_that_needs_approval_waits_for_it_and_then_runs(server, fake_llm):
    _new_version("generate_plan", requires_approval=True)
    fake_llm.script(
        *sgr_replies(("generate_plan", plan_args()), ("final_answer", final_args("Done.")))
    )

    chunks = list(
        client_for(server).chat.completions.create(
            model="sgr_agent",
            stream=True,
            messages=[{"role": "user", "content": "Plan a trip to Rome"}],
        )
    )

    session_id = (chunks[0].model_extra or {})["session_id"]
    content = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert content.startswith("Approval needed: the agent wants to call generate_plan(")
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert Session.objects.get(pk=session_id).state == "waiting_for_approval"
    detail = httpx.get(f"{server}/v1/sessions/{session_id}").json()
    assert detail["pending_approval"]["tool"] == "generate_plan"
    assert set(detail["pending_approval"]["arguments"]) == set(plan_args())
    assert _planned(session_id) == 0 and len(fake_llm.requests) == 1
    with pytest.raises(openai.ConflictError) as plain:
        _ask(server, session_id, "hello?")
    assert plain.value.code == "approval_pending"

    answered = _ask(server, session_id, "go ahead", approve=True)

    assert answered.choices[0].message.content == "Done."
    assert _planned(session_id) == 1
    approval = Session.objects.get(pk=session_id).events.get(type="approval").payload
    assert approval["approved"] is True and approval["reason"] == "go ahead"
    metrics = httpx.get(f"{server}/metrics").text
    for answer in ("requested", "approved"):
        assert (
            f'maruntime_tool_approvals_total{{answer="{answer}",tool="generate_plan"}}' in metrics
        )


def test_a_declined_call_never_runs_and_the_model_reads_why(server, fake_llm):
    _new_version("generate_plan", requires_approval=True)
    fake_llm.script(
        *sgr_replies(("generate_plan", plan_args()), ("final_answer", final_args("Fine.")))
    )
    session_id = _ask(server, "sgr_agent", "Plan a trip").model_extra["session_id"]

    declined = httpx.post(
        f"{server}/v1/sessions/{session_id}/approval",
        json={"approve": False, "reason": "no plans, just answer"},
    )

    assert declined.status_code == 200, declined.text
    events = httpx.get(f"{server}/v1/sessions/{session_id}/events", timeout=30).text
    assert "final_answer" in events
    assert Session.objects.get(pk=session_id).state == "completed"
    assert _planned(session_id) == 0
    tool_message = fake_llm.requests[1]["messages"][-1]
    assert tool_message["role"] == "tool"
    assert "did not approve" in tool_message["content"]
    assert "no plans, just answer" in tool_message["content"]
    again = httpx.post(f"{server}/v1/sessions/{session_id}/approval", json={"approve": True})
    assert again.status_code == 409 and again.json()["error"]["code"] == "approval_not_pending"


@pytest.mark.parametrize(
    ("body", "param"),
    [({}, "approve"), ({"approve": "yes"}, "approve"), ({"approve": True, "reason": 1}, "reason")],
)
def test_a_malformed_approval_is_400(server, body, param):
    response = httpx.post(
        f"{server}/v1/sessions/00000000-0000-0000-0000-000000000000/approval", json=body
    )
    assert response.status_code == 400 and response.json()["error"]["param"] == param


def test_a_tool_is_no_longer_offered_once_its_calls_are_used_up(server, fake_llm):
    _new_version("generate_plan", limits={"max_calls_per_session": 1})
    fake_llm.script(
        *sgr_replies(("generate_plan", plan_args()), ("final_answer", final_args("Planned.")))
    )

    session_id = _ask(server, "sgr_agent", "Plan a trip").model_extra["session_id"]

    schema = fake_llm.requests[1]["response_format"]["json_schema"]["schema"]
    offered = {
        v["properties"]["tool_name_discriminator"]["enum"][0]
        for v in schema["properties"]["function"]["anyOf"]
    }
    assert "generate_plan" not in offered and "final_answer" in offered
    events = Session.objects.get(pk=session_id).events
    selection = events.filter(type="tool_selection").latest("seq")
    assert selection.payload["excluded"]["generate_plan"] == "limit: 1 calls per session used"
