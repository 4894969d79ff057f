"""The Redis the tests use: ``REDIS_TEST_URL`` (default ``redis://127.0.0.1:6379/0``; give
each checkout working in parallel a database of its own), and ``require_redis()``, which
skips a test when it does not answer, or fails it under ``MARUNTIME_REQUIRE_REDIS=1`` (CI)."""

from __future__ import annotations

import os

import pytest
import redis

REDIS_TEST_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/0")


def require_redis() -> str:
    """``REDIS_TEST_URL`` once it answers a PING; skips (or fails, in CI) when it does not."""
    try:
        redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        message = f"Redis is not reachable at {REDIS_TEST_URL}"
        if os.environ.get("MARUNTIME_REQUIRE_REDIS") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return REDIS_TEST_URL
