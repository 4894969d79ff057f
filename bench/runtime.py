"""Runtime throughput and latency: one gateway (``serve --no-pool``) and two ``runpool``
workers on Redis, against the fake upstream answering every step after a fixed latency.

Each session is one streamed ``/v1/chat/completions`` whose agent answers in one step
(one LLM call, the ``final_answer`` tool). Rounds of 100 and 1,000 concurrent sessions
report throughput, time to first chunk and to completion, the runtime's overhead per step
(completion time minus the upstream's latency, client side; and between the run's first
and last event minus the latency, server side) and the peak PSS of every process.

Everything runs in a throwaway database on the configured server (created, migrated,
seeded, dropped at the end) and under a Redis channel-layer prefix of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from maruntime.database import database_url

ROOT = Path(__file__).resolve().parents[1]
LATENCY_SECONDS = float(os.environ.get("BENCH_LLM_LATENCY", "0.05"))
ROUNDS = [int(n) for n in os.environ.get("BENCH_RUNTIME_SESSIONS", "100,1000").split(",")]
POOL_CONCURRENCY = int(os.environ.get("BENCH_POOL_CONCURRENCY", "64"))
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"


def _server_settings() -> dict[str, Any]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maruntime.settings")
    import django
    from django.conf import settings

    django.setup()
    return dict(settings.DATABASES["default"])


def _connect(db: dict[str, Any], name: str) -> Any:
    import psycopg

    return psycopg.connect(
        dbname=name,
        user=db["USER"],
        password=db["PASSWORD"] or None,
        host=db["HOST"] or None,
        port=db["PORT"] or None,
        autocommit=True,
    )


class Bench:
    """The processes of one benchmark run and their peak memory."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        # Peak proportional set size (PSS) per process: shared pages are split among the
        # processes that map them, so the figures add up (RSS would count PostgreSQL's
        # shared buffers once per backend). "postgres" sums every PostgreSQL process.
        self.peak_pss: dict[str, int] = {}
        self._sampling = threading.Event()
        self.postmaster: Any = None  # see watch_postgres

    def manage(self, *args: str) -> None:
        subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def start(self, name: str, *args: str, surface: str = "all") -> subprocess.Popen[bytes]:
        """``manage.py <args>`` serving ``surface``, logged to ``<logs>/<name>.log``."""
        return self.spawn(
            name,
            [sys.executable, "manage.py", *args],
            env={**self.env, "MARUNTIME_SURFACE": surface},
            cwd=ROOT,
        )

    def spawn(
        self, name: str, argv: list[str], *, env: dict[str, str], cwd: Path
    ) -> subprocess.Popen[bytes]:
        """Any command, logged to ``<logs>/<name>.log``; stopped by ``stop``."""
        log = open(self.logs / f"{name}.log", "wb")  # noqa: SIM115
        process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
        self.processes[name] = process
        return process

    def watch_postgres(self, connection: Any) -> None:
        """Count only the PostgreSQL server behind ``connection`` (its postmaster and every
        backend), not other servers on the machine."""
        import psutil

        backend = connection.execute("SELECT pg_backend_pid()").fetchone()[0]
        self.postmaster = psutil.Process(backend).parent()

    def wait_for_log(self, name: str, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        path = self.logs / f"{name}.log"
        while text not in path.read_text(errors="replace"):
            if self.processes[name].poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not start:\n{path.read_text(errors='replace')}")
            time.sleep(0.1)

    def sample_memory(self) -> None:
        """Until ``stop``: every 0.2 s, record each process's PSS if it is a new peak."""
        while not self._sampling.wait(0.2):
            for name, pss in self.pss().items():
                self.peak_pss[name] = max(self.peak_pss.get(name, 0), pss)

    def pss(self) -> dict[str, int]:
        """Current PSS in bytes of our processes, this client, and PostgreSQL."""
        import psutil

        watched = {name: p.pid for name, p in self.processes.items()} | {"client": os.getpid()}
        sizes: dict[str, int] = {}
        for name, pid in watched.items():
            with contextlib.suppress(psutil.Error):
                sizes[name] = psutil.Process(pid).memory_full_info().pss
        postgres = 0
        for process in self._postgres_processes():
            with contextlib.suppress(psutil.Error):
                postgres += process.memory_full_info().pss
        sizes["postgres"] = postgres
        return sizes

    def cpu_seconds(self) -> dict[str, float]:
        """CPU time used so far by our processes (with their children), and by PostgreSQL."""
        import psutil

        used = {}
        for name, popen in self.processes.items():
            process = psutil.Process(popen.pid)
            used[name] = 0.0
            for member in [process, *process.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    used[name] += sum(member.cpu_times()[:2])
        postgres = 0.0
        for process in self._postgres_processes():
            with contextlib.suppress(psutil.Error):
                times = process.cpu_times()
                postgres += times.user + times.system
                if process == self.postmaster:
                    # Backends that have exited: the postmaster reaped them, so their CPU
                    # is its children's time (a sum over live backends alone would shrink).
                    postgres += times.children_user + times.children_system
        used["postgres"] = postgres
        return used

    def _postgres_processes(self) -> list[Any]:
        import psutil

        if self.postmaster is not None:
            with contextlib.suppress(psutil.Error):
                return [self.postmaster, *self.postmaster.children()]
        return [p for p in psutil.process_iter(["name"]) if p.info["name"] == "postgres"]

    def stop(self) -> None:
        self._sampling.set()
        for process in self.processes.values():
            if process.poll() is None:
                process.terminate()
        for process in self.processes.values():
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()


async def _one_session(client: Any, base_url: str, n: int) -> dict[str, Any]:
    body = {
        "model": "sgr_agent",
        "stream": True,
        "messages": [{"role": "user", "content": f"Benchmark question {n}"}],
    }
    started = time.perf_counter()
    first = None
    content = ""
    session_id = ""
    try:
        async with client.stream("POST", f"{base_url}/v1/chat/completions", json=body) as response:
            session_id = response.headers.get("X-Session-Id", "")
            async for line in response.aiter_lines():
                if not line.startswith("data: "):
                    continue
                if first is None:
                    first = time.perf_counter() - started
                data = line[6:]
                if data == "[DONE]":
                    break
                chunk = json.loads(data)
                for choice in chunk.get("choices") or []:
                    content += choice.get("delta", {}).get("content") or ""
    except Exception as exc:  # counted as a failure
        return {"ok": False, "error": repr(exc)}
    return {
        "ok": content.startswith("answer"),
        "first_chunk": first,
        "completion": time.perf_counter() - started,
        "session_id": session_id,
    }


async def _round(base_url: str, sessions: int) -> tuple[float, list[dict[str, Any]]]:
    import httpx2 as httpx

    limits = httpx.Limits(max_connections=sessions + 10, max_keepalive_connections=sessions + 10)
    timeout = httpx.Timeout(300, connect=60, pool=300)
    async with httpx.AsyncClient(limits=limits, timeout=timeout) as client:
        started = time.perf_counter()
        results = await asyncio.gather(
            *(_one_session(client, base_url, n) for n in range(sessions))
        )
        return time.perf_counter() - started, list(results)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))
    return ordered[index]


