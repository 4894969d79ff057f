"""Which tools one step offers: the rules' survivors, then either all of them (``static``)
or the required ones (and those found with ``search_tools``) plus the best matches for this
step (``retrieval_per_step``), capped at ``max_tools_in_prompt``. The choice and its reasons
become a ``tool_selection`` event.

Per-step retrieval ranks the agent's own tools with the same search as ``/v1/tools/search``
but without its "no tool fits" threshold: every candidate was put in the template on
purpose, and a request phrased far from a description (slang, another language) should
still reach the model with its best matches rather than with no tool at all."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agents.engine.definition import AgentDefinition
from agents.engine.rules import RuleOutcome
from catalog.policies import ToolScope
from maruntime.asyncdb import run_sync


@dataclass
class Selection:
    offered: list[str]
    stage: str
    excluded: dict[str, str] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    query: str = ""

    def as_payload(self) -> dict[str, Any]:
        return {
            "offered": self.offered,
            "excluded": self.excluded,
            "reasons": self.reasons,
            "stage": self.stage,
            "query": self.query,
        }


def caller_exclusions(definition: AgentDefinition, tool_scope: dict[str, Any]) -> dict[str, str]:
    """The agent's tools its session's callers may not use (``Session.tool_scope``), with
    the reason; applied before rules and retrieval, so such a tool is never offered."""
    if not tool_scope:
        return {}
    scope = ToolScope.model_validate(tool_scope)
    return {
        name: f"caller scope: {why}"
        for name, spec in definition.tools.items()
        if (why := scope.refusal(name, spec.risk_level)) is not None
    }


def limit_exclusions(definition: AgentDefinition, context: dict[str, Any]) -> dict[str, str]:
    """The agent's tools whose ``max_calls_per_session`` this session has used up."""
    uses = context.get("tool_uses") or {}
    return {
        name: f"limit: {cap} calls per session used"
        for name, spec in definition.tools.items()
        if (cap := spec.limits.max_calls_per_session) is not None and uses.get(name, 0) >= cap
    }


def step_query(task: str, context: dict[str, Any]) -> str:
    """What this step is about: the task, the next planned step and the stage."""
    plan = context.get("plan") or {}
    steps = plan.get("steps") or []
    done = int(context.get("iteration", 0))
    next_step = steps[min(done, len(steps) - 1)] if steps else ""
    return " ".join(part for part in (task, next_step, context.get("stage", "")) if part)


async def select_tools(
    definition: AgentDefinition, ruled: RuleOutcome, context: dict[str, Any], task: str
) -> Selection:
    policy = definition.tool_policy
    cap = policy.max_tools_in_prompt
    excluded = {name: f"rule: {why}" for name, why in ruled.excluded.items()}
    # Tools the agent found with search_tools are offered from then on, like required ones.
    discovered = set(context.get("discovered_tools") or [])
    required = [name for name in ruled.tools if name in policy.required or name in discovered]
    reasons = {
        name: "required" if name in policy.required else "discovered with search_tools"
        for name in required
    }
    if policy.selection == "static":
        offered = required + [name for name in ruled.tools if name not in required]
        reasons.update({name: "template tool" for name in offered if name not in reasons})
        query = ""
    else:
        from retrieval.selectors import NO_THRESHOLD, tool_search

        query = step_query(task, context)
        candidates = [name for name in ruled.tools if name not in required]
        hits = (
            await run_sync(tool_search)(
                query=query, k=policy.retrieval_k, allow=candidates, threshold=NO_THRESHOLD
            )
            if candidates
            else []
        )
        offered = required + [hit.name for hit in hits if hit.name in definition.tools]
        reasons.update({hit.name: f"retrieved: {hit.explanation}" for hit in hits})
        for name in candidates:
            if name not in offered:
                excluded[name] = "not among the best matches for this step"
    for name in offered[cap:]:
        excluded[name] = f"over max_tools_in_prompt ({cap})"
    offered = offered[:cap]
    return Selection(
        offered=offered,
        stage=ruled.stage,
        excluded=excluded,
        reasons={k: v for k, v in reasons.items() if k in offered},
        query=query,
    )
