"""The runtime's admin site: sessions told apart in the list, a session's page as its
timeline, and a person's answer to a call waiting for approval."""

from __future__ import annotations

import os
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse

from agents import services
from agents.models import Run, Session
from agents.services.events import NewEvent, append_events
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
    verb = "Approved" if approved else "Declined"
    assert shown == [
        f"{verb} the pending call of 1 session.",
        "1 session was not waiting for approval.",
    ]
    waiting.refresh_from_db()
    assert waiting.state == "running" and waiting.runs.filter(state="queued").exists()
    answer = waiting.events.get(type="approval").payload
    assert answer["approved"] is approved and answer["approver"] == "admin:admin"


def _session_with(*events: NewEvent, state: str = "completed", **context: Any) -> Session:
    """A session of ``sgr_agent`` whose log is ``events`` (one run), left in ``state``."""
    call_command("seed_builtin", stdout=open(os.devnull, "w"))  # noqa: SIM115
    version = AgentTemplateVersion.objects.get(template__name="sgr_agent", is_active=True)
    session, run = services.session_start(template_version=version, task="Weather in Oslo?")
    with transaction.atomic():
        append_events(session, run, list(events))
    Session.objects.filter(pk=session.pk).update(
        state=state, context={**session.context, **context}
    )
    return session


