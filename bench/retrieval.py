"""Retrieval quality and latency: vector only, text only and hybrid search, on two sets.

Quality: the 509 tools of ``bench/data`` and two labelled sets (see its README): the tuning
set (``queries.jsonl``, requests that name the vendor; the thresholds are calibrated on it
with ``--calibrate``) and the held-out set (``paraphrase.jsonl``, requests in people's own
words, never tuned on). Per set and language (en, ru, all): recall@1/5/10 and nDCG@10 per
mode with the threshold off, then what ``tool_search`` returns with the configured
per-language threshold (recall@1, recall@5, unrelated queries answered with no tool). Per-step
selection: a 60-tool catalog, searched as an agent's step searches it. Latency:
``tool_search`` end to end (query embedding included) over 10,000 entries: the labelled
tools plus generated look-alikes from other invented vendors.

Everything runs in a throwaway PostgreSQL schema of the configured database (created, put
first on the search path, dropped at the end), so no existing index entry is touched.
"""

from __future__ import annotations

import json
import math
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"
LATENCY_ENTRIES = 10_000
LATENCY_ROUNDS = 2
SELECTION_TOOLS = 60
# Thresholds tried by --calibrate: 0.10, 0.125, ..., 0.60.
CALIBRATION_LOW, CALIBRATION_STEP, CALIBRATION_STEPS = 0.10, 0.025, 20
# Norm of the noise added to a look-alike's vector (cosine to its source ~ 1/sqrt(1+n^2)).
LOOKALIKE_NOISE = 0.6
# Invented vendor names for the latency run's extra entries (no real service is meant).
SYLLABLES = [
    "zen",
    "tri",
    "vox",
    "qua",
    "lum",
    "nex",
    "ora",
    "pix",
    "dal",
    "mir",
    "sol",
    "kor",
    "vel",
    "tas",
    "bri",
    "ron",
    "fy",
    "ly",
    "io",
    "ra",
]


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "maruntime.settings")
    import django

    django.setup()


def _load(name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (DATA / name).read_text().splitlines() if line]


def _entries(tools: list[dict[str, Any]], embedder: Any, vectors: Any = None) -> list[Any]:
    """Index entries built exactly as ``retrieval.services`` builds them for real tools."""
    from catalog.models import Tool, ToolVersion
    from catalog.policies import RISK_ORDER
    from retrieval.models import IndexEntry
    from retrieval.services import tool_entry_text

    texts = [
        tool_entry_text(
            ToolVersion(
                tool=Tool(name=t["name"], type=t["type"], tags=t["tags"]),
                description=t["description"],
            )
        )
        for t in tools
    ]
    if vectors is None:
        vectors = embedder.embed(texts)
    return [
        IndexEntry(
            kind="tool",
            ref=t["name"],
            version_id=i,
            text=text,
            embedding=vector.tolist(),
            embedder=embedder.name,
            dim=embedder.dim,
            tool_type=t["type"],
            tags=t["tags"],
            risk=RISK_ORDER[t["risk"]],
            binding_kind="http",
        )
        for i, (t, text, vector) in enumerate(zip(tools, texts, vectors, strict=True))
    ]


def _lookalikes(tools: list[dict[str, Any]], count: int, embedder: Any) -> list[Any]:
    """``count`` entries like the labelled tools, each from an invented vendor. Their text
    is real; their vectors are synthetic (the operation's embedding with Gaussian noise),
    because embedding 10,000 texts on two cores takes minutes."""
    import numpy as np

    from bench.data.generate import DOMAINS

    rng = random.Random(7)
    noise = np.random.default_rng(7)
    operations = [
        (tool_type, tags, suffix, description)
        for tool_type, tags, _, ops in DOMAINS.values()
        for suffix, description, _ in ops
    ]
    base = embedder.embed([description.format(P="the vendor") for *_, description in operations])
    seen = {t["name"] for t in tools}
    made: list[dict[str, Any]] = []
    vectors = []
    while len(made) < count:
        vendor = "".join(rng.sample(SYLLABLES, k=rng.choice([2, 3])))
        index = rng.randrange(len(operations))
        tool_type, tags, suffix, description = operations[index]
        name = f"{vendor}_{suffix}"
        if name in seen:
            continue
        seen.add(name)
        made.append(
            {
                "name": name,
                "type": tool_type,
                "tags": tags,
                "risk": "low",
                "description": description.format(P=vendor.capitalize()),
            }
        )
        vector = base[index] + noise.normal(
            0, LOOKALIKE_NOISE / math.sqrt(embedder.dim), embedder.dim
        )
        vectors.append(vector / np.linalg.norm(vector))
    return _entries(made, embedder, vectors=np.array(vectors, dtype=np.float32))


