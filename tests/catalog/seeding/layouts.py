"""Small git repositories shaped like sgr-agent-core's three layouts (our own fixtures)."""

from __future__ import annotations

from pathlib import Path

import git

BASE_TOOL = '''
from typing import ClassVar
from pydantic import BaseModel


class BaseTool(BaseModel):
    """Common base of every tool."""

    tool_name: ClassVar[str] = None
    description: ClassVar[str] = None


class MCPBaseTool(BaseTool):
    """Tools proxied to an MCP server."""
'''

BASE_AGENT = '''
class BaseAgent:
    """Agent base."""

    name: str = "base_agent"

    def __init__(self, task: str, max_iterations: int = 10):
        self.task = task
'''

# --- 0.5: one tool per *_tool.py, definitions in python and YAML ---------------------------

MAIN_LAYOUT: dict[str, str] = {
    "README.md": "# a fork of the agent core\n",
    "sgr_agent_core/__init__.py": "",
    "sgr_agent_core/base_tool.py": BASE_TOOL,
    "sgr_agent_core/models.py": """
from enum import Enum


class AgentStatesEnum(str, Enum):
    INITED = "inited"
    COMPLETED = "completed"
    FAILED = "failed"
""",
    "sgr_agent_core/tools/__init__.py": "from .web_search_tool import WebSearchTool\n",
    "sgr_agent_core/tools/web_search_tool.py": '''
from pydantic import Field

from sgr_agent_core.base_tool import BaseTool


class WebSearchTool(BaseTool):
    """Look things up on the internet.

    Prefer precise queries in the language of the request.
    """

    reasoning: str = Field(description="Why the search is needed")
    query: str = Field(description="What to search for")
    max_results: int = Field(description="How many hits", default=5, ge=1, le=10)
''',
    "sgr_agent_core/tools/final_answer_tool.py": '''
from typing import Literal

from pydantic import Field

from sgr_agent_core.base_tool import BaseTool
from sgr_agent_core.models import AgentStatesEnum


class FinalAnswerTool(BaseTool):
    """Finish the task with an answer."""

    reasoning: str = Field(description="Why the task is done")
    completed_steps: list[str] = Field(description="Steps done", min_length=1, max_length=5)
    answer: str = Field(description="The answer")
    status: Literal[AgentStatesEnum.COMPLETED, AgentStatesEnum.FAILED] = Field(
        description="Outcome"
    )
''',
    "sgr_agent_core/tools/reasoning_tool.py": '''
from typing import ClassVar

from pydantic import Field

from sgr_agent_core.base_tool import BaseTool


class ReasoningTool(BaseTool):
    """Think before acting."""

    tool_name: ClassVar[str] = "reasoningtool"

    reasoning_steps: list[str] = Field(description="Steps", min_length=2, max_length=3)
    enough_data: bool = Field(default=False, description="Enough gathered?")
''',
    "sgr_agent_core/tools/create_report_tool.py": '''
from typing import ClassVar, Literal

from pydantic import Field

from sgr_agent_core.base_tool import BaseTool


class CreateReportTool(BaseTool):
    """A docstring that is not the description."""

    description: ClassVar[str] = "Write the findings down as a report."

    title: str = Field(description="Report title")
    content: str
    confidence: Literal["high", "medium", "low"] = Field(description="How sure")
''',
    "sgr_agent_core/tools/page_base.py": '''
from sgr_agent_core.base_tool import BaseTool


class PageToolBase(BaseTool):
    """Tools that work on web pages."""

    reasoning: str
''',
    "sgr_agent_core/tools/summarize_pages_tool.py": '''
from typing import Annotated, Optional

from pydantic import BaseModel, Field

from sgr_agent_core.tools.page_base import PageToolBase


class PageFilter(BaseModel):
    """Which pages to keep."""

    language: str | None = None
    min_words: int = Field(default=0, ge=0)


class SummarizePagesTool(PageToolBase):
    """Summarise several pages at once."""

    urls: list[str] = Field(description="Pages to read", min_length=1, max_length=5)
    filter: Optional[PageFilter] = None
    style: Annotated[str, Field(description="Tone of the summary", max_length=20)] = "plain"
    ratio: float = Field(default=0.3, gt=0, le=1)
''',
    "sgr_agent_core/tools/deepwiki_tool.py": '''
from sgr_agent_core.base_tool import MCPBaseTool


class DeepwikiAskTool(MCPBaseTool):
    """Ask the wiki."""

    question: str
''',
    "sgr_agent_core/next_step_tool.py": '''
from abc import ABC

from sgr_agent_core.tools.reasoning_tool import ReasoningTool


class NextStepToolStub(ReasoningTool, ABC):
    """Stub for the union of tools."""
''',
    "sgr_agent_core/agents/base_agent.py": BASE_AGENT,
    "sgr_agent_core/agents/sgr_agent.py": '''
from sgr_agent_core.agents.base_agent import BaseAgent


class SGRAgent(BaseAgent):
    """Structured output agent."""

    name: str = "sgr_agent"


class ResearchSGRAgent(SGRAgent):
    """Research flavour of the structured agent."""
''',
    "sgr_agent_core/agents/sgr_tool_calling_agent.py": '''
from sgr_agent_core.agents.sgr_agent import SGRAgent


class SGRToolCallingAgent(SGRAgent):
    """Hybrid agent."""

    name: str = "sgr_tool_calling_agent"
''',
    "sgr_agent_core/agents/tool_calling_agent.py": '''
from sgr_agent_core.agents.base_agent import BaseAgent


class ToolCallingAgent(BaseAgent):
    """Native function calling."""

    name: str = "tool_calling_agent"


class ResearchToolCallingAgent(ToolCallingAgent):
    pass
''',
    "sgr_agent_core/prompts/research_system_prompt.txt": "You research. Tools: {available_tools}\n",
    "sgr_deep_research/default_definitions.py": """
from pathlib import Path

import sgr_agent_core.tools as tools
from sgr_agent_core.agent_definition import AgentDefinition, PromptsConfig
from sgr_agent_core.agents import ResearchSGRAgent, ResearchToolCallingAgent

TOOLKIT = [tools.WebSearchTool, tools.CreateReportTool, tools.FinalAnswerTool]


def definitions():
    return [
        AgentDefinition(
            name="sgr_agent",
            base_class=ResearchSGRAgent,
            tools=TOOLKIT,
            prompts=PromptsConfig(
                system_prompt_file=Path("sgr_agent_core/prompts/research_system_prompt.txt")
            ),
        ),
        AgentDefinition(
            name="tool_calling_agent",
            base_class=ResearchToolCallingAgent,
            tools=[*TOOLKIT, tools.SummarizePagesTool],
        ),
    ]
""",
    "config.yaml.example": """
llm:
  api_key: "sk-not-a-real-key"
  base_url: "https://llm.example.com/v1"
  model: "model-a"
  temperature: 0.4
  proxy: "socks5://127.0.0.1:1081"
search:
  max_searches: 2
mcp:
  mcpServers:
    deepwiki:
      url: "https://mcp.example.com/mcp"
telemetry:
  enabled: true
tools:
  web_search_tool:
    max_results: 3
agents:
  custom_agent:
    base_class: "sgr_tool_calling_agent"
    description: "A quick hybrid researcher."
    llm:
      model: "model-b"
    execution:
      max_iterations: 6
    prompts:
      system_prompt_str: "Be brief. {available_tools}"
    tools:
      - "web_search_tool"
      - "FinalAnswerTool"
      - "websearchtool"
""",
    "examples/memory/agents.py": '''
from sgr_agent_core.agents.sgr_tool_calling_agent import SGRToolCallingAgent


class MemoryAgent(SGRToolCallingAgent):
    """Remembers things in files."""

    name: str = "memory_agent"
''',
    "examples/memory/config.yaml": """
agents:
  memory_agent:
    base_class: "examples.memory.agents.MemoryAgent"
    tools: ["WebSearchTool", "FinalAnswerTool"]
""",
    "tests/test_tools.py": '''
from sgr_agent_core.base_tool import BaseTool


class FakeTestTool(BaseTool):
    """Only for the fork's own tests."""
''',
}

