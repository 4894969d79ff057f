"""An SGR agent calls a tool imported from a real MCP server (``import_mcp_tools``), as a
client meets it: in process (Django's async test client, a pool, the fake upstream)."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from django.core.management import call_command

from agents.models import SessionEvent
from catalog.models import AgentTemplateVersion
from maruntime.asyncdb import run_sync
from tests.catalog.factories import next_template_version
from tests.fakes.sgr import final_args, sgr_replies
from tests.inprocess import answer_of, complete, session_of

pytestmark = pytest.mark.django_db(transaction=True)


def _offer_to_sgr_agent(*tools: str) -> None:
    """Import the fake server's tools; a new active version of the seeded ``sgr_agent`` may
    also call ``tools``."""
    call_command("import_mcp_tools", "--server", "fake", stdout=open(os.devnull, "w"))  # noqa: SIM115
    policy = AgentTemplateVersion.objects.get(
        template__name="sgr_agent", is_active=True
    ).tool_policy
    next_template_version("sgr_agent", tool_policy={**policy, "tools": [*policy["tools"], *tools]})


def _result(session_id: str, tool: str) -> dict[str, Any]:
    event = SessionEvent.objects.get(session_id=session_id, type="tool_result", payload__tool=tool)
    return event.payload


async def test_an_sgr_agent_calls_an_imported_mcp_tool(
    async_client, serving, mcp_servers, fake_llm
):
    await run_sync(_offer_to_sgr_agent)("fake.echo")
    fake_llm.script(
        *sgr_replies(
            ("fake.echo", {"text": "hello from the agent"}),
            ("final_answer", final_args("The server echoed.")),
        )
    )
    serving()

    response = await complete(async_client, "sgr_agent", "Echo something")

    assert answer_of(response) == "The server echoed."
    result = await run_sync(_result)(session_of(response), "fake.echo")
    assert result["content"] == "echo: hello from the agent"
    assert result["structured_content"] == {"result": "echo: hello from the agent"}
    assert "echo: hello from the agent" in json.dumps(fake_llm.requests[1]["messages"])
