"""The upstream boundary: tool names the upstream would refuse go out renamed and come back
as the catalog spells them."""

from __future__ import annotations

from typing import Any

from agents.engine.llm import complete, wire_name
from catalog.policies import LLMPolicy
from tests.fakes.fake_llm import Reply


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
