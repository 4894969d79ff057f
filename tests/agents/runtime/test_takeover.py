"""A call in flight when its worker died: the call carries its idempotency key, and the run
that takes over follows the tool version's policy (run it again with the same key, ask a
person, report an unknown outcome), recording the decision as an event. In process: one
pool, a lease stolen by a "dead" worker, an HTTP tool with a real side effect."""

from __future__ import annotations

import asyncio
import datetime
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone

from agents import services
from agents.engine.takeover import MAY_HAVE_RUN, UNKNOWN_OUTCOME
from agents.models import Run, SessionEvent, ToolExecution
from catalog import services as catalog
from maruntime.asyncdb import run_sync
from tests.fakes.effect_ledger import EffectLedger
from tests.fakes.sgr import final_args, sgr_replies
from tests.runtime import (
    LEASE_SECONDS,
    event_log,
    settled,
    start_session,
    until,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def ledger(runtime_settings: Any) -> Iterator[EffectLedger]:
    runtime_settings.HTTP_TOOL_ALLOWED_HOSTS = ["127.0.0.1"]
    with EffectLedger() as running:
        yield running


def _ledger_agent(ledger: EffectLedger, **policy: Any) -> None:
    tool = catalog.tool_upsert(name="ledger_write", type="domain")
    catalog.tool_version_create(
        tool=tool,
        description="Write an entry in the ledger (a side effect).",
        input_schema={"type": "object", "properties": {"n": {"type": "integer"}}},
        binding_kind="http",
        binding={"url": ledger.url},
        **policy,
    )
    template = catalog.template_upsert(name="ledger_agent")
    catalog.template_version_create(
        template=template,
        flavour="sgr",
        system_prompt="You write to the ledger. {available_tools}",
        tool_policy={"tools": ["ledger_write", "final_answer"]},
    )


def _steal_lease(session_id: Any) -> int:
    """As if the worker running it had died: another owner, whose lease lapses after the
    pool's next renewal has seen it is no longer the pool's (and stopped its copy)."""
    run = Run.objects.get(session_id=session_id)
    Run.objects.filter(pk=run.pk).update(
        lease_owner="a-worker-that-died",
        lease_expires_at=timezone.now() + datetime.timedelta(seconds=LEASE_SECONDS * 0.6),
    )
    return run.pk


async def _crash_mid_call(serving: Any, fake_llm: Any, ledger: EffectLedger, **policy: Any):
    """Start a session whose first call reaches the ledger, lose its worker mid-call, and
    let the pool take the run over. Returns the session."""
    await run_sync(_ledger_agent)(ledger, **policy)
    fake_llm.script(*sgr_replies(("ledger_write", {"n": 1}), ("final_answer", final_args("ok"))))
    ledger.hold()
    serving()
    session = await run_sync(start_session)("ledger_agent", "write once")
    await asyncio.to_thread(ledger.wait_for_calls, 1)
    run_id = await run_sync(_steal_lease)(session.pk)
    await until(lambda: Run.objects.filter(pk=run_id, attempt=2).exists())
    ledger.release()
    return session


def _takeovers(session_id: Any) -> list[dict[str, Any]]:
    return [e.payload for e in event_log(session_id) if e.type == SessionEvent.Type.TOOL_TAKEOVER]


def _key(session_id: Any) -> str:
    return ToolExecution.objects.get(
        session_id=session_id, tool_name="ledger_write"
    ).idempotency_key


async def test_every_http_call_carries_its_execution_key(serving, fake_llm, ledger):
    await run_sync(_ledger_agent)(ledger)
    fake_llm.script(*sgr_replies(("ledger_write", {"n": 1}), ("final_answer", final_args("ok"))))
    serving()
    session = await run_sync(start_session)("ledger_agent", "write once")
    assert (await settled(session.pk)).state == "completed"
    assert [call.key for call in ledger.calls] == [await run_sync(_key)(session.pk)]


async def test_retry_runs_the_call_again_with_the_same_key(serving, fake_llm, ledger):
    session = await _crash_mid_call(serving, fake_llm, ledger)  # on_takeover: retry

    assert (await settled(session.pk)).state == "completed"
    key = await run_sync(_key)(session.pk)
    assert [call.key for call in ledger.calls] == [key, key]
    takeovers = await run_sync(_takeovers)(session.pk)
    assert [(t["decision"], t["idempotency_key"]) for t in takeovers] == [("retry", key)]


async def test_an_idempotent_tool_is_simply_repeated(serving, fake_llm, ledger):
    session = await _crash_mid_call(serving, fake_llm, ledger, idempotent=True, on_takeover="ask")

    assert (await settled(session.pk)).state == "completed"
    assert len(ledger.calls) == 2
    assert [t["decision"] for t in await run_sync(_takeovers)(session.pk)] == ["repeat"]


async def test_report_tells_the_model_the_outcome_is_unknown(serving, fake_llm, ledger):
    session = await _crash_mid_call(serving, fake_llm, ledger, on_takeover="report")

    assert (await settled(session.pk)).state == "completed"
    assert len(ledger.calls) == 1  # never run again
    assert [t["decision"] for t in await run_sync(_takeovers)(session.pk)] == ["report"]
    told = fake_llm.requests[-1]["messages"][-1]
    assert told["role"] == "tool" and told["content"] == UNKNOWN_OUTCOME
    execution = await run_sync(ToolExecution.objects.get)(
        session_id=session.pk, tool_name="ledger_write"
    )
    assert execution.status == "failed"


async def test_ask_puts_the_call_to_a_person_then_runs_it_with_the_same_key(
    serving, fake_llm, ledger
):
    session = await _crash_mid_call(serving, fake_llm, ledger, on_takeover="ask")

    waiting = await settled(session.pk)
    assert waiting.state == "waiting_for_approval" and len(ledger.calls) == 1
    events = await run_sync(event_log)(session.pk)
    request = next(e.payload for e in events if e.type == SessionEvent.Type.APPROVAL_REQUEST)
    assert request["may_have_run"] is True and request["message"] == MAY_HAVE_RUN

    await run_sync(services.session_approve)(session_id=session.pk, approved=True)
    assert (await settled(session.pk)).state == "completed"
    key = await run_sync(_key)(session.pk)
    assert [call.key for call in ledger.calls] == [key, key]
    decisions = [t["decision"] for t in await run_sync(_takeovers)(session.pk)]
    assert decisions == ["ask", "approved"]


async def test_a_declined_takeover_never_runs_the_call_again(serving, fake_llm, ledger):
    session = await _crash_mid_call(serving, fake_llm, ledger, on_takeover="ask")
    assert (await settled(session.pk)).state == "waiting_for_approval"

    await run_sync(services.session_approve)(
        session_id=session.pk, approved=False, reason="it did run"
    )
    assert (await settled(session.pk)).state == "completed"
    assert len(ledger.calls) == 1


async def test_a_call_that_returns_during_a_database_outage_is_not_run_again(
    runtime_settings, serving, fake_llm, ledger, database_outage
):
    # A lease the outage cannot outlast, however slowly a loaded machine runs this test.
    runtime_settings.POOL_LEASE_SECONDS = 12.0
    await run_sync(_ledger_agent)(ledger)  # on_takeover: retry, which would repeat it
    fake_llm.script(*sgr_replies(("ledger_write", {"n": 1}), ("final_answer", final_args("ok"))))
    ledger.hold()
    serving()
    session = await run_sync(start_session)("ledger_agent", "write once")
    await asyncio.to_thread(ledger.wait_for_calls, 1)
    # The effect is done and its answer arrives while the database is away: the outcome
    # is written once the database is back, by the same worker, and the run goes on.
    await database_outage(2.0, during=ledger.release)

    assert (await settled(session.pk)).state == "completed"
    assert len(ledger.calls) == 1
    assert await run_sync(_takeovers)(session.pk) == []
    run = await run_sync(Run.objects.get)(session_id=session.pk)
    assert run.attempt == 1
