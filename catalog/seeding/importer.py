"""Turning what a branch of sgr-agent-core defines into catalog entries.

Seeding runs in two phases. First every requested branch is read and planned (tools with
canonical names, schemas and bindings; templates with flavours, policies and prompts) and
validated, without touching the database, so a bad URL, a missing branch or an unreadable
repository writes nothing. Then each branch's plan is written through the catalog services
in one transaction; the services make unchanged content a no-op, so seeding twice changes
nothing. A dry run writes inside a transaction that is rolled back.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from django.conf import settings
from django.db import transaction
from pydantic import ValidationError

from catalog import bindings, services
from catalog.builtin import CLARIFICATION_PROMPT, INITIAL_USER_PROMPT, SYSTEM_PROMPT, limit_rules
from catalog.exceptions import InvalidCatalogEntry
from catalog.models import AgentTemplate, Tool, ToolVersion
from catalog.policies import ExecutionPolicy, LLMPolicy
from catalog.seeding.definitions import (
    AgentDefinition,
    ConfigFile,
    definition_rank,
    from_call,
    is_config_file,
    read_config,
)
from catalog.seeding.errors import SeedSourceError
from catalog.seeding.python_source import (
    AgentClass,
    SourceIndex,
    ToolClass,
    path_rank,
    snake_case,
)
from catalog.seeding.repository import (
    BranchTree,
    SourceRepository,
    clone_or_fetch,
    open_local,
)

SOURCE_TAG = "sgr-agent-core"
API_KEY_REF = "OPENAI_API_KEY"
DEFAULT_LIMITS = {"max_iterations": 10, "max_clarifications": 3, "max_searches": 4}
BUILTIN_TOOL_TYPES: dict[str, str] = {
    "reasoning": Tool.Type.SYSTEM,
    "clarification": Tool.Type.SYSTEM,
    "generate_plan": Tool.Type.SYSTEM,
    "adapt_plan": Tool.Type.SYSTEM,
    "final_answer": Tool.Type.SYSTEM,
    "create_report": Tool.Type.AUX,
    "web_search": Tool.Type.DOMAIN,
    "extract_page_content": Tool.Type.DOMAIN,
}
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
_SKIPPED_DIRS = frozenset({"tests", "test", "node_modules", "site-packages", "venv"})

Progress = Callable[[str], None]


# --- results -------------------------------------------------------------------------------


@dataclass
class Counts:
    created: list[str] = field(default_factory=list)
    new_version: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    unbound: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.new_version)


@dataclass
class BranchSummary:
    branch: str
    commit: str
    layout: str
    tools: Counts = field(default_factory=Counts)
    templates: Counts = field(default_factory=Counts)
    mcp: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class SeedSummary:
    source: str
    dry_run: bool
    activate: bool
    branches: list[BranchSummary] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(b.tools.changed or b.templates.changed for b in self.branches)


# --- plans ---------------------------------------------------------------------------------


@dataclass
class ToolPlan:
    name: str
    type: str
    aliases: set[str]
    tags: list[str]
    description: str
    long_description: str
    input_schema: dict[str, Any]
    binding_kind: str
    binding: dict[str, Any]
    unbound_reason: str
    provenance: dict[str, str]


@dataclass
class TemplatePlan:
    name: str
    description: str
    content: dict[str, Any]
    provenance: dict[str, str]


@dataclass
class BranchPlan:
    summary: BranchSummary
    tools: list[ToolPlan] = field(default_factory=list)
    templates: list[TemplatePlan] = field(default_factory=list)


class _DryRun(Exception):
    """Raised to roll a dry run's transaction back."""


# --- the service ---------------------------------------------------------------------------


