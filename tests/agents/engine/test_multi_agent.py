"""Pipelines, per-step retrieval, delegation, version pinning, structured output modes and
the rules' limits, as a client meets them: in process (Django's async test client, a pool
on the test's event loop, the fake upstream), with catalog rows from the factories."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from agents.models import Session, SessionEvent
from catalog import services
from catalog.builtin import limit_rules
from maruntime.asyncdb import run_sync
from tests.catalog.factories import (
    TemplateVersionFactory,
    ToolVersionFactory,
    per_step_retrieval,
)
from tests.fakes.fake_llm import Reply
from tests.fakes.sgr import clarify_args, final_args, offered_tools, plan_args, sgr_replies, step
from tests.inprocess import answer_of, complete, session_of

pytestmark = pytest.mark.django_db(transaction=True)

ASK_AND_ANSWER = {"tools": ["clarification", "final_answer"], "required": ["final_answer"]}


@pytest.fixture
async def agents(async_client: Any, serving: Any) -> Any:
    """The built-in catalog, a pool serving, and the client to ask them with."""
    serving()
    return async_client


def _pipeline() -> None:
    pipeline = services.pipeline_upsert(name="draft_then_review")
    services.pipeline_version_create(
        pipeline=pipeline, steps=[{"template": "sgr_agent"}, {"template": "tool_calling_agent"}]
    )


def _session(session_id: str) -> Session:
    return Session.objects.select_related("template_version__template").get(pk=session_id)


def _event_types(session_id: Any) -> list[str]:
    return list(SessionEvent.objects.filter(session_id=session_id).values_list("type", flat=True))


async def test_a_pipeline_runs_each_step_with_the_previous_answer_as_task(agents, fake_llm):
    await run_sync(_pipeline)()
    fake_llm.script(
        *sgr_replies(("final_answer", final_args("A first draft."))),
        Reply.tool_call("final_answer", final_args("A reviewed draft.")),
    )
    models = (await agents.get("/v1/models")).json()["data"]
    assert "draft_then_review" in {m["id"] for m in models}

    response = await complete(
        agents, "draft_then_review", "Write about SGR.", user_context={"audience": "students"}
    )

    assert answer_of(response) == "A reviewed draft."
    second_request = fake_llm.requests[1]
    assert "A first draft." in second_request["messages"][-1]["content"]
    # every step is told what the request said about the user
    assert "- audience: students" in second_request["messages"][0]["content"]
    session = await run_sync(_session)(session_of(response))
    assert session.state == "completed" and session.pipeline_step == 1
    assert session.template_version.template.name == "tool_calling_agent"
    types = await run_sync(_event_types)(session.pk)
    assert types.count("pipeline_step") == 1 and types.count("final_answer") == 1


def _picky_agent() -> None:
    tools = {
        "weather_forecast": "Get the weather forecast for a city: temperature, rain and wind.",
        "currency_convert": "Convert an amount of money between currencies at today's rate.",
        "stock_quote": "Look up the latest stock market price of a listed company.",
    }
    for name, description in tools.items():
        ToolVersionFactory.create(name=name, description=description)
    TemplateVersionFactory.create(
        name="picky",
        tool_policy=per_step_retrieval(list(tools), k=1),
    )


def _selection(session_id: str) -> dict[str, Any]:
    return SessionEvent.objects.get(session_id=session_id, type="tool_selection").payload


async def test_retrieval_per_step_offers_only_the_selected_tools(agents, fake_llm):
    await run_sync(_picky_agent)()
    fake_llm.script(*sgr_replies(("final_answer", final_args("Rain tomorrow."))))

    response = await complete(agents, "picky", "Will it rain in Berlin tomorrow?")

    assert answer_of(response) == "Rain tomorrow."
    request = fake_llm.requests[0]
    assert sorted(offered_tools(request)) == ["final_answer", "weather_forecast"]
    assert "currency_convert" not in request["messages"][0]["content"]
    selection = await run_sync(_selection)(session_of(response))
    assert selection["offered"] == ["final_answer", "weather_forecast"]
    assert selection["reasons"]["weather_forecast"].startswith("retrieved:")
    assert "not among the best matches" in selection["excluded"]["stock_quote"]


def _router_upstream(child: Reply) -> Any:
    """The router delegates to the first agent it is offered; the child answers ``child``."""

    def respond(request: dict[str, Any]) -> Reply:
        if request["messages"][0]["content"].startswith("You route requests"):
            delegates = [name for name in offered_tools(request) if name.startswith("agent.")]
            if delegates:
                return Reply.structured(step(delegates[0], task="Explain SGR briefly."))
            return Reply.structured(
                step("final_answer", **final_args("Relayed: SGR is structured."))
            )
        return child

    return respond


def _delegation(session_id: str) -> tuple[Session, Session, SessionEvent, SessionEvent]:
    parent = Session.objects.get(pk=session_id)
    child = Session.objects.select_related("template_version__template").get(parent=parent)
    result = parent.events.get(type="tool_result", payload__tool__startswith="agent.")
    return parent, child, result, parent.events.get(type="child_session")


async def test_the_router_delegates_to_an_agent_and_relays_its_answer(agents, fake_llm):
    fake_llm.responder = _router_upstream(
        Reply.structured(step("final_answer", **final_args("SGR is structured.")))
    )

    response = await complete(
        agents, "router", "Research what schema-guided reasoning is", user_context={"name": "Ann"}
    )

    assert answer_of(response) == "Relayed: SGR is structured."
    _, child, result, announced = await run_sync(_delegation)(session_of(response))
    assert child.state == "completed" and child.result == "SGR is structured." and child.depth == 1
    assert child.template_version.template.name.endswith("agent")
    assert result.payload["child_session_id"] == str(child.pk)
    assert announced.payload["child_session_id"] == str(child.pk)
    assert announced.seq < result.seq
    assert "Explain SGR briefly." in fake_llm.requests[1]["messages"][-1]["content"]
    # the delegated agent serves the same user, and is told so
    assert "- name: Ann" in fake_llm.requests[1]["messages"][0]["content"]


def _states(session_id: str) -> tuple[str, str]:
    parent = Session.objects.get(pk=session_id)
    return parent.state, Session.objects.get(parent=parent).state


async def test_cancelling_the_parent_cancels_the_child(agents, fake_llm):
    fake_llm.responder = _router_upstream(Reply.hang())
    asking = asyncio.create_task(
        complete(agents, "router", "Research what schema-guided reasoning is, slowly")
    )
    await asyncio.to_thread(fake_llm.wait_for_requests, 2)  # the child's call hangs
    parent_id = await run_sync(
        lambda: str(Session.objects.get(template_version__template__name="router").pk)
    )()

    assert (await agents.post(f"/v1/sessions/{parent_id}/cancel")).status_code == 200
    assert (await asyncio.wait_for(asking, 30)).status_code == 409
    assert await run_sync(_states)(parent_id) == ("cancelled", "cancelled")


def _pinned_template() -> int:
    first = TemplateVersionFactory.create(
        name="pinned", system_prompt="Version one. {available_tools}", tool_policy=ASK_AND_ANSWER
    )
    return int(first.pk)


def _second_version() -> None:
    TemplateVersionFactory.create(
        name="pinned",
        system_prompt="Version two. {available_tools}",
        tool_policy={"tools": ["final_answer"], "required": ["final_answer"]},
    )


def _system_prompt(request: dict[str, Any]) -> str:
    return str(request["messages"][0]["content"])


async def test_a_session_keeps_its_version_after_another_is_activated(agents, fake_llm):
    first_id = await run_sync(_pinned_template)()
    fake_llm.script(*sgr_replies(("clarification", clarify_args("Which?"))))
    session_id = session_of(await complete(agents, "pinned", "Help me"))

    await run_sync(_second_version)()
    fake_llm.script(*sgr_replies(("final_answer", final_args("Done."))))
    assert answer_of(await complete(agents, session_id, "This one")) == "Done."
    assert _system_prompt(fake_llm.requests[-1]).startswith("Version one.")
    session = await run_sync(Session.objects.get)(pk=session_id)
    assert session.template_version_id == first_id

    fake_llm.script(*sgr_replies(("final_answer", final_args("New."))))
    assert answer_of(await complete(agents, "pinned", "Hello again")) == "New."
    assert _system_prompt(fake_llm.requests[-1]).startswith("Version two.")
    fake_llm.script(*sgr_replies(("final_answer", final_args("Old."))))
    assert answer_of(await complete(agents, "pinned@1", "Hello v1")) == "Old."
    assert _system_prompt(fake_llm.requests[-1]).startswith("Version one.")


@pytest.mark.parametrize("mode", ["json_object", "function_call"])
async def test_structured_output_modes_for_servers_without_json_schema(agents, fake_llm, mode):
    await run_sync(
        lambda: TemplateVersionFactory.create(
            name=f"mode_{mode}",
            system_prompt="Answer. {available_tools}",
            tool_policy=ASK_AND_ANSWER,
            llm_policy={"structured_output": mode},
        )
    )()
    fake_llm.script(*sgr_replies(("final_answer", final_args("Works."))))

    assert answer_of(await complete(agents, f"mode_{mode}", "Hi")) == "Works."

    request = fake_llm.requests[0]
    if mode == "json_object":
        assert request["response_format"]["type"] == "json_object"
        assert request["response_format"]["schema"]["properties"]["function"]
        assert "JSON Schema" in request["messages"][0]["content"]
    else:
        assert "response_format" not in request
        assert request["tool_choice"] == {"type": "function", "function": {"name": "sgr_step"}}
        assert request["tools"][0]["function"]["parameters"]["properties"]["function"]


def _recursive_agent() -> None:
    """A template that delegates to itself (it exists before the tool that names it)."""
    TemplateVersionFactory.create(name="recursive", tool_policy=ASK_AND_ANSWER)
    ToolVersionFactory.create(
        name="agent.recursive",
        type="meta",
        description="Delegate to the recursive agent.",
        input_schema={"type": "object", "properties": {"task": {"type": "string"}}},
        binding_kind="agent",
        binding={"template": "recursive"},
    )
    TemplateVersionFactory.create(
        name="recursive",
        system_prompt="Delegate. {available_tools}",
        tool_policy={"tools": ["agent.recursive", "final_answer"], "required": ["final_answer"]},
    )


def _depth_refusal() -> tuple[list[int], dict[str, Any]]:
    depths = sorted(Session.objects.values_list("depth", flat=True))
    deepest = Session.objects.get(depth=max(depths))
    refusal = deepest.events.get(type="tool_result", payload__tool="agent.recursive")
    return depths, refusal.payload


async def test_delegation_stops_at_the_depth_limit(agents, fake_llm):
    await run_sync(_recursive_agent)()

    def respond(request: dict[str, Any]) -> Reply:
        last = request["messages"][-1]
        if last["role"] == "tool":
            return Reply.structured(step("final_answer", **final_args(last["content"][:200])))
        return Reply.structured(step("agent.recursive", task="go deeper"))

    fake_llm.responder = respond
    answer = answer_of(await complete(agents, "recursive", "Start"))

    depths, refusal = await run_sync(_depth_refusal)()
    assert depths == [0, 1, 2]  # DELEGATION_MAX_DEPTH = 2
    assert "depth limit" in refusal["content"]
    assert "answered" in answer


async def test_a_template_without_usable_tools_fails_clearly(agents, fake_llm):
    await run_sync(
        lambda: TemplateVersionFactory.create(
            name="toolless",
            system_prompt="Nothing to use. {available_tools}",
            tool_policy={"tools": ["web_search"]},  # unbound here: never offered
        )
    )()
    response = await complete(agents, "toolless", "Hi")
    assert response.status_code == 500  # a configuration error, not the upstream's
    assert "No tool is available" in response.json()["error"]["message"]
    assert fake_llm.requests == []


def _limited_agent() -> None:
    limits = {"max_iterations": 2, "max_clarifications": 1, "max_searches": 0}
    TemplateVersionFactory.create(
        name="limited",
        execution_policy=limits,
        rules=limit_rules(**limits),
        tool_policy={
            "tools": ["clarification", "generate_plan", "create_report", "final_answer"],
            "required": ["final_answer"],
        },
    )


def _selections(session_id: str) -> dict[int, dict[str, Any]]:
    events = SessionEvent.objects.filter(session_id=session_id, type="tool_selection")
    return {event.step: event.payload for event in events}


async def test_exhausted_limits_take_tools_away_through_the_rules(agents, fake_llm):
    await run_sync(_limited_agent)()
    fake_llm.script(*sgr_replies(("clarification", clarify_args("Which one?"))))
    session_id = session_of(await complete(agents, "limited", "Do it"))
    assert "clarification" in offered_tools(fake_llm.requests[0])

    fake_llm.script(
        *sgr_replies(("generate_plan", plan_args()), ("final_answer", final_args("Ok.")))
    )
    assert answer_of(await complete(agents, session_id, "That one")) == "Ok."

    after_clarifying, at_the_iteration_limit = fake_llm.requests[1], fake_llm.requests[2]
    assert "clarification" not in offered_tools(after_clarifying)
    assert sorted(offered_tools(at_the_iteration_limit)) == ["create_report", "final_answer"]
    selections = await run_sync(_selections)(session_id)
    assert selections[2]["excluded"]["clarification"] == "rule: clarifications exhausted"
    assert selections[3]["stage"] == "finishing"
