"""The runtime's admin site: a person answers a call waiting for approval."""

from __future__ import annotations

import os

import pytest
from django.core.management import call_command
from django.urls import reverse

from agents import services
from agents.models import Run, Session
from catalog.models import AgentTemplateVersion

pytestmark = pytest.mark.django_db


def _waiting_session() -> Session:
    """A session paused before a call to ``generate_plan``, as the engine leaves it."""
    version = AgentTemplateVersion.objects.get(template__name="sgr_agent", is_active=True)
    session, run = services.session_start(template_version=version, task="plan a trip")
    call = {"step": 1, "tool": "generate_plan", "arguments": {}, "call_id": "c1"}
    Session.objects.filter(pk=session.pk).update(
        state=Session.State.WAITING_FOR_APPROVAL, context={**session.context, "pending_call": call}
    )
    Run.objects.filter(pk=run.pk).update(state=Run.State.FINISHED, outcome="waiting_for_approval")
    return session


@pytest.mark.parametrize(("action", "approved"), [("approve", True), ("decline", False)])
def test_the_admin_answers_pending_calls_and_skips_other_sessions(admin_client, action, approved):
    call_command("seed_builtin", stdout=open(os.devnull, "w"))  # noqa: SIM115
    waiting = _waiting_session()
    other, _ = services.session_start(
        template_version=waiting.template_version, task="no approval here"
    )

    response = admin_client.post(
        reverse("admin:agents_session_changelist"),
        {"action": f"{action}_pending_calls", "_selected_action": [waiting.pk, other.pk]},
        follow=True,
    )

    shown = [str(m) for m in response.context["messages"]]
    assert "the pending call of 1 session(s)" in shown[0]
    assert "1 session(s) were not waiting for approval." in shown[1]
    waiting.refresh_from_db()
    assert waiting.state == "running" and waiting.runs.filter(state="queued").exists()
    answer = waiting.events.get(type="approval").payload
    assert answer["approved"] is approved and answer["approver"] == "admin:admin"
