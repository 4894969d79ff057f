"""The built-in catalog shipped with maruntime: our tools, prompts and agent templates.

``python manage.py seed_builtin`` writes these through the catalog services, so running it
again changes nothing. sgr-agent-core's limits are expressed as rules (``limit_rules``);
the engine has no hard-coded limit checks.
"""

from __future__ import annotations

from typing import Any

SYSTEM_PROMPT = """\
You are a careful research agent working step by step. Today is {current_date}.

Each step you return one structured object: describe the situation, judge the plan, reason \
in two or three short steps, then choose exactly ONE next action from the tools offered \
below and fill in its arguments.

How to work:
- If the request is ambiguous, ask for clarification first instead of guessing.
- Make a short plan before collecting information; adapt it when facts change it.
- Search only for what the plan needs; cite the sources you use.
- Answer in the language of the user's request.
- Finish with the final answer tool as soon as you have enough to answer well.

Tools offered in this step:
{available_tools}
"""

INITIAL_USER_PROMPT = """\
Current date: {current_date}.
Original request:
{task}
"""

CLARIFICATION_PROMPT = """\
The user answered your clarification questions:
{clarifications}

Continue the task with this information; do not ask the same questions again.
"""

REASONING_ARGUMENT = {"type": "string", "description": "Why this action is the right next step."}


def _str_list(description: str, *, min_items: int = 1, max_items: int = 10) -> dict[str, Any]:
    return {
        "type": "array",
        "items": {"type": "string"},
        "minItems": min_items,
        "maxItems": max_items,
        "description": description,
    }


def object_schema(properties: dict[str, Any], *, optional: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": [name for name in properties if name not in optional],
    }


REASONING_FIELDS: dict[str, Any] = {
    "current_situation": {"type": "string", "description": "What is known so far."},
    "plan_status": {"type": "string", "description": "Is the plan still right?"},
    "reasoning_steps": _str_list("Two or three short reasoning steps.", min_items=2, max_items=3),
    "enough_data": {"type": "boolean", "description": "Enough gathered to answer?"},
    "remaining_steps": _str_list("What is left to do.", min_items=1, max_items=3),
    "task_completed": {"type": "boolean", "description": "Is the task done?"},
}

BUILTIN_TOOLS: list[dict[str, Any]] = [
    {
        "name": "reasoning",
        "type": "system",
        "aliases": ["reasoningtool", "ReasoningTool", "reasoning_tool"],
        "description": "Think about the situation and decide what to do next.",
        "input_schema": object_schema(REASONING_FIELDS),
    },
    {
        "name": "clarification",
        "type": "system",
        "aliases": ["clarificationtool", "ClarificationTool", "clarification_tool"],
        "description": "Ask the user to clarify an ambiguous request before going on.",
        "long_description": "Use when terms are unclear or the request can mean several "
        "things. The run pauses until the user answers.",
        "input_schema": object_schema(
            {
                "reasoning": REASONING_ARGUMENT,
                "unclear_terms": _str_list("Terms that need explaining.", max_items=5),
                "assumptions": _str_list("What you would assume otherwise.", max_items=5),
                "questions": _str_list("Questions for the user.", max_items=3),
            }
        ),
    },
    {
        "name": "generate_plan",
        "type": "system",
        "aliases": ["generateplantool", "GeneratePlanTool", "generate_plan_tool"],
        "description": "Write a research plan: the goal and the steps to reach it.",
        "input_schema": object_schema(
            {
                "reasoning": REASONING_ARGUMENT,
                "research_goal": {"type": "string", "description": "What to find out."},
                "planned_steps": _str_list("Steps of the plan.", min_items=2, max_items=5),
                "search_strategies": _str_list("How to search.", max_items=4),
            }
        ),
    },
    {
        "name": "adapt_plan",
        "type": "system",
        "aliases": ["adaptplantool", "AdaptPlanTool", "adapt_plan_tool"],
        "description": "Change the plan when new facts call for it.",
        "input_schema": object_schema(
            {
                "reasoning": REASONING_ARGUMENT,
                "original_goal": {"type": "string"},
                "new_goal": {"type": "string"},
                "plan_changes": _str_list("What changes and why.", max_items=4),
                "next_steps": _str_list("The updated remaining steps.", max_items=5),
            }
        ),
    },
    {
        "name": "web_search",
        "type": "domain",
        "tags": ["search", "web"],
        "aliases": ["websearchtool", "WebSearchTool", "web_search_tool"],
        "description": "Search the web for current information and sources.",
        "needs_search_api": True,
        "input_schema": object_schema(
            {
                "reasoning": REASONING_ARGUMENT,
                "query": {"type": "string", "description": "The search query."},
                "max_results": {"type": "integer", "minimum": 1, "maximum": 10, "default": 5},
            },
            optional=("max_results",),
        ),
    },
    {
        "name": "extract_page_content",
        "type": "domain",
        "tags": ["search", "web"],
        "aliases": [
            "extractpagecontenttool",
            "ExtractPageContentTool",
            "extract_page_content_tool",
        ],
        "description": "Read the full text of web pages found by a search.",
        "needs_search_api": True,
        "input_schema": object_schema(
            {
                "reasoning": REASONING_ARGUMENT,
                "urls": {
                    "type": "array",
                    "items": {"type": "string"},
                    "minItems": 1,
                    "maxItems": 5,
                    "description": "Pages to read.",
                },
            }
        ),
    },
    {
        "name": "create_report",
        "type": "aux",
        "tags": ["report"],
        "aliases": ["createreporttool", "CreateReportTool", "create_report_tool"],
        "description": "Write a detailed report (stored as a downloadable artifact).",
        "input_schema": object_schema(
            {
                "reasoning": REASONING_ARGUMENT,
                "title": {"type": "string"},
                "content": {"type": "string", "description": "The report in Markdown."},
                "confidence": {"type": "string", "enum": ["high", "medium", "low"]},
            }
        ),
    },
    {
        "name": "final_answer",
        "type": "system",
        "aliases": ["finalanswertool", "FinalAnswerTool", "final_answer_tool"],
        "description": "Give the final answer to the user and finish the task.",
        "input_schema": object_schema(
            {
                "reasoning": REASONING_ARGUMENT,
                "completed_steps": _str_list("What was done.", max_items=10),
                "answer": {"type": "string", "description": "The answer for the user."},
                "status": {"type": "string", "enum": ["completed", "failed"]},
            }
        ),
    },
]

