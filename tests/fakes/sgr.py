"""Builders of the structured replies an SGR agent expects from its upstream."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.fakes.fake_llm import Reply

REASONING = {
    "current_situation": "Working on the request.",
    "plan_status": "On track.",
    "reasoning_steps": ["Look at what is known.", "Pick the next action."],
    "enough_data": False,
    "remaining_steps": ["Answer."],
    "task_completed": False,
}


def step(tool: str, **arguments: Any) -> dict[str, Any]:
    """One SGR step choosing ``tool`` (the ``sgr`` flavour's whole reply)."""
    return {
        **REASONING,
        "function": {"tool_name_discriminator": tool, "reasoning": "because", **arguments},
    }


def final_args(answer: str) -> dict[str, Any]:
    return {
        "reasoning": "done",
        "completed_steps": ["Answered."],
        "answer": answer,
        "status": "completed",
    }


def structured_final(answer: dict[str, Any]) -> Reply:
    """An ``sgr`` step whose final answer is an object (a client's ``response_format``)."""
    return Reply.structured(
        step("final_answer", completed_steps=["Answered."], answer=answer, status="completed")
    )


def plan_args() -> dict[str, Any]:
    return {
        "reasoning": "plan first",
        "research_goal": "Answer the question",
        "planned_steps": ["Think", "Answer"],
        "search_strategies": ["none needed"],
    }


def clarify_args(*questions: str) -> dict[str, Any]:
    return {
        "reasoning": "ambiguous",
        "unclear_terms": ["it"],
        "assumptions": ["the usual meaning"],
        "questions": list(questions),
    }


def sgr_replies(*steps: tuple[str, dict[str, Any]], delay: float = 0.0) -> list[Reply]:
    """Replies for the ``sgr`` flavour: one structured object per step."""
    return [
        Reply.structured(
            step(tool, **{k: v for k, v in args.items() if k != "reasoning"}), delay=delay
        )
        for tool, args in steps
    ]


def tool_calling_replies(*steps: tuple[str, dict[str, Any]], delay: float = 0.0) -> list[Reply]:
    return [Reply.tool_call(tool, args, delay=delay) for tool, args in steps]


def hybrid_replies(*steps: tuple[str, dict[str, Any]], delay: float = 0.0) -> list[Reply]:
    """Replies for ``sgr_tool_calling``: a forced reasoning call, then the action."""
    replies = []
    for tool, args in steps:
        replies += [Reply.structured(REASONING, delay=delay), Reply.tool_call(tool, args)]
    return replies


def echo_responder(delay: float = 0.0) -> Callable[[dict[str, Any]], Reply]:
    """Answers every ``sgr`` step with a final answer echoing the last line of the last user
    message (``echo: <line>``), after ``delay`` seconds: a fake for any number of runs."""

    def respond(request: dict[str, Any]) -> Reply:
        last = [m for m in request["messages"] if m["role"] == "user"][-1]["content"]
        answer = f"echo: {last.strip().splitlines()[-1]}"
        return Reply.structured(
            step("final_answer", completed_steps=["Answered."], answer=answer, status="completed"),
            delay=delay,
        )

    return respond


def offered_tools(request: dict[str, Any]) -> list[str]:
    """The tools an ``sgr`` step request (``json_schema`` structured output) offers the model."""
    schema = request["response_format"]["json_schema"]["schema"]
    return [
        variant["properties"]["tool_name_discriminator"]["enum"][0]
        for variant in schema["properties"]["function"]["anyOf"]
    ]
