"""``/v1/tools`` and the search routes: what the catalog offers, found by meaning."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponseBase

from catalog.policies import ToolScope
from catalog.selectors import active_tool_versions
from gateway.caller import Caller
from gateway.views.base import api_view, json_response
from maruntime.asyncdb import run_sync
from maruntime.errors import InvalidInput
from retrieval.selectors import SearchHit, agent_search, tool_search

MAX_K = 50


def _tools(scope: ToolScope | None) -> list[dict[str, Any]]:
    """Active, bound tools the caller's scope permits, by name."""
    return [
        {
            "name": version.tool.name,
            "object": "tool",
            "version": version.version,
            "type": version.tool.type,
            "tags": version.tool.tags,
            "description": version.description,
            "risk_level": version.risk_level,
            "input_schema": version.input_schema,
        }
        for version in active_tool_versions().order_by("tool__name")
        if scope is None or scope.refusal(version.tool.name, version.risk_level) is None
    ]


@api_view("GET")
async def tools_list(request: HttpRequest, caller: Caller) -> HttpResponseBase:
    tools = await run_sync(_tools)(caller.tool_scope)
    return json_response({"object": "list", "data": tools})


def _search_params(request: HttpRequest) -> tuple[str, int]:
    query = request.GET.get("q", "").strip()
    if not query:
        raise InvalidInput("q must be a non-empty search text", param="q")
    raw_k = request.GET.get("k", "5")
    if not (raw_k.isascii() and raw_k.isdigit()) or not 1 <= int(raw_k) <= MAX_K:
        raise InvalidInput(f"k must be an integer from 1 to {MAX_K}", param="k")
    return query, int(raw_k)


def _hit(hit: SearchHit) -> dict[str, Any]:
    return {
        "name": hit.name,
        "object": f"{hit.kind}_search_hit",
        "score": hit.score,
        "similarity": hit.vector_similarity,
        "vector_rank": hit.vector_rank,
        "text_rank": hit.text_rank,
        "explanation": hit.explanation,
    }


@api_view("GET")
async def tools_search(request: HttpRequest, caller: Caller) -> HttpResponseBase:
    query, k = _search_params(request)
    scope = caller.tool_scope or ToolScope()
    hits = await run_sync(tool_search)(
        query=query,
        k=k,
        types=request.GET.getlist("type") or None,
        tags=request.GET.getlist("tag") or None,
        allow=scope.allow,
        deny=scope.deny,
        risk_ceiling=scope.risk_ceiling,
    )
    return json_response({"object": "list", "query": query, "data": [_hit(h) for h in hits]})


@api_view("GET")
async def agents_search(request: HttpRequest, caller: Caller) -> HttpResponseBase:
    query, k = _search_params(request)
    hits = await run_sync(agent_search)(
        query=query,
        k=k,
        tags=request.GET.getlist("tag") or None,
        allow=caller.allowed_templates,
    )
    return json_response({"object": "list", "query": query, "data": [_hit(h) for h in hits]})
