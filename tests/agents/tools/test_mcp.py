"""MCP-bound tools run by the executor against a real MCP server on loopback."""

from __future__ import annotations

import uuid

import pytest

from agents.tools.base import ToolContext, ToolSpec
from agents.tools.executor import ToolCallError, execute_tool
from agents.tools.mcp import IDEMPOTENCY_META_KEY
from tests.e2e.conftest import free_port


def _mcp_tool(tool: str, server: str = "fake") -> ToolSpec:
    return ToolSpec(
        name=f"{server}.{tool}",
        version_id=1,
        type="domain",
        tags=(),
        description="d",
        input_schema={"type": "object"},
        binding_kind="mcp",
        binding={"server": server, "tool": tool},
        risk_level="medium",
    )


def _context() -> ToolContext:
    return ToolContext(session_id=uuid.uuid4(), run_id=1, step=1, depth=0, owner="", state={})


async def test_a_call_returns_the_tools_text_and_structured_content(mcp_servers):
    outcome = await execute_tool(_mcp_tool("echo"), {"text": "hello"}, _context())

    assert outcome.content == "echo: hello"
    assert outcome.payload == {"structured_content": {"result": "echo: hello"}}
    measured = await execute_tool(_mcp_tool("measure"), {"text": "a b c"}, _context())
    assert measured.payload == {"structured_content": {"characters": 5, "words": 3}}


async def test_a_call_carries_its_idempotency_key_in_the_requests_meta(mcp_servers):
    context = ToolContext(
        session_id=uuid.uuid4(),
        run_id=1,
        step=1,
        depth=0,
        owner="",
        state={},
        idempotency_key="session:0:1:call_1",
    )
    await execute_tool(_mcp_tool("echo"), {"text": "once"}, context)

    # (The server is shared by the whole test session: look for this call's own key.)
    # (Other keys may ride along: a traceparent when a test before this one set up tracing.)
    assert "session:0:1:call_1" in [
        meta.get(IDEMPOTENCY_META_KEY) for meta in mcp_servers.call_metas
    ]


async def test_an_error_result_is_a_tool_call_error_with_its_text(mcp_servers):
    with pytest.raises(ToolCallError, match=r"tool fake\.fail failed: .*failed on purpose: why"):
        await execute_tool(_mcp_tool("fail"), {"reason": "why"}, _context())
    with pytest.raises(ToolCallError, match="Unknown tool: missing"):
        await execute_tool(_mcp_tool("missing"), {}, _context())


async def test_header_values_name_environment_variables(mcp_servers, settings, monkeypatch):
    settings.MCP_SERVERS = {
        "fake": {"url": mcp_servers.url, "headers": {"Authorization": "Bearer ${FAKE_MCP_TOKEN}"}}
    }
    with pytest.raises(ToolCallError, match=r"names \$\{FAKE_MCP_TOKEN\}, which is not set"):
        await execute_tool(_mcp_tool("echo"), {"text": "x"}, _context())
    assert mcp_servers.authorizations == []

    monkeypatch.setenv("FAKE_MCP_TOKEN", "s3cret")
    await execute_tool(_mcp_tool("echo"), {"text": "x"}, _context())

    assert set(mcp_servers.authorizations) == {"Bearer s3cret"}


async def test_loopback_servers_are_refused_unless_allow_listed(mcp_servers, settings):
    settings.HTTP_TOOL_ALLOWED_HOSTS = []
    with pytest.raises(ToolCallError, match="private address"):
        await execute_tool(_mcp_tool("echo"), {"text": "x"}, _context())
    assert mcp_servers.authorizations == []


async def test_unknown_unreachable_and_malformed_servers_fail_clearly(mcp_servers, settings):
    with pytest.raises(ToolCallError, match=r"'other' is not configured .*\(configured: fake\)"):
        await execute_tool(_mcp_tool("echo", server="other"), {"text": "x"}, _context())

    settings.MCP_SERVERS = {"down": {"url": f"http://127.0.0.1:{free_port()}/mcp"}}
    with pytest.raises(ToolCallError, match="MCP server 'down' failed: All connection attempts"):
        await execute_tool(_mcp_tool("echo", server="down"), {"text": "x"}, _context())

    settings.MCP_SERVERS = {"stdio": {"command": "npx"}}
    with pytest.raises(ToolCallError, match=r"MCP_SERVERS\['stdio'\] is invalid: .*streamable"):
        await execute_tool(_mcp_tool("echo", server="stdio"), {"text": "x"}, _context())
