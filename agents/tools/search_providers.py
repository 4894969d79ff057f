"""Web search through the other engines sgr-agent-core 0.7 supports: Brave Search and
Perplexity's search API, each its own catalog tool (``brave_search``, ``perplexity_search``)
with the 0.7 arguments (``query``, ``max_results`` 1-20, ``offset`` for the next page).
Their keys are read from the environment (``BRAVE_API_KEY``, ``PERPLEXITY_API_KEY``); without
one the catalog stores the tool unbound, with the reason. Results join the session's
numbered sources like Tavily's (``builtin.search_outcome``)."""

from __future__ import annotations

from typing import Any

import httpx
from django.conf import settings

from agents.tools.base import ToolContext, ToolOutcome
from agents.tools.builtin import SearchResult, builtin, search_outcome

MAX_RESULTS = 20
TIMEOUT_SECONDS = 30


def _page(arguments: dict[str, Any]) -> tuple[str, int, int]:
    query = str(arguments.get("query", ""))
    count = min(max(int(arguments.get("max_results") or 5), 1), MAX_RESULTS)
    return query, count, max(int(arguments.get("offset") or 0), 0)


@builtin("brave_search")
async def brave_search(arguments: dict[str, Any], context: ToolContext) -> ToolOutcome:
    query, count, offset = _page(arguments)
    if not settings.BRAVE_API_KEY:
        raise RuntimeError("Brave search is not configured (BRAVE_API_KEY is not set)")
    params: dict[str, Any] = {"q": query, "count": count}
    if offset:
        params["offset"] = offset
    async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS) as client:
        response = await client.get(
            settings.BRAVE_SEARCH_URL,
            params=params,
            headers={"X-Subscription-Token": settings.BRAVE_API_KEY, "Accept": "application/json"},
        )
        response.raise_for_status()
    hits = (response.json().get("web") or {}).get("results") or []
    results = [
        SearchResult(
            url=str(h.get("url", "")), title=h.get("title", ""), text=h.get("description", "")
        )
        for h in hits[:count]
    ]
    return search_outcome(query, results, context)


@builtin("perplexity_search")
async def perplexity_search(arguments: dict[str, Any], context: ToolContext) -> ToolOutcome:
    """Perplexity pages by asking for ``offset + max_results`` and skipping the first."""
    query, count, offset = _page(arguments)
    if not settings.PERPLEXITY_API_KEY:
        raise RuntimeError("Perplexity search is not configured (PERPLEXITY_API_KEY is not set)")
    async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS) as client:
        response = await client.post(
            settings.PERPLEXITY_SEARCH_URL,
            json={"query": query, "max_results": offset + count},
            headers={"Authorization": f"Bearer {settings.PERPLEXITY_API_KEY}"},
        )
        response.raise_for_status()
    hits = (response.json().get("results") or [])[offset : offset + count]
    results = [
        SearchResult(url=str(h.get("url", "")), title=h.get("title", ""), text=h.get("snippet", ""))
        for h in hits
    ]
    return search_outcome(query, results, context)
