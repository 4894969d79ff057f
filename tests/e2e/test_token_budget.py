"""A daily token budget holds under parallel requests spread over two gateways, each with
its own pool worker, sharing one database: every call reserves before it is sent, so the
tokens used stay within the budget, and the requests that do not fit answer 429 with a
``Retry-After``."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from agents.models import TokenBudget
from gateway import services
from tests.fakes.sgr import final_args, sgr_replies

pytestmark = pytest.mark.usefixtures("seeded")

BUDGET = 20_000
REQUESTS = 20


@pytest.fixture(scope="module")
def gateways(stack, exclusive_runs) -> tuple[str, str]:
    return stack.gateway(GATEWAY_AUTH="keys"), stack.gateway(GATEWAY_AUTH="keys")


def test_parallel_requests_on_two_gateways_stay_within_the_token_budget(gateways, fake_llm):
    key = services.api_key_create(name="budget", owner="acme", tokens_per_day=BUDGET).plain
    fake_llm.script(*sgr_replies(*[("final_answer", final_args("42"))] * REQUESTS, delay=0.3))

    def ask(index: int) -> httpx.Response:
        return httpx.post(
            f"{gateways[index % 2]}/v1/chat/completions",
            json={"model": "sgr_agent", "messages": [{"role": "user", "content": "6 x 7?"}]},
            headers={"Authorization": f"Bearer {key}"},
            timeout=60,
        )

    with ThreadPoolExecutor(max_workers=REQUESTS) as pool:
        responses = list(pool.map(ask, range(REQUESTS)))

    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {200, 429}, [
        r.text for r in responses if r.status_code not in (200, 429)
    ]
    assert 200 in statuses and 429 in statuses, statuses
    for refused in (r for r in responses if r.status_code == 429):
        error = refused.json()["error"]
        assert error["code"] in ("token_budget_exceeded", "rate_limit_exceeded"), error
        assert error["type"] == "tokens"
        assert int(refused.headers["Retry-After"]) >= 1
    budget = TokenBudget.objects.get(owner="acme")
    answered = sum(r.json()["usage"]["total_tokens"] for r in responses if r.status_code == 200)
    assert budget.reserved == 0
    assert budget.used == answered
    assert budget.used <= BUDGET
