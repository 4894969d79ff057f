"""Pytest fixtures for the fake upstreams (registered as a plugin by ``tests/conftest.py``).

One ``FakeLLM`` serves the whole test session (``fake_llm_server``); tests ask for
``fake_llm``, which hands out that server with an empty script, no responder and no
recorded requests, and clears it again afterwards::

    def test_final_answer(fake_llm):
        fake_llm.script(Reply.structured({"tool": "final_answer", "answer": "42"}))
        ...  # point the code under test at fake_llm.base_url
        assert fake_llm.requests[0]["messages"][-1]["role"] == "user"

Tests that need their own server (another port, or to test ``close()``) build one with
``with FakeLLM() as fake: ...``.

``mcp_servers`` configures a real MCP server (``fake_mcp_server``, one per test session) as
the MCP server ``fake``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from tests.fakes.fake_llm import FakeLLM

if TYPE_CHECKING:
    from tests.fakes.mcp_server import FakeMCPServer


@pytest.fixture(scope="session")
def fake_llm_server() -> Iterator[FakeLLM]:
    """The session's scripted OpenAI-compatible upstream on 127.0.0.1."""
    server = FakeLLM()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def fake_llm(fake_llm_server: FakeLLM) -> Iterator[FakeLLM]:
    """The session's fake upstream, reset before and after the test."""
    fake_llm_server.reset()
    try:
        yield fake_llm_server
    finally:
        fake_llm_server.reset()


@pytest.fixture(scope="session")
def fake_mcp_server() -> Iterator[FakeMCPServer]:
    """The session's real MCP server on 127.0.0.1 (``tests.fakes.mcp_server``)."""
    # Imported here: the mcp SDK takes a second to import, and most tests never need it.
    from tests.fakes.mcp_server import FakeMCPServer

    with FakeMCPServer() as server:
        yield server


@pytest.fixture
def mcp_servers(settings: Any, fake_mcp_server: FakeMCPServer) -> FakeMCPServer:
    """``MCP_SERVERS`` naming the fake server ``fake`` (loopback allow-listed); returns it
    with its recorded ``authorizations`` and ``call_metas`` cleared."""
    settings.MCP_SERVERS = {"fake": {"url": fake_mcp_server.url}}
    settings.HTTP_TOOL_ALLOWED_HOSTS = ["127.0.0.1"]
    fake_mcp_server.authorizations.clear()
    fake_mcp_server.call_metas.clear()
    return fake_mcp_server
