"""Tools through which an agent finds what it can use: ``search_tools`` (sgr-agent-core's
progressive tool discovery, here on maruntime's own retrieval) and ``use_skill`` (Agent
Skills, here stored in the catalog)."""

from __future__ import annotations

from typing import Any

from agents.models import Session
from agents.tools.base import ToolContext, ToolOutcome
from agents.tools.builtin import builtin
from catalog.policies import RISK_ORDER, ToolPolicy, ToolScope
from catalog.selectors import skill_get, skill_names
from maruntime.asyncdb import run_sync

SEARCH_TOOLS_K = 5


def _discover(session_id: Any, query: str, known: list[str]) -> list[tuple[str, str]]:
    """The template's tools that best match ``query``, within its risk ceiling and its
    callers' scope, that it has not discovered yet: ``(name, why)``."""
    from retrieval.selectors import tool_search

    session = Session.objects.select_related("template_version").get(pk=session_id)
    policy = ToolPolicy.model_validate(session.template_version.tool_policy or {})
    scope = ToolScope.model_validate(session.tool_scope or {})
    candidates = [
        name
        for name in policy.tools
        if name not in known
        and name not in scope.deny
        and (scope.allow is None or name in scope.allow)
    ]
    if not candidates:
        return []
    hits = tool_search(
        query=query,
        k=SEARCH_TOOLS_K,
        allow=candidates,
        risk_ceiling=min(policy.risk_ceiling, scope.risk_ceiling, key=RISK_ORDER.__getitem__),
    )
    return [(hit.name, hit.explanation) for hit in hits]


@builtin("search_tools")
async def search_tools(arguments: dict[str, Any], context: ToolContext) -> ToolOutcome:
    """The agent's tools that fit the capability it describes; they are offered from the
    next step on (``discovered_tools``)."""
    query = str(arguments.get("query", "")).strip()
    if not query:
        return ToolOutcome(content="Describe the capability you need in the query.")
    known = list(context.state.get("discovered_tools") or [])
    found = await run_sync(_discover)(context.session_id, query, known)
    if not found:
        return ToolOutcome(content=f"No further tool fits {query!r}.")
    lines = [f"- {name}: {why}" for name, why in found]
    return ToolOutcome(
        content="Tools now available to you:\n" + "\n".join(lines),
        context_updates={"discovered_tools": known + [name for name, _ in found]},
        payload={"discovered": [name for name, _ in found]},
    )


def _skill(name: str) -> str:
    skill = skill_get(name)
    if skill is not None:
        return f"Skill {skill.name}: {skill.description}\n\n{skill.content}"
    available = ", ".join(skill_names()) or "none"
    raise LookupError(f"there is no skill {name!r}; available skills: {available}")


@builtin("use_skill")
async def use_skill(arguments: dict[str, Any], context: ToolContext) -> ToolOutcome:
    """The instructions of a skill stored in the catalog (a ``SKILL.md`` body)."""
    return ToolOutcome(content=await run_sync(_skill)(str(arguments.get("skill_name", ""))))
