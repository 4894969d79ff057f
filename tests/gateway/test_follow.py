"""The follower of a session's events (``gateway.follow``) in process, on the in-memory
channel layer, with a pool on the test's event loop writing the events: replay from the
table then live, resume after ``Last-Event-ID`` without gap or duplicate, wake-ups well
before the poll, and every event by polling alone when no message ever arrives."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from agents.models import SessionEvent
from gateway import follow
from maruntime.asyncdb import run_sync
from tests.fakes.sgr import final_args, plan_args, sgr_replies
from tests.inprocess import chat, chat_body, read_events
from tests.runtime import event_log, settled, start_session, until

pytestmark = pytest.mark.django_db(transaction=True)


def _stored(session_id: Any) -> list[tuple[int, str]]:
    return [(e.seq, e.type) for e in event_log(session_id)]


def _has_result(session_id: Any) -> bool:
    return SessionEvent.objects.filter(session_id=session_id, type="tool_result").exists()


async def _follow_to_the_end(session_id: Any, *, after: int = 0) -> list[tuple[float, Any]]:
    """(arrival time, event) from ``follow_events`` up to the session's final state."""
    seen: list[tuple[float, Any]] = []
    async with asyncio.timeout(30):
        async for event in follow.follow_events(session_id, after=after, keepalive=60):
            assert event is not None  # no keep-alive within a minute
            seen.append((time.monotonic(), event))
            if event.type == "state" and event.payload["state"] == "completed":
                return seen
    raise AssertionError("the follower ended before the session completed")


async def test_a_follower_replays_the_stored_events_then_follows_live(serving, fake_llm):
    fake_llm.script(
        *sgr_replies(("generate_plan", plan_args())),
        *sgr_replies(("final_answer", final_args("live")), delay=1.0),
    )
    serving()
    session = await run_sync(start_session)()
    await until(lambda: _has_result(session.pk), what="the plan's result")
    stored_before = await run_sync(_stored)(session.pk)

    seen = await _follow_to_the_end(session.pk)
    # Everything once, in order: the stored part first, then what came while following.
    assert [(e.seq, e.type) for _, e in seen] == await run_sync(_stored)(session.pk)
    assert [(e.seq, e.type) for _, e in seen[: len(stored_before)]] == stored_before
    assert len(seen) > len(stored_before)
    assert seen[-2][1].type == "final_answer" and seen[-2][1].payload["answer"] == "live"


async def test_a_wakeup_reaches_the_follower_long_before_its_poll(serving, fake_llm, monkeypatch):
    monkeypatch.setattr(follow, "POLL_SECONDS", 30.0)
    # The answer comes a second after the pool starts: the follower is listening by then.
    fake_llm.script(*sgr_replies(("final_answer", final_args("woken")), delay=1.0))
    session = await run_sync(start_session)()
    after = (await run_sync(_stored)(session.pk))[-1][0]
    serving()

    started = time.monotonic()
    seen = await _follow_to_the_end(session.pk, after=after)
    assert seen[0][1].seq == after + 1
    # Only the channel layer's message can bring it this soon: the poll waits 30 s.
    assert seen[-1][0] - started < 10


async def test_with_no_channel_layer_a_chat_still_streams_every_event_by_polling(
    async_client, serving, fake_llm, runtime_settings
):
    runtime_settings.CHANNEL_LAYERS = {}  # no wake-ups at all: the pool and follower poll
    fake_llm.script(
        *sgr_replies(("generate_plan", plan_args()), ("final_answer", final_args("polled")))
    )
    serving()
    stream = await chat(async_client, chat_body("sgr_agent", "Anyone there?"))
    assert stream.done and stream.content == "polled"
    assert (await settled(stream.session_id)).state == "completed"


async def test_events_resume_after_the_last_event_id_without_gap_or_duplicate(
    async_client, serving, fake_llm
):
    fake_llm.script(
        *sgr_replies(
            ("generate_plan", plan_args()), ("final_answer", final_args("done")), delay=0.5
        )
    )
    serving()
    session = await run_sync(start_session)()

    # Read a few events live, hang up, come back with Last-Event-ID.
    head = await read_events(async_client, session.pk, limit=3)
    rest = await read_events(
        async_client, session.pk, headers={"Last-Event-ID": str(head[-1]["seq"])}
    )
    seen = [e["seq"] for e in head + rest]
    assert seen == [seq for seq, _ in await run_sync(_stored)(session.pk)]
    assert rest[-1]["type"] == "state" and rest[-1]["payload"]["state"] == "completed"

    # Replayed once finished: ?after= and Last-Event-ID agree with the whole stream.
    full = await read_events(async_client, session.pk)
    assert [e["seq"] for e in full] == seen
    assert await read_events(async_client, session.pk, params={"after": 4}) == full[4:]
    assert await read_events(async_client, session.pk, headers={"Last-Event-ID": "4"}) == full[4:]
    bad = await async_client.get(
        f"/v1/sessions/{session.pk}/events", headers={"Last-Event-ID": "x"}
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["param"] == "Last-Event-ID"
