"""Streams never hang: keep-alives while nothing happens, the stream going on through a
database outage from where it stopped, an error chunk and the end when it cannot go on.
In process: Django's async test client, a pool on the test's event loop, real faults."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from typing import Any

import pytest
from channels.layers import get_channel_layer

from agents.models import Session
from agents.notify import session_group
from gateway import follow
from maruntime.asyncdb import run_sync
from tests.fakes.fake_llm import Reply
from tests.fakes.sgr import final_args, plan_args, sgr_replies, step
from tests.inprocess import KEEPALIVE, frame_data, sse_frames
from tests.runtime import start_session

pytestmark = pytest.mark.django_db(transaction=True)


async def test_an_idle_event_stream_sends_keepalives(async_client, runtime_settings):
    runtime_settings.STREAM_KEEPALIVE_SECONDS = 0.2
    session = await run_sync(start_session)()
    response = await async_client.get(f"/v1/sessions/{session.pk}/events", {"follow": "1"})
    frames = [frame async for _, frame in sse_frames(response, until=1.1)]
    # The queued run's events first (no pool claims it), then only comments.
    assert frames[-4:] == [KEEPALIVE] * 4


async def test_a_chat_stream_waiting_on_a_slow_upstream_is_never_silent(
    async_client, serving, fake_llm, runtime_settings
):
    runtime_settings.STREAM_KEEPALIVE_SECONDS = 0.2
    fake_llm.script(*sgr_replies(("final_answer", final_args("slow but sure")), delay=1.5))
    serving()
    response = await async_client.post(
        "/v1/chat/completions",
        {"model": "sgr_agent", "stream": True, "messages": [{"role": "user", "content": "hi"}]},
        content_type="application/json",
    )
    frames = [frame async for _, frame in sse_frames(response)]
    assert frame_data(frames[-1]) == "[DONE]"
    # While the upstream thinks (1.5 s), the client hears from us every 0.2 s.
    answer = next(i for i, frame in enumerate(frames) if b"slow but sure" in frame)
    assert frames[:answer].count(KEEPALIVE) >= 3


async def test_an_event_stream_goes_on_through_a_database_outage(
    async_client, serving, fake_llm, database_outage, runtime_settings
):
    runtime_settings.STREAM_KEEPALIVE_SECONDS = 0.2
    report = {"title": "Findings", "content": "All good.", "confidence": "high"}
    fake_llm.script(
        *sgr_replies(("generate_plan", plan_args()), delay=0.3),
        # In flight when the outage starts, even on a loaded machine.
        *sgr_replies(("create_report", report), delay=1.0),
        *sgr_replies(("create_report", report)),
        *sgr_replies(("final_answer", final_args("survived"))),
    )
    serving()
    session = await run_sync(start_session)()
    response = await async_client.get(f"/v1/sessions/{session.pk}/events")
    frames: list[bytes] = []
    outage: asyncio.Task[None] | None = None
    away_since: list[float] = []
    last_at = 0.0
    async for last_at, frame in sse_frames(response):  # noqa: B007 (read after the loop)
        frames.append(frame)
        if outage is None and b"generate_plan" in frame:
            during = lambda: away_since.append(time.monotonic())  # noqa: E731
            outage = asyncio.create_task(database_outage(1.5, during=during))
    assert outage is not None
    await outage  # the stream may end as soon as the database is back, before this task
    assert away_since and last_at > away_since[0]  # it went on past the outage's start
    events = [frame_data(frame) for frame in frames if frame != KEEPALIVE]
    # Every event once, in order, across the outage; the stream ended at the answer.
    assert [event["seq"] for event in events] == list(range(1, len(events) + 1))
    assert events[-1]["type"] == "state" and events[-1]["payload"]["state"] == "completed"
    assert KEEPALIVE in frames


async def test_a_stream_that_fails_sends_an_error_chunk_and_ends(
    async_client, runtime_settings, monkeypatch
):
    session = await run_sync(start_session)()

    def broken(**kwargs: Any) -> list[Any]:
        raise RuntimeError("a bug in reading events")

    monkeypatch.setattr(follow, "events_after", broken)
    response = await async_client.get(f"/v1/sessions/{session.pk}/events")
    frames = [frame async for _, frame in sse_frames(response, until=5)]
    assert [frame_data(frame) for frame in frames] == [
        {
            "error": {
                "message": "The stream failed on the server; resume it to continue",
                "type": "server_error",
                "param": None,
                "code": "stream_failed",
            }
        }
    ]


async def test_a_stream_ends_with_an_error_when_the_database_stays_away(
    async_client, database_outage, runtime_settings
):
    runtime_settings.STREAM_KEEPALIVE_SECONDS = 0.2
    runtime_settings.STREAM_OUTAGE_SECONDS = 0.5
    session = await run_sync(start_session)()
    response = await async_client.get(f"/v1/sessions/{session.pk}/events", {"follow": "1"})
    frames = []
    outage = None
    async for _, frame in sse_frames(response, until=10):
        frames.append(frame)
        if outage is None:
            outage = asyncio.create_task(database_outage(3))
    assert frame_data(frames[-1])["error"]["code"] == "stream_failed"
    assert KEEPALIVE in frames  # it kept the client company while it waited
    assert outage is not None
    await outage


async def test_a_follower_hears_announcements_again_once_redis_comes_back_empty(
    own_redis, runtime_settings
):
    session = await run_sync(start_session)()
    seen = (await run_sync(Session.objects.get)(pk=session.pk)).last_seq
    watch = await follow.session_watch()
    follower = await watch.subscribe(session.pk, seen)  # the poll has nothing to wake it for
    try:
        await asyncio.to_thread(own_redis.stop)  # the watch's reader meets a lost Redis
        await asyncio.sleep(0.5)
        await asyncio.to_thread(own_redis.start)  # back, without the session's group
        layer = get_channel_layer()
        announcement = {"type": "session.event", "session": str(session.pk), "seq": seen + 1}
        async with asyncio.timeout(15):
            while not follower.wake.is_set():
                with contextlib.suppress(Exception):  # until the layer reconnects
                    await layer.group_send(session_group(session.pk), announcement)
                await asyncio.sleep(0.2)
    finally:
        await watch.unsubscribe(follower)


def _two_tools_then_answer(request: dict[str, Any]) -> Reply:
    """For any number of sessions at once: the step is the number of tool results so far."""
    done = sum(1 for message in request["messages"] if message.get("role") == "tool")
    report = {"title": "Findings", "content": "All good.", "confidence": "high"}
    chosen = [
        step("generate_plan", **{k: v for k, v in plan_args().items() if k != "reasoning"}),
        step("create_report", **report),
    ]
    answer = {k: v for k, v in final_args("through the restart").items() if k != "reasoning"}
    return Reply.structured(chosen[done] if done < 2 else step("final_answer", **answer), delay=0.5)


async def test_runs_and_streams_go_on_through_a_redis_restart(
    async_client, serving, fake_llm, own_redis, runtime_settings
):
    keepalive = 0.5
    runtime_settings.STREAM_KEEPALIVE_SECONDS = keepalive
    fake_llm.responder = _two_tools_then_answer
    serving(listen=True)  # woken over Redis, as runpool is

    async def chat(n: int) -> list[tuple[float, bytes]]:
        response = await async_client.post(
            "/v1/chat/completions",
            {
                "model": "sgr_agent",
                "stream": True,
                "messages": [{"role": "user", "content": f"question {n}"}],
            },
            content_type="application/json",
        )
        return [frame async for frame in sse_frames(response, until=60)]

    streams = [asyncio.create_task(chat(n)) for n in range(3)]
    await asyncio.to_thread(fake_llm.wait_for_requests, 3)  # every run is mid-step
    restart_at = time.monotonic()
    await asyncio.to_thread(own_redis.stop)
    await asyncio.sleep(1.0)
    await asyncio.to_thread(own_redis.start)

    for frames in await asyncio.gather(*streams):
        assert frame_data(frames[-1][1]) == "[DONE]"
        assert any(b"through the restart" in frame for _, frame in frames)
        arrivals = [restart_at] + [at for at, _ in frames if at >= restart_at]
        # Never silent: a keep-alive at least, whatever Redis does (generous for load).
        assert max(b - a for a, b in itertools.pairwise(arrivals)) < 10 * keepalive
    states = await run_sync(lambda: set(Session.objects.values_list("state", flat=True)))()
    assert states == {"completed"}
