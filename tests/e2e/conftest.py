"""End-to-end fixtures: real maruntime processes (``serve``, ``runpool``) on the test
database, talking to the fake upstream over loopback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from django.core.management import call_command
from django.db import connection

from maruntime.database import database_url

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Stack:
    """Processes started for one test module; stopped (SIGTERM, then SIGKILL) at the end."""

    def __init__(self, env: dict[str, str], tmp: Path) -> None:
        self.env = env
        self.tmp = tmp
        self.processes: list[subprocess.Popen[bytes]] = []
        # Seconds a gateway may take to answer /healthz after it is started: generous, a
        # loaded 2-core machine can take that long to import and migrate-check.
        self.start_timeout = 90.0

    def _start(
        self, name: str, args: list[str], extra_env: dict[str, str]
    ) -> subprocess.Popen[bytes]:
        log = open(self.tmp / f"{name}-{len(self.processes)}.log", "wb")  # noqa: SIM115
        process = subprocess.Popen(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env={**self.env, **extra_env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.processes.append(process)
        return process

    def gateway(self, *, pool: bool = True, **extra_env: str) -> str:
        port = free_port()
        args = ["serve", "--port", str(port)] + ([] if pool else ["--no-pool"])
        process = self._start("gateway", args, extra_env)
        base_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"gateway exited early:\n{self.logs()}")
            try:
                if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                    return base_url
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError(f"gateway did not start:\n{self.logs()}")

    def worker(self, *, concurrency: int = 8, **extra_env: str) -> subprocess.Popen[bytes]:
        return self._start("worker", ["runpool", "--concurrency", str(concurrency)], extra_env)

    def logs(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-4000:]}"
            for path in sorted(self.tmp.glob("*.log"))
        )

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()


@pytest.fixture(scope="session")
def stack_env(django_db_setup, django_db_blocker, fake_llm_server) -> dict[str, str]:
    with django_db_blocker.unblock():
        url = database_url(connection.settings_dict)
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL",)}
    env.update(
        DATABASE_URL=url,
        OPENAI_BASE_URL=fake_llm_server.base_url,
        OPENAI_API_KEY="test-key",
        OPENAI_MODEL="fake-model",
        LLM_RETRY_BACKOFF_SECONDS="0.05",
        POOL_POLL_SECONDS="0.2",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env


@pytest.fixture(scope="module")
def stack(stack_env, tmp_path_factory) -> Iterator[Stack]:
    """Processes of this test module's own, stopped at its end."""
    running = Stack(stack_env, tmp_path_factory.mktemp("stack"))
    yield running
    running.stop()


class SharedGateway:
    """One all-in-one ``serve`` (gateway and pool) for the modules that only talk to a
    default server, started when first asked for and kept from module to module: each start
    costs seconds of CPU (imports, the embedding model). Every test seeds the database
    afresh, so nothing a test leaves behind reaches the next one. A module whose own
    processes must be the only ones claiming runs asks for ``exclusive_runs``, which stops
    it; the next module that needs it starts it again."""

    def __init__(self, env: dict[str, str], tmp: Path) -> None:
        self._stack = Stack(env, tmp)
        self._url = ""

    def url(self) -> str:
        if not self._url:
            self._url = self._stack.gateway()
        return self._url

    def logs(self) -> str:
        return self._stack.logs()

    def stop(self) -> None:
        self._stack.stop()
        self._url = ""


@pytest.fixture(scope="package")
def shared_gateway(stack_env, tmp_path_factory) -> Iterator[SharedGateway]:
    """Stopped at the end of tests/e2e: the in-process pools of the tests after it share
    the database and must be the only ones serving it."""
    shared = SharedGateway(stack_env, tmp_path_factory.mktemp("shared"))
    yield shared
    shared.stop()


@pytest.fixture(scope="module")
def server(shared_gateway: SharedGateway) -> str:
    """The base URL of the shared all-in-one server."""
    return shared_gateway.url()


@pytest.fixture(scope="module")
def exclusive_runs(shared_gateway: SharedGateway) -> None:
    """No process but this module's own claims runs while it runs."""
    shared_gateway.stop()


@pytest.fixture
def seeded(transactional_db) -> None:
    call_command("seed_builtin", stdout=open(os.devnull, "w"))  # noqa: SIM115


def client_for(base_url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{base_url}/v1", api_key="none", max_retries=0, timeout=30)


def session_id_of(response: Any) -> str:
    """The ``session_id`` maruntime adds to every completion and chunk."""
    assert response.model_extra is not None, "no session_id on the response"
    return str(response.model_extra["session_id"])
