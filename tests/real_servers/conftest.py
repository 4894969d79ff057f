"""Fixtures of the real-server tests: llama-cpp-python's server on SmolLM2-135M-Instruct, in
each of llama.cpp's two chat handlers, and an all-in-one maruntime ``serve`` pointed at it
with nothing but ``OPENAI_BASE_URL`` — the zero-configuration path a new user takes.

They take minutes, so they run only when asked for by their marker (``make test-real``,
or ``pytest -m real_server``): ``make test`` skips them with the reason. Asked for without
the built server (``make llama-server``) or the model (``make llama-models``), they are
skipped with what to run; ``make test-real`` builds both first.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from django.db import connection

from maruntime.database import database_url
from tests.e2e.conftest import Stack, seeded  # noqa: F401  (a fixture, used by name)
from tests.real_servers.llama_server import CHAT_HANDLERS, LlamaServer, unavailable_reason

MODEL = "smollm2"
# Settings a user might have exported that would make the run less than zero-configuration.
_UPSTREAM_SETTINGS = ("OPENAI_", "LLM_", "REDIS_URL")


@pytest.fixture(scope="module", params=CHAT_HANDLERS)
def llama(request: pytest.FixtureRequest) -> Iterator[LlamaServer]:
    """The llama.cpp server, once per chat handler (tests are grouped by handler)."""
    if "real_server" not in request.config.getoption("markexpr"):
        pytest.skip("real-server tests run with `make test-real` (or `pytest -m real_server`)")
    reason = unavailable_reason(MODEL)
    if reason is not None:
        pytest.skip(reason)
    with LlamaServer(MODEL, chat_format=request.param) as server:
        yield server


@pytest.fixture(scope="module")
def maruntime_url(
    llama: LlamaServer, django_db_setup, django_db_blocker, tmp_path_factory
) -> Iterator[str]:
    """``serve`` (gateway + in-process pool) on the test database, configured only with
    ``OPENAI_BASE_URL``."""
    with django_db_blocker.unblock():
        url = database_url(connection.settings_dict)
    env = {k: v for k, v in os.environ.items() if not k.startswith(_UPSTREAM_SETTINGS)}
    env.update(
        DATABASE_URL=url,
        OPENAI_BASE_URL=llama.base_url,
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    stack = Stack(env, tmp_path_factory.mktemp(f"real-{llama.chat_format}"))
    # Beside a model server busy on every core, Django takes a while to come up.
    stack.start_timeout = 180
    try:
        yield stack.gateway()
    finally:
        stack.stop()
