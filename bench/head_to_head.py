"""Head to head: maruntime beside the anchors of DESIGN §8, in one run, on one fake
upstream (every answer after ``BENCH_LLM_LATENCY``, 50 ms) and one load generator.

- Proxy: streamed completions relayed by maruntime's passthrough (``serve --no-pool``,
  gateway surface) and by LiteLLM Proxy (one worker), and sent to the upstream directly,
  at c = 1, 10, 100.
- Agents: a streamed chat completion whose SGR agent takes three steps (a plan, an
  adaptation, the final answer; ``bench.scripted_agent`` answers every flavour's schema)
  on maruntime all-in-one (``serve``, in-process pool, in-memory channel layer), maruntime
  split (one gateway and two ``runpool`` workers on Redis) and sgr-agent-core 0.7.1's own
  server, at c = 1, 50, 200.

The load generator is one process with one kept-alive connection pool per round, built on
httpx2: the HTTP library of the official OpenAI SDK (httpx's own pool spends O(n²) CPU per
request with many kept-alive connections, which made the client, not the servers, the
bottleneck at c = 100). Rounds run the servers one after another at each concurrency, in
an order that rotates, so slow drift of the machine spreads over all of them. A server's
CPU is that of its processes, plus its PostgreSQL backends for maruntime; memory is PSS,
sampled after warm-up and again once the load has ended.

The anchors live in their own virtualenvs under ``$MARUNTIME_CACHE/anchors`` (``make
bench-anchors``; pinned in ``bench/anchors.txt``). Writes ``bench/results/head_to_head.json``,
``head_to_head.md`` (the table) and ``head_to_head.png`` (latency against concurrency).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.runtime import ROOT, Bench, _connect, _free_port, _percentile, _server_settings
from maruntime.database import database_url

LATENCY_SECONDS = float(os.environ.get("BENCH_LLM_LATENCY", "0.05"))
CACHE = Path(os.environ.get("MARUNTIME_CACHE") or Path.home() / ".cache" / "maruntime")
ANCHORS = CACHE / "anchors"
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
AGENT_STEPS = 3
ANSWER = " ".join(["Streamed words from the upstream arrive in order."] * 8)
RESULTS = Path(__file__).resolve().parent / "results"
LITELLM_KEY = "sk-bench-" + "0" * 32  # LiteLLM Proxy refuses to start without a master key


def _rounds(variable: str, default: str) -> list[tuple[int, int]]:
    """``"1:50,10:300"`` -> [(concurrency, requests), ...]."""
    pairs = os.environ.get(variable, default).split(",")
    return [(int(c), int(n)) for c, n in (pair.split(":") for pair in pairs)]


PROXY_ROUNDS = _rounds("BENCH_H2H_PROXY", "1:50,10:300,100:1000")
AGENT_ROUNDS = _rounds("BENCH_H2H_AGENTS", "1:20,50:200,200:1000")


# -- the load generator ----------------------------------------------------------------


async def _stream(client: Any, url: str, body: dict[str, Any]) -> dict[str, Any]:
    started = time.perf_counter()
    first = None
    content = ""
    try:
        async with client.stream("POST", url, json=body) as response:
            async for line in response.aiter_lines():
                if not line.startswith("data: ") or line == "data: [DONE]":
                    continue
                if first is None:
                    first = time.perf_counter() - started
                for choice in json.loads(line[6:]).get("choices") or []:
                    content += (choice.get("delta") or {}).get("content") or ""
            ok = response.status_code == 200 and bool(content)
    except Exception as exc:  # counted as a failure
        return {"ok": False, "error": repr(exc)}
    return {"ok": ok, "first": first, "done": time.perf_counter() - started, "text": content}


async def _load(
    url: str, bodies: list[dict[str, Any]], concurrency: int, headers: dict[str, str]
) -> dict[str, Any]:
    import httpx2

    limits = httpx2.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    gate = asyncio.Semaphore(concurrency)
    timeout = httpx2.Timeout(600, connect=60)

    async def one(body: dict[str, Any]) -> dict[str, Any]:
        async with gate:
            return await _stream(client, url, body)

    async with httpx2.AsyncClient(limits=limits, timeout=timeout, headers=headers) as client:
        cpu, wall = time.process_time(), time.perf_counter()
        results = await asyncio.gather(*(one(body) for body in bodies))
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    ok = [r for r in results if r["ok"]]
    errors = sorted(
        {str(r.get("error") or r.get("text", ""))[:120] for r in results if not r["ok"]}
    )
    return {
        "requests": len(bodies),
        "failed": len(bodies) - len(ok),
        "per_s": len(ok) / wall,
        "first_p50_ms": _percentile([r["first"] for r in ok], 50) * 1000,
        "first_p95_ms": _percentile([r["first"] for r in ok], 95) * 1000,
        "done_p50_ms": _percentile([r["done"] for r in ok], 50) * 1000,
        "done_p95_ms": _percentile([r["done"] for r in ok], 95) * 1000,
        "client_cpu_ms": cpu * 1000 / max(1, len(bodies)),
        "errors": errors[:3],
    }


def _chat(model: str, n: int) -> dict[str, Any]:
    return {
        "model": model,
        "stream": True,
        "messages": [{"role": "user", "content": f"Benchmark question {n} {uuid.uuid4().hex}"}],
    }


# -- the servers -----------------------------------------------------------------------


class Server:
    """One server under test: how to reach it and which processes' CPU is its cost."""

    def __init__(
        self, name: str, url: str, model: str, processes: list[str], *, pg: bool, key: str = ""
    ) -> None:
        self.name, self.url, self.model = name, url, model
        self.headers = {"Authorization": f"Bearer {key}"} if key else {}
        self.processes = processes
        self.counts_postgres = pg


