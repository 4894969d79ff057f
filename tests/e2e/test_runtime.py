"""The durable runtime pool across OS processes: two ``runpool`` workers and gateways
(``serve --no-pool``) on Redis, the fake upstream slowed down so that kills, stops and
hang-ups land mid-run. What a user and an operator would see: streams, SSE, rows.

Only what needs real processes is here (SIGKILL, SIGTERM, a worker's metrics port, two
gateways, a client's socket closing); claims, leases, hand-overs, takeovers, cancel, busy
sessions and the follower are tested in process (tests/agents/runtime, tests/gateway)."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest

from agents.models import AgentInstance, Artifact, Run, Session, SessionEvent, ToolExecution
from tests.e2e.conftest import Stack, free_port
from tests.fakes.fake_llm import Reply
from tests.fakes.sgr import final_args, plan_args, sgr_replies
from tests.inprocess import chat_body
from tests.redis_test_url import require_redis

pytestmark = pytest.mark.usefixtures("seeded")

LEASE_SECONDS = 2.0
POLL_SECONDS = 0.3
# Longer than any step the drain tests let finish, short enough to wait for.
DRAIN_SECONDS = 3.0


@pytest.fixture(scope="module")
def redis_url() -> str:
    return require_redis()


@dataclass
class Cluster:
    """Two gateways and two pool workers sharing one Redis prefix (this run's own)."""

    stack: Stack
    env: dict[str, str]
    gateway: str = ""
    other_gateway: str = ""
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def start_worker(self, **extra_env: str) -> subprocess.Popen[bytes]:
        """A ``runpool`` worker, once it says it started (within the stack's start timeout:
        a loaded machine can take long to import it)."""
        process = self.stack.worker(concurrency=8, **{**self.env, **extra_env})
        log = self.stack.tmp / f"worker-{self.stack.processes.index(process)}.log"
        deadline = time.monotonic() + self.stack.start_timeout
        while "started" not in (log.read_text(errors="replace") if log.exists() else ""):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"worker did not start:\n{self.stack.logs()}")
            time.sleep(0.1)
        return process

    def ensure_workers(self, count: int = 2) -> None:
        self.workers = [w for w in self.workers if w.poll() is None]
        while len(self.workers) < count:
            self.workers.append(self.start_worker())

    def worker_by_pid(self, pid: int) -> subprocess.Popen[bytes]:
        return next(w for w in self.workers if w.pid == pid)


@pytest.fixture(scope="module")
def cluster(stack: Stack, redis_url: str, exclusive_runs: None) -> Cluster:
    env = {
        "REDIS_URL": redis_url,
        "CHANNEL_LAYER_PREFIX": f"maruntime-test-{uuid.uuid4().hex[:10]}",
        "POOL_LEASE_SECONDS": str(LEASE_SECONDS),
        "POOL_POLL_SECONDS": str(POLL_SECONDS),
        "POOL_DRAIN_SECONDS": str(DRAIN_SECONDS),
    }
    running = Cluster(stack, env)
    running.gateway = stack.gateway(pool=False, **env)
    running.other_gateway = stack.gateway(pool=False, **env)
    return running


@pytest.fixture
def pool(cluster: Cluster) -> Cluster:
    cluster.ensure_workers(2)
    return cluster


# --- helpers ---------------------------------------------------------------------------------


def sse_blocks(lines: Iterator[str]) -> Iterator[dict[str, str]]:
    """Server-sent events as dicts of their fields (``id``, ``event``, ``data``)."""
    block: dict[str, str] = {}
    for line in lines:
        if not line:
            if block:
                yield block
            block = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            block[name] = value.lstrip()
    if block:
        yield block


@dataclass
class ChatStream:
    """A streamed chat completion read in a background thread."""

    session_id: str = ""
    chunks: list[dict[str, Any]] = field(default_factory=list)
    done: bool = False
    error: BaseException | None = None
    started: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)

    @property
    def content(self) -> str:
        return "".join(
            (c["choices"][0]["delta"].get("content") or "") for c in self.chunks if c.get("choices")
        )

    def wait(self, timeout: float = 30) -> ChatStream:
        assert self.finished.wait(timeout), "the stream did not end"
        return self


