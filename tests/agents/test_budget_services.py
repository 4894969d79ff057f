"""Token budgets (``agents.services.budgets``): a request is admitted with a reservation of
its first step, against the limit of the key that made it, in the transaction that queues
its run; steps reserve before their calls and settle with the real usage; atomic across
connections, refused with a Retry-After, reset each day."""

from __future__ import annotations

import datetime
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from agents import services
from agents.exceptions import TokenBudgetExhausted
from agents.models import Run, Session, TokenBudget
from agents.targets import AgentTarget, SessionTarget
from tests.catalog.api.conftest import make_template

pytestmark = pytest.mark.django_db(transaction=True)

MAX_TOKENS = 200


@pytest.fixture
def version(settings):
    settings.OPENAI_BASE_URL = "http://upstream.test/v1"  # configured, never called here
    _, version = make_template(llm_policy={"max_tokens": MAX_TOKENS})
    return version


def _start(version, tokens_per_day: int, owner: str = "acme") -> Run:
    """A chat turn of a new session, as a key with that daily budget asks for it."""
    turn = services.chat_turn(
        target=AgentTarget(model=version.template.name, versions=(version,)),
        task="6 x 7?",
        owner=owner,
        tokens_per_day=tokens_per_day,
    )
    return turn.run


def _held(run: Run) -> int:
    return Run.objects.values_list("tokens_held", flat=True).get(pk=run.pk)


def _in_own_connection(call, *args):
    """From its own thread, hence its own database connection (another gateway/worker)."""
    try:
        return call(*args)
    except TokenBudgetExhausted:
        return None
    finally:
        connection.close()


def test_an_owner_without_a_budget_reserves_nothing(version):
    run = _start(version, tokens_per_day=0)
    assert services.token_reserve(owner="acme", tokens=10**9, run_id=run.pk) is None
    assert not TokenBudget.objects.exists()
    assert _held(run) == 0


def test_admission_holds_the_first_steps_estimate_on_the_run(version):
    run = _start(version, tokens_per_day=10_000)
    held = _held(run)
    # The template's max_tokens plus the prompt's size (the system prompt, the task...).
    assert MAX_TOKENS + len(version.system_prompt) // 3 < held < 2 * MAX_TOKENS
    assert Run.objects.get(pk=run.pk).token_limit == 10_000
    budget = TokenBudget.objects.get(owner="acme")
    assert (budget.used, budget.reserved) == (0, 0)


