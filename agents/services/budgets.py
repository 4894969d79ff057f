"""Daily token budgets: reservations taken before the spend, settled with the real usage.

Invariant (``agents.models.TokenBudget``): a reservation is granted only while the owner's
``used + reserved`` stays within ``tokens_per_day``, under the budget row's lock
(``SELECT ... FOR UPDATE``), so every gateway and pool worker sees one count. PostgreSQL
holds it rather than Redis because it is always there (Redis is optional in development
and in the all-in-one server) and it is the source of truth the sessions' usage already
lives in; the row lock costs one short transaction per LLM step, for budgeted owners only
a write.

The gateway admits a run only when one step's reservation would fit now
(``token_budget_admit``: 429 with ``Retry-After`` otherwise); the engine reserves before
each step's LLM calls (``token_reserve``) and settles after (``token_settle``), so parallel
requests can overshoot by no more than what the reservations underestimated (re-asks past
the estimate). A worker that dies mid-call keeps its reservation until the day ends, which
errs towards refusing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime

from django.db import transaction
from django.db.models import BigIntegerField, F, Sum
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from agents.exceptions import TokenBudgetExhausted
from agents.models import Session, TokenBudget


@dataclass(frozen=True)
class TokenReservation:
    """Tokens set aside for one step's LLM calls on ``day``'s budget of ``owner``."""

    owner: str
    day: date
    tokens: int


def start_of_day(now: datetime | None = None) -> datetime:
    """Midnight of ``now``'s day in ``TIME_ZONE``: where daily token budgets start."""
    now = now or timezone.now()
    return now.astimezone(timezone.get_default_timezone()).replace(
        hour=0, minute=0, second=0, microsecond=0
    )


def owner_tokens_today(*, owner: str) -> int:
    """Prompt + completion tokens of ``owner``'s sessions active today (in TIME_ZONE).

    Usage is kept per session, not per day, so a session that began yesterday and went on
    today counts in full: the figure errs on the side of the limit."""
    total = Session.objects.filter(owner=owner, updated_at__gte=start_of_day()).aggregate(
        tokens=Coalesce(Sum(Cast(KT("context__usage__prompt"), BigIntegerField())), 0)
        + Coalesce(Sum(Cast(KT("context__usage__completion"), BigIntegerField())), 0)
    )["tokens"]
    return int(total or 0)


def _seconds_until_tomorrow() -> int:
    return max(1, int(start_of_day().timestamp() + 86_400 - time.time()) + 1)


def _locked_for_today(owner: str) -> TokenBudget | None:
    """The owner's budget row, locked, with its counters moved to today."""
    budget = TokenBudget.objects.select_for_update().filter(owner=owner).first()
    today = timezone.localdate()
    if budget is not None and budget.day != today:
        budget.day, budget.used, budget.reserved = today, 0, 0
    return budget


def _refuse_unless_fits(budget: TokenBudget, tokens: int) -> None:
    if budget.used + budget.reserved + tokens > budget.tokens_per_day:
        raise TokenBudgetExhausted(
            f"Rate limit reached on tokens per day (TPD): limit {budget.tokens_per_day}, "
            f"used {budget.used}, reserved by calls in flight {budget.reserved}, this call "
            f"needs up to {tokens}.",
            retry_after=_seconds_until_tomorrow(),
        )


@transaction.atomic
def token_budget_admit(*, owner: str, tokens_per_day: int, tokens: int) -> None:
    """Set ``owner``'s daily budget to ``tokens_per_day`` (the calling key's) and refuse
    (``TokenBudgetExhausted``) unless a step needing ``tokens`` would fit now. A new budget
    starts with what the owner's sessions have used today. Holds the budget row's lock."""
    budget = _locked_for_today(owner)
    if budget is None:
        # Parallel first requests of an owner race to create the row: one insert wins,
        # every request then waits for the lock on it.
        new = TokenBudget(
            owner=owner,
            tokens_per_day=tokens_per_day,
            day=timezone.localdate(),
            used=owner_tokens_today(owner=owner),
        )
        TokenBudget.objects.bulk_create([new], ignore_conflicts=True)
        budget = _locked_for_today(owner)
        assert budget is not None, "the row exists: it was just inserted or already was"
    budget.tokens_per_day = tokens_per_day
    _refuse_unless_fits(budget, tokens)
    budget.save()


@transaction.atomic
def token_reserve(*, owner: str, tokens: int) -> TokenReservation | None:
    """Reserve ``tokens`` on ``owner``'s budget before a step's LLM calls; None when the
    owner has no budget. Raises ``TokenBudgetExhausted`` when they do not fit. Holds the
    budget row's lock."""
    budget = _locked_for_today(owner) if owner else None
    if budget is None:
        return None
    _refuse_unless_fits(budget, tokens)
    budget.reserved += tokens
    budget.save(update_fields=["day", "used", "reserved", "updated_at"])
    return TokenReservation(owner=owner, day=budget.day, tokens=tokens)


def token_settle(*, reservation: TokenReservation, used: int) -> None:
    """Replace the reservation by the tokens the calls really used (0 when they failed
    before any usage was reported). A reservation of an earlier day only adds its usage
    to today's count: that day's counters were reset already."""
    same_day = TokenBudget.objects.filter(owner=reservation.owner, day=reservation.day)
    updated = same_day.update(used=F("used") + used, reserved=F("reserved") - reservation.tokens)
    if not updated:
        TokenBudget.objects.filter(owner=reservation.owner).update(used=F("used") + used)
