"""Chaos: real processes under real faults (``make chaos``).

Two gateways (``serve --no-pool``) and two ``runpool`` workers on a Redis and a PostgreSQL of
their own (a ``redis-server`` on a free loopback port and an embedded PostgreSQL in a temporary
folder, so restarting them disturbs nothing else on the machine), a slow fake upstream, and
an effect ledger: the HTTP endpoint of the agent's one effectful tool (allow-listed
loopback), which records every call with its ``Idempotency-Key``. Each session is a
streamed chat completion whose agent writes two ledger entries, then answers.

Rounds, each with every session started at once and faults injected while they run:
``sigkill`` (a random worker SIGKILLed at a random moment, three times, restarted each
time), ``sigterm`` (a worker stopped gracefully mid-run), ``redis`` (Redis restarted),
``postgres`` (PostgreSQL restarted, ``pg_ctl restart -m fast``). Reported per round:
sessions completed / failed / stuck, event-log gaps and duplicated events, effects executed
more than once (and whether every repeat carried the same key), the longest silence on a
client stream, and the time from each fault until every run it hit had a new event.
Targets (issue 10): 0 lost, 0 stuck, 0 gaps or duplicates, 0 effects run twice without the
same key, no stream silent longer than twice the keep-alive, resume within the lease + 2 s.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.runtime import Bench, _connect, _free_port
from tests.fakes.redis_server import RedisServer

ROOT = Path(__file__).resolve().parents[1]
SESSIONS = int(os.environ.get("BENCH_CHAOS_SESSIONS", "24"))
LLM_DELAY_SECONDS = 0.4
LEDGER_DELAY_SECONDS = 0.3
LEASE_SECONDS = 3.0
KEEPALIVE_SECONDS = 2.0
ROUND_TIMEOUT_SECONDS = 120.0
SEED = int(os.environ.get("BENCH_CHAOS_SEED", "10"))
SCENARIOS = os.environ.get("BENCH_CHAOS_SCENARIOS", "sigkill,sigterm,redis,postgres").split(",")

LEDGER_AGENT = """
from catalog import services
tool = services.tool_upsert(name="ledger_write", type="domain")
services.tool_version_create(
    tool=tool,
    description="Write one entry in the ledger (a side effect).",
    input_schema={"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]},
    binding_kind="http",
    binding={"url": %(url)r},
)
template = services.template_upsert(name="ledger_agent")
services.template_version_create(
    template=template,
    flavour="sgr",
    system_prompt="You write to the ledger. {available_tools}",
    tool_policy={"tools": ["ledger_write", "final_answer"]},
)
"""


@dataclass
class StreamRecord:
    session_id: str = ""
    done: bool = False
    error: str = ""
    longest_silence: float = 0.0


@dataclass
class Fault:
    kind: str
    at: Any  # the database's clock when it was injected
    # The sessions whose runs it hit, with when each run's lease was to expire then.
    leases: dict[str, Any] = field(default_factory=dict)


class Services:
    """The Redis and PostgreSQL of this bench, restartable."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.redis = RedisServer()
        from maruntime.database import embedded_database_settings

        self.db = embedded_database_settings(home)
        self.pgdata = home / "pgdata"

    def pg_ctl(self, *args: str) -> None:
        from maruntime.database import embedded_pg_ctl

        embedded_pg_ctl(self.pgdata, *args)


def _responder(request: dict[str, Any]) -> Any:
    """Two ledger writes, then the answer: the step is the number of tool results so far."""
    from tests.fakes.fake_llm import Reply
    from tests.fakes.sgr import final_args, step

    done = sum(1 for message in request["messages"] if message.get("role") == "tool")
    if done < 2:
        reply = step("ledger_write", n=done + 1)
    else:
        answer = {k: v for k, v in final_args("written").items() if k != "reasoning"}
        reply = step("final_answer", **answer)
    return Reply.structured(reply, delay=LLM_DELAY_SECONDS)


async def _stream(base_url: str, n: int, record: StreamRecord) -> None:
    import httpx

    body = {
        "model": "ledger_agent",
        "stream": True,
        "messages": [{"role": "user", "content": f"Write entries for session {n}"}],
    }
    async with (
        httpx.AsyncClient(timeout=ROUND_TIMEOUT_SECONDS) as client,
        client.stream("POST", f"{base_url}/v1/chat/completions", json=body) as response,
    ):
        record.session_id = response.headers.get("X-Session-Id", "")
        last = time.monotonic()
        async for line in response.aiter_lines():
            now = time.monotonic()
            record.longest_silence = max(record.longest_silence, now - last)
            last = now
            if line == "data: [DONE]":
                record.done = True
            elif line.startswith('data: {"error"'):
                record.error = json.loads(line[len("data: ") :])["error"]["code"]


class ClaimWatch:
    """Every claim of a run during a round, seen from a thread of its own that reads the
    runs' ``started_at`` (set by each claim) every 0.1 s, through restarts of the database."""

    def __init__(self, db: dict[str, Any], name: str) -> None:
        self.db, self.name = db, name
        self.claims: dict[str, set[Any]] = {}  # session id -> the claims' started_at
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        connection = None
        while not self._stop.wait(0.1):
            try:
                connection = connection or _connect(self.db, self.name)
                for session_id, started_at in connection.execute(
                    "SELECT session_id, started_at FROM agents_run WHERE started_at IS NOT NULL"
                ).fetchall():
                    self.claims.setdefault(str(session_id), set()).add(started_at)
            except Exception:  # the database restarting (the postgres round): read again
                connection = None
        if connection is not None:
            connection.close()

    def first_after(self, session_id: str, at: Any) -> Any:
        """The first claim of the session's run after ``at`` (None: none was seen)."""
        return min((c for c in self.claims.get(session_id, ()) if c > at), default=None)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)