def test_a_request_that_does_not_fit_is_refused_and_leaves_nothing(version):
    held = _held(_start(version, tokens_per_day=10_000))
    sessions = Session.objects.count()
    with pytest.raises(TokenBudgetExhausted) as refused:
        _start(version, tokens_per_day=held + held // 2)
    assert refused.value.http_status == 429 and refused.value.code == "token_budget_exceeded"
    assert f"limit {held + held // 2}" in refused.value.message
    assert f"reserved by calls in flight {held}" in refused.value.message
    assert 1 <= (refused.value.retry_after or 0) <= 86_401
    assert Session.objects.count() == sessions
    assert Run.objects.count() == 1


def test_parallel_admissions_on_many_connections_never_exceed_the_budget(version):
    held = _held(_start(version, tokens_per_day=10**6, owner="probe"))
    limit = 5 * held
    with ThreadPoolExecutor(max_workers=8) as pool:
        runs = list(pool.map(lambda _: _in_own_connection(_start, version, limit), range(12)))
    admitted = [run for run in runs if run is not None]
    assert len(admitted) == 5
    assert sum(_held(run) for run in admitted) <= limit


def test_the_limit_is_that_of_the_key_that_made_each_request(version):
    """Two keys of one tenant share its count; each request is held to its own key's limit,
    and so are its run's steps, whichever key asked last."""
    generous = _start(version, tokens_per_day=10_000)
    held = _held(generous)
    with pytest.raises(TokenBudgetExhausted):
        _start(version, tokens_per_day=held + 1)
    step = services.token_reserve(owner="acme", tokens=9_000, run_id=generous.pk)
    assert step is not None  # held to 10,000, not to the other key's limit
    with pytest.raises(TokenBudgetExhausted):
        services.token_reserve(owner="acme", tokens=1_001, run_id=generous.pk)


def test_the_first_step_replaces_the_hold_and_settles_with_real_usage(version):
    run = _start(version, tokens_per_day=5_000)
    reservation = services.token_reserve(owner="acme", tokens=4_000, run_id=run.pk)
    assert reservation is not None and _held(run) == 0
    with pytest.raises(TokenBudgetExhausted):
        services.token_reserve(owner="acme", tokens=1_001, run_id=run.pk)
    services.token_settle(reservation=reservation, used=700)
    budget = TokenBudget.objects.get(owner="acme")
    assert (budget.used, budget.reserved) == (700, 0)
    assert services.token_reserve(owner="acme", tokens=4_000, run_id=run.pk) is not None


def test_parallel_step_reservations_never_exceed_the_budget(version):
    run = _start(version, tokens_per_day=10_000)
    with ThreadPoolExecutor(max_workers=8) as pool:
        granted = list(
            pool.map(
                lambda _: _in_own_connection(
                    lambda: services.token_reserve(owner="acme", tokens=1_000, run_id=run.pk)
                ),
                range(20),
            )
        )
    assert sum(grant is not None for grant in granted) == 10
    budget = TokenBudget.objects.get(owner="acme")
    assert (budget.used, budget.reserved, _held(run)) == (0, 10_000, 0)


def test_a_run_that_ended_before_its_first_step_holds_nothing(version):
    run = _start(version, tokens_per_day=10_000)
    held = _held(run)
    services.session_cancel(session_id=run.session_id)
    # The cancelled run's hold no longer counts: a request needing the whole budget fits.
    Run.objects.filter(pk=run.pk).update(tokens_held=held)
    assert _start(version, tokens_per_day=held + 1) is not None


def test_a_new_day_starts_the_counters_afresh(version):
    run = _start(version, tokens_per_day=1_000)
    reservation = services.token_reserve(owner="acme", tokens=900, run_id=run.pk)
    assert reservation is not None
    yesterday = reservation.day - datetime.timedelta(days=1)
    TokenBudget.objects.filter(owner="acme").update(day=yesterday, used=100, reserved=900)
    fresh = services.token_reserve(owner="acme", tokens=900, run_id=run.pk)
    assert fresh is not None
    # Yesterday's reservation settles into today's count without freeing today's.
    services.token_settle(
        reservation=type(reservation)(owner="acme", day=yesterday, tokens=900), used=50
    )
    budget = TokenBudget.objects.get(owner="acme")
    assert (budget.day, budget.used, budget.reserved) == (fresh.day, 50, 900)


def test_a_message_on_a_session_is_admitted_too_and_a_refusal_writes_nothing(version):
    first = _start(version, tokens_per_day=10**6)
    Run.objects.filter(pk=first.pk).update(state=Run.State.FINISHED)
    session = Session.objects.get(pk=first.session_id)
    with pytest.raises(TokenBudgetExhausted):
        services.chat_turn(
            target=SessionTarget(session=session, model=str(session.pk), named=True),
            task="and 7 x 8?",
            owner="acme",
            tokens_per_day=MAX_TOKENS,  # below the template's max_tokens plus any prompt
        )
    assert Session.objects.get(pk=session.pk).last_seq == session.last_seq
    assert list(Run.objects.filter(session=session)) == [first]
    follow_up = services.chat_turn(
        target=SessionTarget(session=session, model=str(session.pk), named=True),
        task="and 7 x 8?",
        owner="acme",
        tokens_per_day=10**6,
    )
    assert _held(follow_up.run) > MAX_TOKENS
