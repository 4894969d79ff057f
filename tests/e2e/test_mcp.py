"""An SGR agent calls a tool imported from a real MCP server, end to end through the
gateway: ``import_mcp_tools`` here, the call in a ``serve`` process configured by env."""

from __future__ import annotations

import json
import os

import pytest
from django.core.management import call_command

from agents.models import Session
from catalog import services
from catalog.models import AgentTemplateVersion
from tests.e2e.conftest import client_for
from tests.fakes.sgr import final_args, sgr_replies

pytestmark = pytest.mark.usefixtures("seeded")


@pytest.fixture(scope="module")
def server(stack, fake_mcp_server) -> str:
    return stack.gateway(
        MCP_SERVERS=json.dumps({"fake": {"url": fake_mcp_server.url}}),
        HTTP_TOOL_ALLOWED_HOSTS="127.0.0.1",
    )


def _offer_to_sgr_agent(*tools: str) -> None:
    """A new active version of the seeded ``sgr_agent`` that may also call ``tools``."""
    current = AgentTemplateVersion.objects.select_related("template").get(
        template__name="sgr_agent", is_active=True
    )
    policy = {**current.tool_policy, "tools": [*current.tool_policy["tools"], *tools]}
    services.template_version_create(
        template=current.template,
        flavour=current.flavour,
        system_prompt=current.system_prompt,
        initial_user_prompt=current.initial_user_prompt,
        clarification_prompt=current.clarification_prompt,
        llm_policy=current.llm_policy,
        execution_policy=current.execution_policy,
        tool_policy=policy,
        rules=current.rules,
        capabilities=current.capabilities,
        tags=current.tags,
    )


def test_an_sgr_agent_calls_an_imported_mcp_tool(server, mcp_servers, fake_llm):
    call_command("import_mcp_tools", "--server", "fake", stdout=open(os.devnull, "w"))  # noqa: SIM115
    _offer_to_sgr_agent("fake.echo")
    fake_llm.script(
        *sgr_replies(
            ("fake.echo", {"text": "hello from the agent"}),
            ("final_answer", final_args("The server echoed.")),
        )
    )

    completion = client_for(server).chat.completions.create(
        model="sgr_agent", messages=[{"role": "user", "content": "Echo something"}]
    )

    assert completion.choices[0].message.content == "The server echoed."
    session = Session.objects.get(pk=(completion.model_extra or {})["session_id"])
    result = session.events.get(type="tool_result", payload__tool="fake.echo").payload
    assert result["content"] == "echo: hello from the agent"
    assert result["structured_content"] == {"result": "echo: hello from the agent"}
    second_request = json.dumps(fake_llm.requests[1]["messages"])
    assert "echo: hello from the agent" in second_request