class Chaos:
    def __init__(self, bench: Bench, services: Services, gateways: list[str]) -> None:
        self.bench = bench
        self.services = services
        self.gateways = gateways
        self.random = random.Random(SEED)
        self.worker_count = 0
        self.sigterm_exit_seconds: float | None = None

    def start_worker(self) -> str:
        self.worker_count += 1
        name = f"worker-{self.worker_count}"
        # Room for every session on each worker: the headroom docs/operations.md asks for,
        # so that the runs of a worker that dies have a slot to go to at once.
        self.bench.start(name, "runpool", "--concurrency", str(SESSIONS))
        self.bench.wait_for_log(name, "started")
        return name

    def live_workers(self) -> list[str]:
        return [
            name
            for name, process in self.bench.processes.items()
            if name.startswith("worker") and process.poll() is None
        ]

    def busy_worker(self, connection: Any) -> str:
        """A live worker holding runs now, picked at random (any live one if none is)."""
        owners = {
            row[0]
            for row in connection.execute(
                "SELECT lease_owner FROM agents_run WHERE state = 'running'"
            ).fetchall()
        }
        live = self.live_workers()
        busy = [
            name
            for name in live
            if any(f":{self.bench.processes[name].pid}:" in owner for owner in owners)
        ]
        return self.random.choice(busy or live)

    def db_now_and_running(self, connection: Any, owner_pid: int | None = None) -> Fault:
        where = "state = 'running'" + (" AND lease_owner LIKE %s" if owner_pid else "")
        params = [f"%:{owner_pid}:%"] if owner_pid else []
        leases = {
            str(row[0]): row[1]
            for row in connection.execute(
                f"SELECT session_id, lease_expires_at FROM agents_run WHERE {where}", params
            ).fetchall()
        }
        now = connection.execute("SELECT clock_timestamp()").fetchone()[0]
        return Fault("", now, leases)

    async def inject(self, kind: str, connection: Any) -> list[Fault]:
        faults = []
        if kind == "sigkill":
            for _ in range(3):
                await asyncio.sleep(self.random.uniform(0.5, 2.5))
                process = self.bench.processes[self.busy_worker(connection)]
                fault = self.db_now_and_running(connection, process.pid)
                process.send_signal(signal.SIGKILL)
                process.wait(10)
                faults.append(Fault("sigkill", fault.at, fault.leases))
                await asyncio.to_thread(self.start_worker)
        elif kind == "sigterm":
            await asyncio.sleep(1.5)
            process = self.bench.processes[self.busy_worker(connection)]
            fault = self.db_now_and_running(connection, process.pid)
            process.terminate()
            stopping = time.monotonic()
            faults.append(Fault("sigterm", fault.at, fault.leases))
            try:
                await asyncio.to_thread(process.wait, 60)
            except subprocess.TimeoutExpired:
                process.kill()  # reported: a worker that does not drain in time
            self.sigterm_exit_seconds = round(time.monotonic() - stopping, 1)
            await asyncio.to_thread(self.start_worker)
        elif kind == "redis":
            await asyncio.sleep(1.5)
            fault = self.db_now_and_running(connection)
            self.services.redis.stop()
            await asyncio.sleep(1.0)
            self.services.redis.start()
            faults.append(Fault("redis", fault.at, fault.leases))
        elif kind == "postgres":
            await asyncio.sleep(1.5)
            fault = self.db_now_and_running(connection)
            connection.close()
            await asyncio.to_thread(self.services.pg_ctl, "-m", "fast", "restart")
            faults.append(Fault("postgres", fault.at, fault.leases))
        return faults

    async def round(self, kind: str, name: str) -> dict[str, Any]:
        connection = _connect(self.services.db, name)
        records = [StreamRecord() for _ in range(SESSIONS)]
        streams = [
            asyncio.create_task(_stream(self.gateways[n % 2], n, record))
            for n, record in enumerate(records)
        ]
        claims = ClaimWatch(self.services.db, name)
        await asyncio.sleep(0.5)
        faults = await self.inject(kind, connection)
        _, late = await asyncio.wait(streams, timeout=ROUND_TIMEOUT_SECONDS)
        for stream in late:  # still open: counted as failed streams
            stream.cancel()
        outcomes = await asyncio.gather(*streams, return_exceptions=True)
        claims.stop()
        connection = _connect(self.services.db, name)
        try:
            row = _measure(kind, connection, records, outcomes, faults, claims)
        finally:
            connection.close()
        if kind == "sigterm":
            row["worker_exit_s"] = self.sigterm_exit_seconds
        return row


