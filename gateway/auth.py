"""Who is calling ``/v1``: API key authentication into a ``Caller`` (``gateway.caller``, its
scopes and limits) and the requests-per-minute limit, checked here.

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

from gateway import services
from gateway.caller import ANONYMOUS, Caller
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


async def rate_limit(caller: Caller) -> None:
    """Count the request against the caller's requests-per-minute limit; raises
    ``RateLimited`` (429 with Retry-After) past it. Nothing to count without a limit."""
    limit = caller.requests_per_minute
    if not limit:
        return
    shared = _redis_windows()
    if shared is None:
        count, reset = _local.hit(caller.key_prefix)
    else:
        try:
            count, reset = await shared.hit(caller.key_prefix)
        except aioredis.RedisError as exc:
            # Degrade to this process's own count rather than refuse every request.
            logger.warning("rate limit counter unavailable, counting locally: %s", exc)
            count, reset = _local.hit(caller.key_prefix)
    if count > limit:
        raise RateLimited(
            f"Rate limit reached on requests per min (RPM): limit {limit}. "
            f"Please try again in {reset}s.",
            retry_after=reset,
        )


# --- the one entry point -------------------------------------------------------------------


def _caller_of(api_key: ApiKey) -> Caller:
    scope = api_key.tool_scope()
    return Caller(
        key_prefix=api_key.prefix,
        owner=api_key.owner,
        is_admin=api_key.is_admin,
        templates=frozenset(api_key.templates or ()),
        tool_scope=None if scope.unrestricted else scope,
        requests_per_minute=api_key.requests_per_minute,
        concurrent_runs=api_key.concurrent_runs,
        tokens_per_day=api_key.tokens_per_day,
    )


async def authenticate(request: HttpRequest) -> Caller:
    """The request's caller; the anonymous caller when keys are not required. Raises
    ``InvalidApiKey`` (401). Its requests-per-minute limit is ``rate_limit``'s."""
    if not keys_required():
        return ANONYMOUS
    header = request.headers.get("Authorization", "")
    return _caller_of(await run_sync(api_key_authenticate)(header=header))