# --- 0.6-0.7: 0.5 plus the server package, skills, a global tools: section ----------------

RELEASE_07_FILES: dict[str, str] = {
    "sgr_agent_core/server/__init__.py": "",
    "sgr_agent_core/tools/answer_tool.py": '''
from pydantic import Field

from sgr_agent_core.base_tool import BaseTool


class AnswerTool(BaseTool):
    """Tell the user something and keep talking."""

    reasoning: str = Field(description="Why", max_length=200)
    intermediate_result: str = Field(description="What to say", min_length=10)
    continue_research: bool = Field(default=True, description="Go on afterwards")
''',
    "sgr_agent_core/tools/skill_tool.py": """
from typing import ClassVar

from pydantic import Field

from sgr_agent_core.base_tool import BaseTool


class SkillTool(BaseTool):
    tool_name: ClassVar[str] = "use_skill"
    description: ClassVar[str] = "Load a skill."

    skill_name: str = Field(description="Which skill")
""",
    "sgr_agent_core/agents/dialog_agent.py": '''
from sgr_agent_core.agents.sgr_tool_calling_agent import SGRToolCallingAgent


class DialogAgent(SGRToolCallingAgent):
    """Talks with the user."""

    name: str = "dialog_agent"
''',
    ".agent/skills/short-answers/SKILL.md": """---
name: short-answers
description: Answer in one sentence when the user asks for brevity.
---

# Short answers

Lead with the answer; stop there.
""",
    ".agent/skills/broken/SKILL.md": "No frontmatter here.\n",
    "config.yaml": """
llm:
  model: "model-7"
tools:
  friendly_reply:
    base_class: "sgr_agent_core.tools.answer_tool.AnswerTool"
  web_search_tool:
    engine: "brave"
    api_key: "not-a-real-key"
    max_results: 3
agents:
  chatty:
    base_class: "DialogAgent"
    tools:
      - "friendly_reply"
      - web_search_tool:
          max_results: 2
      - "use_skill"
      - "final_answer_tool"
""",
}

