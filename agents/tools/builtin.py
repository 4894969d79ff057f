"""maruntime's built-in tool implementations, registered under their canonical names.

Arguments have been validated against the tool version's schema, but seeded versions may
carry extra or differently named fields, so each implementation reads what it needs with
defaults and ignores the rest.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx
from django.conf import settings

from agents.tools.base import ToolContext, ToolImplementation, ToolOutcome
from maruntime.asyncdb import run_sync

BUILTIN_TOOLS: dict[str, ToolImplementation] = {}
# Implementations with no effect outside their outcome: running one again gives the same
# outcome, so the engine records them with the step instead of around the call.
PURE_TOOLS: set[str] = set()


def builtin(name: str, *, pure: bool = False) -> Any:
    def register(function: ToolImplementation) -> ToolImplementation:
        BUILTIN_TOOLS[name] = function
        if pure:
            PURE_TOOLS.add(name)
        return function

    return register


def _lines(values: Any) -> str:
    return "\n".join(f"- {v}" for v in values or [])


@builtin("reasoning", pure=True)
async def reasoning(arguments: dict[str, Any], context: ToolContext) -> ToolOutcome:
    return ToolOutcome(content=json.dumps(arguments, ensure_ascii=False))


@builtin("clarification", pure=True)
async def clarification(arguments: dict[str, Any], context: ToolContext) -> ToolOutcome:
    questions = [str(q) for q in arguments.get("questions") or []]
    text = "\n".join(questions)
    if arguments.get("assumptions"):
        text += "\n\nUnless you say otherwise I will assume:\n" + _lines(arguments["assumptions"])
    return ToolOutcome(
        content="Questions sent to the user; waiting for the answer.",
        ending="clarification",
        payload={"questions": questions, "content": text.strip()},
        counters={"clarifications_used": 1},
    )


@builtin("answer", pure=True)
async def answer(arguments: dict[str, Any], context: ToolContext) -> ToolOutcome:
    """Reply to the user without ending the dialog (sgr-agent-core's DialogAgent): the
    turn ends with the reply, and the session waits for the user's next message."""
    reply = str(arguments.get("intermediate_result") or arguments.get("answer") or "")
    return ToolOutcome(
        content="Reply sent to the user; waiting for their next message.",
        ending="clarification",
        payload={"questions": [], "content": reply},
    )


@builtin("generate_plan", pure=True)
async def generate_plan(arguments: dict[str, Any], context: ToolContext) -> ToolOutcome:
    plan = {
        "goal": arguments.get("research_goal", ""),
        "steps": list(arguments.get("planned_steps") or []),
    }
    return ToolOutcome(
        content=f"Plan recorded. Goal: {plan['goal']}\nSteps:\n{_lines(plan['steps'])}",
        context_updates={"plan": plan},
    )


@builtin("adapt_plan", pure=True)
async def adapt_plan(arguments: dict[str, Any], context: ToolContext) -> ToolOutcome:
    plan = {
        "goal": arguments.get("new_goal") or (context.state.get("plan") or {}).get("goal", ""),
        "steps": list(arguments.get("next_steps") or []),
    }
    return ToolOutcome(
        content=f"Plan updated. Goal: {plan['goal']}\nNext steps:\n{_lines(plan['steps'])}",
        context_updates={"plan": plan},
    )


async def _search_api(path: str, body: dict[str, Any]) -> dict[str, Any]:
    if not settings.TAVILY_API_KEY:
        raise RuntimeError("web search is not configured (TAVILY_API_KEY is not set)")
    async with httpx.AsyncClient(base_url=settings.TAVILY_BASE_URL, timeout=30) as client:
        response = await client.post(
            path,
            json=body,
            headers={"Authorization": f"Bearer {settings.TAVILY_API_KEY}"},
        )
        response.raise_for_status()
        return dict(response.json())


@dataclass(frozen=True)
class SearchResult:
    """One hit of a web search engine, as every engine's tool reports it."""

    url: str
    title: str
    text: str


def search_outcome(query: str, results: list[SearchResult], context: ToolContext) -> ToolOutcome:
    """The hits, numbered as the session's sources (a URL seen before keeps its number), and
    one search counted (the ``max_searches`` limit)."""
    known = {s["url"] for s in context.state.get("sources") or []}
    sources = list(context.state.get("sources") or [])
    lines = []
    for result in results:
        if result.url and result.url not in known:
            known.add(result.url)
            sources.append({"number": len(sources) + 1, "url": result.url, "title": result.title})
        number = next((s["number"] for s in sources if s["url"] == result.url), "?")
        lines.append(f"[{number}] {result.title} — {result.url}\n{result.text}")
    content = f"Search: {query}\n\n" + ("\n\n".join(lines) if lines else "No results.")
    return ToolOutcome(
        content=content,
        context_updates={"sources": sources},
        counters={"searches_used": 1},
        payload={"results": len(results)},
    )


@builtin("web_search")
async def web_search(arguments: dict[str, Any], context: ToolContext) -> ToolOutcome:
    query = str(arguments.get("query", ""))
    max_results = int(arguments.get("max_results") or 5)
    data = await _search_api("/search", {"query": query, "max_results": max_results})
    results = [
        SearchResult(url=str(r.get("url", "")), title=r.get("title", ""), text=r.get("content", ""))
        for r in (data.get("results") or [])[:max_results]
    ]
    return search_outcome(query, results, context)


@builtin("extract_page_content")
async def extract_page_content(arguments: dict[str, Any], context: ToolContext) -> ToolOutcome:
    urls = [str(u) for u in arguments.get("urls") or []][:5]
    data = await _search_api("/extract", {"urls": urls})
    parts = [
        f"Content of {item.get('url', '')}:\n{str(item.get('raw_content', ''))[:8000]}"
        for item in data.get("results") or []
    ]
    failed = [str(item.get("url", item)) for item in data.get("failed_results") or []]
    if failed:
        parts.append("Could not read: " + ", ".join(failed))
    return ToolOutcome(content="\n\n".join(parts) or "Nothing could be extracted.")


@builtin("create_report")
async def create_report(arguments: dict[str, Any], context: ToolContext) -> ToolOutcome:
    from agents.services import artifact_create

    title = str(arguments.get("title") or "Report")
    body = f"# {title}\n\n{arguments.get('content', '')}\n"
    artifact = await run_sync(artifact_create)(
        session_id=context.session_id, name=f"{title}.md", content=body
    )
    return ToolOutcome(
        content=f"Report '{title}' saved as artifact {artifact.id}.",
        payload={"artifact_id": str(artifact.id), "title": title},
    )


@builtin("final_answer", pure=True)
async def final_answer(arguments: dict[str, Any], context: ToolContext) -> ToolOutcome:
    answer = arguments.get("answer", "")
    if not isinstance(answer, str):
        # A structured answer (the client's response_format): the client parses this JSON.
        answer = json.dumps(answer, ensure_ascii=False)
    status = str(arguments.get("status", "completed")).lower()
    return ToolOutcome(
        content=answer,
        ending="final",
        payload={
            "answer": answer,
            "status": status,
            "completed_steps": list(arguments.get("completed_steps") or []),
        },
    )
