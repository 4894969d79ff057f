"""API keys on ``/v1``: authentication, model scopes, session isolation and the per-key
limits, through Django's async test client (and once through the official openai client)."""

from __future__ import annotations

import hashlib
import io
import json
import logging
from datetime import timedelta

import openai
import pytest
from asgiref.sync import sync_to_async
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from agents.models import Run, Session
from agents.services import session_start
from agents.services.budgets import owner_tokens_today
from catalog.selectors import active_template_versions
from gateway import auth, services
from gateway.models import ApiKey
from maruntime.errors import InvalidInput
from maruntime.observability import JsonFormatter
from tests.e2e.conftest import stack, stack_env  # noqa: F401 (fixtures)
from tests.redis_test_url import require_redis

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def keys_on(settings):
    settings.GATEWAY_AUTH = "keys"


@pytest.fixture
def seeded(transactional_db):
    call_command("seed_builtin", stdout=io.StringIO())


def issue(**options) -> str:
    options.setdefault("name", "test")
    return services.api_key_create(**options).plain


aissue = sync_to_async(issue)


def prefix_of(plain: str) -> str:
    return plain.split("_")[1]


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def start_session(owner: str, template: str = "sgr_agent") -> Session:
    version = active_template_versions().get(template__name=template)
    session, _ = session_start(template_version=version, task="find cats", owner=owner)
    return session


astart_session = sync_to_async(start_session)


