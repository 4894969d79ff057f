"""Per-step retrieval over a 60-tool catalog: the model is offered the tool each request
needs, in process (Django's async test client, a pool, the fake upstream)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from maruntime.asyncdb import run_sync
from tests.catalog.factories import (
    TemplateVersionFactory,
    ToolVersionFactory,
    per_step_retrieval,
)
from tests.fakes.sgr import final_args, offered_tools, sgr_replies
from tests.inprocess import answer_of, complete

pytestmark = pytest.mark.django_db(transaction=True)

BENCH_TOOLS = Path(__file__).resolve().parents[3] / "bench" / "data" / "tools.jsonl"
CATALOG_SIZE = 60
VENDORS = (
    "openweather",
    "kubernetes",
    "stripe",
    "jira",
    "slack",
    "gmail",
    "dropbox",
    "google_calendar",
    "salesforce",
    "postgres",
    "datadog",
    "google_maps",
)

# Requests in people's own words (no tool or vendor named) and the catalog tool each needs.
REQUESTS = [
    ("is it going to pour in Manchester on Saturday?", "openweather_forecast"),
    ("the checkout service is wedged again, give it a kick", "kubernetes_restart"),
    ("наш клиент просит вернуть деньги за двойное списание", "stripe_refund_payment"),
]


def _catalog() -> dict[str, str]:
    """Twelve vendors' tools (five each), with their bench descriptions; the look-alikes of
    other vendors stay out, so each request has one right answer among the 60."""
    rows = [json.loads(line) for line in BENCH_TOOLS.read_text().splitlines() if line]
    catalog = {
        row["name"]: row["description"]
        for row in rows
        if row["name"].startswith(tuple(f"{vendor}_" for vendor in VENDORS))
    }
    assert {name for _, name in REQUESTS} <= catalog.keys()
    return catalog


def _sixty_tools(catalog: dict[str, str]) -> None:
    for name, description in catalog.items():
        ToolVersionFactory.create(name=name, description=description)
    TemplateVersionFactory.create(
        name="sixty_tools",
        system_prompt="Be useful. Tools:\n{available_tools}",
        tool_policy=per_step_retrieval(list(catalog), k=5),
    )


async def test_a_60_tool_catalog_offers_the_tool_each_request_needs(
    async_client, serving, fake_llm
):
    catalog = _catalog()
    assert len(catalog) == CATALOG_SIZE
    await run_sync(_sixty_tools)(catalog)
    serving()
    for content, needed in REQUESTS:
        fake_llm.script(*sgr_replies(("final_answer", final_args("Done."))))
        assert answer_of(await complete(async_client, "sixty_tools", content)) == "Done."
        offered = offered_tools(fake_llm.requests[-1])
        assert needed in offered, (content, offered)
        assert len(offered) <= 6  # final_answer + retrieval_k: not the whole catalog