def _measure(
    kind: str,
    connection: Any,
    records: list[StreamRecord],
    outcomes: list[Any],
    faults: list[Fault],
    claims: ClaimWatch,
) -> dict[str, Any]:
    ids = [r.session_id for r in records if r.session_id]
    states = Counter(
        row[0]
        for row in connection.execute(
            "SELECT state FROM agents_session WHERE id = ANY(%s::uuid[])", [ids]
        ).fetchall()
    )
    gaps = duplicates = 0
    for session_id in ids:
        events = connection.execute(
            "SELECT seq, type, payload FROM agents_sessionevent WHERE session_id = %s ORDER BY seq",
            [session_id],
        ).fetchall()
        seqs = [row[0] for row in events]
        gaps += int(seqs != list(range(1, len(seqs) + 1)))
        results = Counter(
            json.loads(payload)["call_id"] if isinstance(payload, str) else payload["call_id"]
            for _, type_, payload in events
            if type_ == "tool_result"
        )
        duplicates += sum(count - 1 for count in results.values())
    resume, after_lease, claimed_after_lease = [], [], []
    hit_again = 0
    for index, fault in enumerate(faults):
        for session_id, lease_expires_at in fault.leases.items():
            # When another worker could take the run: its lease's end (or the fault, for a
            # lease already over or a fault that leaves the lease where it was).
            claimable = max(lease_expires_at or fault.at, fault.at)
            # A later fault that hit the run again (its new worker killed too) ends this
            # fault's wait: what follows is that fault's resume.
            next_hit = min(
                (later.at for later in faults[index + 1 :] if session_id in later.leases),
                default=None,
            )
            row = connection.execute(
                "SELECT min(created_at) FROM agents_sessionevent "
                "WHERE session_id = %s AND created_at > %s",
                [session_id, fault.at],
            ).fetchone()
            if row and row[0] is not None and (next_hit is None or row[0] < next_hit):
                resume.append((row[0] - fault.at).total_seconds())
                after_lease.append((row[0] - claimable).total_seconds())
            elif next_hit is not None:
                hit_again += 1
            claimed = claims.first_after(session_id, fault.at)
            if next_hit is not None and (claimed is None or claimed >= next_hit):
                # Unclaimed when hit again: waited at least until then.
                claimed = next_hit if next_hit > claimable else None
            if claimed is not None:
                claimed_after_lease.append((claimed - claimable).total_seconds())
    return {
        "scenario": kind,
        "sessions": len(records),
        "completed": states.get("completed", 0),
        "failed": states.get("failed", 0),
        "stuck": sum(v for k, v in states.items() if k not in ("completed", "failed")),
        "streams_done": sum(r.done for r in records),
        "stream_errors": sum(bool(r.error) for r in records)
        + sum(isinstance(o, BaseException) for o in outcomes),
        "event_gaps": gaps,
        "duplicate_events": duplicates,
        "faults": len(faults),
        "runs_hit": sum(len(f.leases) for f in faults),
        "hit_again_before_resuming": hit_again,
        "resume_max_s": round(max(resume), 2) if resume else 0.0,
        "resume_after_lease_max_s": round(max(after_lease), 2) if after_lease else 0.0,
        "claim_after_lease_max_s": (
            round(max(claimed_after_lease), 2) if claimed_after_lease else 0.0
        ),
        "longest_silence_s": round(max(r.longest_silence for r in records), 2),
    }


