"""Brave and Perplexity search against fakes of their APIs on loopback, and their catalog
entries: unbound, with the reason, until their key is set."""

from __future__ import annotations

import json
import uuid
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlparse

import pytest

from agents.tools.base import ToolContext
from agents.tools.builtin import BUILTIN_TOOLS

HITS = [{"url": f"https://site.example/{n}", "title": f"Hit {n}"} for n in range(1, 8)]


class _Engines(BaseHTTPRequestHandler):
    received: list[tuple[str, dict, dict]] = []

    def _answer(self, payload: dict) -> None:
        data = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # Brave
        query = {k: v[0] for k, v in parse_qs(urlparse(self.path).query).items()}
        _Engines.received.append(("brave", query, dict(self.headers)))
        offset, count = int(query.get("offset", 0)), int(query["count"])
        page = [{**h, "description": "about it"} for h in HITS[offset : offset + count]]
        self._answer({"web": {"results": page}})

    def do_POST(self) -> None:  # Perplexity
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _Engines.received.append(("perplexity", body, dict(self.headers)))
        self._answer({"results": [{**h, "snippet": "snip"} for h in HITS[: body["max_results"]]]})

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def engines(settings, serve_loopback) -> list:
    base = serve_loopback(_Engines)
    settings.BRAVE_SEARCH_URL, settings.BRAVE_API_KEY = f"{base}/res/v1/web/search", "brave-key"
    settings.PERPLEXITY_SEARCH_URL, settings.PERPLEXITY_API_KEY = f"{base}/search", "pplx-key"
    _Engines.received = []
    return _Engines.received


def _context(**state) -> ToolContext:
    return ToolContext(session_id=uuid.uuid4(), run_id=1, step=1, depth=0, owner="", state=state)


async def test_brave_pages_with_its_offset_and_numbers_the_sources(engines):
    known = [{"number": 1, "url": "https://site.example/3", "title": "Hit 3"}]
    outcome = await BUILTIN_TOOLS["brave_search"](
        {"query": "q", "max_results": 2, "offset": 2}, _context(sources=known)
    )
    engine, query, headers = engines[0]
    assert (engine, query) == ("brave", {"q": "q", "count": "2", "offset": "2"})
    assert headers["X-Subscription-Token"] == "brave-key"
    assert "[1] Hit 3 — https://site.example/3\nabout it" in outcome.content
    assert "[2] Hit 4" in outcome.content
    assert outcome.counters == {"searches_used": 1}


async def test_perplexity_pages_by_skipping_what_it_has_shown(engines):
    outcome = await BUILTIN_TOOLS["perplexity_search"](
        {"query": "q", "max_results": 2, "offset": 4}, _context()
    )
    engine, body, headers = engines[0]
    assert (engine, body) == ("perplexity", {"query": "q", "max_results": 6})
    assert headers["Authorization"] == "Bearer pplx-key"
    assert [s["url"] for s in outcome.context_updates["sources"]] == [
        "https://site.example/5",
        "https://site.example/6",
    ]


async def test_an_engine_without_its_key_fails_clearly(settings):
    settings.BRAVE_API_KEY = ""
    with pytest.raises(RuntimeError, match="BRAVE_API_KEY is not set"):
        await BUILTIN_TOOLS["brave_search"]({"query": "q"}, _context())


@pytest.mark.django_db
def test_the_catalog_offers_an_engine_only_once_its_key_is_set(settings):
    from catalog.models import ToolVersion
    from catalog.services import catalog_seed_builtin

    settings.BRAVE_API_KEY, settings.PERPLEXITY_API_KEY = "", "pplx-key"
    summary = catalog_seed_builtin(search_api_key="")

    brave = ToolVersion.objects.get(tool__name="brave_search", is_active=True)
    assert brave.binding_kind == "unbound"
    assert summary.not_offered["brave_search"] == (
        "BRAVE_API_KEY is not set: this search engine is not configured"
    )
    perplexity = ToolVersion.objects.get(tool__name="perplexity_search", is_active=True)
    assert perplexity.binding == {"entrypoint": "perplexity_search"}
    assert perplexity.risk_level == "medium"
