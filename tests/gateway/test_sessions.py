"""``/v1`` sessions in process (Django's async test client, a pool on the test's event
loop, the fake upstream): one active run per session (409 or enqueued in order), the
template's default, and the sessions list, detail and artifact download."""

from __future__ import annotations

import asyncio

import pytest

from agents.models import Run
from catalog.models import AgentTemplateVersion
from maruntime.asyncdb import run_sync
from tests.fakes.fake_llm import Reply
from tests.fakes.sgr import echo_responder, final_args, sgr_replies
from tests.inprocess import chat, chat_body, finish_chat, start_chat
from tests.runtime import event_log, settled, until

pytestmark = pytest.mark.django_db(transaction=True)


def _running(session_id: str) -> bool:
    return Run.objects.filter(session_id=session_id, state="running").exists()


def _runs(session_id: str) -> list[tuple[str, str, str]]:
    runs = Run.objects.filter(session_id=session_id).order_by("created_at")
    return [(r.user_message, r.state, r.outcome) for r in runs]


def _answers(session_id: str) -> list[str]:
    return [e.payload["answer"] for e in event_log(session_id) if e.type == "final_answer"]


async def test_a_busy_session_refuses_with_409_or_enqueues_in_order(
    async_client, serving, fake_llm
):
    fake_llm.responder = echo_responder(delay=1.0)
    serving()
    first, first_response = await start_chat(async_client, chat_body("sgr_agent", "first"))
    await until(lambda: _running(first.session_id), what="the first run running")

    refused = await async_client.post(
        "/v1/chat/completions",
        chat_body(first.session_id, "too soon", stream=False),
        content_type="application/json",
    )
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "session_busy"

    second = await start_chat(
        async_client, chat_body(first.session_id, "second", on_busy="enqueue")
    )
    third = await start_chat(async_client, chat_body(first.session_id, "third", on_busy="enqueue"))
    streams = await asyncio.gather(
        finish_chat(first, first_response), finish_chat(*second), finish_chat(*third)
    )
    assert [s.content for s in streams] == ["echo: first", "echo: second", "echo: third"]
    session = await settled(first.session_id)
    assert session.state == "completed" and session.result == "echo: third"
    assert await run_sync(_answers)(first.session_id) == [
        "echo: first",
        "echo: second",
        "echo: third",
    ]
    assert await run_sync(_runs)(first.session_id) == [
        ("first", "finished", "completed"),
        ("second", "finished", "completed"),
        ("third", "finished", "completed"),
    ]


def _enqueue_by_default() -> None:
    version = AgentTemplateVersion.objects.get(template__name="sgr_agent", is_active=True)
    version.execution_policy = {**version.execution_policy, "on_busy": "enqueue"}
    version.save(update_fields=["execution_policy"])


async def test_the_template_can_make_enqueue_the_default_and_the_request_still_decides(
    async_client, serving, fake_llm
):
    await run_sync(_enqueue_by_default)()
    fake_llm.responder = echo_responder(delay=0.8)
    serving()
    first, first_response = await start_chat(async_client, chat_body("sgr_agent", "alpha"))
    await until(lambda: _running(first.session_id), what="the first run running")
    follow_up = await chat(async_client, chat_body(first.session_id, "beta"))
    assert follow_up.content == "echo: beta"
    assert (await finish_chat(first, first_response)).content == "echo: alpha"

    await settled(first.session_id)
    busy, busy_response = await start_chat(async_client, chat_body(first.session_id, "gamma"))
    await until(lambda: _running(first.session_id), what="the third run running")
    refused = await chat(async_client, chat_body(first.session_id, "delta", on_busy="reject"))
    assert refused.status == 409
    assert (await finish_chat(busy, busy_response)).content == "echo: gamma"


async def test_sessions_list_filters_detail_and_artifact_download(async_client, serving, fake_llm):
    serving()
    report = {"title": "Quarterly", "content": "Numbers went up.", "confidence": "high"}
    fake_llm.script(
        *sgr_replies(("create_report", report), ("final_answer", final_args("See the report.")))
    )
    with_report = await chat(async_client, chat_body("sgr_agent", "Write a report"))
    fake_llm.script(Reply.tool_call("final_answer", final_args("tc")))
    tool_calling = await chat(async_client, chat_body("tool_calling_agent", "Quick one"))
    fake_llm.script(Reply.hang())
    cancelled, cancelled_response = await start_chat(
        async_client, chat_body("sgr_agent", "Abandon")
    )
    await asyncio.to_thread(fake_llm.wait_for_requests, 4)
    await async_client.post(f"/v1/sessions/{cancelled.session_id}/cancel")
    await finish_chat(cancelled, cancelled_response)

    async def ids(**params: str) -> set[str]:
        response = await async_client.get("/v1/sessions", params)
        assert response.status_code == 200
        return {s["id"] for s in response.json()["data"]}

    assert await ids() == {with_report.session_id, tool_calling.session_id, cancelled.session_id}
    assert await ids(state="completed") == {with_report.session_id, tool_calling.session_id}
    assert await ids(state="cancelled") == {cancelled.session_id}
    assert await ids(template="tool_calling_agent") == {tool_calling.session_id}
    assert await ids(template="sgr_agent", state="completed") == {with_report.session_id}
    assert (await async_client.get("/v1/sessions", {"state": "bogus"})).status_code == 400

    detail = (await async_client.get(f"/v1/sessions/{with_report.session_id}")).json()
    assert detail["state"] == "completed" and detail["result"] == "See the report."
    assert detail["counters"]["tool_calls"] == 2 and detail["counters"]["iteration"] == 2
    assert detail["usage"]["total_tokens"] > 0
    [artifact] = detail["artifacts"]
    download = await async_client.get(
        f"/v1/sessions/{with_report.session_id}/artifacts/{artifact['id']}"
    )
    assert download.status_code == 200
    assert download.content.decode() == "# Quarterly\n\nNumbers went up.\n"
    assert download.headers["content-type"].startswith("text/markdown")
    assert 'filename="Quarterly.md"' in download.headers["content-disposition"]
    # Another session's artifact id is not found under this one.
    missing = await async_client.get(
        f"/v1/sessions/{tool_calling.session_id}/artifacts/{artifact['id']}"
    )
    assert missing.status_code == 404
