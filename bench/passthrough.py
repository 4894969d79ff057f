"""Passthrough cost: streamed chat completions for a model the catalog does not know,
relayed by one gateway (``serve --no-pool``, ``GATEWAY_PASSTHROUGH=1``) to the fake
upstream, compared with the same requests sent to the upstream directly.

DESIGN §8's target: half of a LiteLLM proxy worker's 30-40 ms of CPU per streamed request.
Reported per round: throughput, time to first byte and to the end (through the gateway and
direct), the gateway's CPU per request and its peak RSS.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.runtime import ROOT, Bench, _free_port, _percentile, _server_settings
from maruntime.database import database_url

LATENCY_SECONDS = float(os.environ.get("BENCH_LLM_LATENCY", "0.05"))
ROUNDS = [int(n) for n in os.environ.get("BENCH_PASSTHROUGH_REQUESTS", "100,500").split(",")]
ANSWER = " ".join(["Streamed words from the upstream arrive in order."] * 8)


async def _one(client: Any, url: str, n: int) -> dict[str, Any]:
    body = {
        "model": "gpt-upstream",
        "stream": True,
        "messages": [{"role": "user", "content": f"Benchmark question {n}"}],
    }
    started = time.perf_counter()
    first = None
    received = 0
    try:
        async with client.stream("POST", f"{url}/chat/completions", json=body) as response:
            async for chunk in response.aiter_bytes():
                if first is None:
                    first = time.perf_counter() - started
                received += len(chunk)
            ok = response.status_code == 200 and received > len(ANSWER)
    except Exception as exc:  # counted as a failure
        return {"ok": False, "error": repr(exc)}
    return {"ok": ok, "first_byte": first, "completion": time.perf_counter() - started}


async def _round(url: str, requests: int) -> tuple[float, list[dict[str, Any]]]:
    import httpx

    limits = httpx.Limits(max_connections=requests + 10, max_keepalive_connections=requests + 10)
    async with httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(120, connect=60)) as client:
        started = time.perf_counter()
        results = await asyncio.gather(*(_one(client, url, n) for n in range(requests)))
        return time.perf_counter() - started, list(results)


def _figures(prefix: str, wall: float, results: list[dict[str, Any]]) -> dict[str, Any]:
    ok = [r for r in results if r["ok"]]
    first = [r["first_byte"] for r in ok]
    completion = [r["completion"] for r in ok]
    return {
        f"{prefix}_failed": len(results) - len(ok),
        f"{prefix}_requests_per_s": len(ok) / wall,
        f"{prefix}_first_byte_p50_ms": _percentile(first, 50) * 1000,
        f"{prefix}_first_byte_p95_ms": _percentile(first, 95) * 1000,
        f"{prefix}_completion_p50_ms": _percentile(completion, 50) * 1000,
        f"{prefix}_completion_p95_ms": _percentile(completion, 95) * 1000,
    }


def run() -> tuple[list[dict[str, Any]], str]:
    from tests.fakes.fake_llm import FakeLLM, Reply

    db = _server_settings()
    fake = FakeLLM()
    fake.responder = lambda request: Reply.text(ANSWER, delay=LATENCY_SECONDS)
    logs = Path(tempfile.mkdtemp(prefix="bench-passthrough-"))
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url(db),
        "GATEWAY_PASSTHROUGH": "1",
        "OPENAI_BASE_URL": fake.base_url,
        "OPENAI_API_KEY": "bench",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    bench = Bench(env, logs)
    rows: list[dict[str, Any]] = []
    try:
        bench.start("gateway", "serve", "--no-pool", "--port", str(port), surface="gateway")
        bench.wait_for_log("gateway", "maruntime serving")
        threading.Thread(target=bench.sample_memory, daemon=True).start()
        gateway = f"http://127.0.0.1:{port}/v1"
        asyncio.run(_round(gateway, 20))  # warm-up: connections, the upstream client
        for requests in ROUNDS:
            direct = _figures("direct", *asyncio.run(_round(fake.base_url, requests)))
            cpu_before = bench.cpu_seconds()["gateway"]
            wall, results = asyncio.run(_round(gateway, requests))
            cpu = bench.cpu_seconds()["gateway"] - cpu_before
            relayed = _figures("gateway", wall, results)
            served = requests - relayed["gateway_failed"]
            rows.append(
                {
                    "requests": requests,
                    **relayed,
                    "gateway_cpu_per_request_ms": cpu * 1000 / max(1, served),
                    "added_first_byte_p50_ms": relayed["gateway_first_byte_p50_ms"]
                    - direct["direct_first_byte_p50_ms"],
                    **direct,
                    "peak_rss_gateway_mb": round(bench.peak_rss.get("gateway", 0) / 2**20, 1),
                }
            )
            errors = {r.get("error") for r in results if not r["ok"]}
            if errors:
                print(f"{requests} requests: failures {sorted(map(str, errors))[:3]}")
    finally:
        bench.stop()
        fake.close()
    notes = (
        f"One gateway (serve --no-pool, gateway surface, GATEWAY_PASSTHROUGH=1) relaying "
        f"streamed completions of {len(ANSWER)} characters from the fake upstream (latency "
        f"{LATENCY_SECONDS * 1000:.0f} ms) byte for byte; 'direct' rows send the same requests "
        "to the upstream without the gateway. Target (DESIGN §8): at most 15-20 ms of gateway "
        "CPU per streamed request. Process logs: " + str(logs)
    )
    return rows, notes


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from bench.report import report

    rows, notes = run()
    report("passthrough", rows, notes=notes)


if __name__ == "__main__":
    main()
