"""Who is calling ``/v1`` and what they may do: API key authentication, model scopes and
the per-key limits (requests per minute, concurrent runs, tokens per day).

``GATEWAY_AUTH=keys`` turns this on (the default in production); ``off`` leaves every
request anonymous, as in development. ``/healthz``, ``/readyz`` and ``/metrics`` stay open
either way. The requests-per-minute counter lives in Redis when ``REDIS_URL`` is set, so all
gateway replicas share it; without Redis each process counts on its own.
"""

from __future__ import annotations

import hmac
import logging
import time

import redis.asyncio as aioredis
from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from agents.selectors import is_session_id
from agents.services import token_budget_admit
from catalog.policies import ToolScope
from gateway import services
from gateway.models import ApiKey
from maruntime.asyncdb import run_sync
from maruntime.errors import DomainError, RateLimited
from maruntime.loops import PerLoop

logger = logging.getLogger(__name__)

WINDOW_SECONDS = 60


class InvalidApiKey(DomainError):
    code = "invalid_api_key"
    http_status = 401
    error_type = "invalid_request_error"


class ModelNotAllowed(DomainError):
    code = "model_not_allowed"
    http_status = 403
    error_type = "invalid_request_error"


def keys_required() -> bool:
    return str(settings.GATEWAY_AUTH) != "off"


# --- authentication ------------------------------------------------------------------------


def _masked(plain: str) -> str:
    return f"{plain[:8]}****" if len(plain) > 12 else "****"


def _bearer(header: str) -> str:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidApiKey(
            "You didn't provide an API key. You need to provide your API key in an "
            "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
        )
    return token.strip()


def api_key_authenticate(*, header: str) -> ApiKey:
    """The live key the ``Authorization`` header carries; raises ``InvalidApiKey``."""
    plain = _bearer(header)
    prefix = services.key_prefix(plain)
    api_key = ApiKey.objects.filter(prefix=prefix).first() if prefix else None
    # The digest is compared in constant time even though the prefix already matched.
    if api_key is None or not hmac.compare_digest(api_key.secret_hash, services.key_digest(plain)):
        raise InvalidApiKey(f"Incorrect API key provided: {_masked(plain)}.")
    if api_key.revoked:
        raise InvalidApiKey(f"The API key {_masked(plain)} has been revoked.")
    if api_key.expires_at is not None and api_key.expires_at <= timezone.now():
        raise InvalidApiKey(f"The API key {_masked(plain)} has expired.")
    services.api_key_touch(api_key=api_key)
    return api_key


# --- model scope ---------------------------------------------------------------------------


def request_api_key(request: HttpRequest) -> ApiKey | None:
    return getattr(request, "api_key", None)


def scope_allows(api_key: ApiKey | None, model: str) -> bool:
    """Whether the key may use ``model`` (``name`` or ``name@version``); no key: yes."""
    if api_key is None or not api_key.templates:
        return True
    return model.partition("@")[0] in api_key.templates


def allowed_templates(request: HttpRequest) -> list[str] | None:
    """The templates the caller's key is scoped to; None means every template."""
    api_key = request_api_key(request)
    return list(api_key.templates) if api_key is not None and api_key.templates else None


def caller_run_limit(request: HttpRequest) -> int:
    """The caller's key's limit on sessions with an active run (0: none), enforced by the
    agents services in the transaction that queues the run, so racing requests cannot
    exceed it."""
    api_key = request_api_key(request)
    return api_key.concurrent_runs if api_key is not None else 0


def caller_tool_scope(request: HttpRequest) -> ToolScope | None:
    """The caller's key's limits on tools; None when the caller has none."""
    api_key = request_api_key(request)
    if api_key is None:
        return None
    scope = api_key.tool_scope()
    return None if scope.unrestricted else scope


def model_allowed(request: HttpRequest, model: str) -> bool:
    """For views that list or show models: is ``model`` in the caller's scope?"""
    return scope_allows(request_api_key(request), model)


def require_model(request: HttpRequest, model: str) -> None:
    if not model_allowed(request, model):
        raise ModelNotAllowed(f"This API key may not use the model '{model}'", param="model")


def authorize_passthrough(request: HttpRequest, model: str) -> None:
    """A passthrough model must be in the key's model scope; a key with a daily token
    budget may not use passthrough, which is not metered (only sessions count tokens)."""
    require_model(request, model)
    api_key = request_api_key(request)
    if api_key is not None and api_key.tokens_per_day:
        raise ModelNotAllowed(
            f"This key has a daily token budget, which meters agent sessions only; the "
            f"passthrough model '{model}' is not metered, so this key may not use it",
            param="model",
        )