def _quality(queries: list[dict[str, Any]], mode: str) -> dict[str, float]:
    """Ranking quality with the threshold off: any expected tool in the top 1/5/10, nDCG@10."""
    from retrieval.selectors import entry_search

    recall = {1: 0, 5: 0, 10: 0}
    ndcg = 0.0
    for q in queries:
        names = [
            h.name
            for h in entry_search(kind="tool", query=q["query"], k=10, threshold=-1.0, mode=mode)
        ]
        expected = set(q["expected"])
        for cut in recall:
            recall[cut] += bool(expected & set(names[:cut]))
        ideal = sum(1 / math.log2(i + 2) for i in range(min(len(expected), 10)))
        ndcg += sum(1 / math.log2(i + 2) for i, n in enumerate(names) if n in expected) / ideal
    n = len(queries)
    return {
        "labelled": n,
        "recall@1": recall[1] / n,
        "recall@5": recall[5] / n,
        "recall@10": recall[10] / n,
        "ndcg@10": ndcg / n,
    }


def _gated(
    labelled: list[dict[str, Any]],
    unrelated: list[dict[str, Any]],
    threshold: float | None = None,
) -> dict[str, float]:
    """What a caller gets from ``tool_search`` (k=5) with the threshold on (the configured
    per-language one unless ``threshold`` is given): labelled queries answered with an
    expected tool first / in the five, and unrelated queries answered with no tool."""
    from retrieval.selectors import tool_search

    first = within = 0
    for q in labelled:
        names = [h.name for h in tool_search(query=q["query"], threshold=threshold)]
        first += bool(names) and names[0] in q["expected"]
        within += bool(set(q["expected"]) & set(names))
    empty = sum(not tool_search(query=q["query"], threshold=threshold) for q in unrelated)
    return {
        "labelled": len(labelled),
        "recall@1": first / len(labelled),
        "recall@5": within / len(labelled),
        "unrelated": len(unrelated),
        "unrelated_no_tool": empty / len(unrelated),
    }


def _split(queries: list[dict[str, Any]], language: str) -> tuple[list[Any], list[Any]]:
    chosen = [q for q in queries if language in ("all", q["language"])]
    return [q for q in chosen if q["expected"]], [q for q in chosen if not q["expected"]]


def _similarities(queries: list[dict[str, Any]]) -> str:
    """Calibration facts: the correct tool's similarity vs the best unrelated similarity."""
    from retrieval.selectors import entry_search

    def top(q: dict[str, Any]) -> float:
        hits = entry_search(kind="tool", query=q["query"], k=50, threshold=-1.0, mode="vector")
        wanted = set(q["expected"])
        sims = [h.vector_similarity for h in hits if not wanted or h.name in wanted]
        return max(sims, default=0.0)

    labelled, unrelated = _split(queries, "all")
    right = sorted(top(q) for q in labelled)
    wrong = sorted(top(q) for q in unrelated)
    pct = lambda xs, p: xs[min(len(xs) - 1, int(p * len(xs)))]  # noqa: E731
    return (
        f"correct tool similarity p5/p10/p50 {pct(right, 0.05):.3f}/{pct(right, 0.10):.3f}/"
        f"{pct(right, 0.5):.3f}; unrelated best similarity p50/p90/max "
        f"{pct(wrong, 0.5):.3f}/{pct(wrong, 0.9):.3f}/{wrong[-1]:.3f}"
    )


