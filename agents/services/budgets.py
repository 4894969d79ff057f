"""Daily token budgets: reservations taken before the spend, settled with the real usage.

Invariant (``agents.models.TokenBudget``): a reservation is granted only while the owner's
``used + reserved`` plus what its admitted runs hold stays within the daily limit of the
key that made the request, under the budget row's lock (``SELECT ... FOR UPDATE``), so
every gateway and pool worker sees one count. PostgreSQL holds it rather than Redis
because it is always there (Redis is optional in development and in the all-in-one server)
and it is the source of truth the sessions' usage already lives in; the row lock costs one
short transaction per LLM step, for budgeted owners only a write.

A request is admitted only with a reservation of its first step's estimate (the
template's ``max_tokens`` per call plus the prompt's size), taken in the transaction that
queues its run (``token_admit`` then ``token_hold``: 429 with ``Retry-After`` otherwise,
and the request leaves nothing behind); the run keeps its key's limit. The engine
reserves before each step's LLM calls (``token_reserve``, which replaces the admission's
hold at the first step) and settles after (``token_settle``), so parallel requests can
overshoot by no more than what the reservations underestimated (re-asks past the
estimate). A hold ends with its run; a worker that dies mid-call keeps its step's
reservation until the day ends, which errs towards refusing.
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
from agents.models import Run, Session, TokenBudget


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


# A conservative tokens-per-character figure for prompts (English averages about 4 characters
# a token): reservations err towards refusing.
PROMPT_CHARS_PER_TOKEN = 3


def _seconds_until_tomorrow() -> int:
    return max(1, int(start_of_day().timestamp() + 86_400 - time.time()) + 1)


def _locked_for_today(owner: str) -> TokenBudget | None:
    """The owner's budget row, locked, with its counters moved to today."""
    budget = TokenBudget.objects.select_for_update().filter(owner=owner).first()
    today = timezone.localdate()
    if budget is not None and budget.day != today:
        budget.day, budget.used, budget.reserved = today, 0, 0
    return budget


def _locked_or_new(owner: str) -> TokenBudget:
    """``_locked_for_today``, creating the row first when the owner has none; a new one
    starts with what the owner's sessions have used today."""
    budget = _locked_for_today(owner)
    if budget is None:
        # Parallel first requests of an owner race to create the row: one insert wins,
        # every request then waits for the lock on it.
        new = TokenBudget(
            owner=owner, day=timezone.localdate(), used=owner_tokens_today(owner=owner)
        )
        TokenBudget.objects.bulk_create([new], ignore_conflicts=True)
        budget = _locked_for_today(owner)
        assert budget is not None, "the row exists: it was just inserted or already was"
    return budget


def _held(owner: str) -> int:
    """Tokens the owner's admitted runs hold until their first step (pending or active
    runs only: a run that ended before any step holds nothing)."""
    held = Run.objects.filter(
        session__owner=owner,
        state__in=[Run.State.PENDING, *Run.ACTIVE_STATES],
        tokens_held__gt=0,
    ).aggregate(tokens=Sum("tokens_held"))["tokens"]
    return int(held or 0)


def _refuse_unless_fits(budget: TokenBudget, limit: int, tokens: int) -> None:
    held = _held(budget.owner)
    if budget.used + budget.reserved + held + tokens > limit:
        raise TokenBudgetExhausted(
            f"Rate limit reached on tokens per day (TPD): limit {limit}, used {budget.used}, "
            f"reserved by calls in flight {budget.reserved + held}, this call needs up to "
            f"{tokens}.",
            retry_after=_seconds_until_tomorrow(),
        )


def token_estimate(*, prompt_chars: int, max_tokens: int, calls: int = 1) -> int:
    """What ``calls`` LLM calls on a prompt of ``prompt_chars`` characters may use at most:
    the prompt (counted generously, ``PROMPT_CHARS_PER_TOKEN``) plus ``max_tokens``, each."""
    return calls * (prompt_chars // PROMPT_CHARS_PER_TOKEN + 1 + max_tokens)


def token_admit(*, owner: str, tokens_per_day: int, tokens: int) -> None:
    """Admit a request against the daily budget ``tokens_per_day`` of the key that made
    it: refuse (``TokenBudgetExhausted``, 429 with Retry-After) unless ``tokens`` (its
    first step's estimate) fit now. Call it in the transaction that queues the request's
    run, then ``token_hold`` on that run: the budget row stays locked until the transaction
    ends, so no other admission or step counts before the hold is committed, and a refusal
    rolls the whole request back."""
    budget = _locked_or_new(owner)
    _refuse_unless_fits(budget, tokens_per_day, tokens)
    budget.save()


def token_hold(*, run: Run, tokens_per_day: int, tokens: int) -> None:
    """Record an admission (``token_admit``) on the run it queued: its key's limit, which
    its steps are held to, and the ``tokens`` it holds until its first step's reservation
    replaces them."""
    Run.objects.filter(pk=run.pk).update(token_limit=tokens_per_day, tokens_held=tokens)
    run.token_limit, run.tokens_held = tokens_per_day, tokens


@transaction.atomic
def token_reserve(*, owner: str, tokens: int, run_id: int | None = None) -> TokenReservation | None:
    """Reserve ``tokens`` on ``owner``'s budget before a step's LLM calls of the run
    ``run_id``, in place of what its admission held; None when the owner has no budget.
    Raises ``TokenBudgetExhausted`` when they do not fit the limit of the key that queued
    the run (a run without one is counted, not limited). Holds the budget row's lock."""
    budget = _locked_for_today(owner) if owner else None
    if budget is None:
        return None
    limit = 0
    if run_id is not None:
        limit = Run.objects.values_list("token_limit", flat=True).get(pk=run_id)
        Run.objects.filter(pk=run_id, tokens_held__gt=0).update(tokens_held=0)
    if limit:
        _refuse_unless_fits(budget, limit, tokens)
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
