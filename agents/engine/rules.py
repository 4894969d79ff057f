"""The rules engine: template rules decide, each step, which tools stay available and which
stage the agent is in. sgr-agent-core's limits are rules here, not code."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from catalog.policies import Rule, RuleCondition

# Always offered with keep_only (the hybrid flavour needs it to think).
_ALWAYS_KEPT = frozenset({"reasoning"})


@dataclass
class RuleOutcome:
    tools: list[str]
    stage: str
    excluded: dict[str, str] = field(default_factory=dict)
    fired: list[str] = field(default_factory=list)


def condition_holds(condition: RuleCondition, counters: dict[str, Any]) -> bool:
    for name, bound in condition.model_dump(exclude_none=True).items():
        if name in ("state", "stage"):
            if counters.get(name) != bound:
                return False
            continue
        counter, _, op = name.rpartition("_")
        value = int(counters.get(counter, 0))
        if (op == "gte" and value < bound) or (op == "lt" and value >= bound):
            return False
    return True


def apply_rules(rules: tuple[Rule, ...], tools: list[str], counters: dict[str, Any]) -> RuleOutcome:
    """Evaluate every rule in order against the counters; rules compose."""
    outcome = RuleOutcome(tools=list(tools), stage=str(counters.get("stage", "")))
    for index, rule in enumerate(rules):
        if not condition_holds(rule.when, {**counters, "stage": outcome.stage}):
            continue
        label = rule.name or f"rule {index + 1}"
        outcome.fired.append(label)
        dropped = [t for t in outcome.tools if t in rule.exclude]
        if rule.keep_only is not None:
            keep = set(rule.keep_only) | _ALWAYS_KEPT
            dropped += [t for t in outcome.tools if t not in keep and t not in dropped]
        for name in dropped:
            outcome.excluded[name] = label
        outcome.tools = [t for t in outcome.tools if t not in dropped]
        if rule.set_stage is not None:
            outcome.stage = rule.set_stage
    return outcome
