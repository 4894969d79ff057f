"""The 0.3-0.4 and 0.2 layouts, and branches read without a checkout."""

from pathlib import Path

import pytest

from catalog.models import AgentTemplateVersion, Tool, ToolVersion
from tests.catalog.seeding.layouts import MEMORY_LAYOUT, OLD_LAYOUT, add_branch, make_repo

pytestmark = pytest.mark.django_db


def active(name):
    return ToolVersion.objects.get(tool__name=name, is_active=True)


def template(name):
    return AgentTemplateVersion.objects.get(template__name=name, is_active=True)


def test_memory_branch_is_read_without_checking_it_out(main_repo, entrypoints, seed):
    add_branch(main_repo, "sgr-memory-agent", MEMORY_LAYOUT, remove=("sgr_agent_core",))
    root = Path(main_repo.working_tree_dir)

    out = seed("--repo-path", str(root), "--branch", "sgr-memory-agent")

    assert main_repo.active_branch.name == "main"
    assert (root / "sgr_agent_core/tools/web_search_tool.py").exists()
    assert not (root / "sgr_deep_research/core/tools/mem_tools").exists()
    assert not main_repo.is_dirty(untracked_files=True)
    assert "(layout 0.3-0.4)" in out

    create_file = Tool.objects.get(name="create_file")
    assert {"sgr-agent-core", "mem_tools"} <= set(create_file.tags)
    version = active("create_file")
    assert version.description == "Создаем новый файл в памяти агента."
    assert "проверяем лимиты" in version.long_description
    assert version.input_schema["properties"]["file_path"]["description"] == "Путь к файлу"
    # Bound to maruntime's memory store (agents/tools/memory.py).
    assert version.binding_kind == "python" and version.binding == {"entrypoint": "create_file"}
    assert version.source_branch == "sgr-memory-agent"
    assert version.source_path == "sgr_deep_research/core/tools/mem_tools/create_file_tool.py"
    memory = template("memory_agent")
    assert memory.flavour == "sgr_tool_calling"
    assert memory.tool_policy["tools"] == [
        "reasoning",
        "web_search",
        "create_file",
        "read_file",
        "update_file",
        "delete_file",
        "check_if_file_exists",
        "create_dir",
        "check_if_dir_exists",
        "get_size",
        "get_list_files",
        "go_to_link",
        "final_answer",
    ]
    # Every memory tool is bound to maruntime's store: the imported agent can run.
    memory_tools = ToolVersion.objects.filter(tool__tags__contains=["mem_tools"])
    assert memory_tools.count() == 10
    assert not memory_tools.filter(binding_kind="unbound")
    assert memory.llm_policy["model"] == "model-m"
    assert memory.llm_policy["api_key_ref"] == ""


def test_several_branches_with_a_remote_branch_name(tmp_path, main_repo, entrypoints, seed):
    add_branch(main_repo, "sgr-memory-agent", MEMORY_LAYOUT, remove=("sgr_agent_core",))
    clone = main_repo.clone(str(tmp_path / "clone"))  # only "main" is a local branch there

    out = seed(
        "--repo-path",
        clone.working_tree_dir,
        "--branch",
        "main",
        "--branch",
        "origin/sgr-memory-agent",
    )

    assert active("web_search").source_branch == "origin/sgr-memory-agent"
    assert ToolVersion.objects.filter(tool__name="web_search").count() == 2
    assert ToolVersion.objects.get(tool__name="summarize_pages").source_branch == "main"
    assert out.count("created") == 2


def test_old_layout_agent_classes_become_templates(tmp_path, entrypoints, seed):
    repo = make_repo(tmp_path / "old", OLD_LAYOUT)

    out = seed("--repo-path", repo.working_tree_dir)

    assert "(layout 0.2)" in out
    assert set(Tool.objects.values_list("name", flat=True)) == {
        "clarification",
        "generate_plan",
        "reasoning",
        "web_search",
        "create_report",
        "agent_completion",
    }
    assert active("clarification").source_path == "sgr_deep_research/core/tools/base.py"
    assert active("agent_completion").binding_kind == "unbound"
    assert active("generate_plan").input_schema["properties"]["planned_steps"]["minItems"] == 2

    sgr = template("sgr_agent")
    assert sgr.flavour == "sgr"
    assert sgr.execution_policy["max_searches"] == 6  # from the class's __init__ defaults
    assert sgr.execution_policy["max_iterations"] == 10  # config.yaml wins over the class
    assert "web_search" in sgr.tool_policy["tools"]
    # a subclass without its own ``name`` is named after its class
    hybrid = template("sgr_tool_calling_research_agent")
    assert hybrid.flavour == "sgr_tool_calling"
    assert "reasoning" in hybrid.tool_policy["tools"]
    assert hybrid.llm_policy["model"] == "gpt-old"  # config.yaml's global section
    assert hybrid.llm_policy["api_key_ref"] == "OPENAI_API_KEY"
    assert "sk-old" not in str(hybrid.llm_policy)
    assert template("tool_calling_agent").flavour == "tool_calling"
    assert "no agent definitions" in out