def catalog_seed_from_repo(
    *,
    repo_url: str | None = None,
    repo_path: str | None = None,
    branches: Iterable[str] = (),
    activate: bool = True,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> SeedSummary:
    """Import sgr-agent-core's tools and agents from a git clone; every branch is read and
    validated before anything is written, and each branch is written in one transaction."""
    say: Progress = progress or (lambda _message: None)
    if bool(repo_url) == bool(repo_path):
        raise SeedSourceError("give exactly one of a repository URL or a local path")
    if repo_path:
        source = open_local(repo_path)
    else:
        assert repo_url is not None
        source = clone_or_fetch(
            repo_url, cache_root=settings.MARUNTIME_HOME / "repos", progress=say
        )
    requested: list[str | None] = [*branches] or [None]
    trees = [source.branch(name) for name in requested]
    known = _known_tool_keys()
    plans = [_plan_branch(source, tree, known=known, say=say) for tree in trees]
    summary = SeedSummary(source=source.source, dry_run=dry_run, activate=activate)
    if dry_run:
        try:
            with transaction.atomic():
                for plan in plans:
                    summary.branches.append(_write_branch(plan, activate=activate))
                raise _DryRun
        except _DryRun:
            pass
    else:
        for plan in plans:
            with transaction.atomic():
                summary.branches.append(_write_branch(plan, activate=activate))
    return summary


# --- names ---------------------------------------------------------------------------------


def normalised_key(name: str) -> str:
    """Lowercase alphanumerics without a trailing "tool": every spelling of a tool meets."""
    key = re.sub(r"[^a-z0-9]", "", name.rsplit(".", 1)[-1].lower())
    return key[:-4] if key.endswith("tool") and len(key) > 4 else key


def sanitize_name(name: str, *, prefix: str) -> str:
    """Make ``name`` pass the catalog's slug validator."""
    slug = re.sub(r"[^a-z0-9_.\-]", "_", name.strip().lower())
    slug = re.sub(r"_+", "_", slug).strip("_.-")
    if not slug or not slug[0].isalpha():
        slug = f"{prefix}_{slug}".rstrip("_")
    return slug[:100]


def canonical_tool_name(raw: str, known: Mapping[str, str] | None = None) -> str:
    """``WebSearchTool``/``web_search_tool`` -> ``web_search``; a flat lower-cased name
    (``websearchtool``) is matched to a known tool by its normalised key."""
    raw = raw.strip().rsplit(".", 1)[-1]
    if any(ch.isupper() for ch in raw):
        name = snake_case(raw)
    elif "_" in raw or "-" in raw:
        name = raw.replace("-", "_")
    else:
        match = (known or {}).get(normalised_key(raw))
        if match:
            return match
        name = raw
    for suffix in ("_tool", "tool"):
        if name.endswith(suffix) and len(name) > len(suffix):
            name = name.removesuffix(suffix)
            break
    return sanitize_name(name, prefix="tool")


def _known_tool_keys() -> dict[str, str]:
    keys = {normalised_key(name): name for name in BUILTIN_TOOL_TYPES}
    for name, aliases in Tool.objects.values_list("name", "aliases"):
        for spelling in [name, *aliases]:
            keys.setdefault(normalised_key(spelling), name)
    return keys


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


# --- planning ------------------------------------------------------------------------------


def _plan_branch(
    source: SourceRepository, tree: BranchTree, *, known: dict[str, str], say: Progress
) -> BranchPlan:
    summary = BranchSummary(branch=tree.label, commit=tree.hexsha, layout=_layout(tree))
    plan = BranchPlan(summary=summary)
    say(f"branch {tree.label} @ {tree.hexsha[:10]} (layout {summary.layout})")
    index = SourceIndex()
    definitions: list[AgentDefinition] = []
    configs: list[ConfigFile] = []
    mcp_servers: set[str] = set()
    scanned = 0
    for path in tree.paths():
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
    tool_classes = index.tool_classes()
    plan.tools = _plan_tools(tool_classes, known=known, provenance=provenance, summary=summary)
    by_path: dict[str, list[str]] = {}
    for tool_plan in plan.tools:
        by_path.setdefault(tool_plan.provenance["source_path"], []).append(tool_plan.name)
    for path, names in by_path.items():
        say(f"  {path}: {len(names)} tool(s): {', '.join(names)}")
    for call in index.definition_calls():
        definitions.append(from_call(call))
        say(f"  {call.path}: agent definition {call.values['name']!r}")
    if mcp_servers:
        summary.mcp.append(
            f"MCP servers configured: {', '.join(sorted(mcp_servers))} (their tools are "
            "discovered at run time and cannot be read statically; not imported)"
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
    planner = _TemplatePlanner(
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
        agents = [a for a in index.agent_classes() if not a.is_abstract]
        # The main config's global sections apply to every agent (0.2.x has no others).
        main_config = min(configs, key=lambda c: path_rank(c.path), default=None)
        plan.templates = planner.from_classes(
            agents, defaults=main_config.defaults if main_config else {}
        )
        if plan.templates:
            say(f"  no agent definitions: {len(plan.templates)} agent class(es) as templates")
    return plan


def _plan_tools(
    classes: list[ToolClass],
    *,
    known: dict[str, str],
    provenance: dict[str, str],
    summary: BranchSummary,
) -> list[ToolPlan]:
    plans: dict[str, ToolPlan] = {}
    entrypoints = bindings.python_entrypoints()
    for cls in classes:
        own_keys = {**known, normalised_key(cls.class_name): canonical_tool_name(cls.class_name)}
        name = canonical_tool_name(cls.tool_name or cls.class_name, own_keys)
        path = provenance | {"source_path": cls.path, "source_class": cls.class_name}
        if name in plans:
            kept = plans[name].provenance
            summary.warnings.append(
                f"tool {name!r}: {cls.class_name} in {cls.path} duplicates "
                f"{kept['source_class']} in {kept['source_path']}; kept the latter"
            )
            continue
        aliases = {cls.class_name, cls.class_name.lower(), cls.tool_name or cls.class_name.lower()}
        aliases.discard(name)
        description, long_description = _split_description(cls.description)
        tags = [SOURCE_TAG, cls.folder[:50]] + (["mcp"] if cls.is_mcp else [])
        entrypoint = next((n for n in [name, *sorted(aliases)] if n in entrypoints), None)
        if cls.is_mcp:
            kind, binding = ToolVersion.BindingKind.UNBOUND, {}
            reason = (
                f"MCP tool (sgr-agent-core class {cls.class_name}): bind it to an MCP "
                "server and tool"
            )
        elif entrypoint:
            kind, binding, reason = ToolVersion.BindingKind.PYTHON, {"entrypoint": entrypoint}, ""
        else:
            kind, binding = ToolVersion.BindingKind.UNBOUND, {}
            reason = (
                f"no built-in implementation for {name!r} (sgr-agent-core class {cls.class_name})"
            )
        plan = ToolPlan(
            name=name,
            type=BUILTIN_TOOL_TYPES.get(name, Tool.Type.DOMAIN),
            aliases=aliases,
            tags=tags,
            description=description or f"{cls.class_name} (sgr-agent-core tool)",
            long_description=long_description,
            input_schema=cls.input_schema,
            binding_kind=kind,
            binding=binding,
            unbound_reason=reason[:500],
            provenance=path,
        )
        try:
            services.validate_name(plan.name)
            services.validate_input_schema(plan.input_schema)
        except InvalidCatalogEntry as exc:
            summary.warnings.append(f"tool {cls.class_name} in {cls.path}: {exc.message}; skipped")
            continue
        plans[name] = plan
    return list(plans.values())


def _split_description(text: str) -> tuple[str, str]:
    """The first paragraph as the short description; the whole text as the long one when
    there is more to it."""
    text = text.strip()
    first = re.split(r"\n\s*\n", text, maxsplit=1)[0]
    first = " ".join(line.strip() for line in first.splitlines() if line.strip())
    if len(first) > 1000:
        first = first[:997].rstrip() + "..."
    return first, text if text != first else ""


class _TemplatePlanner:
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
        self.agent_classes = {a.class_name: a for a in index.agent_classes()}

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
                description=_split_description(agent.docstring)[0],
            )
            plan = self._plan(name, definition)
            if plan is not None:
                plans.append(plan)
        return sorted(plans, key=lambda p: p.name)

    def _plan(self, name: str, definition: AgentDefinition) -> TemplatePlan | None:
        where = f"agent {name!r} ({definition.path})"
        lineage = self.index.agent_lineage(definition.base_class or name)
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
                return _split_description(agent.docstring)[0]
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


def _readable(path: str) -> bool:
    parts = PurePosixPath(path).parts
    if any(part.startswith(".") for part in parts[:-1]):
        return False
    if any(part in _SKIPPED_DIRS for part in parts[:-1]):
        return False
    return not parts[-1].startswith("test_")


def _layout(tree: BranchTree) -> str:
    paths = tree.paths()
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


# --- writing -------------------------------------------------------------------------------


def _write_branch(plan: BranchPlan, *, activate: bool) -> BranchSummary:
    summary = plan.summary
    for tool_plan in plan.tools:
        tool = _upsert_tool(tool_plan)
        had_versions = tool.versions.exists()
        version, created = services.tool_version_create(
            tool=tool,
            description=tool_plan.description,
            long_description=tool_plan.long_description,
            input_schema=tool_plan.input_schema,
            binding_kind=tool_plan.binding_kind,
            binding=tool_plan.binding,
            unbound_reason=tool_plan.unbound_reason,
            provenance=tool_plan.provenance,
            activate=activate,
        )
        _count(summary.tools, str(version), created=created, had_versions=had_versions)
        if tool_plan.binding_kind == ToolVersion.BindingKind.UNBOUND:
            summary.tools.unbound.append(tool_plan.name)
    for template_plan in plan.templates:
        template = AgentTemplate.objects.filter(name=template_plan.name).first()
        if template is None or not template.description:
            template = services.template_upsert(
                name=template_plan.name, description=template_plan.description
            )
        had_versions = template.versions.exists()
        template_version, created = services.template_version_create(
            template=template,
            provenance=template_plan.provenance,
            activate=activate,
            **template_plan.content,
        )
        _count(summary.templates, str(template_version), created=created, had_versions=had_versions)
    return summary


def _upsert_tool(plan: ToolPlan) -> Tool:
    """Create the tool, or merge our aliases and tags into it; a curated type and category
    are kept, and an unchanged tool is not written at all."""
    existing = Tool.objects.filter(name=plan.name).first()
    aliases = sorted(set(existing.aliases if existing else []) | plan.aliases)
    tags = sorted(set(existing.tags if existing else []) | set(plan.tags))
    if existing is not None and existing.aliases == aliases and existing.tags == tags:
        return existing
    return services.tool_upsert(
        name=plan.name,
        type=existing.type if existing else plan.type,
        aliases=aliases,
        category=existing.category if existing else "",
        tags=tags,
    )


def _count(counts: Counts, label: str, *, created: bool, had_versions: bool) -> None:
    if not created:
        counts.unchanged.append(label)
    elif had_versions:
        counts.new_version.append(label)
    else:
        counts.created.append(label)