def _check_run_start(api_key: ApiKey, model: str) -> None:
    """Scope and tokens per day, before a run is queued (the concurrent-run limit is
    checked where the run is queued: ``caller_run_limit``). Also sets the owner's daily
    token budget to this key's."""
    scoped = model
    if model and is_session_id(model):
        scoped = services.session_model_name(session_id=model, owner=api_key.owner) or ""
    if scoped and not scope_allows(api_key, scoped):
        raise ModelNotAllowed(f"This API key may not use the model '{model}'", param="model")
    if api_key.tokens_per_day:
        # Refused once the day's budget is spent or held by calls in flight; each step
        # then reserves its own share before its LLM calls (agents.services.budgets).
        token_budget_admit(owner=api_key.owner, tokens_per_day=api_key.tokens_per_day, tokens=1)


# --- requests per minute -------------------------------------------------------------------


class LocalWindows:
    """Per-process windows: one minute from a key's first request in it."""

    def __init__(self) -> None:
        self._windows: dict[str, tuple[float, int]] = {}

    def hit(self, key: str) -> tuple[int, int]:
        """Count a request; returns (requests in this window, seconds until it ends)."""
        now = time.monotonic()
        started, count = self._windows.get(key, (now, 0))
        if now - started >= WINDOW_SECONDS:
            started, count = now, 0
        self._windows[key] = (started, count + 1)
        return count + 1, max(1, int(started + WINDOW_SECONDS - now + 0.999))


class RedisWindows:
    """The same windows in Redis, shared by every gateway replica. A key's window is a
    counter created with a one-minute expiry (SET NX EX) and incremented in one transaction,
    so a crash between the two steps cannot leave a counter that never expires."""

    def __init__(self, url: str, prefix: str) -> None:
        self.url = url
        self.prefix = prefix
        # redis-py's asyncio connections belong to the loop that opened them.
        self._clients: PerLoop[aioredis.Redis] = PerLoop(
            lambda: aioredis.Redis.from_url(self.url, socket_timeout=1, socket_connect_timeout=1)
        )

    def _client(self) -> aioredis.Redis:
        return self._clients.get()

    async def hit(self, key: str) -> tuple[int, int]:
        name = f"{self.prefix}:gateway:rpm:{key}"
        async with self._client().pipeline(transaction=True) as pipe:
            pipe.set(name, 0, ex=WINDOW_SECONDS, nx=True)
            pipe.incr(name)
            pipe.ttl(name)
            _, count, ttl = await pipe.execute()
        return int(count), max(1, int(ttl))


_local = LocalWindows()
_redis: RedisWindows | None = None


def _redis_windows() -> RedisWindows | None:
    global _redis
    url = str(settings.REDIS_URL)
    if not url:
        return None
    if _redis is None or _redis.url != url:
        config = settings.CHANNEL_LAYERS["default"].get("CONFIG", {})
        _redis = RedisWindows(url, str(config.get("prefix", "asgi")))
    return _redis


async def _check_rate(api_key: ApiKey) -> None:
    limit = api_key.requests_per_minute
    if not limit:
        return
    shared = _redis_windows()
    if shared is None:
        count, reset = _local.hit(api_key.prefix)
    else:
        try:
            count, reset = await shared.hit(api_key.prefix)
        except aioredis.RedisError as exc:
            # Degrade to this process's own count rather than refuse every request.
            logger.warning("rate limit counter unavailable, counting locally: %s", exc)
            count, reset = _local.hit(api_key.prefix)
    if count > limit:
        raise RateLimited(
            f"Rate limit reached on requests per min (RPM): limit {limit}. "
            f"Please try again in {reset}s.",
            retry_after=reset,
        )


# --- the one entry point -------------------------------------------------------------------


async def authorize(request: HttpRequest) -> None:
    """Authenticate the caller and apply its key's limits; sets ``request.api_key`` and
    ``request.api_key_owner``. Raises ``InvalidApiKey`` (401), ``ModelNotAllowed`` (403)
    or ``RateLimited`` (429 with Retry-After)."""
    if not keys_required():
        return
    api_key = await run_sync(api_key_authenticate)(header=request.headers.get("Authorization", ""))
    request.api_key = api_key  # type: ignore[attr-defined]
    request.api_key_owner = api_key.owner  # type: ignore[attr-defined]
    await _check_rate(api_key)


async def authorize_run_start(request: HttpRequest, model: str) -> None:
    """Before a run is queued for ``model`` (a name or a session id): the key's model
    scope and daily-token limit. Raises ``ModelNotAllowed`` (403) or ``RateLimited`` (429
    with Retry-After); nothing to check without a key."""
    api_key = request_api_key(request)
    if api_key is not None:
        await run_sync(_check_run_start)(api_key, model)
