"""The upstream boundary: requests in a form every server accepts (tool names the upstream
would refuse go out renamed and come back as the catalog spells them; no null content), and
failures told apart: rejected at once, transient retried, each with an actionable message."""

from __future__ import annotations

from typing import Any

import pytest

from agents.engine.llm import complete, wire_call_id, wire_name
from agents.exceptions import UpstreamFailed, UpstreamRejected
from catalog.policies import LLMPolicy
from tests.fakes.fake_llm import Quirks, Reply


def test_wire_names_keep_safe_names_and_replace_dots():
    assert wire_name("final_answer") == "final_answer"
    assert wire_name("agent.research") == "agent__research"
    assert wire_name("mcp-server.search") == "mcp-server__search"


async def test_dotted_tool_names_round_trip_through_the_upstream(fake_llm, settings):
    settings.OPENAI_BASE_URL = fake_llm.base_url
    fake_llm.script(Reply.tool_call("agent__research", {"task": "dig"}))
    tool: dict[str, Any] = {
        "type": "function",
        "function": {"name": "agent.research", "parameters": {}},
    }
    earlier: dict[str, Any] = {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "agent.notes", "arguments": "{}"}}
        ],
    }
    messages = [
        {"role": "user", "content": "go"},
        earlier,
        {"role": "tool", "tool_call_id": "c1", "content": "ok"},
    ]

    response = await complete(LLMPolicy(), messages, tools=[tool], tool_choice="required")

    calls = response.choices[0].message.model_dump()["tool_calls"]
    assert calls[0]["function"]["name"] == "agent.research"
    sent = fake_llm.requests[0]
    assert sent["tools"][0]["function"]["name"] == "agent__research"
    assert sent["messages"][1]["tool_calls"][0]["function"]["name"] == "agent__notes"
    # the caller's objects are left as they were
    assert tool["function"]["name"] == "agent.research"
    assert earlier["tool_calls"][0]["function"]["name"] == "agent.notes"


async def test_messages_go_out_in_a_form_every_server_accepts(fake_llm, settings):
    settings.OPENAI_BASE_URL = fake_llm.base_url
    fake_llm.quirks = Quirks.llama_cpp_python()  # refuses null content
    fake_llm.script(Reply.text("ok"))
    odd_id = "call:1/with spaces and far too long for the strictest servers' rules"
    messages = [
        {"role": "user", "content": "go"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {"id": odd_id, "type": "function", "function": {"name": "x", "arguments": "{}"}}
            ],
        },
        {"role": "tool", "tool_call_id": odd_id, "content": "done"},
    ]

    await complete(LLMPolicy(), messages)

    sent = fake_llm.requests[0]["messages"]
    assert sent[1]["content"] == ""
    wire_id = sent[1]["tool_calls"][0]["id"]
    assert wire_id == sent[2]["tool_call_id"] == wire_call_id(odd_id)
    assert len(wire_id) <= 40 and wire_id.replace("_", "").isalnum()


async def test_the_request_carries_the_policy_settings_and_the_key_it_names(
    fake_llm, settings, monkeypatch
):
    settings.OPENAI_BASE_URL = fake_llm.base_url
    monkeypatch.setenv("TEMPLATE_LLM_KEY", "sk-template")
    fake_llm.script(Reply.text("ok"))
    policy = LLMPolicy(model="small-model", temperature=0.2, api_key_ref="TEMPLATE_LLM_KEY")
    json_object = {"type": "json_object"}

    response = await complete(
        policy, [{"role": "user", "content": "hi"}], max_tokens=77, response_format=json_object
    )

    assert response.choices[0].message.content == "ok"
    sent = fake_llm.requests[0]
    assert (sent["model"], sent["temperature"], sent["max_tokens"]) == ("small-model", 0.2, 77)
    assert sent["response_format"] == json_object
    assert fake_llm.authorizations == ["Bearer sk-template"]


