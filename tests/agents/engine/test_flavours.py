"""Each flavour run in process against the fake upstream behaving as real servers do
(``Quirks``): negotiation of structured output and tool choice, what it records, re-asks
and their events and tokens, and the failures a user sees."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest

from agents import services
from agents.engine.delegation import delegate
from agents.engine.flavours import REPLY_EXCERPT_CHARS
from agents.engine.loop import DefinitionCache, execute_run
from agents.models import Session, UpstreamCapability
from agents.tools.base import WorkerRuntime
from catalog import services as catalog_services
from catalog.models import AgentTemplateVersion
from tests.fakes.fake_llm import FakeLLM, Quirks, Reply
from tests.fakes.sgr import REASONING, final_args, plan_args, step

pytestmark = pytest.mark.django_db(transaction=True)

MULTILINE = "Line one.\nLine two."


@pytest.fixture
def upstream(settings: Any) -> Iterator[FakeLLM]:
    """A fake upstream of its own (a new endpoint: nothing known of it in any cache) and the
    built-in templates."""
    with FakeLLM() as fake:
        settings.OPENAI_BASE_URL = fake.base_url
        settings.LLM_RETRY_BACKOFF_SECONDS = 0
        catalog_services.catalog_seed_builtin(search_api_key="")
        yield fake


def _version(template: str) -> AgentTemplateVersion:
    return AgentTemplateVersion.objects.get(template__name=template, is_active=True)


def run_agent(template: str, task: str = "Answer briefly") -> Session:
    """Start a session of ``template`` and execute its run here, to its end."""
    session, run = services.session_start(template_version=_version(template), task=task)
    assert services.run_claim_one(run_id=run.pk, worker="test", lease_seconds=60)
    runtime = WorkerRuntime(
        worker="test", stopping=asyncio.Event(), definitions=DefinitionCache(), delegate=delegate
    )
    asyncio.run(execute_run(run_id=run.pk, runtime=runtime))
    return Session.objects.get(pk=session.pk)


def _payloads(session: Session, event_type: str) -> list[dict[str, Any]]:
    return [e.payload for e in session.events.filter(type=event_type).order_by("seq")]


def sgr_template(name: str, tools: list[str], **policies: Any) -> None:
    """An ``sgr`` template offering ``tools`` (``final_answer`` required)."""
    catalog_services.template_version_create(
        template=catalog_services.template_upsert(name=name),
        flavour="sgr",
        system_prompt="Work. {available_tools}",
        tool_policy={"tools": tools, "required": ["final_answer"]},
        **policies,
    )


def _capability(fake: FakeLLM) -> UpstreamCapability:
    return UpstreamCapability.objects.get(base_url=fake.base_url)


def action(tool: str, **arguments: Any) -> dict[str, Any]:
    """What a model forced to call ``next_action`` answers to choose ``tool``."""
    return {"function": {"tool_name_discriminator": tool, **arguments}}


def test_sgr_learns_json_object_from_llama_cpps_rejection_of_json_schema(upstream):
    upstream.quirks = Quirks.llama_cpp_python()
    upstream.script(Reply.structured(step("final_answer", **final_args(MULTILINE))))

    session = run_agent("sgr_agent")

    assert session.state == "completed" and session.result == MULTILINE
    first, second = upstream.requests
    assert first["response_format"]["type"] == "json_schema"
    assert second["response_format"]["type"] == "json_object"  # the 500 was not retried
    capability = _capability(upstream)
    assert capability.structured_output == "json_object"
    assert "Input should be 'text' or 'json_object'" in capability.evidence
    (retry,) = _payloads(session, "llm_retry")
    assert retry["reason"] == "rejected" and retry["mode"] == "json_schema"

    upstream.script(Reply.structured(step("final_answer", **final_args("Again."))))
    assert run_agent("sgr_agent").state == "completed"
    assert upstream.requests[2]["response_format"]["type"] == "json_object"


def test_tool_calling_falls_back_to_a_forced_function_where_tool_choice_is_ignored(upstream):
    upstream.quirks = Quirks.llama_cpp_python()
    upstream.script(
        Reply.tool_call("generate_plan", plan_args()),  # comes back as prose: ignored
        Reply.structured(action("generate_plan", **plan_args())),
        Reply.structured(action("final_answer", **final_args("Planned."))),
    )

    session = run_agent("tool_calling_agent")

    assert session.state == "completed" and session.result == "Planned."
    forced = upstream.requests[1]
    assert forced["tool_choice"] == {"type": "function", "function": {"name": "next_action"}}
    # The second step's history holds the first call, sent with "" content (not null).
    history = upstream.requests[2]["messages"]
    assert any(m.get("tool_calls") and m["content"] == "" for m in history)
    assert _capability(upstream).tool_choice == "function"
    (retry,) = _payloads(session, "llm_retry")
    assert retry["reason"] == "no_tool_call" and retry["mode"] == "required"
    assert _payloads(session, "tool_call")[0]["tool"] == "generate_plan"


def test_hybrid_completes_against_llama_cpp(upstream):
    upstream.quirks = Quirks.llama_cpp_python()
    upstream.script(
        Reply.structured(REASONING),
        Reply.tool_call("final_answer", final_args("Done.")),  # ignored: prose
        Reply.structured(action("final_answer", **final_args("Done."))),
    )

    session = run_agent("sgr_tool_calling_agent")

    assert session.state == "completed" and session.result == "Done."
    reasoning, required, forced = upstream.requests
    assert reasoning["tool_choice"]["function"]["name"] == "reasoning"
    assert required["tool_choice"] == "required"
    assert forced["tool_choice"]["function"]["name"] == "next_action"
    # The reasoning call went into the history with "" content, which this server requires.
    assert forced["messages"][-2]["content"] == ""
    assert _payloads(session, "reasoning")[0]["current_situation"] == REASONING["current_situation"]


def test_prose_where_a_call_is_required_fails_and_its_tokens_are_counted(upstream):
    upstream.script(*[Reply.text("I think the answer is 42.")] * 4)

    session = run_agent("tool_calling_agent")

    assert session.state == "failed"  # never a "completed" answer made of the prose
    assert "is text, but a call to one of the offered tools is required" in session.error
    assert "ignores tool_choice" in session.error
    assert len(upstream.requests) == 4  # required, then forced: the first and two re-asks
    retries = _payloads(session, "llm_retry")
    assert [r["reason"] for r in retries] == ["no_tool_call"] * 3
    assert all(r["usage"]["completion"] > 0 for r in retries)
    # Every reply's tokens are the session's (and so count against key token budgets).
    assert session.context["usage"]["completion"] == 4 * retries[0]["usage"]["completion"]
    # Each re-ask states the problem in place of the previous one: the prompt does not grow.
    first_reask, last_reask = upstream.requests[2]["messages"], upstream.requests[3]["messages"]
    assert len(first_reask) == len(last_reask)
    assert "not usable" in last_reask[-1]["content"]


def test_truncated_reply_is_reported_and_asked_again_with_a_larger_budget(upstream):
    sgr_template(
        "long_writer",
        ["final_answer"],
        llm_policy={"max_tokens": 50, "max_tokens_on_truncation": 400},
    )
    upstream.script(
        Reply.text('{"current_situation": "' + "Still writing. " * 100, finish_reason="length"),
        Reply.structured(step("final_answer", **final_args("Short."))),
    )

    session = run_agent("long_writer")

    assert session.state == "completed"
    first, second = upstream.requests
    assert (first["max_tokens"], second["max_tokens"]) == (50, 400)
    assert "cut off at max_tokens=50" in second["messages"][-1]["content"]
    excerpt = second["messages"][-2]
    assert excerpt["role"] == "assistant" and len(excerpt["content"]) <= REPLY_EXCERPT_CHARS + 1
    (retry,) = _payloads(session, "llm_retry")
    assert retry["reason"] == "truncated"


def test_an_explicit_mode_wins_and_its_rejection_says_which_setting_to_change(upstream):
    sgr_template("strict", ["final_answer"], llm_policy={"structured_output": "json_schema"})
    upstream.quirks = Quirks.llama_cpp_python()

    session = run_agent("strict")

    assert session.state == "failed" and len(upstream.requests) == 1
    assert upstream.base_url in session.error
    assert "Input should be 'text' or 'json_object'" in session.error
    assert "llm_policy.structured_output fixes it to 'json_schema'" in session.error
    assert not UpstreamCapability.objects.exists()


def test_the_env_mode_applies_to_auto_templates(upstream, settings):
    settings.LLM_STRUCTURED_OUTPUT = "text"
    reply = json.dumps(step("final_answer", **final_args("T.")))
    upstream.script(Reply.text(f"Sure! Here it is:\n```json\n{reply}\n```"))

    session = run_agent("sgr_agent")

    assert session.state == "completed" and session.result == "T."
    request = upstream.requests[0]
    assert "response_format" not in request and "tools" not in request
    assert "JSON Schema" in request["messages"][0]["content"]  # in the one system message


def test_a_pinned_capability_is_used_and_never_relearned(upstream, settings):
    UpstreamCapability.objects.create(
        base_url=upstream.base_url,
        model=settings.OPENAI_MODEL,
        structured_output="function_call",
        pinned=True,
    )
    upstream.script(Reply.structured(step("final_answer", **final_args("Pinned."))))

    assert run_agent("sgr_agent").state == "completed"
    assert upstream.requests[0]["tool_choice"]["function"]["name"] == "sgr_step"
    services.upstream_capability_learn(
        base_url=upstream.base_url,
        model=settings.OPENAI_MODEL,
        structured_output="text",
        evidence="x",
    )
    assert _capability(upstream).structured_output == "function_call"


def test_max_iterations_ends_a_run_that_does_not_finish(upstream):
    sgr_template(
        "planner", ["generate_plan", "final_answer"], execution_policy={"max_iterations": 1}
    )
    upstream.responder = lambda request: Reply.structured(step("generate_plan", **plan_args()))

    session = run_agent("planner")

    assert session.state == "failed" and "max_iterations (1)" in session.error
    assert len(upstream.requests) == 3  # one step, then two to finish


def test_a_failed_child_is_the_parents_tool_error_not_its_answer(upstream):
    def responder(request: dict[str, Any]) -> Reply:
        system = request["messages"][0]["content"]
        offered = request["response_format"]["json_schema"]["schema"]["properties"]["function"]
        names = [v["properties"]["tool_name_discriminator"]["enum"][0] for v in offered["anyOf"]]
        if not system.startswith("You route requests"):
            return Reply.text("no JSON from the child")
        agents = [name for name in names if name.startswith("agent.")]
        if agents:
            return Reply.structured(step(agents[0], task="Explain SGR briefly."))
        return Reply.structured(step("final_answer", **final_args("The agent failed.")))

    upstream.responder = responder

    parent = run_agent("router", "Research what schema-guided reasoning is")

    child = Session.objects.get(parent=parent)
    assert child.state == "failed"
    (result,) = [r for r in _payloads(parent, "tool_result") if r["tool"].startswith("agent.")]
    assert result["content"].startswith("Error: the tool failed: agent ")
    assert f"failed without an answer (session {child.pk})" in result["content"]
    assert "stayed invalid" in result["content"]
    execution = parent.tool_executions.get(tool_name=result["tool"])
    assert execution.status == "failed"
