"""A daily token budget holds under parallel requests spread over two gateways, each with
its own pool worker, sharing one database: a request is admitted only with a reservation
of its first step (the template's max_tokens plus the prompt's size) and every step
reserves before its call, so the tokens used stay within the budget; the requests that do
not fit answer 429 with a ``Retry-After``, before any call and leaving no session behind;
and each request is held to the limit of the key that made it, not to another key's of
the same tenant."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from agents.models import Session, TokenBudget
from gateway import services
from tests.fakes.sgr import final_args, sgr_replies

pytestmark = pytest.mark.usefixtures("seeded")

BUDGET = 20_000
# A key of the same tenant whose limit is below any request's reservation.
SMALL_BUDGET = 1_000
REQUESTS = 20


@pytest.fixture(scope="module")
def gateways(stack, exclusive_runs) -> tuple[str, str]:
    return stack.gateway(GATEWAY_AUTH="keys"), stack.gateway(GATEWAY_AUTH="keys")


def test_parallel_requests_on_two_gateways_stay_within_the_token_budget(gateways, fake_llm):
    key = services.api_key_create(name="budget", owner="acme", tokens_per_day=BUDGET).plain
    small = services.api_key_create(name="small", owner="acme", tokens_per_day=SMALL_BUDGET).plain
    fake_llm.script(*sgr_replies(*[("final_answer", final_args("42"))] * REQUESTS, delay=0.3))

    def ask(index: int) -> tuple[int, httpx.Response]:
        # Every fourth request comes with the small key, interleaved with the others.
        return index, httpx.post(
            f"{gateways[index % 2]}/v1/chat/completions",
            json={"model": "sgr_agent", "messages": [{"role": "user", "content": "6 x 7?"}]},
            headers={"Authorization": f"Bearer {small if index % 4 == 3 else key}"},
            timeout=60,
        )

    with ThreadPoolExecutor(max_workers=REQUESTS) as pool:
        answered = list(pool.map(ask, range(REQUESTS)))

    responses = [response for _, response in answered]
    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {200, 429}, [
        r.text for r in responses if r.status_code not in (200, 429)
    ]
    assert 200 in statuses and 429 in statuses, statuses
    for refused in (r for r in responses if r.status_code == 429):
        error = refused.json()["error"]
        assert error["code"] == "token_budget_exceeded", error
        assert error["type"] == "tokens"
        assert int(refused.headers["Retry-After"]) >= 1
    # The small key's requests never fit its own limit, whatever the other key's allows.
    for index, response in answered:
        if index % 4 == 3:
            assert response.status_code == 429 and "X-Session-Id" not in response.headers
    # Refused at admission: no session. Refused at a later step (its estimate grew with the
    # tools offered): a session that failed. Either way before any call to the upstream.
    started = [r for r in responses if "X-Session-Id" in r.headers]
    assert Session.objects.filter(owner="acme").count() == len(started) < REQUESTS
    assert len(fake_llm.requests) == statuses.count(200)
    budget = TokenBudget.objects.get(owner="acme")
    used = sum(r.json()["usage"]["total_tokens"] for r in responses if r.status_code == 200)
    assert budget.reserved == 0
    assert budget.used == used
    assert budget.used <= BUDGET