def _selection(tools: list[dict[str, Any]], queries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per-step selection over a 60-tool catalog: a seeded sample of 60 tools, one per
    intent of the held-out set, and the held-out requests an offered tool can serve. Each is
    searched as ``agents.engine.selection`` searches a step (``tool_search`` limited to the
    agent's tools, k = the default ``retrieval_k``, no threshold); the row counts how often
    an expected tool is among those offered."""
    from catalog.policies import ToolPolicy
    from retrieval.selectors import NO_THRESHOLD, tool_search

    rng = random.Random(60)
    intents = sorted({intent for q in queries for intent in q["intents"]})
    known = {t["name"] for t in tools}
    catalog = set()
    for intent in rng.sample(intents, k=SELECTION_TOOLS):
        serving = sorted(name for q in queries if intent in q["intents"] for name in q["expected"])
        catalog.add(rng.choice([name for name in serving if name in known]))
    k = ToolPolicy().retrieval_k
    rows = []
    for language in ("en", "ru"):
        served = [q for q in queries if q["language"] == language and set(q["expected"]) & catalog]
        offered = sum(
            bool(
                set(q["expected"])
                & {
                    h.name
                    for h in tool_search(
                        query=q["query"], k=k, allow=sorted(catalog), threshold=NO_THRESHOLD
                    )
                }
            )
            for q in served
        )
        rows.append(
            {
                "set": f"per-step selection, {len(catalog)}-tool catalog",
                "mode": f"hybrid, k={k}",
                "language": language,
                "labelled": len(served),
                "right_tool_offered": offered / len(served),
            }
        )
    return rows


def calibrate(queries: list[dict[str, Any]]) -> dict[str, float]:
    """Per language, the threshold that best separates the tuning set's labelled queries
    (an expected tool kept in the five) from its unrelated ones (no tool kept): the highest
    sum of the two rates over a grid, ties to the lower threshold. Each query is searched
    once with the threshold off and its candidates re-judged at every threshold by the
    search's own rule (``passes_threshold``), which does not change their order."""
    from django.conf import settings

    from retrieval.selectors import NO_THRESHOLD, entry_search, passes_threshold

    grid = [
        round(CALIBRATION_LOW + step * CALIBRATION_STEP, 3) for step in range(CALIBRATION_STEPS + 1)
    ]
    chosen = {}
    for language in ("en", "ru"):
        labelled, unrelated = _split(queries, language)
        searched = [
            (
                set(q["expected"]),
                entry_search(
                    kind="tool",
                    query=q["query"],
                    k=2 * settings.RETRIEVAL_CANDIDATES,
                    threshold=NO_THRESHOLD,
                ),
            )
            for q in labelled + unrelated
        ]
        best: tuple[float, float] | None = None
        for threshold in grid:
            kept = [
                (expected, [h.name for h in hits if passes_threshold(h, threshold)][:5])
                for expected, hits in searched
            ]
            recall = sum(bool(e & set(names)) for e, names in kept if e) / len(labelled)
            empty = sum(not names for e, names in kept if not e) / len(unrelated)
            print(f"{language} {threshold:.3f}: recall@5 {recall:.3f}, no tool {empty:.3f}")
            if best is None or recall + empty > best[0] + 1e-9:
                best = (recall + empty, threshold)
        assert best is not None
        chosen[language] = best[1]
    return chosen


def _latency(queries: list[dict[str, Any]]) -> dict[str, float]:
    """Wall-clock time of ``tool_search`` (query embedding included) and, since the machine
    may be shared, the CPU time this process spent in it (PostgreSQL's share not included),
    and the embedding alone."""
    from retrieval.embedding import get_embedder
    from retrieval.selectors import tool_search

    embedder = get_embedder()
    total, cpu, embed_only = [], [], []
    for _ in range(LATENCY_ROUNDS):
        for q in queries:
            started, started_cpu = time.perf_counter(), time.thread_time()
            tool_search(query=q["query"], k=5)
            total.append((time.perf_counter() - started) * 1000)
            cpu.append((time.thread_time() - started_cpu) * 1000)
            started = time.perf_counter()
            embedder.embed([q["query"]])
            embed_only.append((time.perf_counter() - started) * 1000)
    total.sort()
    cpu.sort()
    return {
        "searches": len(total),
        "p50_ms": statistics.median(total),
        "p95_ms": total[int(0.95 * len(total))],
        "max_ms": total[-1],
        "cpu_p50_ms": statistics.median(cpu),
        "cpu_p95_ms": cpu[int(0.95 * len(cpu))],
        "embed_p50_ms": statistics.median(embed_only),
    }


def _sets() -> dict[str, list[dict[str, Any]]]:
    return {"tuning": _load("queries.jsonl"), "held-out": _load("paraphrase.jsonl")}


def _indexed(tools: list[dict[str, Any]], embedder: Any) -> float:
    """Create the index table in the current schema and index ``tools``; the seconds spent."""
    from django.db import connection

    from retrieval.models import IndexEntry
    from retrieval.services import ensure_vector_index

    with connection.schema_editor() as editor:
        editor.create_model(IndexEntry)
    ensure_vector_index(embedder.dim)
    started = time.perf_counter()
    IndexEntry.objects.bulk_create(_entries(tools, embedder), batch_size=500)
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE retrieval_indexentry")
    return seconds


class _ThrowawaySchema:
    """A PostgreSQL schema first on the search path while the block runs, dropped after."""

    def __enter__(self) -> None:
        from django.db import connection

        self.name = f"bench_retrieval_{os.getpid()}"
        with connection.cursor() as cursor:
            cursor.execute("CREATE EXTENSION IF NOT EXISTS vector")
            cursor.execute(f"CREATE SCHEMA {self.name}")
            cursor.execute(f"SET search_path TO {self.name}, public")

    def __exit__(self, *exc: object) -> None:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA {self.name} CASCADE")
            cursor.execute("SET search_path TO DEFAULT")


def run() -> tuple[list[dict[str, Any]], str]:
    from django.conf import settings

    from retrieval.embedding import get_embedder
    from retrieval.models import IndexEntry
    from retrieval.selectors import min_similarity

    tools, sets = _load("tools.jsonl"), _sets()
    embedder = get_embedder()
    rows: list[dict[str, Any]] = []
    facts = []
    with _ThrowawaySchema():
        index_seconds = _indexed(tools, embedder)
        for name, queries in sets.items():
            for language in ("en", "ru"):
                labelled, unrelated = _split(queries, language)
                for mode in ("vector", "text", "hybrid"):
                    rows.append(
                        {"set": name, "mode": mode, "language": language} | _quality(labelled, mode)
                    )
                rows.append(
                    {"set": name, "mode": "hybrid, threshold on", "language": language}
                    | _gated(labelled, unrelated)
                )
            facts.append(f"{name}: {_similarities(queries)}")
        rows += _selection(tools, sets["held-out"])

        started = time.perf_counter()
        extra = _lookalikes(tools, LATENCY_ENTRIES - len(tools), embedder)
        IndexEntry.objects.bulk_create(extra, batch_size=1000)
        bulk_seconds = time.perf_counter() - started
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE retrieval_indexentry")
        for name, queries in sets.items():
            for language in ("en", "ru"):
                labelled, unrelated = _split(queries, language)
                rows.append(
                    {
                        "set": f"{name}, {LATENCY_ENTRIES} tools (synthetic vectors)",
                        "mode": "hybrid, threshold on",
                        "language": language,
                    }
                    | _gated(labelled, unrelated)
                )
        every = [q for queries in sets.values() for q in queries]
        rows.append(
            {"set": f"{LATENCY_ENTRIES} tools (synthetic vectors)", "mode": "latency"}
            | _latency(every)
        )
    counts = ", ".join(
        f"{name} {len(_split(qs, 'en')[0])}+{len(_split(qs, 'ru')[0])} labelled (en+ru), "
        f"{len(_split(qs, 'all')[1])} unrelated"
        for name, qs in sets.items()
    )
    notes = (
        f"Sets: {counts}. Thresholds are set on the tuning set only; the held-out set "
        f"(bench/data/paraphrase.py) only reports. Embedder {embedder.name}. "
        f"Indexing {len(tools)} tools took {index_seconds:.1f}s, "
        f"{len(extra)} look-alikes {bulk_seconds:.1f}s.\n"
        f"Thresholds: en {min_similarity('en')}, ru {min_similarity('ru')}; "
        f"'threshold on' rows are what tool_search(k=5) returns, the others rank with it off.\n"
        + "\n".join(facts)
        + f".\ncandidates={settings.RETRIEVAL_CANDIDATES}, rrf_k={settings.RETRIEVAL_RRF_K}, "
        f"ef_search={settings.RETRIEVAL_EF_SEARCH}; load average at the end "
        f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores."
    )
    return rows, notes


def calibration() -> dict[str, float]:
    """``--calibrate``: the per-language thresholds the tuning set supports."""
    from retrieval.embedding import get_embedder

    with _ThrowawaySchema():
        _indexed(_load("tools.jsonl"), get_embedder())
        return calibrate(_sets()["tuning"])


def main() -> None:
    _setup_django()
    from bench.report import report

    if "--calibrate" in sys.argv[1:]:
        chosen = calibration()
        print("RETRIEVAL_MIN_SIMILARITY (en) =", chosen["en"])
        print("RETRIEVAL_MIN_SIMILARITY_BY_LANGUAGE =", f"ru={chosen['ru']}")
        return
    rows, notes = run()
    report("retrieval", rows, notes=notes)


if __name__ == "__main__":
    main()
