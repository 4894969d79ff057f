"""Sessions and the callers' limits: tool scopes (stored at the start, narrowed by every
key that drives the session, inherited by delegated children) and the owner's concurrent
run limit."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.management import call_command
from django.db import connection

from agents import services
from agents.exceptions import RunLimitReached, ToolNotAllowed
from agents.models import Session
from catalog.models import AgentTemplateVersion
from catalog.policies import ToolScope

pytestmark = pytest.mark.django_db


@pytest.fixture
def version() -> AgentTemplateVersion:
    call_command("seed_builtin", stdout=open(os.devnull, "w"))  # noqa: SIM115
    return AgentTemplateVersion.objects.get(template__name="sgr_agent", is_active=True)


def test_a_session_keeps_the_scope_it_started_with(version):
    scope = ToolScope(deny=["generate_plan"])
    session, _ = services.session_start(template_version=version, task="hi", tool_scope=scope)
    assert ToolScope.model_validate(Session.objects.get(pk=session.pk).tool_scope) == scope
    unscoped, _ = services.session_start(template_version=version, task="hi")
    assert Session.objects.get(pk=unscoped.pk).tool_scope == {}


def test_a_stricter_key_narrows_the_session_for_good(version):
    session, _ = services.session_start(
        template_version=version, task="hi", tool_scope=ToolScope(deny=["web_search"])
    )
    services.run_claim(worker="w", limit=1, lease_seconds=30)
    services.session_message(
        session_id=session.pk,
        message="more",
        on_busy="enqueue",
        tool_scope=ToolScope(deny=["adapt_plan"], risk_ceiling="medium"),
    )
    stored = ToolScope.model_validate(Session.objects.get(pk=session.pk).tool_scope)
    assert stored == ToolScope(deny=["adapt_plan", "web_search"], risk_ceiling="medium")


def test_a_key_that_keeps_out_a_required_tool_cannot_continue(version):
    session, _ = services.session_start(template_version=version, task="hi")
    with pytest.raises(ToolNotAllowed, match="final_answer"):
        services.session_message(
            session_id=session.pk, message="more", tool_scope=ToolScope(allow=["reasoning"])
        )
    session.refresh_from_db()
    assert session.tool_scope == {} and session.events.count() == 2


def test_a_delegated_child_inherits_the_parents_scope(version):
    scope = ToolScope(allow=["final_answer", "reasoning"])
    parent, _ = services.session_start(template_version=version, task="hi", tool_scope=scope)
    child, _ = services.session_start(template_version=version, task="sub", parent=parent)
    assert ToolScope.model_validate(child.tool_scope) == scope


@pytest.mark.django_db(transaction=True)
def test_racing_requests_never_exceed_the_owners_run_limit(version):
    def start(n: int) -> bool:
        try:
            services.session_start(
                template_version=version, task=f"t{n}", owner="acme", max_active_runs=2
            )
        except RunLimitReached:
            return False
        finally:
            connection.close()
        return True

    with ThreadPoolExecutor(max_workers=6) as pool:
        started = list(pool.map(start, range(12)))

    assert started.count(True) == 2
    assert Session.objects.filter(owner="acme").count() == 2