def assert_envelope(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert error["code"] == code
    assert set(error) == {"message", "type", "param", "code"}
    return error


# --- authentication ------------------------------------------------------------------------


async def test_missing_key_is_401(async_client, keys_on):
    error = assert_envelope(await async_client.get("/v1/models"), 401, "invalid_api_key")
    assert "didn't provide an API key" in error["message"]
    assert error["type"] == "invalid_request_error"


@pytest.mark.parametrize(
    "key", ["none", "sk-something-else", "mrt_000000000000_wrongsecret", "Basic abc"]
)
async def test_unknown_key_is_401(async_client, keys_on, key):
    await aissue()
    response = await async_client.get("/v1/models", headers=bearer(key))
    error = assert_envelope(response, 401, "invalid_api_key")
    assert error["message"].startswith("Incorrect API key provided")


async def test_right_prefix_wrong_secret_is_401(async_client, keys_on):
    plain = await aissue()
    response = await async_client.get("/v1/models", headers=bearer(plain[:-4] + "AAAA"))
    error = assert_envelope(response, 401, "invalid_api_key")
    assert plain not in error["message"]


async def test_revoked_key_is_401(async_client, keys_on):
    plain = await aissue()
    assert (await async_client.get("/v1/models", headers=bearer(plain))).status_code == 200
    await sync_to_async(services.api_key_revoke)(prefix=prefix_of(plain))
    error = assert_envelope(
        await async_client.get("/v1/models", headers=bearer(plain)), 401, "invalid_api_key"
    )
    assert "revoked" in error["message"]


async def test_an_expired_key_is_401(async_client, keys_on):
    plain = await aissue(expires_at=timezone.now() + timedelta(seconds=60))
    assert (await async_client.get("/v1/models", headers=bearer(plain))).status_code == 200
    await ApiKey.objects.filter(prefix=prefix_of(plain)).aupdate(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    error = assert_envelope(
        await async_client.get("/v1/models", headers=bearer(plain)), 401, "invalid_api_key"
    )
    assert "expired" in error["message"]


def test_a_key_cannot_be_issued_already_expired():
    with pytest.raises(InvalidInput, match="past"):
        issue(expires_at=timezone.now() - timedelta(days=1))
    assert not ApiKey.objects.exists()


class _JsonLines(logging.Handler):
    """Formats each record as it is emitted, while its log context is still bound."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(JsonFormatter())
        self.lines: list[dict] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


async def test_each_request_is_audited_with_key_route_status_and_session(
    async_client, keys_on, seeded
):
    plain = await aissue(owner="acme")
    session = await astart_session("acme")
    audit = logging.getLogger("maruntime.audit")
    handler = _JsonLines()
    audit.addHandler(handler)
    try:
        await async_client.get(f"/v1/sessions/{session.pk}", headers=bearer(plain))
        await async_client.get("/v1/models", headers=bearer("mrt_000000000000_wrong"))
    finally:
        audit.removeHandler(handler)
    assert [
        (line["key_prefix"], line["route"], line["status"], line.get("session_id"))
        for line in handler.lines
    ] == [
        (prefix_of(plain), "/v1/sessions/<str:session_id>", "200", str(session.pk)),
        ("", "/v1/models", "401", None),
    ]


async def test_valid_key_lists_models_and_notes_its_use(async_client, keys_on, seeded):
    plain = await aissue()
    response = await async_client.get("/v1/models", headers=bearer(plain))
    assert response.status_code == 200
    assert "sgr_agent" in {m["id"] for m in response.json()["data"]}
    key = await ApiKey.objects.aget(prefix=prefix_of(plain))
    assert key.last_used_at is not None


async def test_auth_off_keeps_anonymous_access(async_client, settings, seeded):
    settings.GATEWAY_AUTH = "off"
    assert (await async_client.get("/v1/models")).status_code == 200
    response = await async_client.get("/v1/models", headers=bearer("none"))
    assert response.status_code == 200


def test_key_is_stored_only_as_a_digest():
    plain = issue(name="stored")
    row = ApiKey.objects.filter(prefix=prefix_of(plain)).values().get()
    secret = plain.split("_", 2)[2]  # the urlsafe secret may itself contain "_"
    assert not any(secret in str(value) for value in row.values())
    assert row["secret_hash"] == hashlib.sha256(plain.encode()).hexdigest()
    assert row["owner"] == f"key_{row['prefix']}"


# --- scopes --------------------------------------------------------------------------------


async def test_template_scope_filters_models_and_refuses_others(async_client, keys_on, seeded):
    plain = await aissue(templates=["sgr_agent"])
    listed = await async_client.get("/v1/models", headers=bearer(plain))
    assert [m["id"] for m in listed.json()["data"]] == ["sgr_agent"]
    assert (await async_client.get("/v1/models/sgr_agent", headers=bearer(plain))).status_code == (
        200
    )
    response = await async_client.get("/v1/models/tool_calling_agent@1", headers=bearer(plain))
    assert_envelope(response, 403, "model_not_allowed")
    response = await async_client.post(
        "/v1/chat/completions",
        {"model": "tool_calling_agent", "messages": [{"role": "user", "content": "hi"}]},
        content_type="application/json",
        headers=bearer(plain),
    )
    assert assert_envelope(response, 403, "model_not_allowed")["param"] == "model"
    assert not await Session.objects.aexists()


async def test_scope_applies_to_a_resumed_session(async_client, keys_on, seeded):
    plain = await aissue(owner="acme", templates=["sgr_agent"])
    session = await astart_session("acme", template="tool_calling_agent")
    response = await async_client.post(
        "/v1/chat/completions",
        {"model": str(session.pk), "messages": [{"role": "user", "content": "more"}]},
        content_type="application/json",
        headers=bearer(plain),
    )
    assert_envelope(response, 403, "model_not_allowed")


async def test_a_tool_scope_without_a_required_tool_refuses_the_run(
    async_client, keys_on, seeded, settings
):
    settings.OPENAI_BASE_URL = "http://127.0.0.1:9/v1"  # configured, never reached
    plain = await aissue(tools_deny=["final_answer"])
    response = await async_client.post(
        "/v1/chat/completions",
        {"model": "sgr_agent", "messages": [{"role": "user", "content": "hi"}]},
        content_type="application/json",
        headers=bearer(plain),
    )
    error = assert_envelope(response, 403, "tool_not_allowed")
    assert "final_answer" in error["message"] and error["param"] == "model"
    assert not await Session.objects.aexists()


def test_a_bad_tool_risk_ceiling_is_refused():
    with pytest.raises(InvalidInput, match="risk ceiling"):
        issue(tool_risk_ceiling="extreme")
    assert not ApiKey.objects.exists()


# --- session isolation ---------------------------------------------------------------------


async def test_a_key_sees_only_its_own_sessions(async_client, keys_on, seeded):
    key_a, key_b = await aissue(name="a"), await aissue(name="b")
    owner_a = f"key_{prefix_of(key_a)}"
    session = await astart_session(owner_a)
    url = f"/v1/sessions/{session.pk}"

    assert (await async_client.get(url, headers=bearer(key_a))).status_code == 200
    assert_envelope(await async_client.get(url, headers=bearer(key_b)), 404, "session_not_found")
    listed = await async_client.get("/v1/sessions", headers=bearer(key_b))
    assert listed.json()["data"] == []
    for path in (f"{url}/events", f"{url}/cancel"):
        method = async_client.post if path.endswith("cancel") else async_client.get
        assert (await method(path, headers=bearer(key_b))).status_code == 404, path
    response = await async_client.post(
        "/v1/chat/completions",
        {"model": str(session.pk), "messages": [{"role": "user", "content": "mine now"}]},
        content_type="application/json",
        headers=bearer(key_b),
    )
    assert response.status_code == 404
    listed = await async_client.get("/v1/sessions", headers=bearer(key_a))
    assert [s["id"] for s in listed.json()["data"]] == [str(session.pk)]


async def test_keys_of_one_tenant_share_sessions(async_client, keys_on, seeded):
    first, second = await aissue(owner="acme"), await aissue(owner="acme")
    other = await aissue(owner="globex")
    session = await astart_session("acme")
    url = f"/v1/sessions/{session.pk}"
    assert (await async_client.get(url, headers=bearer(first))).status_code == 200
    assert (await async_client.get(url, headers=bearer(second))).status_code == 200
    assert (await async_client.get(url, headers=bearer(other))).status_code == 404


async def test_an_admin_key_reads_every_session_but_writes_as_itself(async_client, keys_on, seeded):
    admin = await aissue(is_admin=True)
    session = await astart_session("acme")
    url = f"/v1/sessions/{session.pk}"
    assert (await async_client.get(url, headers=bearer(admin))).status_code == 200
    listed = await async_client.get("/v1/sessions", headers=bearer(admin))
    assert str(session.pk) in [s["id"] for s in listed.json()["data"]]
    assert (await async_client.post(f"{url}/cancel", headers=bearer(admin))).status_code == 404


# --- limits --------------------------------------------------------------------------------


async def test_requests_per_minute_answer_429_with_retry_after(async_client, keys_on):
    plain = await aissue(requests_per_minute=2)
    for _ in range(2):
        assert (await async_client.get("/v1/models", headers=bearer(plain))).status_code == 200
    response = await async_client.get("/v1/models", headers=bearer(plain))
    error = assert_envelope(response, 429, "rate_limit_exceeded")
    assert error["type"] == "requests"
    assert 1 <= int(response["Retry-After"]) <= 60
    # Another key has its own window.
    assert (await async_client.get("/v1/models", headers=bearer(await aissue()))).status_code == (
        200
    )


async def test_requests_per_minute_are_counted_in_redis_when_configured(
    async_client, keys_on, settings, monkeypatch
):
    settings.REDIS_URL = require_redis()
    plain = await aissue(requests_per_minute=1)
    assert (await async_client.get("/v1/models", headers=bearer(plain))).status_code == 200
    # A second gateway process would start with an empty local counter; Redis still knows.
    monkeypatch.setattr(auth, "_local", auth.LocalWindows())
    response = await async_client.get("/v1/models", headers=bearer(plain))
    assert_envelope(response, 429, "rate_limit_exceeded")
    assert 1 <= int(response["Retry-After"]) <= 60


async def test_concurrent_run_limit_answers_429(async_client, keys_on, seeded, settings):
    settings.OPENAI_BASE_URL = "http://127.0.0.1:9/v1"  # configured, never reached
    plain = await aissue(owner="acme", concurrent_runs=1)
    busy = await astart_session("acme")
    body = {"model": "sgr_agent", "messages": [{"role": "user", "content": "another"}]}
    response = await async_client.post(
        "/v1/chat/completions", body, content_type="application/json", headers=bearer(plain)
    )
    error = assert_envelope(response, 429, "rate_limit_exceeded")
    assert "Concurrent run limit" in error["message"]
    assert int(response["Retry-After"]) >= 1
    assert await Session.objects.acount() == 1
    # Other tenants' runs do not count, nor do finished ones.
    await Run.objects.filter(session=busy).aupdate(state=Run.State.FINISHED)
    await astart_session("globex")
    version = await active_template_versions().aget(template__name="sgr_agent")
    await sync_to_async(session_start)(
        template_version=version, task="now", owner="acme", max_active_runs=1
    )


async def test_tokens_per_day_limit_answers_429(async_client, keys_on, seeded):
    plain = await aissue(owner="acme", tokens_per_day=100)
    session = await astart_session("acme")
    await Run.objects.filter(session=session).aupdate(state=Run.State.FINISHED)
    session.context["usage"] = {"prompt": 80, "completion": 30}
    await session.asave(update_fields=["context", "updated_at"])
    other = await astart_session("globex")
    other.context["usage"] = {"prompt": 5000, "completion": 0}
    await other.asave(update_fields=["context"])
    assert await sync_to_async(owner_tokens_today)(owner="acme") == 110
    response = await async_client.post(
        "/v1/chat/completions",
        {"model": "sgr_agent", "messages": [{"role": "user", "content": "more"}]},
        content_type="application/json",
        headers=bearer(plain),
    )
    error = assert_envelope(response, 429, "token_budget_exceeded")
    assert error["type"] == "tokens"
    assert 1 <= int(response["Retry-After"]) <= 86_401


# --- management commands and admin ---------------------------------------------------------


async def test_create_and_revoke_api_key_commands(async_client, keys_on, seeded):
    out, err = io.StringIO(), io.StringIO()
    await sync_to_async(call_command)(
        "create_api_key",
        "--name=ci",
        "--owner=acme",
        "--templates=sgr_agent,tool_calling_agent",
        "--rpm=5",
        "--tokens-per-day=1000",
        "--concurrent-runs=2",
        stdout=out,
        stderr=err,
    )
    plain = out.getvalue().strip()
    assert plain.startswith("mrt_") and "\n" not in plain
    assert "shown once" in err.getvalue() and plain not in err.getvalue()
    key = await ApiKey.objects.aget(prefix=prefix_of(plain))
    assert (key.name, key.owner, key.templates, key.is_admin) == (
        "ci",
        "acme",
        ["sgr_agent", "tool_calling_agent"],
        False,
    )
    assert (key.requests_per_minute, key.tokens_per_day, key.concurrent_runs) == (5, 1000, 2)
    assert (await async_client.get("/v1/models", headers=bearer(plain))).status_code == 200

    out = io.StringIO()
    await sync_to_async(call_command)("revoke_api_key", key.prefix, stdout=out)
    assert key.prefix in out.getvalue()
    assert (await async_client.get("/v1/models", headers=bearer(plain))).status_code == 401


def test_admin_lists_and_revokes_keys_without_showing_the_digest(admin_client):
    plain = issue(name="ops")
    key = ApiKey.objects.get(prefix=prefix_of(plain))
    changelist = reverse("admin:gateway_apikey_changelist")
    page = admin_client.get(changelist).content.decode()
    assert key.prefix in page and key.secret_hash not in page
    change = admin_client.get(reverse("admin:gateway_apikey_change", args=[key.pk]))
    assert change.status_code == 200 and key.secret_hash not in change.content.decode()
    admin_client.post(changelist, {"action": "revoke", "_selected_action": [key.pk]})
    key.refresh_from_db()
    assert key.revoked and key.revoked_at is not None


# --- the official client -------------------------------------------------------------------


def test_the_openai_client_authenticates_with_a_key(request, seeded):
    base_url = request.getfixturevalue("stack").gateway(pool=False, GATEWAY_AUTH="keys")
    plain = issue(name="sdk", templates=["sgr_agent"], requests_per_minute=2)

    def client(key: str) -> openai.OpenAI:
        return openai.OpenAI(base_url=f"{base_url}/v1", api_key=key, max_retries=0, timeout=30)

    assert [m.id for m in client(plain).models.list()] == ["sgr_agent"]
    with pytest.raises(openai.AuthenticationError) as denied:
        client("none").models.list()
    assert denied.value.code == "invalid_api_key"
    with pytest.raises(openai.PermissionDeniedError):
        client(plain).chat.completions.create(
            model="tool_calling_agent", messages=[{"role": "user", "content": "hi"}]
        )
    with pytest.raises(openai.RateLimitError) as limited:
        client(plain).models.list()
    assert int(limited.value.response.headers["Retry-After"]) >= 1


@pytest.mark.usefixtures("keys_on", "seeded")
async def test_agent_search_only_finds_templates_in_the_key_scope(async_client):
    plain = await aissue(templates=["tool_calling_agent"])
    response = await async_client.get(
        "/v1/agents/search", {"q": "research a question on the web"}, headers=bearer(plain)
    )
    assert response.status_code == 200
    assert {hit["name"] for hit in response.json()["data"]} == {"tool_calling_agent"}