def _page(admin_client, session: Session) -> str:
    response = admin_client.get(reverse("admin:agents_session_change", args=[session.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _call(step: int, tool: str, call_id: str, **arguments: Any) -> NewEvent:
    usage = {"prompt": 300, "completion": 100}
    payload = {"tool": tool, "call_id": call_id, "arguments": arguments, "usage": usage}
    return NewEvent("tool_call", payload, step)


def test_the_session_page_is_a_readable_timeline(admin_client):
    session = _session_with(
        NewEvent("tool_selection", {"offered": ["generate_plan", "final_answer"]}, 1),
        NewEvent(
            "reasoning",
            {
                "current_situation": "Nothing known yet.",
                "reasoning_steps": ["Plan first", "Then answer"],
                "enough_data": False,
            },
            1,
        ),
        _call(1, "generate_plan", "c1", reasoning="plan it", planned_steps=["Look", "Say"]),
        NewEvent(
            "tool_result", {"tool": "generate_plan", "call_id": "c1", "content": "Planned."}, 1
        ),
        _call(2, "final_answer", "c2", reasoning="known now", answer="Sunny & mild"),
        NewEvent("final_answer", {"answer": "Sunny & mild", "status": "completed"}, 2),
        usage={"prompt": 600, "completion": 200},
        iteration=2,
    )

    html = _page(admin_client, session)

    timeline = html[html.index('class="timeline"') : html.index('id="runs-group"')]
    item = '<li><span class="tl-text">{}</span></li>'
    assert "Nothing known yet." in timeline and item.format("Plan first") in timeline
    assert "enough data: no" in timeline
    assert "→ generate_plan" in timeline and item.format("Look") in timeline
    assert "Planned." in timeline and "plan it" in timeline
    assert "Sunny &amp; mild" in timeline and "known now" in timeline
    assert timeline.count("300 prompt + 100 completion tokens") == 2
    assert "2 tools offered: generate_plan, final_answer" in timeline
    assert "&quot;" not in timeline  # no JSON dumps of the payloads
    assert "800 (600 prompt, 200 completion)" in html


def test_a_clarification_shows_its_question_and_the_answer(admin_client):
    clarification = {"content": "Which city?", "questions": ["Which city?"]}
    answered = _session_with(
        _call(1, "clarification", "c1", questions=["Which city?"]),
        NewEvent("clarification", clarification, 1),
        NewEvent("state", {"state": "waiting_for_clarification"}),
        NewEvent("user_message", {"content": "Oslo, Norway"}),
    )
    waiting = _session_with(
        NewEvent("clarification", clarification, 1), state="waiting_for_clarification"
    )

    html = _page(admin_client, answered)
    box = html[html.index("tl-clarification") :]
    assert (
        box.index("Which city?") < box.index("The user&#x27;s answer") < box.index("Oslo, Norway")
    )
    assert "Waiting for the user" in _page(admin_client, waiting)


def test_approvals_errors_and_unknown_events_are_shown(admin_client):
    request = {"tool": "generate_plan", "call_id": "c1", "arguments": {}, "risk_level": "high"}
    answer = {"tool": "generate_plan", "call_id": "c1", "approved": False}
    session = _session_with(
        _call(1, "generate_plan", "c1", planned_steps=["Go"]),
        NewEvent("approval_request", request, 1),
        NewEvent("approval", {**answer, "approver": "admin:ann", "reason": "too risky"}, 1),
        NewEvent("error", {"code": "upstream_error", "message": "Upstream down", "status": 502}),
        NewEvent("future_kind", {"detail": "something new"}, 2),
        state="failed",
    )

    html = _page(admin_client, session)

    assert "Approval needed to call generate_plan" in html and "risk level high" in html
    assert "Declined by admin:ann" in html and "too risky" in html
    assert "Error: upstream_error" in html and "Upstream down" in html
    assert "something new" in html


def test_the_session_list_tells_sessions_apart_by_task(admin_client):
    session = _session_with(iteration=3, usage={"prompt": 1000, "completion": 234})
    services.session_start(template_version=session.template_version, task="Plan a trip to Bergen")

    html = admin_client.get(reverse("admin:agents_session_changelist")).content.decode()

    assert "Weather in Oslo?" in html and "Plan a trip to Bergen" in html
    row = html[html.index("Weather in Oslo?") :]
    assert "sgr_agent v" in row and "1,234" in row
    assert '<td class="field-steps">3</td>' in row


def test_an_operator_pins_what_an_upstream_accepts(admin_client):
    learned = services.upstream_capability_learn(
        base_url="http://llm:8080/v1",
        model="smollm2",
        structured_output="json_object",
        evidence="e",
    )
    url = reverse("admin:agents_upstreamcapability_change", args=[learned.pk])
    assert b"json_object" in admin_client.get(url).content

    response = admin_client.post(
        url, {"structured_output": "text", "tool_choice": "function", "pinned": "on"}
    )

    assert response.status_code == 302, response.context["adminform"].form.errors
    learned.refresh_from_db()
    assert (learned.structured_output, learned.tool_choice, learned.pinned) == (
        "text",
        "function",
        True,
    )
    assert learned.evidence == "set by an operator"
    services.upstream_capability_learn(
        base_url="http://llm:8080/v1",
        model="smollm2",
        structured_output="json_schema",
        evidence="e",
    )
    learned.refresh_from_db()
    assert learned.structured_output == "text"  # negotiation leaves a pinned row alone


def test_the_admin_shows_a_sessions_memory_files(admin_client):
    from agents.selectors import memory_store_of
    from agents.services.memory import memory_file_write

    call_command("seed_builtin", stdout=open(os.devnull, "w"))  # noqa: SIM115
    version = AgentTemplateVersion.objects.get(template__name="sgr_agent", is_active=True)
    session, _ = services.session_start(template_version=version, task="remember")
    entry = memory_file_write(
        store=memory_store_of(session),
        path="people/ann.md",
        content="Ann likes tea.",
        session_id=session.pk,
    )

    listing = admin_client.get(
        reverse("admin:agents_memoryentry_changelist"), {"q": str(session.pk)}
    ).content.decode()
    assert "people/ann.md" in listing and f"session:{session.pk}" in listing
    page = admin_client.get(reverse("admin:agents_memoryentry_change", args=[entry.pk]))
    assert page.status_code == 200 and "Ann likes tea." in page.content.decode()
    assert admin_client.get(reverse("admin:agents_memoryentry_add")).status_code == 403


def test_each_pipeline_step_shows_its_own_calls(admin_client):
    def planned(content: str) -> NewEvent:
        return NewEvent(
            "tool_result", {"tool": "generate_plan", "call_id": "c1", "content": content}, 1
        )

    session = _session_with(
        _call(1, "generate_plan", "c1"),
        planned("First plan."),
        NewEvent("pipeline_step", {"step": 1, "previous_answer": "Draft."}),
        _call(1, "generate_plan", "c1"),
        planned("Second plan."),
    )

    html = _page(admin_client, session)

    assert "Pipeline step 2 starts" in html
    assert html.index("First plan.") < html.index("Pipeline step 2") < html.index("Second plan.")
