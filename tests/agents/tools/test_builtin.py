"""Built-in tools against a fake Tavily-compatible search API on loopback."""

from __future__ import annotations

import asyncio
import json
import uuid
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from agents.tools.base import ToolContext, ToolSpec
from agents.tools.builtin import BUILTIN_TOOLS
from agents.tools.executor import ToolCallError, execute_tool
from catalog.policies import ToolLimits


class _SearchAPI(BaseHTTPRequestHandler):
    received: list[tuple[str, dict, str]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _SearchAPI.received.append((self.path, body, self.headers.get("Authorization", "")))
        if self.path == "/search":
            answer = {
                "results": [
                    {"url": "https://a.example/1", "title": "First", "content": "one"},
                    {"url": "https://b.example/2", "title": "Second", "content": "two"},
                ]
            }
        else:
            answer = {
                "results": [{"url": body["urls"][0], "raw_content": "page text"}],
                "failed_results": [{"url": "https://broken.example"}],
            }
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def search_api(settings, serve_loopback) -> list:
    settings.TAVILY_BASE_URL = serve_loopback(_SearchAPI)
    settings.TAVILY_API_KEY = "tvly-test"
    _SearchAPI.received = []
    return _SearchAPI.received


def _context(**state) -> ToolContext:
    return ToolContext(session_id=uuid.uuid4(), run_id=1, step=1, depth=0, owner="", state=state)


async def test_web_search_numbers_new_sources_and_counts_the_search(search_api):
    known = [{"number": 1, "url": "https://a.example/1", "title": "First"}]
    outcome = await BUILTIN_TOOLS["web_search"](
        {"query": "ev makers", "max_results": 2}, _context(sources=known)
    )
    assert search_api == [("/search", {"query": "ev makers", "max_results": 2}, "Bearer tvly-test")]
    assert "[1] First" in outcome.content and "[2] Second" in outcome.content
    assert [s["url"] for s in outcome.context_updates["sources"]] == [
        "https://a.example/1",
        "https://b.example/2",
    ]
    assert outcome.counters == {"searches_used": 1}


async def test_extract_page_content_reports_failures(search_api):
    outcome = await BUILTIN_TOOLS["extract_page_content"](
        {"urls": ["https://a.example/1"]}, _context()
    )
    assert (
        "page text" in outcome.content
        and "Could not read: https://broken.example" in outcome.content
    )


async def test_web_search_without_a_key_fails_clearly(settings):
    settings.TAVILY_API_KEY = ""
    with pytest.raises(RuntimeError, match="TAVILY_API_KEY"):
        await BUILTIN_TOOLS["web_search"]({"query": "x"}, _context())


async def test_clarification_and_final_answer_end_the_run():
    clarify = await BUILTIN_TOOLS["clarification"](
        {"questions": ["Which one?"], "assumptions": ["the newest"]}, _context()
    )
    assert clarify.ending == "clarification" and clarify.counters == {"clarifications_used": 1}
    assert "Which one?" in clarify.payload["content"] and "the newest" in clarify.payload["content"]
    final = await BUILTIN_TOOLS["final_answer"]({"answer": "42", "status": "COMPLETED"}, _context())
    assert final.ending == "final" and final.payload["status"] == "completed"


async def test_plans_are_kept_in_the_context():
    plan = await BUILTIN_TOOLS["generate_plan"](
        {"research_goal": "g", "planned_steps": ["a", "b"]}, _context()
    )
    assert plan.context_updates == {"plan": {"goal": "g", "steps": ["a", "b"]}}
    adapted = await BUILTIN_TOOLS["adapt_plan"](
        {"next_steps": ["c"]}, _context(plan=plan.context_updates["plan"])
    )
    assert adapted.context_updates == {"plan": {"goal": "g", "steps": ["c"]}}


def _http_tool(url: str, **policy: Any) -> ToolSpec:
    return ToolSpec(
        name="lookup",
        version_id=1,
        type="domain",
        tags=(),
        description="d",
        input_schema={"type": "object"},
        binding_kind="http",
        binding={"url": url},
        risk_level="low",
        **policy,
    )


async def test_http_tools_refuse_loopback_unless_allowed(search_api, settings):
    with pytest.raises(ToolCallError, match="private address"):
        await execute_tool(
            _http_tool(f"{settings.TAVILY_BASE_URL}/search"), {"query": "q"}, _context()
        )
    settings.HTTP_TOOL_ALLOWED_HOSTS = ["127.0.0.1"]
    outcome = await execute_tool(
        _http_tool(f"{settings.TAVILY_BASE_URL}/search"), {"query": "q"}, _context()
    )
    assert json.loads(outcome.content)["results"][0]["title"] == "First"


async def test_a_tool_that_outlives_its_timeout_limit_fails(settings):
    async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(30)

    server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    settings.HTTP_TOOL_ALLOWED_HOSTS = ["127.0.0.1"]
    spec = _http_tool(f"http://127.0.0.1:{port}/slow", limits=ToolLimits(timeout_seconds=0.2))
    try:
        with pytest.raises(ToolCallError, match=r"did not finish within 0\.2 s"):
            await execute_tool(spec, {"query": "q"}, _context())
    finally:
        server.close()


@pytest.mark.django_db(transaction=True)
async def test_create_report_stores_an_artifact():
    from asgiref.sync import sync_to_async

    from agents.models import Artifact
    from agents.services import session_start
    from catalog.models import AgentTemplateVersion
    from catalog.services import catalog_seed_builtin

    await sync_to_async(catalog_seed_builtin)(search_api_key="")
    version = await AgentTemplateVersion.objects.filter(is_active=True).afirst()
    assert version is not None
    session, _ = await sync_to_async(session_start)(template_version=version, task="t")
    context = ToolContext(session_id=session.pk, run_id=1, step=1, depth=0, owner="", state={})
    outcome = await BUILTIN_TOOLS["create_report"]({"title": "EVs", "content": "Body"}, context)
    artifact = await Artifact.objects.aget(session=session)
    assert artifact.name == "EVs.md" and artifact.content.startswith("# EVs\n\nBody")
    assert str(artifact.pk) in outcome.content