# --- 0.3-0.4: sgr_deep_research/core/tools/*.py with mem_tools/, agents.yaml ---------------


def _memory_tool(class_name: str, *fields: str) -> str:
    """A memory-branch tool class with the branch's field names (descriptions our own)."""
    lines = [f'    {name}: str = Field(description="The {name}.")' for name in fields]
    return (
        "from pydantic import Field\n\n"
        "from sgr_deep_research.core.base_tool import BaseTool\n\n\n"
        f"class {class_name}(BaseTool):\n"
        f'    """Memory tool {class_name}."""\n\n'
        '    reasoning: str = Field(description="Why.", max_length=200)\n' + "\n".join(lines) + "\n"
    )


# The branch's nine other memory tools: class name, file, fields (as on the branch).
MEMORY_TOOL_FIELDS = {
    "ReadFileTool": ("read_file_tool", ("file_path",)),
    "UpdateFileTool": ("update_file_tool", ("file_path", "old_content", "new_content")),
    "DeleteFileTool": ("delete_file_tool", ("file_path",)),
    "CheckIfFileExistsTool": ("check_if_file_exists_tool", ("file_path",)),
    "CreateDirTool": ("create_dir_tool", ("dir_path",)),
    "CheckIfDirExistsTool": ("check_if_dir_exists_tool", ("dir_path",)),
    "GetSizeTool": ("get_size_tool", ("file_or_dir_path",)),
    "GetListFilesTool": ("get_list_files_tool", ()),
    "GoToLinkTool": ("go_to_link_tool", ("link_string",)),
}


MEMORY_LAYOUT: dict[str, str] = {
    "sgr_deep_research/__init__.py": "",
    "sgr_deep_research/core/base_tool.py": BASE_TOOL,
    "sgr_deep_research/core/tools/web_search_tool.py": '''
from pydantic import Field

from sgr_deep_research.core.base_tool import BaseTool


class WebSearchTool(BaseTool):
    """Search the web (memory branch)."""

    query: str = Field(description="Query")
''',
    "sgr_deep_research/core/tools/final_answer_tool.py": '''
from sgr_deep_research.core.base_tool import BaseTool


class FinalAnswerTool(BaseTool):
    """Answer and stop."""

    answer: str
''',
    "sgr_deep_research/core/tools/mem_tools/__init__.py": "",
    "sgr_deep_research/core/tools/mem_tools/create_file_tool.py": '''
"""Инструмент памяти."""

from pydantic import Field

from sgr_deep_research.core.base_tool import BaseTool


class CreateFileTool(BaseTool):
    """
    Создаем новый файл в памяти агента.

    Подробности: проверяем лимиты размера.
    """

    file_path: str = Field(description="Путь к файлу")
    content: str = Field(description="Содержимое")
''',
    "sgr_deep_research/core/agents/base_agent.py": BASE_AGENT,
    "sgr_deep_research/core/agents/sgr_tool_calling_agent.py": """
from sgr_deep_research.core.agents.base_agent import BaseAgent


class SGRToolCallingAgent(BaseAgent):
    name: str = "sgr_tool_calling_agent"
""",
    "sgr_deep_research/core/agents/memory_agent.py": '''
from sgr_deep_research.core.agents.sgr_tool_calling_agent import SGRToolCallingAgent


class MemoryAgent(SGRToolCallingAgent):
    """Agent with a file memory."""

    name: str = "memory_agent"
''',
    "agents.yaml": """
agents:
  memory_agent:
    base_class: "MemoryAgent"
    tools:
      - "WebSearchTool"
      - "CreateFileTool"
      - "ReadFileTool"
      - "UpdateFileTool"
      - "DeleteFileTool"
      - "CheckIfFileExistsTool"
      - "CreateDirTool"
      - "CheckIfDirExistsTool"
      - "GetSizeTool"
      - "GetListFilesTool"
      - "GoToLinkTool"
      - "FinalAnswerTool"
    llm:
      model: "model-m"
      temperature: 0.1
""",
}
MEMORY_LAYOUT.update(
    {
        f"sgr_deep_research/core/tools/mem_tools/{module}.py": _memory_tool(name, *fields)
        for name, (module, fields) in MEMORY_TOOL_FIELDS.items()
    }
)

