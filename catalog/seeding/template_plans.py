"""Planning the templates of a branch: each agent definition (or, on 0.2.x, each concrete
agent class) becomes one planned template version with a flavour, prompts, LLM and execution
policies and the tools it offers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from pydantic import ValidationError

from catalog import services
from catalog.builtin import CLARIFICATION_PROMPT, INITIAL_USER_PROMPT, SYSTEM_PROMPT, limit_rules
from catalog.exceptions import InvalidCatalogEntry
from catalog.policies import ExecutionPolicy, LLMPolicy
from catalog.seeding.agent_classes import AgentClass, agent_lineage, find_agent_classes
from catalog.seeding.definitions import AgentDefinition, definition_rank
from catalog.seeding.names import canonical_tool_name, normalised_key, sanitize_name, snake_case
from catalog.seeding.repository import BranchTree
from catalog.seeding.source_index import SourceIndex, path_rank
from catalog.seeding.summary import BranchSummary
from catalog.seeding.tool_plans import SOURCE_TAG, ToolPlan, split_description

API_KEY_REF = "OPENAI_API_KEY"
DEFAULT_LIMITS = {"max_iterations": 10, "max_clarifications": 3, "max_searches": 4}
# sgr-agent-core's agent classes and registry names, normalised (see ``_agent_key``).
AGENT_FLAVOURS: dict[str, str] = {
    "sgragent": "sgr",
    "sgrtoolcallingagent": "sgr_tool_calling",
    "sgrautotoolcallingagent": "sgr_tool_calling",
    "sgrsotoolcallingagent": "sgr_tool_calling",
    "sgrtoolsagent": "sgr_tool_calling",
    "sgrautotoolsagent": "sgr_tool_calling",
    "sgrsotoolsagent": "sgr_tool_calling",
    "toolcallingagent": "tool_calling",
    "toolsagent": "tool_calling",
    # 0.7's Iron agent asks for one structured object naming the tool, then its arguments.
    "ironagent": "sgr",
}
PROMPT_KEYS: dict[str, tuple[str, ...]] = {
    "system_prompt": ("system_prompt_str", "system_prompt", "system_prompt_file"),
    "initial_user_prompt": (
        "initial_user_request_str",
        "initial_user_request",
        "initial_user_request_file",
        "initial_user_prompt",
    ),
    "clarification_prompt": (
        "clarification_response_str",
        "clarification_response",
        "clarification_response_file",
        "clarification_prompt",
    ),
}
DEFAULT_PROMPTS = {
    "system_prompt": SYSTEM_PROMPT,
    "initial_user_prompt": INITIAL_USER_PROMPT,
    "clarification_prompt": CLARIFICATION_PROMPT,
}


@dataclass
class TemplatePlan:
    name: str
    description: str
    content: dict[str, Any]
    provenance: dict[str, str]


def _agent_key(name: str) -> str:
    key = re.sub(r"[^a-z0-9]", "", name.rsplit(".", 1)[-1].lower())
    return key.replace("research", "")


def _flavour(lineage: list[str]) -> str | None:
    for name in lineage:
        flavour = AGENT_FLAVOURS.get(_agent_key(name))
        if flavour:
            return flavour
    first = _agent_key(lineage[0]) if lineage else ""
    if "toolcalling" in first or "tools" in first:
        return "sgr_tool_calling" if "sgr" in first else "tool_calling"
    if "sgr" in first:
        return "sgr"
    return None


class TemplatePlanner:
    """One branch's template plans; the spellings its agents use for a tool become that
    tool's aliases."""

    def __init__(
        self,
        *,
        tree: BranchTree,
        index: SourceIndex,
        tools: list[ToolPlan],
        tool_keys: dict[str, str],
        provenance: dict[str, str],
        summary: BranchSummary,
    ) -> None:
        self.tree = tree
        self.index = index
        self.tools = {plan.name: plan for plan in tools}
        self.tool_keys = tool_keys
        self.provenance = provenance
        self.summary = summary
        self.agent_classes = {a.class_name: a for a in find_agent_classes(index)}

    def from_definitions(self, definitions: list[AgentDefinition]) -> list[TemplatePlan]:
        chosen: dict[str, AgentDefinition] = {}
        for definition in sorted(definitions, key=definition_rank):
            name = sanitize_name(definition.name, prefix="agent")
            if name in chosen:
                self.summary.warnings.append(
                    f"agent {name!r} in {definition.path} is also defined in "
                    f"{chosen[name].path}; kept the latter"
                )
                continue
            chosen[name] = definition
        plans = []
        for name, definition in chosen.items():
            plan = self._plan(name, definition)
            if plan is not None:
                plans.append(plan)
        return sorted(plans, key=lambda p: p.name)

    def from_classes(
        self, agents: list[AgentClass], *, defaults: dict[str, dict[str, Any]]
    ) -> list[TemplatePlan]:
        """0.2.x has agent classes but no definitions: each concrete class becomes a
        template offering every tool the branch defines."""
        tools = sorted(n for n, p in self.tools.items() if "mcp" not in p.tags)
        chosen: dict[str, AgentClass] = {}
        for agent in sorted(agents, key=lambda a: path_rank(a.path)):
            if path_rank(agent.path)[0]:
                continue
            name = sanitize_name(
                agent.registry_name or snake_case(agent.class_name), prefix="agent"
            )
            chosen.setdefault(name, agent)
        plans = []
        for name, agent in chosen.items():
            definition = AgentDefinition(
                name=name,
                base_class=agent.class_name,
                tools=tools,
                path=agent.path,
                llm=dict(defaults.get("llm", {})),
                search=dict(defaults.get("search", {})),
                execution={**agent.limits, **defaults.get("execution", {})},
                prompts=dict(defaults.get("prompts", {})),
                description=split_description(agent.docstring)[0],
            )
            plan = self._plan(name, definition)
            if plan is not None:
                plans.append(plan)
        return sorted(plans, key=lambda p: p.name)

    def _plan(self, name: str, definition: AgentDefinition) -> TemplatePlan | None:
        where = f"agent {name!r} ({definition.path})"
        lineage = agent_lineage(self.index, definition.base_class or name)
        flavour = _flavour(lineage)
        if flavour is None:
            flavour = "sgr"
            self.summary.warnings.append(
                f"{where}: base class {definition.base_class or '?'!r} is not a known agent "
                "kind; imported as flavour 'sgr'"
            )
        tools = self._tools(definition, where)
        if flavour == "sgr_tool_calling" and "reasoning" not in tools:
            # The hybrid flavour always makes its forced reasoning call.
            tools.insert(0, "reasoning")
        limits = self._limits(definition, where)
        content: dict[str, Any] = {
            "flavour": flavour,
            **self._prompts(definition, where),
            "llm_policy": self._llm_policy(definition, where),
            "execution_policy": limits,
            "tool_policy": {
                "tools": tools,
                "required": ["final_answer"] if "final_answer" in tools else [],
            },
            "rules": limit_rules(**limits),
            "tags": [SOURCE_TAG, flavour],
        }
        description = definition.description or self._class_description(lineage)
        description = description or (
            f"sgr-agent-core agent {definition.name!r} ({definition.base_class or flavour})"
        )
        content["capabilities"] = description
        try:
            services.validate_name(name)
            ExecutionPolicy.model_validate(limits)
        except (InvalidCatalogEntry, ValidationError) as exc:
            message = exc.message if isinstance(exc, InvalidCatalogEntry) else str(exc)
            self.summary.warnings.append(f"{where}: {message.splitlines()[0]}; skipped")
            return None
        return TemplatePlan(
            name=name,
            description=description[:1000],
            content=content,
            provenance=self.provenance
            | {"source_path": definition.path, "source_class": definition.base_class},
        )

    def _class_description(self, lineage: list[str]) -> str:
        for class_name in lineage:
            agent = self.agent_classes.get(class_name)
            if agent is not None and agent.docstring:
                return split_description(agent.docstring)[0]
        return ""

    def _tools(self, definition: AgentDefinition, where: str) -> list[str]:
        names: list[str] = []
        for spelling in definition.tools:
            key = normalised_key(spelling)
            name = self.tool_keys.get(key) or canonical_tool_name(spelling, self.tool_keys)
            if name in self.tools and spelling != name:
                self.tools[name].aliases.add(spelling)
            elif name not in self.tools and name not in self.tool_keys.values():
                self.summary.warnings.append(
                    f"{where}: tool {spelling!r} is not defined in this branch nor in the "
                    f"catalog (kept as {name!r})"
                )
            if name not in names:
                names.append(name)
        return names

    def _limits(self, definition: AgentDefinition, where: str) -> dict[str, int]:
        limits = dict(DEFAULT_LIMITS)
        sources = [
            {"max_searches": definition.search.get("max_searches")},
            definition.execution,
        ]
        for source in sources:
            for key in DEFAULT_LIMITS:
                value = source.get(key)
                if value is None:
                    continue
                try:
                    limits[key] = int(value)
                except (TypeError, ValueError):
                    self.summary.warnings.append(
                        f"{where}: {key}={value!r} is not a number; default used"
                    )
        return limits

    def _llm_policy(self, definition: AgentDefinition, where: str) -> dict[str, Any]:
        llm = definition.llm
        policy: dict[str, Any] = {
            key: llm[key]
            for key in ("base_url", "model", "temperature", "max_tokens")
            if llm.get(key) not in (None, "")
        }
        if llm.get("api_key"):
            policy["api_key_ref"] = API_KEY_REF
            self.summary.warnings.append(
                f"{where}: dropped a raw api_key from the llm settings; the template reads "
                f"the key from ${API_KEY_REF}"
            )
        while policy:
            try:
                LLMPolicy.model_validate(policy)
                break
            except ValidationError as exc:
                bad = str(exc.errors()[0]["loc"][0])
                self.summary.warnings.append(
                    f"{where}: llm {bad}={policy.pop(bad, None)!r} is invalid; ignored"
                )
        return policy

    def _prompts(self, definition: AgentDefinition, where: str) -> dict[str, str]:
        prompts: dict[str, str] = {}
        for field_name, keys in PROMPT_KEYS.items():
            text = None
            for key in keys:
                value = definition.prompts.get(key)
                if not isinstance(value, str) or not value.strip():
                    continue
                if key.endswith("_file") or _looks_like_path(value):
                    text = self._read_prompt(value, definition.path)
                    if text is None and key.endswith("_file"):
                        self.summary.warnings.append(
                            f"{where}: prompt file {value!r} is not in the branch; "
                            "default prompt used"
                        )
                        continue
                    if text is None:
                        text = value
                else:
                    text = value
                break
            prompts[field_name] = text if text and text.strip() else DEFAULT_PROMPTS[field_name]
        return prompts

    def _read_prompt(self, value: str, definition_path: str) -> str | None:
        relative = value.strip().removeprefix("./")
        candidates = [relative, str(PurePosixPath(definition_path).parent / relative)]
        for candidate in candidates:
            if self.tree.exists(candidate):
                return self.tree.read_text(candidate)
        return None


def _looks_like_path(value: str) -> bool:
    return "\n" not in value and bool(re.search(r"\.(txt|md|j2|jinja2?|prompt)$", value.strip()))
