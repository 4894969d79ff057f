"""Rows for the runtime admin API tests (written directly: only the engine makes them)."""

import pytest

from agents.models import AgentInstance, Artifact, Run, Session, SessionEvent, ToolExecution
from tests.catalog.api.conftest import api, make_template  # noqa: F401  (fixture re-export)


@pytest.fixture
def sessions(db):
    _, researcher = make_template("researcher")
    _, writer = make_template("writer")
    done = Session.objects.create(
        template_version=researcher,
        owner="key-a",
        state="completed",
        task="find cats",
        result="cats found",
        last_seq=3,
    )
    run = Run.objects.create(session=done, state="finished", outcome="completed")
    for seq, kind in ((3, "final_answer"), (1, "user_message"), (2, "reasoning")):
        SessionEvent.objects.create(session=done, seq=seq, type=kind, run=run, payload={"n": seq})
    ToolExecution.objects.create(
        session=done,
        run=run,
        idempotency_key=f"{done.id}:1:0",
        tool_name="web_search",
        arguments={"q": "cats"},
        result="ok",
        status="completed",
    )
    Artifact.objects.create(session=done, name="report.md", content="# Cats")
    waiting = Session.objects.create(
        template_version=writer,
        owner="key-b",
        state="waiting_for_clarification",
        task="write a poem",
    )
    AgentInstance.objects.create(
        worker="w1", template_version=researcher, state="busy", current_session=done
    )
    AgentInstance.objects.create(worker="w2", template_version=writer)
    return done, waiting