class HeadToHead:
    def __init__(self) -> None:
        self.db = _server_settings()
        self.admin = _connect(self.db, self.db["NAME"])
        self.databases: list[str] = []
        self.logs = Path(tempfile.mkdtemp(prefix="bench-h2h-"))
        self.bench = Bench(dict(os.environ), self.logs)
        self.bench.watch_postgres(self.admin)
        self.workdir = Path(tempfile.mkdtemp(prefix="bench-h2h-work-"))

    def database(self, purpose: str) -> str:
        name = f"bench_h2h_{purpose}_{uuid.uuid4().hex[:6]}"
        self.admin.execute(f'CREATE DATABASE "{name}"')
        self.databases.append(name)
        return name

    def maruntime_env(self, database: str, upstream: str, **extra: str) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("REDIS_URL", "DATABASE_URL", "GATEWAY_AUTH")
        }
        return env | {
            "DATABASE_URL": database_url(self.db, database),
            "OPENAI_BASE_URL": upstream,
            "OPENAI_API_KEY": "bench",
            "OPENAI_MODEL": "fake-model",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
            **extra,
        }

    def manage(self, env: dict[str, str], *args: str) -> None:
        self.bench.env = env
        self.bench.manage(*args)

    def spawn_manage(self, name: str, env: dict[str, str], *args: str, surface: str) -> None:
        self.bench.env = env
        self.bench.start(name, *args, surface=surface)

    def close(self) -> None:
        self.bench.stop()
        for name in self.databases:
            with contextlib.suppress(Exception):
                self.admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.admin.close()


def _anchor(name: str) -> Path:
    path = ANCHORS / name / "bin"
    if not path.exists():
        raise SystemExit(f"{path} is missing: run `make bench-anchors` first")
    return path


def _wait_http(url: str, timeout: float = 120) -> None:
    import httpx2

    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx2.get(url, timeout=5).status_code < 500:
                return
        except httpx2.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not come up")
        time.sleep(0.5)


def start_proxies(h2h: HeadToHead, upstream: str) -> list[Server]:
    database = h2h.database("proxy")
    env = h2h.maruntime_env(database, upstream, GATEWAY_PASSTHROUGH="1")
    h2h.manage(env, "migrate", "--noinput")
    port = _free_port()
    h2h.spawn_manage(
        "passthrough", env, "serve", "--no-pool", "--port", str(port), surface="gateway"
    )
    h2h.bench.wait_for_log("passthrough", "maruntime serving")
    maruntime = Server(
        "maruntime", f"http://127.0.0.1:{port}/v1", "gpt-upstream", ["passthrough"], pg=True
    )
    config = h2h.workdir / "litellm.yaml"
    config.write_text(
        "model_list:\n"
        "  - model_name: gpt-upstream\n"
        "    litellm_params:\n"
        f"      model: openai/gpt-upstream\n      api_base: {upstream}\n      api_key: bench\n"
    )
    port = _free_port()
    h2h.bench.spawn(
        "litellm",
        [
            str(_anchor("litellm") / "litellm"),
            "--config",
            str(config),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--num_workers",
            "1",
        ],
        env={**os.environ, "LITELLM_LOG": "ERROR", "LITELLM_MASTER_KEY": LITELLM_KEY},
        cwd=h2h.workdir,
    )
    _wait_http(f"http://127.0.0.1:{port}/health/liveliness")
    litellm = Server(
        "litellm",
        f"http://127.0.0.1:{port}/v1",
        "gpt-upstream",
        ["litellm"],
        pg=False,
        key=LITELLM_KEY,
    )
    direct = Server("direct", upstream, "gpt-upstream", [], pg=False)
    return [direct, maruntime, litellm]


