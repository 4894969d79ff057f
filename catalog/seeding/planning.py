"""Planning one branch: reading its python and YAML files into tool and template plans,
validated but not yet written (see ``writing``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath

from catalog.seeding.agent_classes import find_agent_classes
from catalog.seeding.definition_calls import find_definition_calls
from catalog.seeding.definitions import (
    AgentDefinition,
    ConfigFile,
    from_call,
    is_config_file,
    read_config,
)
from catalog.seeding.names import normalised_key
from catalog.seeding.repository import BranchTree, Progress, SourceRepository
from catalog.seeding.skills import SkillPlan, is_skill_file, read_skill
from catalog.seeding.source_index import SourceIndex, path_rank
from catalog.seeding.summary import BranchSummary
from catalog.seeding.template_plans import TemplatePlan, TemplatePlanner
from catalog.seeding.tool_classes import find_tool_classes
from catalog.seeding.tool_plans import ToolPlan, plan_tools

_SKIPPED_DIRS = frozenset({"tests", "test", "node_modules", "site-packages", "venv"})


@dataclass
class BranchPlan:
    summary: BranchSummary
    # The branch's provenance (repo, branch, commit) for entries it writes.
    provenance: dict[str, str] = field(default_factory=dict)
    tools: list[ToolPlan] = field(default_factory=list)
    templates: list[TemplatePlan] = field(default_factory=list)
    skills: list[SkillPlan] = field(default_factory=list)


def plan_branch(
    source: SourceRepository, tree: BranchTree, *, known: dict[str, str], say: Progress
) -> BranchPlan:
    summary = BranchSummary(branch=tree.label, commit=tree.hexsha, layout=_layout(tree))
    plan = BranchPlan(summary=summary)
    say(f"branch {tree.label} @ {tree.hexsha[:10]} (layout {summary.layout})")
    index = SourceIndex()
    definitions: list[AgentDefinition] = []
    configs: list[ConfigFile] = []
    mcp_servers: set[str] = set()
    configured_tools: dict[str, str] = {}
    scanned = 0
    for path in tree.paths():
        if is_skill_file(path):
            _plan_skill(plan, tree, path)
            continue
        if not _readable(path):
            continue
        if path.endswith(".py"):
            text = tree.read_text(path)
            if text is None:
                continue
            try:
                index.add_module(path, text)
                scanned += 1
            except (SyntaxError, ValueError) as exc:
                summary.warnings.append(f"{path}: cannot be parsed ({exc}); skipped")
        elif is_config_file(path):
            text = tree.read_text(path)
            if text is None:
                continue
            config = read_config(path, text)
            configs.append(config)
            summary.warnings.extend(config.warnings)
            definitions.extend(config.agents)
            configured_tools.update(config.tool_classes)
            mcp_servers.update(config.mcp_servers)
            for agent in config.agents:
                mcp_servers.update(agent.mcp_servers)
            if config.agents:
                say(f"  {path}: {len(config.agents)} agent definition(s)")
    say(f"  scanned {scanned} python file(s)")
    provenance = {
        "source_repo": source.source,
        "source_branch": tree.label,
        "source_commit": tree.hexsha,
    }
    plan.provenance = provenance
    tool_classes = find_tool_classes(index)
    plan.tools = plan_tools(tool_classes, known=known, provenance=provenance, summary=summary)
    by_path: dict[str, list[str]] = {}
    for tool_plan in plan.tools:
        by_path.setdefault(tool_plan.provenance["source_path"], []).append(tool_plan.name)
    for path, names in by_path.items():
        say(f"  {path}: {len(names)} tool(s): {', '.join(names)}")
    for call in find_definition_calls(index):
        definitions.append(from_call(call))
        say(f"  {call.path}: agent definition {call.values['name']!r}")
    if mcp_servers:
        summary.mcp.append(
            f"MCP servers configured: {', '.join(sorted(mcp_servers))} (their tools are "
            "discovered at run time and cannot be read statically; configure them in "
            "MCP_SERVERS and run import_mcp_tools --server NAME)"
        )
    for tool_plan in plan.tools:
        if "mcp" in tool_plan.tags:
            summary.mcp.append(
                f"MCP tool class {tool_plan.provenance['source_class']} "
                f"stored unbound as {tool_plan.name}"
            )
    tool_keys = dict(known)
    for tool_plan in plan.tools:
        for spelling in [tool_plan.name, *tool_plan.aliases]:
            tool_keys[normalised_key(spelling)] = tool_plan.name
    for configured, class_name in configured_tools.items():
        target = tool_keys.get(normalised_key(class_name))
        if target is not None:
            tool_keys.setdefault(normalised_key(configured), target)
    planner = TemplatePlanner(
        tree=tree,
        index=index,
        tools=plan.tools,
        tool_keys=tool_keys,
        provenance=provenance,
        summary=summary,
    )
    if definitions:
        plan.templates = planner.from_definitions(definitions)
    else:
        agents = [a for a in find_agent_classes(index) if not a.is_abstract]
        # The main config's global sections apply to every agent (0.2.x has no others).
        main_config = min(configs, key=lambda c: path_rank(c.path), default=None)
        plan.templates = planner.from_classes(
            agents, defaults=main_config.defaults if main_config else {}
        )
        if plan.templates:
            say(f"  no agent definitions: {len(plan.templates)} agent class(es) as templates")
    return plan


def _plan_skill(plan: BranchPlan, tree: BranchTree, path: str) -> None:
    """A skill file, read even under a hidden folder (``.agent/skills`` is the default)."""
    text = tree.read_text(path)
    skill = read_skill(path, text or "")
    if isinstance(skill, str):
        plan.summary.warnings.append(skill)
    elif any(known.name == skill.name for known in plan.skills):
        plan.summary.warnings.append(f"{path}: skill {skill.name!r} is defined twice; kept one")
    else:
        plan.skills.append(skill)


def _readable(path: str) -> bool:
    parts = PurePosixPath(path).parts
    if any(part.startswith(".") for part in parts[:-1]):
        return False
    if any(part in _SKIPPED_DIRS for part in parts[:-1]):
        return False
    return not parts[-1].startswith("test_")


def _layout(tree: BranchTree) -> str:
    paths = tree.paths()
    if any(p.startswith(("sgr_agent_core/server/", "sgr_agent_core/skills/")) for p in paths):
        return "0.6-0.7"
    if any(p.startswith("sgr_agent_core/tools/") for p in paths):
        return "0.5"
    if any(p.startswith("sgr_deep_research/core/tools/") and p.count("/") >= 4 for p in paths):
        return "0.3-0.4"
    if any(
        p in paths
        for p in (
            "sgr_deep_research/core/tools/research.py",
            "sgr_deep_research/core/tools/base.py",
        )
    ):
        return "0.2"
    if any(p.startswith("sgr_deep_research/core/tools/") for p in paths):
        return "0.3-0.4"
    return "unknown"