async def test_a_validation_rejection_is_raised_at_once_with_the_servers_words(fake_llm, settings):
    settings.OPENAI_BASE_URL = fake_llm.base_url
    fake_llm.quirks = Quirks.llama_cpp_python()
    json_schema = {"type": "json_schema", "json_schema": {"name": "s", "schema": {}}}

    with pytest.raises(UpstreamRejected) as rejected:
        await complete(
            LLMPolicy(), [{"role": "user", "content": "hi"}], response_format=json_schema
        )

    assert len(fake_llm.requests) == 1  # never retried: it cannot succeed
    assert rejected.value.status == 500
    assert "Input should be 'text' or 'json_object'" in rejected.value.upstream_message
    assert fake_llm.base_url in rejected.value.message
    assert "Error code" not in rejected.value.message
    # The server's words, not where in its own code it said them.
    assert "app.py" not in rejected.value.message
    assert rejected.value.upstream_message.endswith("'json_object'\"}}")


async def test_of_a_bare_stack_trace_the_exception_line_is_kept(fake_llm, settings):
    settings.OPENAI_BASE_URL = fake_llm.base_url
    trace = "Traceback (most recent call last):\n  File \"app.py\", line 9, in f\nKeyError: 'tools'"
    fake_llm.script(Reply.error(503, trace), Reply.error(503, trace), Reply.error(503, trace))

    with pytest.raises(UpstreamFailed) as failed:
        await complete(LLMPolicy(), [{"role": "user", "content": "hi"}])

    assert "KeyError: 'tools'" in failed.value.message and "app.py" not in failed.value.message


async def test_a_silent_500_is_a_rejection_too(fake_llm, settings):
    settings.OPENAI_BASE_URL = fake_llm.base_url
    fake_llm.script(Reply.error(500, ""))

    with pytest.raises(UpstreamRejected, match="no message"):
        await complete(LLMPolicy(), [{"role": "user", "content": "hi"}], tool_choice="required")
    assert len(fake_llm.requests) == 1


async def test_transient_failures_are_retried_then_reported_with_the_upstreams_message(
    fake_llm, settings
):
    settings.OPENAI_BASE_URL = fake_llm.base_url
    settings.LLM_RETRY_BACKOFF_SECONDS = 0
    fake_llm.script(*[Reply.error(503, "model is loading")] * 3)

    with pytest.raises(UpstreamFailed) as failed:
        await complete(LLMPolicy(), [{"role": "user", "content": "hi"}])

    assert len(fake_llm.requests) == 3
    assert "(503): model is loading (after 3 attempts)" in failed.value.message
    assert not isinstance(failed.value, UpstreamRejected)


@pytest.mark.parametrize(("status", "setting"), [(401, "OPENAI_API_KEY"), (404, "OPENAI_MODEL")])
async def test_errors_name_the_setting_that_fixes_them(fake_llm, settings, status, setting):
    settings.OPENAI_BASE_URL = fake_llm.base_url
    fake_llm.script(Reply.error(status, "nope"))

    with pytest.raises(UpstreamFailed) as failed:
        await complete(LLMPolicy(), [{"role": "user", "content": "hi"}])

    assert len(fake_llm.requests) == 1
    assert f"({status}): nope" in failed.value.message and setting in failed.value.message


async def test_an_unreachable_upstream_names_the_endpoint_setting(settings):
    settings.OPENAI_BASE_URL = "http://127.0.0.1:9/v1"
    settings.LLM_RETRY_BACKOFF_SECONDS = 0

    with pytest.raises(UpstreamFailed, match=r"could not be reached.*OPENAI_BASE_URL"):
        await complete(LLMPolicy(), [{"role": "user", "content": "hi"}])


async def test_a_server_too_slow_to_answer_names_the_timeout_setting(fake_llm, settings):
    settings.OPENAI_BASE_URL = fake_llm.base_url
    settings.LLM_TIMEOUT_SECONDS = 0.2
    fake_llm.script(Reply.text("late", delay=2))

    with pytest.raises(UpstreamFailed, match=r"did not answer within LLM_TIMEOUT_SECONDS=0\.2 s"):
        await complete(LLMPolicy(base_url=fake_llm.base_url), [{"role": "user", "content": "hi"}])
    assert len(fake_llm.requests) == 1  # not repeated: it would take as long again