def start_agents(h2h: HeadToHead, upstream: str) -> list[Server]:
    servers = []
    database = h2h.database("aio")
    env = h2h.maruntime_env(database, upstream)
    h2h.manage(env, "migrate", "--noinput")
    h2h.manage(env, "seed_builtin")
    port = _free_port()
    h2h.spawn_manage("all-in-one", env, "serve", "--port", str(port), surface="gateway")
    h2h.bench.wait_for_log("all-in-one", "maruntime serving")
    servers.append(
        Server(
            "maruntime all-in-one",
            f"http://127.0.0.1:{port}/v1",
            "sgr_agent",
            ["all-in-one"],
            pg=True,
        )
    )
    database = h2h.database("split")
    env = h2h.maruntime_env(
        database, upstream, REDIS_URL=REDIS_URL, CHANNEL_LAYER_PREFIX=f"bench-{database}"
    )
    h2h.manage(env, "migrate", "--noinput")
    h2h.manage(env, "seed_builtin")
    port = _free_port()
    h2h.spawn_manage("gateway", env, "serve", "--no-pool", "--port", str(port), surface="gateway")
    for worker in ("worker-1", "worker-2"):
        h2h.spawn_manage(worker, env, "runpool", surface="all")
    h2h.bench.wait_for_log("gateway", "maruntime serving")
    for worker in ("worker-1", "worker-2"):
        h2h.bench.wait_for_log(worker, "started")
    servers.append(
        Server(
            "maruntime split",
            f"http://127.0.0.1:{port}/v1",
            "sgr_agent",
            ["gateway", "worker-1", "worker-2"],
            pg=True,
        )
    )
    config = h2h.workdir / "sgr-config.yaml"
    config.write_text(
        f'llm: {{api_key: bench, base_url: "{upstream}", model: fake-model, max_tokens: 2000}}\n'
        f"execution: {{logs_dir: {h2h.workdir}/sgr-logs, reports_dir: {h2h.workdir}/reports}}\n"
        "agents:\n"
        "  sgr_agent:\n"
        "    base_class: sgr_agent\n"
        "    tools: [generate_plan_tool, adapt_plan_tool, final_answer_tool]\n"
    )
    port = _free_port()
    h2h.bench.spawn(
        "sgr-agent-core",
        [str(_anchor("sgr") / "sgr"), "-c", str(config), "--host", "127.0.0.1", "-p", str(port)],
        env=dict(os.environ),
        cwd=h2h.workdir,
    )
    _wait_http(f"http://127.0.0.1:{port}/v1/models")
    servers.append(
        Server(
            "sgr-agent-core",
            f"http://127.0.0.1:{port}/v1",
            "sgr_agent",
            ["sgr-agent-core"],
            pg=False,
        )
    )
    return servers


# -- measuring -------------------------------------------------------------------------


def _measure(
    h2h: HeadToHead, server: Server, upstream: Any, concurrency: int, count: int
) -> dict[str, Any]:
    bodies = [_chat(server.model, n) for n in range(count)]
    before, calls = h2h.bench.cpu_seconds(), len(upstream.requests)
    figures = asyncio.run(
        _load(f"{server.url}/chat/completions", bodies, concurrency, server.headers)
    )
    after, calls = h2h.bench.cpu_seconds(), len(upstream.requests) - calls
    names = server.processes + (["postgres"] if server.counts_postgres else [])
    cpu = sum(after[name] - before[name] for name in names)
    served = max(1, figures["requests"] - figures["failed"])
    return {
        "server": server.name,
        "concurrency": concurrency,
        **figures,
        "upstream_calls_per_request": calls / served,
        "server_cpu_ms": cpu * 1000 / served,
        "postgres_cpu_ms": (after["postgres"] - before["postgres"]) * 1000 / served
        if server.counts_postgres
        else 0.0,
    }


