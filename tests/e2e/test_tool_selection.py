"""Per-step retrieval over a 60-tool catalog: the model is offered the tool the request needs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from catalog import services
from tests.e2e.conftest import client_for
from tests.fakes.sgr import final_args, sgr_replies

pytestmark = pytest.mark.usefixtures("seeded")

BENCH_TOOLS = Path(__file__).resolve().parents[2] / "bench" / "data" / "tools.jsonl"
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


@pytest.fixture(scope="module")
def server(stack) -> str:
    return stack.gateway()


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


def _offered(request: dict[str, Any]) -> list[str]:
    schema = request["response_format"]["json_schema"]["schema"]
    return [
        v["properties"]["tool_name_discriminator"]["enum"][0]
        for v in schema["properties"]["function"]["anyOf"]
    ]


def test_a_60_tool_catalog_offers_the_tool_each_request_needs(server, fake_llm):
    catalog = _catalog()
    assert len(catalog) == CATALOG_SIZE
    for name, description in catalog.items():
        services.tool_version_create(
            tool=services.tool_upsert(name=name),
            description=description,
            input_schema={"type": "object", "properties": {"q": {"type": "string"}}},
            binding_kind="http",
            binding={"url": "https://tools.example.com/" + name},
        )
    template = services.template_upsert(name="sixty_tools")
    services.template_version_create(
        template=template,
        flavour="sgr",
        system_prompt="Be useful. Tools:\n{available_tools}",
        tool_policy={
            "tools": [*catalog, "final_answer"],
            "required": ["final_answer"],
            "selection": "retrieval_per_step",
            "retrieval_k": 5,
        },
    )
    client = client_for(server)
    for content, needed in REQUESTS:
        fake_llm.script(*sgr_replies(("final_answer", final_args("Done."))))
        client.chat.completions.create(
            model="sixty_tools", messages=[{"role": "user", "content": content}]
        )
        offered = _offered(fake_llm.requests[-1])
        assert needed in offered, (content, offered)
        assert len(offered) <= 6  # final_answer + retrieval_k: not the whole catalog
