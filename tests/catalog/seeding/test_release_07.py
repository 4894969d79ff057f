"""The 0.6-0.7 layout: the server package, Agent Skills, a global ``tools:`` section and
per-agent tool settings; and, when they are on this machine, the real 0.7.1 source tree and
a snapshot of sgr-agent-core's main and ``sgr-memory-agent`` branches."""

from __future__ import annotations

import os
import tarfile
from pathlib import Path

import git
import pytest
from django.core.management import call_command

from catalog.models import AgentTemplateVersion, Skill, ToolVersion
from tests.catalog.seeding.layouts import MAIN_LAYOUT, RELEASE_07_FILES, make_repo

pytestmark = pytest.mark.django_db

SDIST = (
    Path(os.environ.get("MARUNTIME_CACHE") or Path.home() / ".cache/maruntime")
    / "sgr-agent-core"
    / "sgr_agent_core-0.7.1.tar.gz"
)
# A local clone of sgr-agent-core (any remote) with its main and sgr-memory-agent branches.
CLONE = os.environ.get("SGR_AGENT_CORE_CLONE", "")


def template(name: str) -> AgentTemplateVersion:
    return AgentTemplateVersion.objects.get(template__name=name, is_active=True)


def test_a_07_tree_is_read_with_its_skills_and_tool_settings(tmp_path, entrypoints, seed):
    repo = make_repo(tmp_path / "core", {**MAIN_LAYOUT, **RELEASE_07_FILES})

    out = seed("--repo-path", repo.working_tree_dir)

    assert "(layout 0.6-0.7)" in out
    chatty = template("chatty")
    assert chatty.flavour == "sgr_tool_calling"  # DialogAgent, through its lineage
    # The configured name friendly_reply is an AnswerTool; a per-agent settings entry is
    # its tool's name.
    assert chatty.tool_policy["tools"] == [
        "reasoning",
        "answer",
        "web_search",
        "use_skill",
        "final_answer",
    ]
    for name in ("answer", "use_skill"):
        version = ToolVersion.objects.get(tool__name=name, is_active=True)
        assert version.binding == {"entrypoint": name}
    assert "uses the 'brave' search engine; maruntime's web_search uses Tavily: offer " in out
    assert "brave_search instead (BRAVE_API_KEY)" in out
    assert "settings of tool 'web_search_tool' not imported: api_key, max_results" in out
    skill = Skill.objects.get(name="short-answers")
    assert skill.description == "Answer in one sentence when the user asks for brevity."
    assert skill.content == "# Short answers\n\nLead with the answer; stop there."
    assert skill.source_path == ".agent/skills/short-answers/SKILL.md"
    assert ".agent/skills/broken/SKILL.md: no '---' frontmatter" in out
    assert "+ skill short-answers" in out

    again = seed("--repo-path", repo.working_tree_dir)
    assert "skills     0 written, 1 unchanged" in again and "Nothing changed" in again


def _seed_builtin() -> None:
    call_command("seed_builtin", stdout=open(os.devnull, "w"))  # noqa: SIM115


@pytest.mark.skipif(
    not SDIST.exists(), reason=f"no {SDIST}: `make sgr-agent-core-sdist` downloads it"
)
def test_the_real_071_source_tree(tmp_path, seed, settings):
    settings.TAVILY_API_KEY = "tvly-test"  # web search configured: its tools are bound
    with tarfile.open(SDIST) as archive:
        archive.extractall(tmp_path, filter="data")
    root = tmp_path / "sgr_agent_core-0.7.1"
    repo = git.Repo.init(root)
    repo.git.add("--force", "--all")  # the tree's .gitignore would leave its prompts out
    repo.git.commit("-m", "sgr-agent-core 0.7.1", author="sdist <sdist@example.com>")
    _seed_builtin()

    out = seed("--repo-path", str(root))

    assert "(layout 0.6-0.7)" in out
    imported = ToolVersion.objects.filter(source_repo=str(root))
    assert imported.count() == 17
    # Every tool of the release resolves to a maruntime tool that runs, but run_command,
    # which the catalog refuses with its reason.
    for version in imported:
        active = ToolVersion.objects.get(tool=version.tool, is_active=True)
        assert (active.binding_kind == "unbound") == (version.tool.name == "run_command")
    refused = ToolVersion.objects.get(tool__name="run_command", is_active=True)
    assert "no sandbox" in refused.unbound_reason and refused.risk_level == "critical"
    templates = AgentTemplateVersion.objects.filter(source_repo=str(root))
    assert templates.count() == 16
    # Built-in names stay with the built-in catalog; the release's own are active.
    assert template("sgr_agent").source_repo == "maruntime"
    assert template("sgr_file_agent").source_repo == str(root)
    assert template("dialog_agent").flavour == "sgr_tool_calling"
    assert Skill.objects.filter(source_repo=str(root)).count() == 2
    assert "prompt file" not in out  # every prompt file the definitions name was found


@pytest.mark.skipif(not CLONE, reason="set SGR_AGENT_CORE_CLONE to a clone of sgr-agent-core")
def test_a_snapshot_of_main_and_the_memory_branch(seed):
    _seed_builtin()

    out = seed("--repo-path", CLONE, "--branch", "main", "--branch", "sgr-memory-agent")

    assert "(layout 0.5)" in out and "(layout 0.3-0.4)" in out
    memory = template("memory_agent")
    assert memory.flavour == "sgr_tool_calling"
    memory_tools = [name for name in memory.tool_policy["tools"] if name not in ("reasoning",)]
    assert len(memory_tools) == 12  # web search, ten memory tools, final answer
    for name in memory_tools:
        if name == "web_search":
            continue
        active = ToolVersion.objects.get(tool__name=name, is_active=True)
        assert active.binding_kind == "python", name
