"""Cancel, as a client does it (``POST /v1/sessions/{id}/cancel``), against a pool on the
test's event loop: a run in flight stops within a second, a queued one never reaches a
worker, and asking again changes nothing."""

from __future__ import annotations

import asyncio
import time

import pytest

from agents.models import Run, Session
from maruntime.asyncdb import run_sync
from tests.fakes.fake_llm import Reply
from tests.fakes.sgr import final_args, sgr_replies
from tests.runtime import event_log, settled, start_session, until

pytestmark = pytest.mark.django_db(transaction=True)


def _cancelled_states(session_id: object) -> list[str]:
    return [
        e.payload["state"]
        for e in event_log(session_id)
        if e.type == "state" and e.payload["state"] == "cancelled"
    ]


async def test_cancel_stops_the_call_in_flight_and_asking_again_changes_nothing(
    async_client, serving, fake_llm, runtime_settings
):
    # A lease of a minute: the run can only end soon by its worker seeing the cancel.
    runtime_settings.POOL_LEASE_SECONDS = 60.0
    fake_llm.script(Reply.hang())
    serving()
    session = await run_sync(start_session)()
    await asyncio.to_thread(fake_llm.wait_for_requests, 1)

    asked_at = time.monotonic()
    response = await async_client.post(f"/v1/sessions/{session.pk}/cancel")
    assert response.status_code == 200 and response.json()["state"] == "cancelled"
    # The pool looks for cancels every quarter second (a second at most, DESIGN §4.7, on a
    # quiet machine); 15 s leaves a loaded one room and is still far inside the lease.
    run = await until(
        lambda: Run.objects.filter(session_id=session.pk, state="finished").first(), within=15
    )
    assert run.outcome == "cancelled"
    assert time.monotonic() - asked_at < 15

    again = await async_client.post(f"/v1/sessions/{session.pk}/cancel")
    assert again.status_code == 200 and again.json()["state"] == "cancelled"
    assert await run_sync(_cancelled_states)(session.pk) == ["cancelled"]
    assert (await settled(session.pk)).state == "cancelled"
    assert len(fake_llm.requests) == 1  # the stopped call is not issued again


async def test_a_cancelled_queued_run_never_reaches_a_worker(async_client, serving, fake_llm):
    cancelled = await run_sync(start_session)(task="never mind")
    response = await async_client.post(f"/v1/sessions/{cancelled.pk}/cancel")
    assert response.status_code == 200 and response.json()["state"] == "cancelled"
    run = await run_sync(Run.objects.get)(session_id=cancelled.pk)
    assert run.state == "finished" and run.outcome == "cancelled"

    # A pool that starts afterwards serves the next session, and only that one.
    fake_llm.script(*sgr_replies(("final_answer", final_args("the next one"))))
    serving()
    later = await run_sync(start_session)(task="the next one")
    assert (await settled(later.pk)).result == "the next one"
    run = await run_sync(Run.objects.get)(session_id=cancelled.pk)
    assert run.attempt == 0 and run.lease_owner == ""
    assert len(fake_llm.requests) == 1
    assert (await run_sync(Session.objects.get)(pk=cancelled.pk)).state == "cancelled"
