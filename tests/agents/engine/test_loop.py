"""The step loop as a chat client meets it, in process: Django's async test client, a pool
on the test's event loop, the fake upstream over loopback. Each step is decided, then
acted on, and leaves its events once; a clarification ends the turn and the answer
resumes the session; a failing upstream ends the run with an error the client reads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from agents.models import ToolExecution
from maruntime.asyncdb import run_sync
from tests.fakes.fake_llm import Reply
from tests.fakes.sgr import (
    clarify_args,
    final_args,
    hybrid_replies,
    plan_args,
    sgr_replies,
    tool_calling_replies,
)
from tests.inprocess import chat, chat_body
from tests.runtime import event_log, settled

pytestmark = pytest.mark.django_db(transaction=True)


def _steps(session_id: Any) -> dict[int, list[str]]:
    """The types of the session's events step by step (step 0: outside any step)."""
    steps: dict[int, list[str]] = {}
    for event in event_log(session_id):
        steps.setdefault(event.step, []).append(event.type)
    return steps


def _executions(session_id: Any) -> list[tuple[str, str]]:
    rows = ToolExecution.objects.filter(session_id=session_id).order_by("id")
    return list(rows.values_list("tool_name", "status"))


def _finish_reasons(chunks: list[dict[str, Any]]) -> list[str]:
    return [
        chunk["choices"][0]["finish_reason"]
        for chunk in chunks
        if chunk.get("choices") and chunk["choices"][0].get("finish_reason")
    ]


def _thinking(chunks: list[dict[str, Any]]) -> str:
    return "".join(
        chunk["choices"][0]["delta"].get("reasoning_content") or ""
        for chunk in chunks
        if chunk.get("choices")
    )


@pytest.mark.parametrize(
    ("model", "replies"),
    [
        ("sgr_agent", sgr_replies),
        ("tool_calling_agent", tool_calling_replies),
        ("sgr_tool_calling_agent", hybrid_replies),
    ],
)
async def test_every_flavour_plans_then_answers_one_step_at_a_time(
    async_client, serving, fake_llm, model: str, replies: Callable[..., list[Reply]]
):
    fake_llm.script(*replies(("generate_plan", plan_args()), ("final_answer", final_args("42."))))
    serving()
    stream = await chat(async_client, chat_body(model, "What is six times seven?"))

    assert stream.done and stream.content == "42."
    assert _finish_reasons(stream.chunks) == ["stop"]
    assert "generate_plan" in _thinking(stream.chunks)
    assert all(chunk.get("usage") is None for chunk in stream.chunks)  # not asked for
    session = await settled(stream.session_id)
    assert session.state == "completed" and session.result == "42."
    # Two steps, each decided (the call) and acted on (the result) exactly once.
    steps = await run_sync(_steps)(stream.session_id)
    for step in (1, 2):
        assert steps[step].count("tool_call") == 1 and steps[step].count("tool_result") == 1
        assert steps[step].index("tool_call") < steps[step].index("tool_result")
    assert 3 not in steps
    assert await run_sync(_executions)(stream.session_id) == [
        ("generate_plan", "completed"),
        ("final_answer", "completed"),
    ]


async def test_a_clarification_ends_the_turn_and_the_answer_resumes_the_session(
    async_client, serving, fake_llm
):
    fake_llm.script(*sgr_replies(("clarification", clarify_args("Which city do you mean?"))))
    serving()
    asked = await chat(async_client, chat_body("sgr_agent", "What's the weather there?"))
    assert "Which city do you mean?" in asked.content
    waiting = await settled(asked.session_id)
    assert waiting.state == "waiting_for_clarification"

    fake_llm.script(*sgr_replies(("final_answer", final_args("Sunny in Oslo."))))
    answered = await chat(async_client, chat_body(asked.session_id, "Oslo"))
    assert answered.session_id == asked.session_id and answered.content == "Sunny in Oslo."
    assert (await settled(asked.session_id)).state == "completed"
    # The user's answer reached the model after the question.
    messages = fake_llm.requests[-1]["messages"]
    assert any(m["role"] == "user" and "Oslo" in (m["content"] or "") for m in messages)
    log = await run_sync(event_log)(asked.session_id)
    assert [e.type for e in log].count("clarification") == 1


async def test_an_upstream_that_keeps_failing_is_retried_then_the_run_fails_clearly(
    async_client, serving, fake_llm
):
    fake_llm.script(*[Reply.error(500, "upstream exploded")] * 3)
    serving()
    stream = await chat(async_client, chat_body("sgr_agent", "hi"))

    [error] = [chunk["error"] for chunk in stream.chunks if "error" in chunk]
    assert "upstream" in error["message"].lower()
    assert len(fake_llm.requests) == 3
    session = await settled(stream.session_id)
    assert session.state == "failed" and "3 attempts" in session.error
    [recorded] = [e for e in await run_sync(event_log)(stream.session_id) if e.type == "error"]
    assert recorded.payload["status"] == 502 and recorded.payload["message"] == error["message"]

    # Without streaming, the same failure is the upstream's status: 502.
    fake_llm.script(*[Reply.error(500)] * 3)
    response = await async_client.post(
        "/v1/chat/completions",
        chat_body("sgr_agent", "hi", stream=False),
        content_type="application/json",
    )
    assert response.status_code == 502
    assert response.json()["error"]["message"]


async def test_a_reply_that_is_not_the_schema_is_asked_again_then_fails(
    async_client, serving, fake_llm
):
    fake_llm.script(*[Reply.text("not json at all")] * 3)
    serving()
    stream = await chat(async_client, chat_body("sgr_agent", "hi"))

    assert any("error" in chunk for chunk in stream.chunks)
    assert len(fake_llm.requests) == 3
    # Each re-ask shows the model what it answered.
    assert any(
        m["role"] == "assistant" and "not json at all" in (m["content"] or "")
        for m in fake_llm.requests[-1]["messages"]
    )
    assert (await settled(stream.session_id)).state == "failed"
