"""``search_tools`` on maruntime's retrieval and ``use_skill`` over the catalog's skills."""

from __future__ import annotations

from dataclasses import replace

import pytest
from asgiref.sync import sync_to_async
from django.core.management import call_command

from agents.engine.definition import load_definition
from agents.engine.rules import RuleOutcome
from agents.engine.selection import select_tools
from agents.models import Session
from agents.services import session_start
from agents.tools.base import ToolContext
from agents.tools.builtin import BUILTIN_TOOLS
from catalog import services as catalog_services

pytestmark = pytest.mark.django_db(transaction=True)


def _session(tools: list[str], *, tool_scope: dict | None = None) -> ToolContext:
    call_command("seed_builtin", stdout=open("/dev/null", "w"))  # noqa: SIM115
    template = catalog_services.template_upsert(name="discoverer")
    version, _ = catalog_services.template_version_create(
        template=template,
        flavour="sgr_tool_calling",
        system_prompt="Find your tools. {available_tools}",
        tool_policy={"tools": tools, "selection": "retrieval_per_step"},
    )
    session, _ = session_start(template_version=version, task="t")
    if tool_scope:
        type(session).objects.filter(pk=session.pk).update(tool_scope=tool_scope)
    return ToolContext(session_id=session.pk, run_id=1, step=1, depth=0, owner="", state={})


async def test_search_tools_finds_the_agents_own_tools_and_offers_them_from_then_on():
    context = await sync_to_async(_session)(
        ["search_tools", "create_file", "list_directory", "final_answer"]
    )

    outcome = await BUILTIN_TOOLS["search_tools"]({"query": "create a file"}, context)

    assert outcome.content.startswith("Tools now available to you:\n- create_file")
    discovered = outcome.context_updates["discovered_tools"]
    assert "create_file" in discovered
    # Only the template's own tools are found: never the rest of the catalog.
    assert "delete_file" not in discovered and "web_search" not in discovered
    later = replace(context, state=outcome.context_updates)
    again = await BUILTIN_TOOLS["search_tools"]({"query": "create a file"}, later)
    assert "create_file" not in again.payload.get("discovered", [])

    session = await Session.objects.aget(pk=context.session_id)
    definition = await sync_to_async(load_definition)(session.template_version_id)
    ruled = RuleOutcome(tools=list(definition.tools), stage="")
    selection = await select_tools(
        definition, ruled, {"discovered_tools": ["create_file"]}, "anything"
    )
    assert selection.reasons["create_file"] == "discovered with search_tools"


async def test_search_tools_respects_the_callers_scope():
    context = await sync_to_async(_session)(
        ["search_tools", "create_file", "final_answer"], tool_scope={"deny": ["create_file"]}
    )
    outcome = await BUILTIN_TOOLS["search_tools"]({"query": "create a file"}, context)
    assert "create_file" not in outcome.content


async def test_use_skill_loads_a_catalog_skill_and_names_the_others():
    context = await sync_to_async(_session)(["use_skill", "final_answer"])
    await sync_to_async(catalog_services.skill_upsert)(
        name="concise-answer", description="Short answers.", content="Lead with the answer."
    )

    outcome = await BUILTIN_TOOLS["use_skill"]({"skill_name": "Concise-Answer"}, context)

    assert outcome.content == "Skill concise-answer: Short answers.\n\nLead with the answer."
    with pytest.raises(LookupError, match="available skills: concise-answer"):
        await BUILTIN_TOOLS["use_skill"]({"skill_name": "haiku"}, context)
