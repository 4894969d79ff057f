"""The judge of the real-server tests and ``make conformance`` must be able to say no: each
way a run can be dishonest is flagged, on event logs shaped like the gateway's."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from catalog.builtin import BUILTIN_TOOLS
from tests.real_servers.judge import MaruntimeClient, Verdict, error_problem

ENDPOINT = "127.0.0.1:8080"
FINAL = {
    "reasoning": "done",
    "completed_steps": ["Answered."],
    "answer": "Paris",
    "status": "completed",
}


@pytest.fixture
def client():
    judge = MaruntimeClient("http://127.0.0.1:1", upstream=f"http://{ENDPOINT}/v1")
    judge._schemas = {tool["name"]: tool["input_schema"] for tool in BUILTIN_TOOLS}
    yield judge
    judge.close()


def _call(tool: str, arguments: dict[str, Any], step: int = 1) -> dict[str, Any]:
    return {"type": "tool_call", "step": step, "payload": {"tool": tool, "arguments": arguments}}


def _judged(
    client: MaruntimeClient, state: str, events: list[dict[str, Any]], answer: str
) -> Verdict:
    verdict = Verdict("s", "tool_calling_agent", state, answer=answer)
    client._check_steps(verdict, events)
    client._check_success(verdict, events)
    return verdict


def test_an_honest_completion_has_no_problems(client):
    verdict = _judged(client, "completed", [_call("final_answer", FINAL)], "Paris")

    assert verdict.completed and verdict.problems == []
    assert verdict.steps == 1


def test_prose_taken_as_a_final_answer_is_a_silent_false_success(client):
    # What a tool-calling flavour makes of a plain-text reply: no completed steps.
    prose = {**FINAL, "reasoning": "", "completed_steps": []}

    verdict = _judged(client, "completed", [_call("final_answer", prose)], "Paris")

    assert not verdict.completed
    assert "completed_steps" in verdict.invalid_steps[0]
    assert "completed although a step did not validate" in verdict.false_success


def test_completion_without_a_final_answer_call_or_answer_is_false(client):
    plan = {
        "reasoning": "r",
        "research_goal": "g",
        "planned_steps": ["a", "b"],
        "search_strategies": ["none"],
    }

    verdict = _judged(client, "completed", [_call("generate_plan", plan)], "")

    assert verdict.invalid_steps == []
    assert verdict.false_success == [
        "completed without a final_answer call",
        "completed with an empty answer",
    ]


def test_a_call_to_a_tool_that_does_not_exist_is_an_invalid_step(client):
    verdict = _judged(client, "failed", [_call("search_the_web", {})], "")

    assert verdict.invalid_steps == ["step 1 calls unknown tool 'search_the_web'"]


def test_a_parent_that_relays_a_failed_child_is_no_success(client):
    verdict = _judged(client, "completed", [_call("final_answer", FINAL)], "Paris")
    verdict.children.append(Verdict("c", "sgr_agent", "failed", error="the model gave up"))
    client._check_success(verdict, [_call("final_answer", FINAL)])

    assert "completed although its delegate sgr_agent ended failed" in verdict.false_success


def test_a_parent_answering_after_its_delegate_asked_the_user_is_honest(client):
    # The parent's tool result said the child needs clarification; its answer is its own.
    verdict = _judged(client, "completed", [_call("final_answer", FINAL)], "Paris")
    child = Verdict("c", "sgr_agent", "waiting_for_clarification", delegated=True)
    verdict.children.append(child)
    client._check_success(verdict, [_call("final_answer", FINAL)])

    assert verdict.false_success == [] and verdict.problems == []


def test_a_session_left_waiting_is_no_honest_end_of_a_task(client):
    verdict = Verdict("s", "sgr_agent", "waiting_for_clarification")

    assert verdict.problems == ["run ended in state 'waiting_for_clarification'"]


@pytest.mark.parametrize(
    ("message", "problem"),
    [
        ("", "no error message"),
        ("500 Error code: 500", "a bare status"),
        ('Traceback (most recent call last):\n  File "x.py", line 3', "traceback"),
        ("Upstream LLM refused the request: 500", "does not name the upstream"),
    ],
)
def test_errors_a_user_cannot_act_on_are_flagged(message, problem):
    assert problem in error_problem(message, ENDPOINT)


def test_an_error_naming_the_upstream_and_the_problem_is_clear():
    message = (
        f"The upstream LLM at http://{ENDPOINT}/v1 rejected response_format json_schema: "
        "set LLM_STRUCTURED_OUTPUT=json_object"
    )
    assert error_problem(message, ENDPOINT) == ""


def test_a_failed_session_answered_with_200_is_an_unclear_error(client):
    verdict = Verdict("s", "sgr_agent", "failed", error="The model gave up: no valid step")
    client._check_response(verdict, httpx.Response(200, json={"choices": []}))

    assert "the session failed but the turn answered 200" in verdict.unclear_error