def _series(
    h2h: HeadToHead, servers: list[Server], upstream: Any, rounds: list[tuple[int, int]]
) -> list[dict[str, Any]]:
    rows = []
    for turn, (concurrency, count) in enumerate(rounds):
        order = servers[turn % len(servers) :] + servers[: turn % len(servers)]
        for server in order:
            row = _measure(h2h, server, upstream, concurrency, count)
            print(
                f"{server.name:>22} c={concurrency:<4} {row['per_s']:7.1f}/s "
                f"cpu {row['server_cpu_ms']:6.1f} ms  first p50 {row['first_p50_ms']:7.0f} ms "
                f"failed {row['failed']} {row['errors'][:1]}",
                flush=True,
            )
            rows.append(row)
    return rows


def _pss(h2h: HeadToHead, servers: list[Server]) -> dict[str, float]:
    sizes = h2h.bench.pss()
    return {
        server.name: round(sum(sizes.get(p, 0) for p in server.processes) / 2**20, 1)
        for server in servers
        if server.processes
    }


def _ratio(rows: list[dict[str, Any]], key: str, ours: str, theirs: str, c: int) -> float | None:
    def pick(name: str) -> float | None:
        return next((r[key] for r in rows if r["server"] == name and r["concurrency"] == c), None)

    mine, other = pick(ours), pick(theirs)
    return round(mine / other, 3) if mine is not None and other else None


def _added_latency(rows: list[dict[str, Any]]) -> None:
    """Proxy rows gain the first-chunk latency they add to the direct path."""
    for row in rows:
        direct = next(
            r for r in rows if r["server"] == "direct" and r["concurrency"] == row["concurrency"]
        )
        for q in ("p50", "p95"):
            row[f"added_first_{q}_ms"] = row[f"first_{q}_ms"] - direct[f"first_{q}_ms"]