# sgr-agent-core 0.7's tools beyond the research toolkit: the dialog reply, tool discovery
# and skills run; its shell tool maruntime refuses. A spec with ``unavailable`` is stored
# unbound with that reason, so it is never offered and a definition naming it resolves.
BUILTIN_TOOLS += [
    {
        "name": "answer",
        "type": "system",
        "aliases": ["answertool", "AnswerTool", "answer_tool"],
        "description": "Reply to the user and wait for their next message (the dialog goes on).",
        "input_schema": object_schema(
            {
                "reasoning": REASONING_ARGUMENT,
                "intermediate_result": {"type": "string", "description": "The reply."},
                "continue_research": {"type": "boolean", "default": True},
            },
            optional=("continue_research",),
        ),
    },
    *(
        {
            "name": f"{engine}_search",
            "type": "domain",
            "tags": ["search", "web", engine],
            "aliases": [],
            "description": f"Search the web with {title} for current information and sources.",
            "needs_setting": key,
            "input_schema": object_schema(
                {
                    "reasoning": REASONING_ARGUMENT,
                    "query": {"type": "string", "description": "The search query."},
                    "max_results": {"type": "integer", "minimum": 1, "maximum": 20, "default": 5},
                    "offset": {
                        "type": "integer",
                        "minimum": 0,
                        "default": 0,
                        "description": "Results to skip: the next page starts at the last count.",
                    },
                },
                optional=("max_results", "offset"),
            ),
        }
        for engine, title, key in (
            ("brave", "Brave Search", "BRAVE_API_KEY"),
            ("perplexity", "Perplexity", "PERPLEXITY_API_KEY"),
        )
    ),
    {
        "name": "search_tools",
        "type": "system",
        "tags": ["discovery"],
        "aliases": ["searchtoolstool", "SearchToolsTool", "search_tools_tool"],
        "description": "Find more of your tools by describing the capability you need.",
        "input_schema": object_schema(
            {"query": {"type": "string", "description": "e.g. 'search the web'."}}
        ),
    },
    {
        "name": "use_skill",
        "type": "system",
        "tags": ["skills"],
        "aliases": ["skilltool", "SkillTool", "skill_tool"],
        "description": "Load the instructions of a skill by its name before doing that task.",
        "input_schema": object_schema(
            {"skill_name": {"type": "string", "description": "The skill's name."}}
        ),
    },
    {
        "name": "run_command",
        "type": "domain",
        "tags": ["shell"],
        "aliases": ["runcommandtool", "RunCommandTool", "run_command_tool"],
        "description": "Run a shell command in a sandboxed workspace.",
        "input_schema": object_schema(
            {"reasoning": REASONING_ARGUMENT, "command": {"type": "string"}}
        ),
        "risk_level": "critical",
        "requires_approval": True,
        "unavailable": "maruntime runs no shell commands: its processes have no sandbox that "
        "cuts the network, confines the filesystem to a scratch directory and bounds time and "
        "output; bind this tool to an MCP server or HTTP service that provides one",
    },
]

RESEARCH_TOOLS = [
    "clarification",
    "generate_plan",
    "adapt_plan",
    "web_search",
    "extract_page_content",
    "create_report",
    "final_answer",
]


