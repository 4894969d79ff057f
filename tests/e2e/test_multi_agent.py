"""Pipelines, per-step retrieval and delegation, end to end through the gateway."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import openai
import pytest

from agents.models import Session, SessionEvent
from catalog import services
from catalog.builtin import limit_rules
from tests.e2e.conftest import client_for
from tests.fakes.fake_llm import Reply
from tests.fakes.sgr import clarify_args, final_args, plan_args, sgr_replies, step

pytestmark = pytest.mark.usefixtures("seeded")


@pytest.fixture(scope="module")
def server(stack) -> str:
    return stack.gateway()


def _ask(server: str, model: str, content: str, **extra_body: Any):
    return client_for(server).chat.completions.create(
        model=model, messages=[{"role": "user", "content": content}], extra_body=extra_body
    )


def _offered(request: dict[str, Any]) -> list[str]:
    schema = request["response_format"]["json_schema"]["schema"]
    return [
        v["properties"]["tool_name_discriminator"]["enum"][0]
        for v in schema["properties"]["function"]["anyOf"]
    ]


def test_pipeline_runs_each_step_with_the_previous_answer_as_task(server, fake_llm):
    pipeline = services.pipeline_upsert(name="draft_then_review")
    services.pipeline_version_create(
        pipeline=pipeline, steps=[{"template": "sgr_agent"}, {"template": "tool_calling_agent"}]
    )
    fake_llm.script(
        *sgr_replies(("final_answer", final_args("A first draft."))),
        Reply.tool_call("final_answer", final_args("A reviewed draft.")),
    )
    assert "draft_then_review" in {m.id for m in client_for(server).models.list()}

    completion = _ask(
        server, "draft_then_review", "Write about SGR.", user_context={"audience": "students"}
    )

    assert completion.choices[0].message.content == "A reviewed draft."
    second_request = fake_llm.requests[1]
    assert "A first draft." in second_request["messages"][-1]["content"]
    # every step is told what the request said about the user
    assert "- audience: students" in second_request["messages"][0]["content"]
    session = Session.objects.get(pk=completion.model_extra["session_id"])
    assert session.state == "completed" and session.pipeline_step == 1
    assert session.template_version.template.name == "tool_calling_agent"
    types = list(session.events.values_list("type", flat=True))
    assert types.count("pipeline_step") == 1 and types.count("final_answer") == 1


def test_retrieval_per_step_sends_only_the_selected_tools(server, fake_llm):
    tools = {
        "weather_forecast": "Get the weather forecast for a city: temperature, rain and wind.",
        "currency_convert": "Convert an amount of money between currencies at today's rate.",
        "stock_quote": "Look up the latest stock market price of a listed company.",
    }
    for name, description in tools.items():
        tool = services.tool_upsert(name=name)
        services.tool_version_create(
            tool=tool,
            description=description,
            input_schema={"type": "object", "properties": {"q": {"type": "string"}}},
            binding_kind="http",
            binding={"url": "https://tools.example.com/" + name},
        )
    template = services.template_upsert(name="picky")
    services.template_version_create(
        template=template,
        flavour="sgr",
        system_prompt="Be useful. Tools:\n{available_tools}",
        tool_policy={
            "tools": [*tools, "final_answer"],
            "required": ["final_answer"],
            "selection": "retrieval_per_step",
            "retrieval_k": 1,
        },
    )
    fake_llm.script(*sgr_replies(("final_answer", final_args("Rain tomorrow."))))

    _ask(server, "picky", "Will it rain in Berlin tomorrow?")

    request = fake_llm.requests[0]
    assert sorted(_offered(request)) == ["final_answer", "weather_forecast"]
    assert "currency_convert" not in request["messages"][0]["content"]
    selection = SessionEvent.objects.get(type="tool_selection")
    assert selection.payload["offered"] == ["final_answer", "weather_forecast"]
    assert selection.payload["reasons"]["weather_forecast"].startswith("retrieved:")
    assert "not among the best matches" in selection.payload["excluded"]["stock_quote"]


def test_router_delegates_to_an_agent_and_relays_its_answer(server, fake_llm):
    def responder(request: dict[str, Any]) -> Reply:
        system = request["messages"][0]["content"]
        offered = _offered(request)
        if system.startswith("You route requests"):
            agents = [name for name in offered if name.startswith("agent.")]
            if agents:
                return Reply.structured(step(agents[0], task="Explain SGR briefly."))
            return Reply.structured(
                step("final_answer", **final_args("Relayed: SGR is structured."))
            )
        return Reply.structured(step("final_answer", **final_args("SGR is structured.")))

    fake_llm.responder = responder

    completion = _ask(
        server, "router", "Research what schema-guided reasoning is", user_context={"name": "Ann"}
    )

    assert completion.choices[0].message.content == "Relayed: SGR is structured."
    parent = Session.objects.get(pk=completion.model_extra["session_id"])
    child = Session.objects.get(parent=parent)
    assert child.state == "completed" and child.result == "SGR is structured." and child.depth == 1
    assert child.template_version.template.name.endswith("agent")
    result = parent.events.get(type="tool_result", payload__tool__startswith="agent.")
    assert result.payload["child_session_id"] == str(child.pk)
    announced = parent.events.get(type="child_session")
    assert announced.payload["child_session_id"] == str(child.pk)
    assert announced.seq < result.seq
    assert "Explain SGR briefly." in fake_llm.requests[1]["messages"][-1]["content"]
    # the delegated agent serves the same user, and is told so
    assert "- name: Ann" in fake_llm.requests[1]["messages"][0]["content"]


def test_cancelling_the_parent_cancels_the_child(server, fake_llm):
    def responder(request: dict[str, Any]) -> Reply:
        if request["messages"][0]["content"].startswith("You route requests"):
            agents = [n for n in _offered(request) if n.startswith("agent.")]
            return Reply.structured(step(agents[0], task="Take your time."))
        return Reply.hang()

    fake_llm.responder = responder
    with ThreadPoolExecutor(1) as pool:
        answer = pool.submit(
            httpx.post,
            f"{server}/v1/chat/completions",
            json={
                "model": "router",
                "messages": [
                    {"role": "user", "content": "Research what schema-guided reasoning is, slowly"}
                ],
            },
            timeout=30,
        )
        fake_llm.wait_for_requests(2, timeout=10)
        parent = Session.objects.get(template_version__template__name="router")
        assert httpx.post(f"{server}/v1/sessions/{parent.pk}/cancel").status_code == 200
        assert answer.result().status_code == 409
    child = Session.objects.get(parent=parent)
    assert child.state == "cancelled"
    parent.refresh_from_db()
    assert parent.state == "cancelled"


def _template(name: str, prompt: str, **policies: Any):
    template = services.template_upsert(name=name)
    version, _ = services.template_version_create(
        template=template,
        flavour=policies.pop("flavour", "sgr"),
        system_prompt=prompt,
        tool_policy={"tools": ["clarification", "final_answer"], "required": ["final_answer"]},
        **policies,
    )
    return template, version


def test_a_session_keeps_its_version_after_another_is_activated(server, fake_llm):
    template, first = _template("pinned", "Version one. {available_tools}")
    fake_llm.script(*sgr_replies(("clarification", clarify_args("Which?"))))
    session_id = _ask(server, "pinned", "Help me").model_extra["session_id"]

    services.template_version_create(
        template=template,
        flavour="sgr",
        system_prompt="Version two. {available_tools}",
        tool_policy={"tools": ["final_answer"], "required": ["final_answer"]},
    )
    fake_llm.script(*sgr_replies(("final_answer", final_args("Done."))))
    _ask(server, session_id, "This one")

    assert fake_llm.requests[-1]["messages"][0]["content"].startswith("Version one.")
    assert Session.objects.get(pk=session_id).template_version == first
    fake_llm.script(*sgr_replies(("final_answer", final_args("New."))))
    _ask(server, "pinned", "Hello again")
    assert fake_llm.requests[-1]["messages"][0]["content"].startswith("Version two.")
    fake_llm.script(*sgr_replies(("final_answer", final_args("Old."))))
    assert _ask(server, "pinned@1", "Hello v1").choices[0].message.content == "Old."
    assert fake_llm.requests[-1]["messages"][0]["content"].startswith("Version one.")


@pytest.mark.parametrize("mode", ["json_object", "function_call"])
def test_structured_output_modes_for_servers_without_json_schema(server, fake_llm, mode):
    _template(
        f"mode_{mode}",
        "Answer. {available_tools}",
        llm_policy={"structured_output": mode},
    )
    fake_llm.script(*sgr_replies(("final_answer", final_args("Works."))))

    assert _ask(server, f"mode_{mode}", "Hi").choices[0].message.content == "Works."

    request = fake_llm.requests[0]
    if mode == "json_object":
        assert request["response_format"]["type"] == "json_object"
        assert request["response_format"]["schema"]["properties"]["function"]
        assert "JSON Schema" in request["messages"][0]["content"]
    else:
        assert "response_format" not in request
        assert request["tool_choice"] == {"type": "function", "function": {"name": "sgr_step"}}
        assert request["tools"][0]["function"]["parameters"]["properties"]["function"]


def test_delegation_stops_at_the_depth_limit(server, fake_llm):
    """A template that delegates to itself: the child at the depth limit is refused."""
    template, _ = _template("recursive", "Delegate. {available_tools}")
    tool = services.tool_upsert(name="agent.recursive", type="meta")
    services.tool_version_create(
        tool=tool,
        description="Delegate to the recursive agent.",
        input_schema={"type": "object", "properties": {"task": {"type": "string"}}},
        binding_kind="agent",
        binding={"template": "recursive"},
    )
    services.template_version_create(
        template=template,
        flavour="sgr",
        system_prompt="Delegate. {available_tools}",
        tool_policy={"tools": ["agent.recursive", "final_answer"], "required": ["final_answer"]},
    )

    def responder(request: dict[str, Any]) -> Reply:
        last = request["messages"][-1]
        if last["role"] == "tool":
            return Reply.structured(step("final_answer", **final_args(last["content"][:200])))
        return Reply.structured(step("agent.recursive", task="go deeper"))

    fake_llm.responder = responder
    answer = _ask(server, "recursive", "Start").choices[0].message.content

    depths = sorted(Session.objects.values_list("depth", flat=True))
    assert depths == [0, 1, 2]  # DELEGATION_MAX_DEPTH = 2
    deepest = Session.objects.get(depth=2)
    refusal = deepest.events.get(type="tool_result", payload__tool="agent.recursive")
    assert "depth limit" in refusal.payload["content"]
    assert "answered" in answer


def test_a_template_without_usable_tools_fails_clearly(server, fake_llm):
    template = services.template_upsert(name="toolless")
    services.template_version_create(
        template=template,
        flavour="sgr",
        system_prompt="Nothing to use. {available_tools}",
        tool_policy={"tools": ["web_search"]},  # unbound here: never offered
    )
    with pytest.raises(openai.APIStatusError) as error:
        _ask(server, "toolless", "Hi")
    assert error.value.status_code == 500  # a configuration error, not the upstream's
    assert "No tool is available" in str(error.value)
    assert fake_llm.requests == []


def test_exhausted_limits_take_tools_away_through_the_rules(server, fake_llm):
    limits = {"max_iterations": 2, "max_clarifications": 1, "max_searches": 0}
    template = services.template_upsert(name="limited")
    services.template_version_create(
        template=template,
        flavour="sgr",
        system_prompt="Work. {available_tools}",
        execution_policy=limits,
        rules=limit_rules(**limits),
        tool_policy={
            "tools": ["clarification", "generate_plan", "create_report", "final_answer"],
            "required": ["final_answer"],
        },
    )
    fake_llm.script(*sgr_replies(("clarification", clarify_args("Which one?"))))
    session_id = _ask(server, "limited", "Do it").model_extra["session_id"]
    assert "clarification" in _offered(fake_llm.requests[0])

    fake_llm.script(
        *sgr_replies(("generate_plan", plan_args()), ("final_answer", final_args("Ok.")))
    )
    _ask(server, session_id, "That one")

    after_clarifying, at_the_iteration_limit = fake_llm.requests[1], fake_llm.requests[2]
    assert "clarification" not in _offered(after_clarifying)
    assert sorted(_offered(at_the_iteration_limit)) == ["create_report", "final_answer"]
    selections = Session.objects.get(pk=session_id).events.filter(type="tool_selection")
    second, third = selections.get(step=2), selections.get(step=3)
    assert second.payload["excluded"]["clarification"] == "rule: clarifications exhausted"
    assert third.payload["stage"] == "finishing"