# --- 0.2: several tools per file, agent classes, config.yaml without agents -----------------

OLD_LAYOUT: dict[str, str] = {
    "sgr_deep_research/core/tools/base.py": '''
from abc import ABC
from typing import ClassVar

from pydantic import BaseModel, Field


class BaseTool(BaseModel):
    tool_name: ClassVar[str] = None
    description: ClassVar[str] = None


class ClarificationTool(BaseTool):
    """Ask the user what they mean."""

    questions: list[str] = Field(description="Questions", min_length=1, max_length=3)


class GeneratePlanTool(BaseTool):
    """Plan the research."""

    planned_steps: list[str] = Field(min_length=2, max_length=4)


class ReasoningTool(BaseTool):
    """Reason about the next step."""

    task_completed: bool


class NextStepToolStub(ReasoningTool, ABC):
    """Not a tool."""
''',
    "sgr_deep_research/core/tools/research.py": '''
from typing import Literal

from pydantic import Field

from sgr_deep_research.core.tools.base import BaseTool


class WebSearchTool(BaseTool):
    """Search."""

    query: str


class CreateReportTool(BaseTool):
    """Report."""

    title: str
    confidence: Literal["high", "low"] = "high"


class AgentCompletionTool(BaseTool):
    """Finish the research."""

    status: Literal["completed", "failed"]
''',
    "sgr_deep_research/core/agents/base_agent.py": BASE_AGENT,
    "sgr_deep_research/core/agents/sgr_agent.py": '''
from sgr_deep_research.core.agents.base_agent import BaseAgent


class SGRResearchAgent(BaseAgent):
    """The structured research agent."""

    name: str = "sgr_agent"

    def __init__(self, task, max_clarifications: int = 3, max_searches: int = 6,
                 max_iterations: int = 12):
        super().__init__(task)
''',
    "sgr_deep_research/core/agents/sgr_tools_agent.py": '''
from sgr_deep_research.core.agents.sgr_agent import SGRResearchAgent


class SGRToolCallingResearchAgent(SGRResearchAgent):
    """Hybrid research agent."""
''',
    "sgr_deep_research/core/agents/tools_agent.py": '''
from sgr_deep_research.core.agents.base_agent import BaseAgent


class ToolCallingResearchAgent(BaseAgent):
    """Plain function calling."""

    name: str = "tool_calling_agent"
''',
    "config.yaml": """
openai:
  api_key: "sk-old"
  model: "gpt-old"
execution:
  max_iterations: 10
""",
}


def write_files(root: Path, files: dict[str, str]) -> list[str]:
    for path, text in files.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text.lstrip("\n"), encoding="utf-8")
    return list(files)


def commit(repo: git.Repo, files: dict[str, str], message: str) -> git.Commit:
    root = Path(repo.working_tree_dir or "")
    repo.index.add(write_files(root, files))
    return repo.index.commit(message)


def make_repo(root: Path, files: dict[str, str], *, branch: str = "main") -> git.Repo:
    repo = git.Repo.init(root, initial_branch=branch)
    with repo.config_writer() as config:
        config.set_value("user", "name", "Fixture")
        config.set_value("user", "email", "fixture@example.com")
    commit(repo, files, "initial layout")
    return repo


def add_branch(
    repo: git.Repo, name: str, files: dict[str, str], *, remove: tuple[str, ...] = ()
) -> git.Commit:
    """Commit ``files`` on a new branch, then go back to the branch we were on."""
    previous = repo.active_branch
    repo.git.checkout("-b", name)
    if remove:
        repo.index.remove(list(remove), working_tree=True, r=True)
    result = commit(repo, files, f"{name} layout")
    previous.checkout()
    return result
