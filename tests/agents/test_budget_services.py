"""Token budget reservations (``agents.services.budgets``): atomic across connections,
settled with real usage, refused with a Retry-After, reset each day."""

from __future__ import annotations

import datetime
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from agents.exceptions import TokenBudgetExhausted
from agents.models import TokenBudget
from agents.services import token_budget_admit, token_reserve, token_settle

pytestmark = pytest.mark.django_db(transaction=True)


def _try_reserve(owner: str, tokens: int) -> bool:
    """From its own thread, hence its own database connection (another gateway/worker)."""
    try:
        return token_reserve(owner=owner, tokens=tokens) is not None
    except TokenBudgetExhausted:
        return False
    finally:
        connection.close()


def test_an_owner_without_a_budget_reserves_nothing():
    assert token_reserve(owner="free", tokens=10**9) is None
    assert not TokenBudget.objects.exists()


def test_parallel_reservations_never_exceed_the_budget():
    token_budget_admit(owner="acme", tokens_per_day=10_000, tokens=1)
    with ThreadPoolExecutor(max_workers=8) as pool:
        granted = list(pool.map(lambda _: _try_reserve("acme", 1_000), range(20)))
    assert granted.count(True) == 10
    budget = TokenBudget.objects.get(owner="acme")
    assert (budget.used, budget.reserved) == (0, 10_000)


def test_settling_replaces_the_reservation_by_the_real_usage():
    token_budget_admit(owner="acme", tokens_per_day=5_000, tokens=1)
    reservation = token_reserve(owner="acme", tokens=4_000)
    assert reservation is not None
    with pytest.raises(TokenBudgetExhausted):
        token_reserve(owner="acme", tokens=4_000)
    token_settle(reservation=reservation, used=700)
    budget = TokenBudget.objects.get(owner="acme")
    assert (budget.used, budget.reserved) == (700, 0)
    assert token_reserve(owner="acme", tokens=4_000) is not None


def test_a_refusal_says_why_and_when_to_retry():
    token_budget_admit(owner="acme", tokens_per_day=100, tokens=1)
    with pytest.raises(TokenBudgetExhausted) as refused:
        token_reserve(owner="acme", tokens=101)
    assert refused.value.http_status == 429 and refused.value.code == "token_budget_exceeded"
    assert "limit 100" in refused.value.message and "needs up to 101" in refused.value.message
    assert 1 <= (refused.value.retry_after or 0) <= 86_401


def test_admission_refuses_a_budget_already_spent_or_held():
    token_budget_admit(owner="acme", tokens_per_day=1_000, tokens=1)
    assert token_reserve(owner="acme", tokens=1_000) is not None
    with pytest.raises(TokenBudgetExhausted):
        token_budget_admit(owner="acme", tokens_per_day=1_000, tokens=1)
    # A key with a larger budget for the same tenant raises the shared limit.
    token_budget_admit(owner="acme", tokens_per_day=2_000, tokens=1)
    assert TokenBudget.objects.get(owner="acme").tokens_per_day == 2_000


def test_a_new_day_starts_the_counters_afresh():
    token_budget_admit(owner="acme", tokens_per_day=1_000, tokens=1)
    reservation = token_reserve(owner="acme", tokens=900)
    assert reservation is not None
    yesterday = reservation.day - datetime.timedelta(days=1)
    TokenBudget.objects.filter(owner="acme").update(day=yesterday, used=100, reserved=900)
    fresh = token_reserve(owner="acme", tokens=900)
    assert fresh is not None
    # Yesterday's reservation settles into today's count without freeing today's.
    token_settle(reservation=type(reservation)(owner="acme", day=yesterday, tokens=900), used=50)
    budget = TokenBudget.objects.get(owner="acme")
    assert (budget.day, budget.used, budget.reserved) == (fresh.day, 50, 900)