def stream_chat(
    base_url: str, body: dict[str, Any], *, read_chunks: int | None = None
) -> ChatStream:
    """Stream in a thread; with ``read_chunks`` hang up after that many chunks."""
    result = ChatStream()

    def read() -> None:
        try:
            with httpx.stream(
                "POST", f"{base_url}/v1/chat/completions", json=body, timeout=60
            ) as response:
                result.session_id = response.headers.get("X-Session-Id", "")
                result.started.set()
                if response.status_code != 200:
                    response.read()
                    result.chunks.append({"status": response.status_code, **response.json()})
                    return
                for block in sse_blocks(response.iter_lines()):
                    if block.get("data") == "[DONE]":
                        result.done = True
                        return
                    result.chunks.append(json.loads(block["data"]))
                    if read_chunks is not None and len(result.chunks) >= read_chunks:
                        return
        except BaseException as exc:  # surfaced by the test's assertions
            result.error = exc
        finally:
            result.started.set()
            result.finished.set()

    threading.Thread(target=read, daemon=True).start()
    assert result.started.wait(30), "no response headers"
    return result


def read_events(
    base_url: str,
    session_id: str,
    *,
    headers: dict[str, str] | None = None,
    params: dict[str, Any] | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """``GET /v1/sessions/{id}/events`` until it ends (or ``limit`` events), as dicts with
    the SSE id next to the payload."""
    events = []
    with httpx.stream(
        "GET",
        f"{base_url}/v1/sessions/{session_id}/events",
        headers=headers,
        params=params,
        timeout=60,
    ) as response:
        assert response.status_code == 200
        for block in sse_blocks(response.iter_lines()):
            data = json.loads(block["data"])
            assert int(block["id"]) == data["seq"] and block["event"] == data["type"]
            events.append(data)
            if limit is not None and len(events) >= limit:
                break
    return events


def wait_until(predicate: Callable[[], Any], timeout: float = 20, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")


def session_finished(session_id: str) -> Session | None:
    session = Session.objects.get(pk=session_id)
    idle = not Run.objects.filter(
        session=session, state__in=["pending", "queued", "running"]
    ).exists()
    return session if idle and session.state in Session.TERMINAL_STATES else None


def assert_gap_free_log(session_id: str) -> list[SessionEvent]:
    events = list(SessionEvent.objects.filter(session_id=session_id).order_by("seq"))
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    # no step was recorded twice: one tool call and one tool result per step
    for kind in ("tool_call", "tool_result"):
        steps = [e.step for e in events if e.type == kind]
        assert len(steps) == len(set(steps)), f"duplicate {kind} events: {steps}"
    return events


def running_owner_pid(session_id: str) -> int:
    run = wait_until(lambda: Run.objects.filter(session_id=session_id, state="running").first())
    return int(run.lease_owner.split(":")[-2])


# --- crash recovery --------------------------------------------------------------------------


def test_sigkilled_worker_mid_run_is_taken_over_without_gaps_or_repeats(pool, fake_llm):
    report = {"title": "Findings", "content": "Everything checks out.", "confidence": "high"}
    fake_llm.script(
        *sgr_replies(("generate_plan", plan_args()), ("create_report", report)),
        # the kill lands while this call is in flight; the new owner issues it again
        *sgr_replies(("final_answer", final_args("recovered")), delay=5.0),
        *sgr_replies(("final_answer", final_args("recovered"))),
    )
    stream = stream_chat(pool.gateway, chat_body("sgr_agent", "Research the thing"))
    fake_llm.wait_for_requests(3, timeout=15)
    victim = pool.worker_by_pid(running_owner_pid(stream.session_id))
    killed_at = time.monotonic()
    victim.send_signal(signal.SIGKILL)
    victim.wait(5)

    # the client's stream is unaffected: it follows the database, not the worker; the run
    # goes on once the lease expires (the bound leaves a loaded machine room, no more)
    assert stream.wait(LEASE_SECONDS + 30).content == "recovered" and stream.done
    assert time.monotonic() - killed_at < LEASE_SECONDS + 15

    session = session_finished(stream.session_id)
    assert session is not None and session.state == "completed" and session.result == "recovered"
    run = Run.objects.get(session=session)
    assert run.attempt == 2 and run.outcome == "completed"
    assert int(run.lease_owner.split(":")[-2]) != victim.pid
    events = assert_gap_free_log(stream.session_id)
    assert [e.payload["tool"] for e in events if e.type == "tool_result"] == [
        "generate_plan",
        "create_report",
        "final_answer",
    ]
    executions = ToolExecution.objects.filter(session=session)
    assert sorted(executions.values_list("tool_name", flat=True)) == [
        "create_report",
        "final_answer",
        "generate_plan",
    ]
    assert all(e.status == "completed" for e in executions)
    assert Artifact.objects.filter(session=session).count() == 1
    assert len(fake_llm.requests) == 4  # only the in-flight call was issued again


# --- graceful stop ---------------------------------------------------------------------------


def test_sigterm_finishes_the_step_hands_the_run_over_and_exits(pool, fake_llm):
    fake_llm.script(
        *sgr_replies(("generate_plan", plan_args()), delay=1.5),
        *sgr_replies(("final_answer", final_args("drained"))),
    )
    stream = stream_chat(pool.gateway, chat_body("sgr_agent", "Plan, then answer"))
    fake_llm.wait_for_requests(1)
    pid = running_owner_pid(stream.session_id)
    leaving = pool.worker_by_pid(pid)
    leaving.send_signal(signal.SIGTERM)

    # it exits once its step is done (1.5 s), well before a hung step's drain would end
    assert leaving.wait(30) == 0
    assert stream.wait(30).content == "drained"
    session = session_finished(stream.session_id)
    assert session is not None and session.state == "completed"
    run = Run.objects.get(session=session)
    # the step in flight was finished by the leaving worker, the rest by the other one
    assert int(run.lease_owner.split(":")[-2]) != pid
    assert run.attempt == 1  # a graceful hand-over is not a failed attempt
    plan_call = ToolExecution.objects.get(session=session, tool_name="generate_plan")
    assert plan_call.status == "completed"
    assert len(fake_llm.requests) == 2
    assert_gap_free_log(stream.session_id)
    stopped = AgentInstance.objects.filter(worker__contains=f":{pid}:")
    assert stopped.exists() and set(stopped.values_list("state", flat=True)) == {"stopped"}


def test_sigterm_hands_back_a_run_stuck_upstream_once_the_drain_time_is_up(pool, fake_llm):
    fake_llm.script(Reply.hang(), *sgr_replies(("final_answer", final_args("taken over"))))
    stream = stream_chat(pool.gateway, chat_body("sgr_agent", "Hang, then answer"))
    fake_llm.wait_for_requests(1)
    pid = running_owner_pid(stream.session_id)
    leaving = pool.worker_by_pid(pid)
    started = time.monotonic()
    leaving.send_signal(signal.SIGTERM)

    # a hung call never ends by itself: only the drain time's end lets the worker exit
    assert leaving.wait(DRAIN_SECONDS + 30) == 0
    assert time.monotonic() - started >= DRAIN_SECONDS
    assert stream.wait(30).content == "taken over"
    run = Run.objects.get(session_id=stream.session_id)
    assert run.outcome == "completed" and int(run.lease_owner.split(":")[-2]) != pid
    assert run.attempt == 1  # handed over, not a failed attempt
    assert len(fake_llm.requests) == 2  # the interrupted call, issued again elsewhere
    assert_gap_free_log(stream.session_id)


def test_a_worker_serves_its_metrics_when_asked(pool):
    port = free_port()
    worker = pool.start_worker(POOL_METRICS_PORT=str(port))

    def scrape() -> str | None:
        try:
            return httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=1).text
        except httpx.HTTPError:
            return None

    try:
        body = wait_until(scrape, timeout=10)
        assert "maruntime_active_runs" in body and "maruntime_queued_runs" in body
    finally:
        worker.terminate()
        worker.wait(10)


def test_sigterm_on_an_idle_worker_exits_without_waiting_out_its_timers(pool):
    # Its drain time and poll interval are a minute: an idle worker waits for neither.
    worker = pool.start_worker(POOL_DRAIN_SECONDS="60", POOL_POLL_SECONDS="60")
    started = time.monotonic()
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(45) == 0
    assert time.monotonic() - started < 45


# --- resumable streams -----------------------------------------------------------------------


def test_events_resume_on_another_gateway_without_gap_or_duplicate(pool, fake_llm):
    fake_llm.script(
        *sgr_replies(
            ("generate_plan", plan_args()), ("final_answer", final_args("done")), delay=0.7
        )
    )
    stream = stream_chat(pool.gateway, chat_body("sgr_agent", "Follow me"))
    session_id = stream.session_id

    # live: read a few events from the other gateway, hang up, resume with Last-Event-ID
    head = read_events(pool.other_gateway, session_id, limit=3)
    rest = read_events(
        pool.other_gateway, session_id, headers={"Last-Event-ID": str(head[-1]["seq"])}
    )
    seen = [e["seq"] for e in head + rest]
    assert seen == list(range(1, len(seen) + 1))
    assert rest[-1]["type"] == "final_answer" or rest[-1]["type"] == "state"
    stream.wait()

    full = read_events(pool.other_gateway, session_id)
    assert [e["seq"] for e in full] == seen
    stored = assert_gap_free_log(session_id)
    assert [e.seq for e in stored] == seen
    assert any(e["type"] == "final_answer" and e["payload"]["answer"] == "done" for e in full)

    # replay with ?after= from the first gateway and Last-Event-ID from the second agree
    after = read_events(pool.gateway, session_id, params={"after": 4})
    by_header = read_events(pool.other_gateway, session_id, headers={"Last-Event-ID": "4"})
    assert after == by_header == full[4:]

    bad = httpx.get(
        f"{pool.gateway}/v1/sessions/{session_id}/events", headers={"Last-Event-ID": "x"}
    )
    assert bad.status_code == 400


def test_a_client_hanging_up_does_not_stop_the_run_and_can_reattach(pool, fake_llm):
    fake_llm.script(
        *sgr_replies(
            ("generate_plan", plan_args()), ("final_answer", final_args("still here")), delay=0.7
        )
    )
    gone = stream_chat(pool.gateway, chat_body("sgr_agent", "Keep going"), read_chunks=1).wait()
    session = wait_until(lambda: session_finished(gone.session_id), timeout=15)
    assert session.state == "completed" and session.result == "still here"
    events = read_events(pool.other_gateway, gone.session_id, params={"after": 0})
    assert events[-1]["type"] in ("final_answer", "state")
    assert any(e["type"] == "final_answer" for e in events)


def _post_and_hang_up_later(base_url: str, body: dict[str, Any]) -> tuple[socket.socket, str]:
    """Send a streamed chat request on a raw socket and read up to its first chunk;
    returns the open socket (closing it is an unambiguous disconnect) and the session id."""
    url = urlparse(base_url)
    payload = json.dumps(body).encode()
    sock = socket.create_connection((url.hostname, url.port), timeout=30)
    sock.sendall(
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: test\r\n"
        b"Content-Type: application/json\r\n"
        + f"Content-Length: {len(payload)}\r\n\r\n".encode()
        + payload
    )
    received = b""
    while b"session_id" not in received:
        received += sock.recv(65536)
    headers = received.split(b"\r\n\r\n", 1)[0].decode().lower()
    session_id = headers.split("x-session-id: ", 1)[1].split("\r\n", 1)[0]
    return sock, session_id


def test_cancel_on_disconnect_cancels_the_run(pool, fake_llm):
    fake_llm.script(*sgr_replies(("generate_plan", plan_args())), Reply.hang())
    sock, session_id = _post_and_hang_up_later(
        pool.gateway, chat_body("sgr_agent", "Stop when I leave", cancel_on_disconnect=True)
    )
    fake_llm.wait_for_requests(2)  # the client hangs up while the second call is in flight
    sock.close()
    session = wait_until(lambda: session_finished(session_id), timeout=10)
    assert session.state == "cancelled"
    assert Run.objects.get(session=session).outcome == "cancelled"
    assert len(fake_llm.requests) == 2