def limit_rules(
    *, max_iterations: int, max_clarifications: int, max_searches: int
) -> list[dict[str, Any]]:
    """sgr-agent-core's limits as tool availability rules."""
    return [
        {
            "name": "iterations exhausted: only report or answer",
            "when": {"iteration_gte": max_iterations},
            "keep_only": ["create_report", "final_answer"],
            "set_stage": "finishing",
        },
        {
            "name": "clarifications exhausted",
            "when": {"clarifications_used_gte": max_clarifications},
            "exclude": ["clarification"],
        },
        {
            "name": "searches exhausted",
            "when": {"searches_used_gte": max_searches},
            "exclude": ["web_search"],
        },
    ]


def _template(name: str, flavour: str, description: str, extra_tools: list[str]) -> dict[str, Any]:
    execution = {"max_iterations": 10, "max_clarifications": 3, "max_searches": 4}
    return {
        "name": name,
        "description": description,
        "flavour": flavour,
        "system_prompt": SYSTEM_PROMPT,
        "initial_user_prompt": INITIAL_USER_PROMPT,
        "clarification_prompt": CLARIFICATION_PROMPT,
        "execution_policy": execution,
        "tool_policy": {"tools": extra_tools + RESEARCH_TOOLS, "required": ["final_answer"]},
        "rules": limit_rules(**execution),
        "capabilities": "Researches a question on the web step by step: clarifies, plans, "
        "searches, reads sources and answers with citations or a report.",
        "tags": ["research", flavour],
    }


BUILTIN_TEMPLATES: list[dict[str, Any]] = [
    _template(
        "sgr_agent",
        "sgr",
        "Schema-Guided Reasoning research agent (one structured output per step).",
        [],
    ),
    _template(
        "sgr_tool_calling_agent",
        "sgr_tool_calling",
        "Hybrid SGR agent: a forced reasoning call, then native tool calling.",
        ["reasoning"],
    ),
    _template(
        "tool_calling_agent",
        "tool_calling",
        "Research agent using native function calling only.",
        [],
    ),
]


ASSISTANT_TEMPLATE: dict[str, Any] = {
    "name": "assistant",
    "description": "A plain conversational assistant: answers each message, no research loop.",
    "flavour": "tool_calling",
    "system_prompt": """\
You are a helpful assistant in a conversation. Today is {current_date}.

Reply to each message with the answer tool, briefly and in the language of the user. When
the user says the conversation is over, close it with the final answer tool.

Tools offered in this step:
{available_tools}
""",
    "initial_user_prompt": "{task}",
    # A step per reply, counted over the whole conversation.
    "execution_policy": {
        "max_iterations": 200,
        "max_clarifications": 0,
        "max_searches": 0,
        "tool_budget": 1000,
    },
    "tool_policy": {"tools": ["answer", "final_answer"], "required": ["answer"]},
    "capabilities": "Talks with the user: answers questions from what it knows, turn by turn.",
    "tags": ["dialog", "tool_calling"],
}


def agent_tool(template: dict[str, Any]) -> dict[str, Any]:
    """The ``agent.<name>`` tool through which other agents delegate to ``template``."""
    return {
        "name": f"agent.{template['name']}",
        "type": "meta",
        "tags": ["agent", *template["tags"]],
        "aliases": [],
        "description": f"Delegate a task to the {template['name']} agent. "
        f"{template['capabilities']}",
        "input_schema": object_schema(
            {
                "reasoning": REASONING_ARGUMENT,
                "task": {"type": "string", "description": "The task, self-contained."},
            }
        ),
        "binding": {"template": template["name"]},
    }


ROUTER_TEMPLATE: dict[str, Any] = {
    "name": "router",
    "description": "Routes each request to the best-matching agent and relays its answer.",
    "flavour": "sgr",
    "system_prompt": """\
You route requests to specialised agents. Today is {current_date}.

Pick the agent whose description fits the request best and delegate the whole task to it
with a clear, self-contained task text. When its answer arrives, relay it with the final
answer tool. If no agent fits, answer directly with the final answer tool.

Tools offered in this step:
{available_tools}
""",
    "initial_user_prompt": INITIAL_USER_PROMPT,
    "execution_policy": {"max_iterations": 4, "max_clarifications": 0, "max_searches": 0},
    "tool_policy": {
        "required": ["final_answer"],
        "allowed_types": ["meta"],
        "selection": "retrieval_per_step",
        "retrieval_k": 3,
        "max_tools_in_prompt": 4,
    },
    "rules": [
        {
            "name": "after delegating, relay the answer",
            "when": {"iteration_gte": 1},
            "keep_only": ["final_answer"],
        }
    ],
    "capabilities": "Chooses among the available agents and delegates to the best match.",
    "tags": ["router"],
}