def _server_overhead_ms(connection: Any, session_ids: list[str]) -> float:
    """Median over runs: first to last event of the run, minus the upstream's latency,
    per step (these sessions take one step)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXTRACT(EPOCH FROM MAX(created_at) - MIN(created_at)), MAX(step) "
            "FROM agents_sessionevent WHERE session_id = ANY(%s::uuid[]) GROUP BY session_id",
            [session_ids],
        )
        spans = [
            (float(span) - LATENCY_SECONDS) / max(1, int(steps))
            for span, steps in cursor.fetchall()
        ]
    return statistics.median(spans) * 1000 if spans else float("nan")


def run() -> tuple[list[dict[str, Any]], str]:
    import logging

    from tests.fakes.fake_llm import FakeLLM, Reply
    from tests.fakes.sgr import final_args, step

    db = _server_settings()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    name = f"bench_runtime_{uuid.uuid4().hex[:8]}"
    admin = _connect(db, db["NAME"])
    admin.execute(f'CREATE DATABASE "{name}"')
    fake = FakeLLM()
    answer = {k: v for k, v in final_args("answer").items() if k != "reasoning"}
    fake.responder = lambda request: Reply.structured(
        step("final_answer", **answer), delay=LATENCY_SECONDS
    )
    logs = Path(tempfile.mkdtemp(prefix="bench-runtime-"))
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url(db, name),
        "REDIS_URL": REDIS_URL,
        "CHANNEL_LAYER_PREFIX": f"bench-{name}",
        "OPENAI_BASE_URL": fake.base_url,
        "OPENAI_API_KEY": "bench",
        "OPENAI_MODEL": "fake-model",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    bench = Bench(env, logs)
    rows: list[dict[str, Any]] = []
    try:
        bench.manage("migrate", "--noinput")
        bench.manage("seed_builtin")
        bench.start("gateway", "serve", "--no-pool", "--port", str(port), surface="gateway")
        for worker in ("worker-1", "worker-2"):
            bench.start(worker, "runpool", "--concurrency", str(POOL_CONCURRENCY))
        bench.wait_for_log("gateway", "maruntime serving")
        for worker in ("worker-1", "worker-2"):
            bench.wait_for_log(worker, "started")
        threading.Thread(target=bench.sample_memory, daemon=True).start()
        base_url = f"http://127.0.0.1:{port}"
        asyncio.run(_round(base_url, 20))  # warm-up: instances, clients, connections
        checked = _connect(db, name)
        for sessions in ROUNDS:
            cpu_before = bench.cpu_seconds()
            wall, results = asyncio.run(_round(base_url, sessions))
            cpu = {k: v - cpu_before[k] for k, v in bench.cpu_seconds().items()}
            ok = [r for r in results if r["ok"]]
            completion = [r["completion"] for r in ok]
            first = [r["first_chunk"] for r in ok]
            rows.append(
                {
                    "sessions": sessions,
                    "failed": sessions - len(ok),
                    "wall_s": wall,
                    "sessions_per_s": len(ok) / wall,
                    "first_chunk_p50_ms": _percentile(first, 50) * 1000,
                    "first_chunk_p95_ms": _percentile(first, 95) * 1000,
                    "completion_p50_ms": _percentile(completion, 50) * 1000,
                    "completion_p95_ms": _percentile(completion, 95) * 1000,
                    "client_overhead_per_step_p50_ms": (
                        _percentile(completion, 50) - LATENCY_SECONDS
                    )
                    * 1000,
                    "server_overhead_per_step_p50_ms": _server_overhead_ms(
                        checked, [r["session_id"] for r in ok]
                    ),
                    # One step per session: CPU spent by the runtime's own processes
                    # (gateway + workers) and by PostgreSQL for each step.
                    "gateway_cpu_per_step_ms": cpu["gateway"] * 1000 / max(1, len(ok)),
                    "workers_cpu_per_step_ms": sum(
                        v for k, v in cpu.items() if k.startswith("worker")
                    )
                    * 1000
                    / max(1, len(ok)),
                    "postgres_cpu_per_step_ms": cpu["postgres"] * 1000 / max(1, len(ok)),
                    **{
                        f"peak_pss_{proc}_mb": round(pss / 2**20, 1)
                        for proc, pss in sorted(bench.peak_pss.items())
                    },
                }
            )
            errors = {r.get("error") for r in results if not r["ok"]}
            if errors:
                print(f"{sessions} sessions: failures {sorted(map(str, errors))[:3]}")
        checked.close()
    finally:
        bench.stop()
        fake.close()
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
    notes = (
        f"One gateway (serve --no-pool) and two runpool workers (concurrency "
        f"{POOL_CONCURRENCY} each) on Redis; fake upstream latency {LATENCY_SECONDS * 1000:.0f} "
        "ms per LLM call; each session is one streamed chat completion answered in one step "
        "(one LLM call + the final_answer tool, every event persisted). Overhead per step = "
        "completion time (client) or first-to-last event span (server) minus the upstream "
        "latency. Peak PSS (proportional set size) sampled every 0.2 s. Process logs: " + str(logs)
    )
    return rows, notes


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from bench.report import report

    rows, notes = run()
    report("runtime", rows, notes=notes)


if __name__ == "__main__":
    main()
