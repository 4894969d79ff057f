"""The 0.5 layout: one tool per ``*_tool.py``, definitions in python and YAML."""

import pytest

from catalog.models import AgentTemplateVersion, Tool, ToolVersion
from catalog.seeding.importer import canonical_tool_name

pytestmark = pytest.mark.django_db


def active(name):
    return ToolVersion.objects.get(tool__name=name, is_active=True)


def template(name):
    return AgentTemplateVersion.objects.get(template__name=name, is_active=True)


def test_tools_are_read_with_their_schemas(main_repo, entrypoints, seed):
    seed("--repo-path", main_repo.working_tree_dir)

    assert set(Tool.objects.values_list("name", flat=True)) == {
        "web_search",
        "final_answer",
        "reasoning",
        "create_report",
        "summarize_pages",
        "deepwiki_ask",
    }
    web = active("web_search").input_schema
    assert web["required"] == ["reasoning", "query"]
    assert web["properties"]["max_results"] == {
        "type": "integer",
        "description": "How many hits",
        "default": 5,
        "minimum": 1,
        "maximum": 10,
    }
    final = active("final_answer").input_schema
    assert final["properties"]["status"]["enum"] == ["completed", "failed"]
    assert final["properties"]["completed_steps"] == {
        "type": "array",
        "items": {"type": "string"},
        "description": "Steps done",
        "minItems": 1,
        "maxItems": 5,
    }
    report = active("create_report").input_schema
    assert report["properties"]["confidence"]["enum"] == ["high", "medium", "low"]
    assert report["required"] == ["title", "content", "confidence"]
    # Derived through a helper base in another file; nested model, Optional, Annotated.
    pages = active("summarize_pages").input_schema
    assert pages["required"] == ["reasoning", "urls"]
    assert pages["properties"]["urls"]["minItems"] == 1
    assert pages["properties"]["style"] == {
        "type": "string",
        "description": "Tone of the summary",
        "maxLength": 20,
        "default": "plain",
    }
    assert pages["properties"]["ratio"]["exclusiveMinimum"] == 0
    nested, null = pages["properties"]["filter"]["anyOf"]
    assert null == {"type": "null"}
    assert nested["properties"]["language"]["anyOf"] == [{"type": "string"}, {"type": "null"}]
    assert nested["properties"]["min_words"]["minimum"] == 0


def test_names_aliases_descriptions_and_bindings(main_repo, entrypoints, seed):
    out = seed("--repo-path", main_repo.working_tree_dir)

    reasoning = Tool.objects.get(name="reasoning")  # tool_name "reasoningtool" matched
    assert {"ReasoningTool", "reasoningtool"} <= set(reasoning.aliases)
    assert reasoning.type == "system"
    assert Tool.objects.get(name="create_report").type == "aux"
    web = Tool.objects.get(name="web_search")
    # spellings used by agent definitions are kept too
    assert {"WebSearchTool", "websearchtool", "web_search_tool"} <= set(web.aliases)
    assert {"sgr-agent-core", "tools"} <= set(web.tags)
    assert active("create_report").description == "Write the findings down as a report."
    version = active("web_search")
    assert version.description == "Look things up on the internet."
    assert "Prefer precise queries" in version.long_description
    assert version.binding_kind == "python" and version.binding == {"entrypoint": "web_search"}
    assert version.source_path == "sgr_agent_core/tools/web_search_tool.py"
    assert version.source_class == "WebSearchTool"
    assert version.source_branch == "main"
    assert version.source_commit == main_repo.head.commit.hexsha
    assert version.source_repo == main_repo.working_tree_dir

    unbound = active("summarize_pages")
    assert unbound.binding_kind == "unbound"
    assert unbound.unbound_reason == (
        "no built-in implementation for 'summarize_pages' (sgr-agent-core class SummarizePagesTool)"
    )
    assert active("deepwiki_ask").binding_kind == "unbound"
    assert "mcp: MCP servers configured: deepwiki" in out
    assert "MCP tool class DeepwikiAskTool" in out
    # helpers, stubs and the fork's own tests are not tools
    assert not Tool.objects.filter(name__in=["page_tool_base", "next_step_tool_stub", "fake_test"])


def test_agents_become_templates(main_repo, entrypoints, seed):
    out = seed("--repo-path", main_repo.working_tree_dir)

    sgr = template("sgr_agent")
    assert sgr.flavour == "sgr"
    assert sgr.tool_policy["tools"] == ["web_search", "create_report", "final_answer"]
    assert sgr.tool_policy["required"] == ["final_answer"]
    assert sgr.system_prompt == "You research. Tools: {available_tools}\n"  # file from the tree
    assert sgr.execution_policy["max_iterations"] == 10
    assert sgr.source_path == "sgr_deep_research/default_definitions.py"
    assert sgr.rules[0]["when"]["iteration_gte"] == 10

    calling = template("tool_calling_agent")
    assert calling.flavour == "tool_calling"
    assert "summarize_pages" in calling.tool_policy["tools"]
    assert calling.system_prompt.startswith("You are a careful research agent")  # default

    custom = template("custom_agent")  # from config.yaml.example, base by registry name
    assert custom.flavour == "sgr_tool_calling"
    assert custom.tool_policy["tools"] == ["reasoning", "web_search", "final_answer"]
    assert custom.execution_policy["max_iterations"] == 6
    assert custom.execution_policy["max_searches"] == 2
    assert custom.system_prompt == "Be brief. {available_tools}"
    assert custom.llm_policy["model"] == "model-b"
    assert custom.llm_policy["base_url"] == "https://llm.example.com/v1"
    assert custom.llm_policy["api_key_ref"] == "OPENAI_API_KEY"
    assert "sk-not-a-real-key" not in str(custom.llm_policy)
    assert "dropped a raw api_key" in out
    assert custom.template.description == "A quick hybrid researcher."

    memory = template("memory_agent")  # examples/**, flavour through the class lineage
    assert memory.flavour == "sgr_tool_calling"
    assert memory.source_class == "examples.memory.agents.MemoryAgent"
    assert {r["name"] for r in custom.rules} == {r["name"] for r in sgr.rules}
    exhausted = next(r for r in custom.rules if r["when"].get("searches_used_gte") is not None)
    assert exhausted["when"]["searches_used_gte"] == 2


def test_summary_table(main_repo, entrypoints, seed):
    out = seed("--repo-path", main_repo.working_tree_dir)

    assert "sgr_agent_core/tools/web_search_tool.py: 1 tool(s): web_search" in out
    assert "(layout 0.5)" in out
    lines = {
        line.split()[0]: line.split()[1:] for line in out.splitlines() if line.startswith("  t")
    }
    assert lines["tools"] == ["6", "0", "0", "2"]
    assert lines["templates"] == ["4", "0", "0", "-"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("WebSearchTool", "web_search"),
        ("web_search_tool", "web_search"),
        ("websearchtool", "web_search"),
        ("ClarificationTool", "clarification"),
        ("GeneratePlanTool", "generate_plan"),
        ("FinalAnswerTool", "final_answer"),
        ("ReasoningTool", "reasoning"),
        ("ExtractPageContentTool", "extract_page_content"),
        ("CreateReportTool", "create_report"),
        ("AdaptPlanTool", "adapt_plan"),
        ("getweathertool", "getweather"),
        ("9lives", "tool_9lives"),
    ],
)
def test_canonical_names(raw, expected):
    known = {"websearch": "web_search"}
    assert canonical_tool_name(raw, known) == expected
