"""Retrieval quality and latency: vector only, text only and hybrid search.

Quality: the labelled set in ``bench/data`` (tools.jsonl, queries.jsonl; see its README),
recall@1/5/10 and nDCG@10 per mode, with the threshold off; then, with the configured
threshold and per query language (en, ru, all), how many labelled queries keep their tool
and how many unrelated ones return nothing. Latency: ``tool_search`` end to end (query
embedding included) over 10,000 entries: the labelled tools plus generated look-alikes from
other invented vendors.

Everything runs in a throwaway PostgreSQL schema of the configured database (created, put
first on the search path, dropped at the end), so no existing index entry is touched.
"""

from __future__ import annotations

import json
import math
import os
import random
import statistics
import time
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"
LATENCY_ENTRIES = 10_000
LATENCY_ROUNDS = 3
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
        ndcg += sum(1 / math.log2(i + 2) for i, n in enumerate(names) if n in expected)
    n = len(queries)
    return {
        "recall@1": recall[1] / n,
        "recall@5": recall[5] / n,
        "recall@10": recall[10] / n,
        "ndcg@10": ndcg / n,
    }


def _thresholded(
    labelled: list[dict[str, Any]], unrelated: list[dict[str, Any]], threshold: float
) -> list[dict[str, Any]]:
    """Per query language and overall: labelled queries that keep their tool in the top 5,
    and unrelated queries answered with no tool at all."""
    from retrieval.selectors import tool_search

    kept = [
        (q["language"], bool(set(q["expected"]) & {h.name for h in tool_search(query=q["query"])}))
        for q in labelled
    ]
    empty = [(q["language"], not tool_search(query=q["query"])) for q in unrelated]

    def share(outcomes: list[tuple[str, bool]], language: str) -> tuple[int, float]:
        picked = [ok for lang, ok in outcomes if language in ("all", lang)]
        return len(picked), sum(picked) / len(picked)

    rows = []
    for language in ("en", "ru", "all"):
        (n_labelled, recall), (n_unrelated, none) = share(kept, language), share(empty, language)
        rows.append(
            {
                "set": f"threshold {threshold}",
                "mode": "hybrid",
                "language": language,
                "labelled": n_labelled,
                "labelled_recall@5": recall,
                "unrelated": n_unrelated,
                "unrelated_empty": none,
            }
        )
    return rows


def _similarities(labelled: list[dict[str, Any]], unrelated: list[dict[str, Any]]) -> str:
    """Calibration facts: the correct tool's similarity vs the best unrelated similarity."""
    from retrieval.selectors import entry_search

    def top(q: dict[str, Any], only: set[str] | None) -> float:
        hits = entry_search(kind="tool", query=q["query"], k=50, threshold=-1.0, mode="vector")
        sims = [h.vector_similarity for h in hits if only is None or h.name in only]
        return max(sims, default=0.0)

    right = sorted(top(q, set(q["expected"])) for q in labelled)
    wrong = sorted(top(q, None) for q in unrelated)
    pct = lambda xs, p: xs[min(len(xs) - 1, int(p * len(xs)))]  # noqa: E731
    return (
        f"correct tool similarity p5/p10/p50: {pct(right, 0.05):.3f}/{pct(right, 0.10):.3f}/"
        f"{pct(right, 0.5):.3f}; unrelated best similarity p50/p90/max: "
        f"{pct(wrong, 0.5):.3f}/{pct(wrong, 0.9):.3f}/{wrong[-1]:.3f}"
    )


def _latency(queries: list[dict[str, Any]]) -> dict[str, float]:
    from retrieval.embedding import get_embedder
    from retrieval.selectors import tool_search

    embedder = get_embedder()
    total, embed_only = [], []
    for _ in range(LATENCY_ROUNDS):
        for q in queries:
            started = time.perf_counter()
            tool_search(query=q["query"], k=5)
            total.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            embedder.embed([q["query"]])
            embed_only.append((time.perf_counter() - started) * 1000)
    total.sort()
    return {
        "searches": len(total),
        "p50_ms": statistics.median(total),
        "p95_ms": total[int(0.95 * len(total))],
        "max_ms": total[-1],
        "embed_p50_ms": statistics.median(embed_only),
    }


def run() -> tuple[list[dict[str, Any]], str]:
    from django.conf import settings
    from django.db import connection

    from retrieval.embedding import get_embedder
    from retrieval.models import IndexEntry

    tools, queries = _load("tools.jsonl"), _load("queries.jsonl")
    labelled = [q for q in queries if q["expected"]]
    unrelated = [q for q in queries if not q["expected"]]
    embedder = get_embedder()
    embedder.embed(["warm up"])
    schema = f"bench_retrieval_{os.getpid()}"
    rows: list[dict[str, Any]] = []
    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS vector")
        cursor.execute(f"CREATE SCHEMA {schema}")
        cursor.execute(f"SET search_path TO {schema}, public")
    try:
        with connection.schema_editor() as editor:
            editor.create_model(IndexEntry)
        started = time.perf_counter()
        IndexEntry.objects.bulk_create(_entries(tools, embedder), batch_size=500)
        index_seconds = time.perf_counter() - started
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE retrieval_indexentry")
        for mode in ("vector", "text", "hybrid"):
            rows.append({"set": f"{len(tools)} tools", "mode": mode, **_quality(labelled, mode)})
        gate = _thresholded(labelled, unrelated, settings.RETRIEVAL_MIN_SIMILARITY)
        rows += gate
        calibration = _similarities(labelled, unrelated)

        started = time.perf_counter()
        extra = _lookalikes(tools, LATENCY_ENTRIES - len(tools), embedder)
        IndexEntry.objects.bulk_create(extra, batch_size=1000)
        bulk_seconds = time.perf_counter() - started
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE retrieval_indexentry")
        rows.append(
            {
                "set": f"{LATENCY_ENTRIES} tools (synthetic vectors)",
                "mode": "hybrid",
                **_quality(labelled, "hybrid"),
            }
        )
        latency = _latency(labelled)
        rows.append(
            {"set": f"{LATENCY_ENTRIES} tools (synthetic vectors)", "mode": "latency", **latency}
        )
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA {schema} CASCADE")
            cursor.execute("SET search_path TO DEFAULT")
    overall = gate[-1]
    notes = (
        f"{len(labelled)} labelled queries ({sum(q['language'] == 'ru' for q in labelled)} "
        f"Russian), {len(unrelated)} unrelated; embedder {embedder.name}. "
        f"Indexing {len(tools)} tools took {index_seconds:.1f}s, "
        f"{len(extra)} look-alikes {bulk_seconds:.1f}s.\n"
        f"With RETRIEVAL_MIN_SIMILARITY={settings.RETRIEVAL_MIN_SIMILARITY}: labelled "
        f"recall@5 {overall['labelled_recall@5']:.3f}, unrelated queries answered with no tool "
        f"{overall['unrelated_empty']:.3f} (per language in the threshold rows).\n{calibration}.\n"
        f"candidates={settings.RETRIEVAL_CANDIDATES}, rrf_k={settings.RETRIEVAL_RRF_K}, "
        f"ef_search={settings.RETRIEVAL_EF_SEARCH}; quality rows run with the threshold off."
    )
    return rows, notes


def main() -> None:
    _setup_django()
    from bench.report import report

    rows, notes = run()
    report("retrieval", rows, notes=notes)


if __name__ == "__main__":
    main()
