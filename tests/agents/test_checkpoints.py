"""Checkpoints (the session row as each batch of events left it, written by the database)
and the journal of a session's own memory store, which forks start from."""

from __future__ import annotations

import os

import pytest
from django.core.management import call_command

from agents import memory, services
from agents.models import MemoryChange, Run, Session, SessionCheckpoint
from agents.services import memory as memory_services
from catalog.models import AgentTemplateVersion

pytestmark = pytest.mark.django_db


@pytest.fixture
def version() -> AgentTemplateVersion:
    call_command("seed_builtin", stdout=open(os.devnull, "w"))  # noqa: SIM115
    return AgentTemplateVersion.objects.get(template__name="sgr_agent", is_active=True)


def _turn_over(session: Session) -> None:
    Run.objects.filter(session=session).update(state=Run.State.FINISHED)
    Session.objects.filter(pk=session.pk).update(state=Session.State.COMPLETED)


def _users(context: dict) -> list[str]:
    return [m["content"] for m in context["messages"] if m["role"] == "user"]


def test_each_batch_of_events_leaves_a_checkpoint_of_the_session_as_it_was(version):
    session, _ = services.session_start(template_version=version, task="First question")
    _turn_over(session)  # changes the row without events: no checkpoint
    services.session_message(session_id=session.pk, message="Second question")

    checkpoints = list(SessionCheckpoint.objects.filter(session=session).order_by("seq"))
    assert [(c.seq, c.state) for c in checkpoints] == [(2, "inited"), (3, "running")]
    assert len(_users(checkpoints[0].context)) == 1
    assert _users(checkpoints[1].context)[-1] == "Second question"
    assert not any(c.backfilled for c in checkpoints)
    assert checkpoints[1].template_version_id == version.pk


def test_writes_to_a_session_store_are_journalled_with_the_seq_they_follow(version):
    session, _ = services.session_start(template_version=version, task="t")
    store = memory.store_key(scope="session", session_id=session.pk, template="", owner="")
    memory_services.memory_file_write(
        store=store, path="notes/a.md", content="one", session_id=session.pk
    )
    memory_services.memory_file_replace(
        store=store, path="notes/a.md", old="one", new="two", session_id=session.pk
    )
    memory_services.memory_file_delete(store=store, path="notes/a.md")
    long_term = memory.store_key(scope="owner", session_id=session.pk, template="t", owner="o")
    memory_services.memory_file_write(
        store=long_term, path="b.md", content="kept", session_id=session.pk
    )

    changes = MemoryChange.objects.filter(session=session).order_by("id")
    assert [(c.after_seq, c.path, c.kind, c.content, c.deleted) for c in changes] == [
        (2, "notes", "dir", "", False),
        (2, "notes/a.md", "file", "one", False),
        (2, "notes/a.md", "file", "two", False),
        (2, "notes/a.md", "file", "", True),
    ]


def test_before_checkpoints_an_earlier_fork_goes_on_from_the_conversation(version):
    session, _ = services.session_start(template_version=version, task="First question")
    _turn_over(session)
    services.session_message(session_id=session.pk, message="Second question")
    session.refresh_from_db()
    # As migration 0010 leaves a session that existed before it: one checkpoint, now.
    SessionCheckpoint.objects.filter(session=session).delete()
    SessionCheckpoint.objects.create(
        session=session,
        seq=session.last_seq,
        state=session.state,
        context=session.context,
        template_version=version,
        backfilled=True,
    )
    _turn_over(session)

    earlier = services.session_fork(session_id=session.pk, at_seq=1)
    assert earlier.context["messages"] == [{"role": "user", "content": "First question"}]
    origin = earlier.events.order_by("seq").last()
    assert origin is not None and origin.payload["at_seq"] == 1

    latest = services.session_fork(session_id=session.pk)
    assert latest.context["messages"] == session.context["messages"]