def _effects(ledger: Any) -> dict[str, int]:
    """Ledger entries written more than once, by (session's task, entry)."""
    writes: dict[tuple[str, int], list[str]] = {}
    for call in ledger.calls:
        session = call.key.split(":")[0]
        writes.setdefault((session, int(call.body.get("n", 0))), []).append(call.key)
    repeated = [keys for keys in writes.values() if len(keys) > 1]
    return {
        "effects": len(writes),
        "effects_repeated": len(repeated),
        "effects_repeated_with_another_key": sum(len(set(keys)) > 1 for keys in repeated),
        "effects_without_key": sum(1 for call in ledger.calls if not call.key),
    }


def run() -> tuple[list[dict[str, Any]], str]:
    from maruntime.database import database_url
    from tests.fakes.effect_ledger import EffectLedger
    from tests.fakes.fake_llm import FakeLLM

    home = Path(tempfile.mkdtemp(prefix="bench-chaos-"))
    logs = home / "logs"
    logs.mkdir()
    services = Services(home)
    services.redis.start()
    name = f"bench_chaos_{uuid.uuid4().hex[:8]}"
    admin = _connect(services.db, services.db["NAME"])
    admin.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    fake = FakeLLM()
    fake.responder = _responder
    ledger = EffectLedger(delay=LEDGER_DELAY_SECONDS)
    env = {
        **os.environ,
        "DATABASE_URL": database_url(services.db, name),
        "REDIS_URL": services.redis.url,
        "CHANNEL_LAYER_PREFIX": f"chaos-{name}",
        "OPENAI_BASE_URL": fake.base_url,
        "OPENAI_API_KEY": "bench",
        "OPENAI_MODEL": "fake-model",
        "HTTP_TOOL_ALLOWED_HOSTS": "127.0.0.1",
        "POOL_LEASE_SECONDS": str(LEASE_SECONDS),
        "POOL_POLL_SECONDS": "0.5",
        "POOL_DRAIN_SECONDS": "5",
        "STREAM_KEEPALIVE_SECONDS": str(KEEPALIVE_SECONDS),
        "LOG_LEVEL": os.environ.get("BENCH_CHAOS_LOG_LEVEL", "WARNING"),
        "PYTHONUNBUFFERED": "1",
    }
    bench = Bench(env, logs)
    rows: list[dict[str, Any]] = []
    try:
        bench.manage("migrate", "--noinput")
        bench.manage("seed_builtin")
        bench.manage("shell", "-c", LEDGER_AGENT % {"url": ledger.url})
        gateways = []
        for n in (1, 2):
            port = _free_port()
            gateway = f"gateway-{n}"
            bench.start(gateway, "serve", "--no-pool", "--port", str(port), surface="gateway")
            bench.wait_for_log(gateway, "maruntime serving")
            gateways.append(f"http://127.0.0.1:{port}")
        chaos = Chaos(bench, services, gateways)
        for _ in range(2):
            chaos.start_worker()
        for kind in SCENARIOS:
            ledger.calls.clear()
            row = asyncio.run(chaos.round(kind, name))
            row.update(_effects(ledger))
            row["load_1m"] = round(os.getloadavg()[0], 1)
            rows.append(row)
            print(json.dumps(row), flush=True)
    finally:
        bench.stop()
        fake.close()
        ledger.close()
        services.redis.stop()
        services.pg_ctl("-m", "fast", "stop")
        shutil.rmtree(services.pgdata, ignore_errors=True)
    notes = (
        f"{SESSIONS} streamed sessions per round on 2 gateways and 2 runpool workers "
        f"(lease {LEASE_SECONDS:g} s, keep-alive {KEEPALIVE_SECONDS:g} s); each session: "
        f"two calls of an HTTP tool whose endpoint (the effect ledger, {LEDGER_DELAY_SECONDS:g} "
        f"s) records each call's Idempotency-Key, then the answer; upstream "
        f"{LLM_DELAY_SECONDS:g} s per step; each worker runs up to {SESSIONS} at once (room "
        "for a lost worker's runs). resume_max_s: from each fault until every run it hit had "
        "a new event (a run the next fault hit again before that is counted in "
        "hit_again_before_resuming instead, its claim in claim_after_lease_max_s); "
        "resume_after_lease_max_s: the same from the end of the run's lease "
        "(the first step after a takeover included); claim_after_lease_max_s: from the end "
        "of the lease until another worker claimed the run (runs a fault did not take "
        "from their worker are not claimed again and not counted). load_1m: the machine's "
        "load average at the end of the round (2 cores, shared). Effects repeated carry the "
        "same key when "
        "effects_repeated_with_another_key is 0 (the tools' takeover policy: retry). "
        f"Process logs: {logs}"
    )
    return rows, notes


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from bench.report import report

    rows, notes = run()
    report("chaos", rows, notes=notes)


if __name__ == "__main__":
    main()
