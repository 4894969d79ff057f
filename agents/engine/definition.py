"""An agent as the engine sees it: a template version with typed policies and the tools it
may be offered, loaded once per run. Tool schemas for a given tool set are built once per
process and cached (``step_schema`` in ``schemas``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from agents.tools.base import ToolSpec
from catalog.policies import (
    RISK_ORDER,
    ExecutionPolicy,
    LLMPolicy,
    Rule,
    ToolLimits,
    ToolPolicy,
)
from catalog.selectors import active_tool_versions, template_version_get

if TYPE_CHECKING:
    from catalog.models import ToolVersion


@dataclass(frozen=True)
class AgentDefinition:
    template_version_id: int
    template_name: str
    flavour: str
    system_prompt: str
    initial_user_prompt: str
    clarification_prompt: str
    llm: LLMPolicy
    execution: ExecutionPolicy
    tool_policy: ToolPolicy
    rules: tuple[Rule, ...]
    # Every tool this agent may ever be offered, by name (policy and risk filters applied).
    tools: dict[str, ToolSpec]


def tool_spec(version: ToolVersion) -> ToolSpec:
    return ToolSpec(
        name=version.tool.name,
        version_id=version.pk,
        type=version.tool.type,
        tags=tuple(version.tool.tags),
        description=version.description,
        input_schema=version.input_schema,
        binding_kind=version.binding_kind,
        binding=version.binding,
        risk_level=version.risk_level,
        requires_approval=version.requires_approval,
        idempotent=version.idempotent,
        on_takeover=version.on_takeover,
        limits=ToolLimits.model_validate(version.limits),
    )


def load_definition(template_version_id: int) -> AgentDefinition:
    """Read the template version and its candidate tools (sync: call off the event loop)."""
    version = template_version_get(template_version_id=template_version_id)
    policy = ToolPolicy.model_validate(version.tool_policy)
    candidates = active_tool_versions(
        names=None
        if policy.selection == "retrieval_per_step" and not policy.tools
        else sorted(set(policy.tools) | set(policy.required))
    )
    ceiling = RISK_ORDER[policy.risk_ceiling]
    tools = {}
    for tool_version in candidates:
        spec = tool_spec(tool_version)
        if _allowed(spec, policy, ceiling):
            tools[spec.name] = spec
    return AgentDefinition(
        template_version_id=version.pk,
        template_name=version.template.name,
        flavour=version.flavour,
        system_prompt=version.system_prompt,
        initial_user_prompt=version.initial_user_prompt,
        clarification_prompt=version.clarification_prompt,
        llm=LLMPolicy.model_validate(version.llm_policy),
        execution=ExecutionPolicy.model_validate(version.execution_policy),
        tool_policy=policy,
        rules=tuple(Rule.model_validate(rule) for rule in version.rules),
        tools=tools,
    )


def _allowed(spec: ToolSpec, policy: ToolPolicy, ceiling: int) -> bool:
    if RISK_ORDER.get(spec.risk_level, 3) > ceiling or spec.name in policy.deny:
        return False
    if spec.name in policy.required:
        return True
    if policy.allow and spec.name not in policy.allow:
        return False
    if policy.allowed_types and spec.type not in policy.allowed_types:
        return False
    return not policy.allowed_tags or bool(set(policy.allowed_tags) & set(spec.tags))