def _targets(proxy: list[dict[str, Any]], agents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Issue 13's targets, each with the measured ratio and whether it holds."""
    checks: list[tuple[str, float | None, float, Callable[[float, float], bool]]] = []
    for c, _ in PROXY_ROUNDS:
        checks.append(
            (
                f"proxy CPU vs LiteLLM, c={c}",
                _ratio(proxy, "server_cpu_ms", "maruntime", "litellm", c),
                0.35,
                lambda v, t: v <= t,
            )
        )
        for q in ("p50", "p95"):
            checks.append(
                (
                    f"proxy added first chunk {q} vs LiteLLM, c={c}",
                    _ratio(proxy, f"added_first_{q}_ms", "maruntime", "litellm", c),
                    0.5,
                    lambda v, t: v <= t,
                )
            )
    for c, _ in AGENT_ROUNDS:
        for ours in ("maruntime all-in-one", "maruntime split"):
            checks.append(
                (
                    f"{ours} CPU per run vs sgr-agent-core, c={c}",
                    _ratio(agents, "server_cpu_ms", ours, "sgr-agent-core", c),
                    0.35,
                    lambda v, t: v <= t,
                )
            )
        checks.append(
            (
                f"split CPU vs all-in-one, c={c}",
                _ratio(agents, "server_cpu_ms", "maruntime split", "maruntime all-in-one", c),
                1.2,
                lambda v, t: v <= t,
            )
        )
    top = max(c for c, _ in AGENT_ROUNDS)
    for ours in ("maruntime all-in-one", "maruntime split"):
        checks.append(
            (
                f"{ours} runs/s vs sgr-agent-core, c={top}",
                _ratio(agents, "per_s", ours, "sgr-agent-core", top),
                3.0,
                lambda v, t: v >= t,
            )
        )
    return [
        {
            "target": name,
            "measured": value,
            "bound": bound,
            "holds": value is not None and holds(value, bound),
        }
        for name, value, bound, holds in checks
    ]


def _markdown(
    proxy: list[dict[str, Any]],
    agents: list[dict[str, Any]],
    memory: dict[str, Any],
    targets: list[dict[str, Any]],
) -> str:
    lines = [
        "### Proxy (streamed completion, 50 ms upstream)",
        "",
        "| server | c | req/s | server CPU ms/req | first chunk p50 / p95 ms | "
        "added p50 / p95 ms | failed |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['server']} | {r['concurrency']} | {r['per_s']:.1f} | {r['server_cpu_ms']:.1f} | "
        f"{r['first_p50_ms']:.0f} / {r['first_p95_ms']:.0f} | "
        f"{r['added_first_p50_ms']:.0f} / {r['added_first_p95_ms']:.0f} | {r['failed']} |"
        for r in proxy
    ]
    lines += [
        "",
        f"### Agents ({AGENT_STEPS}-step SGR run, 50 ms per LLM call)",
        "",
        "| server | c | runs/s | server CPU ms/run (PostgreSQL) | completion p50 / p95 ms | "
        "failed |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['server']} | {r['concurrency']} | {r['per_s']:.1f} | {r['server_cpu_ms']:.1f} "
        f"({r['postgres_cpu_ms']:.1f}) | {r['done_p50_ms']:.0f} / {r['done_p95_ms']:.0f} | "
        f"{r['failed']} |"
        for r in agents
    ]
    lines += [
        "",
        "### Memory (PSS, MB): after warm-up -> after the load",
        "",
        "| server | warm | after |",
        "|---|---|---|",
    ]
    lines += [
        f"| {name} | {memory['warm'][name]} | {memory['after'][name]} |" for name in memory["after"]
    ]
    lines += [
        "",
        "### Targets (issue 13)",
        "",
        "| target | measured | bound | holds |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {t['target']} | {t['measured']} | {t['bound']} | {'yes' if t['holds'] else 'NO'} |"
        for t in targets
    ]
    return "\n".join(lines) + "\n"


def _plot(proxy: list[dict[str, Any]], agents: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for axis, rows, key, title in (
        (left, proxy, "first_p50_ms", "Proxy: first chunk p50 (ms)"),
        (right, agents, "done_p50_ms", f"Agents: {AGENT_STEPS}-step run p50 (ms)"),
    ):
        for name in dict.fromkeys(r["server"] for r in rows):
            points = [(r["concurrency"], r[key]) for r in rows if r["server"] == name]
            axis.plot(*zip(*points, strict=True), marker="o", label=name)
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlabel("concurrent clients")
        axis.set_title(title)
        axis.grid(True, which="both", alpha=0.3)
        axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def run() -> dict[str, Any]:
    from bench.scripted_agent import ScriptedAgent
    from tests.fakes.fake_llm import FakeLLM, Reply

    proxy_upstream, agent_upstream = FakeLLM(), FakeLLM()
    proxy_upstream.responder = lambda request: Reply.text(ANSWER, delay=LATENCY_SECONDS)
    agent_upstream.responder = ScriptedAgent(steps=AGENT_STEPS, latency=LATENCY_SECONDS)
    h2h = HeadToHead()
    try:
        proxies = start_proxies(h2h, proxy_upstream.base_url)
        agents = start_agents(h2h, agent_upstream.base_url)
        for server in proxies[1:] + agents:  # warm-up: instances, clients, connections
            warm_up = [_chat(server.model, n) for n in range(20)]
            asyncio.run(_load(f"{server.url}/chat/completions", warm_up, 10, server.headers))
        memory: dict[str, Any] = {"warm": _pss(h2h, proxies + agents)}
        proxy_rows = _series(h2h, proxies, proxy_upstream, PROXY_ROUNDS)
        agent_rows = _series(h2h, agents, agent_upstream, AGENT_ROUNDS)
        time.sleep(5)  # let the last runs' cleanup finish before memory is read
        memory["after"] = _pss(h2h, proxies + agents)
    finally:
        h2h.close()
        proxy_upstream.close()
        agent_upstream.close()
    _added_latency(proxy_rows)
    return {
        "proxy": proxy_rows,
        "agents": agent_rows,
        "memory_pss_mb": memory,
        "targets": _targets(proxy_rows, agent_rows),
        "anchors": (Path(__file__).parent / "anchors.txt").read_text().split(),
        "logs": str(h2h.logs),
        "load": os.getloadavg(),
    }


def main() -> None:
    sys.path.insert(0, str(ROOT))
    result = run()
    RESULTS.mkdir(exist_ok=True)
    table = _markdown(result["proxy"], result["agents"], result["memory_pss_mb"], result["targets"])
    print(table)
    (RESULTS / "head_to_head.md").write_text(table)
    _plot(result["proxy"], result["agents"], RESULTS / "head_to_head.png")
    result["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    (RESULTS / "head_to_head.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
