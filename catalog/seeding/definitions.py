"""Agent definitions of an sgr-agent-core branch: the YAML ``agents:`` sections of
``agents.yaml``/``config.yaml`` (and their ``.example`` files, anywhere in the tree) and the
python ``AgentDefinition(...)`` calls found by the ast reader.

Every shape seen across versions is accepted: ``agents`` as a mapping or a list, ``llm`` or
``openai`` for the LLM section, ``execution`` or ``context`` for limits, prompts as
``*_file``/``*_str``/plain keys. Unknown sections and keys are ignored, never fatal.
A file's global ``llm``/``search``/``execution``/``prompts`` sections are the defaults of the
agents defined in the same file, as sgr-agent-core merges them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

import yaml

from catalog.seeding.definition_calls import DefinitionCall
from catalog.seeding.source_index import path_rank

_CONFIG_FILE = re.compile(r"^(agents|config)([._-][\w.-]*)?\.ya?ml(\.example)?$")
_SECTIONS = ("llm", "search", "execution", "prompts")


@dataclass
class AgentDefinition:
    name: str
    base_class: str
    tools: list[str]
    path: str
    llm: dict[str, Any] = field(default_factory=dict)
    search: dict[str, Any] = field(default_factory=dict)
    execution: dict[str, Any] = field(default_factory=dict)
    prompts: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    mcp_servers: list[str] = field(default_factory=list)


@dataclass
class ConfigFile:
    """What one YAML file contributes: agent definitions, MCP servers, problems."""

    path: str
    agents: list[AgentDefinition] = field(default_factory=list)
    mcp_servers: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # The file's global llm/search/execution/prompts sections.
    defaults: dict[str, dict[str, Any]] = field(default_factory=dict)
    # 0.7's global ``tools:`` section: a configured name -> the tool class it is an instance
    # of (``base_class``), so agents that list the configured name get that tool.
    tool_classes: dict[str, str] = field(default_factory=dict)


def is_config_file(path: str) -> bool:
    parts = PurePosixPath(path).parts
    if any(part.startswith(".") for part in parts[:-1]):
        return False
    return bool(_CONFIG_FILE.match(parts[-1]))


def read_config(path: str, text: str) -> ConfigFile:
    result = ConfigFile(path=path)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        result.warnings.append(f"{path}: not valid YAML ({_first_line(exc)}); skipped")
        return result
    if not isinstance(data, dict):
        return result
    globals_ = result.defaults = _sections(data)
    result.mcp_servers = _mcp_servers(data.get("mcp"))
    _read_tool_section(result, data.get("tools"))
    agents = data.get("agents")
    entries: list[tuple[str, Any]] = []
    if isinstance(agents, dict):
        entries = [(str(name), spec) for name, spec in agents.items()]
    elif isinstance(agents, list):
        entries = [(str(spec.get("name", "")), spec) for spec in agents if isinstance(spec, dict)]
    elif agents is not None:
        result.warnings.append(f"{path}: 'agents' is neither a mapping nor a list; skipped")
    for name, spec in entries:
        if not name or not isinstance(spec, dict):
            result.warnings.append(f"{path}: agent entry {name or '?'!r} has no settings; skipped")
            continue
        own = _sections(spec)
        result.agents.append(
            AgentDefinition(
                name=name,
                base_class=str(spec.get("base_class") or ""),
                tools=_tool_names(spec.get("tools")),
                path=path,
                llm={**globals_["llm"], **own["llm"]},
                search={**globals_["search"], **own["search"]},
                execution={**globals_["execution"], **own["execution"]},
                prompts={**globals_["prompts"], **own["prompts"]},
                description=str(spec.get("description") or spec.get("display_name") or ""),
                mcp_servers=_mcp_servers(spec.get("mcp")) or result.mcp_servers,
            )
        )
    return result


def from_call(call: DefinitionCall) -> AgentDefinition:
    values = call.values
    sections = _sections(values)
    base = values.get("base_class")
    return AgentDefinition(
        name=str(values["name"]),
        base_class=str(base) if isinstance(base, str) else "",
        tools=_tool_names(values.get("tools")),
        path=call.path,
        llm=sections["llm"],
        search=sections["search"],
        execution=sections["execution"],
        prompts=sections["prompts"],
        description=str(values.get("description") or ""),
        mcp_servers=_mcp_servers(values.get("mcp")),
    )


def definition_rank(definition: AgentDefinition) -> tuple[int, int, int, int, str]:
    """Which definition of a name wins: a real config over python defaults over
    ``.example`` files, the package over examples (sgr-agent-core's own override order)."""
    aside, depth, path = path_rank(definition.path)
    return aside, int(path.endswith(".example")), int(path.endswith(".py")), depth, path


def _sections(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    def section(*keys: str) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for key in keys:
            value = spec.get(key)
            if isinstance(value, dict):
                merged.update(value)
        return merged

    return {
        "llm": section("openai", "llm"),
        "search": section("search"),
        "execution": section("context", "execution"),
        "prompts": section("prompts"),
    }


def _tool_names(value: Any) -> list[str]:
    names: list[str] = []
    if not isinstance(value, list):
        return names
    for item in value:
        if isinstance(item, dict) and len(item) == 1 and not {"name", "tool", "class"} & set(item):
            # 0.7's per-agent tool settings: ``- web_search_tool: {max_results: 15}``.
            item = next(iter(item))
        if isinstance(item, dict):
            item = item.get("name") or item.get("tool") or item.get("class")
        if isinstance(item, str) and item.strip():
            names.append(item.strip().rsplit(".", 1)[-1])
    return names


def _read_tool_section(result: ConfigFile, section: Any) -> None:
    """0.7's global ``tools:``: each tool's ``base_class`` becomes a name mapping; its other
    settings (result counts, search engine, API keys) are not imported, and say so."""
    if section is None:
        return
    if not isinstance(section, dict):
        result.warnings.append(f"{result.path}: 'tools' is not a mapping; skipped")
        return
    for name, settings in section.items():
        settings = settings if isinstance(settings, dict) else {}
        base = settings.get("base_class")
        if isinstance(base, str) and base.strip():
            result.tool_classes[str(name)] = base.strip().rsplit(".", 1)[-1]
        engine = settings.get("engine")
        if isinstance(engine, str) and engine.lower() != "tavily":
            result.warnings.append(
                f"{result.path}: tool {name!r} uses the {engine!r} search engine; maruntime's "
                f"web_search uses Tavily: offer {engine.lower()}_search instead "
                f"({engine.upper()}_API_KEY)"
            )
        ignored = sorted(key for key in settings if key not in ("base_class", "engine"))
        if ignored:
            result.warnings.append(
                f"{result.path}: settings of tool {name!r} not imported: {', '.join(ignored)} "
                "(keys are read from the environment; limits belong in the tool's catalog "
                "version)"
            )


def _mcp_servers(value: Any) -> list[str]:
    if not isinstance(value, dict):
        return []
    servers = value.get("mcpServers") or value.get("servers")
    return sorted(str(name) for name in servers) if isinstance(servers, dict) else []


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
