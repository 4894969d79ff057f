"""Retrieval quality and latency: vector only, text only and hybrid search, on three sets.

Quality: the 509 tools of ``bench/data`` and three labelled sets (see its README): the tuning
set (``queries.jsonl``, requests that name the vendor), the dev set (``dev.jsonl``, requests in
people's own words, written for tuning) and the held-out set (``paraphrase.jsonl``, requests in
people's own words, never tuned on). ``--calibrate`` chooses the per-language thresholds, the
similarity margin and the text weight on the tuning and dev sets together and refuses to see
the held-out set; ``check_separation`` refuses a dev request that repeats a held-out one.
``--dev`` prints the tuning and dev rows only (for design work: the held-out set stays
unseen); ``--latency`` only measures latency (to re-measure when the machine is quiet).
Per set and language (en, ru, all): recall@1/5/10 and nDCG@10 per mode with the threshold
off, then what ``tool_search`` returns with the configured settings (recall@1, recall@5,
unrelated queries answered with no tool). Per-step selection: a 60-tool catalog,
searched as an agent's step searches it. Latency: ``tool_search`` end to end (query embedding
included) over 10,000 entries: the labelled tools plus generated look-alikes from other
invented vendors.

Everything runs in a throwaway PostgreSQL schema of the configured database (created, put
first on the search path, dropped at the end), so no existing index entry is touched.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import random
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"
LATENCY_ENTRIES = 10_000
LATENCY_ROUNDS = 2
SELECTION_TOOLS = 60
# Thresholds tried by --calibrate: 0.10, 0.12, ..., 0.60; and the margins and text weights.
CALIBRATION_LOW, CALIBRATION_STEP, CALIBRATION_STEPS = 0.10, 0.02, 25
CALIBRATION_MARGINS = (0.0, 0.05)
CALIBRATION_TEXT_WEIGHTS = (0.0, 0.1, 0.25, 0.5, 1.0)
# A dev request sharing this share of its words with a held-out one is a copy (Jaccard).
SEPARATION_JACCARD = 0.5
HELD_OUT = "held-out"
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


def _lookalikes(
    tools: list[dict[str, Any]], count: int, embedder: Any
) -> tuple[list[Any], dict[str, str]]:
    """``count`` entries like the labelled tools, each from an invented vendor, and the
    intent (``domain.operation``) each one serves. Their text is real; their vectors are
    synthetic (the operation's embedding with Gaussian noise), because embedding 10,000 texts
    on two cores takes minutes."""
    import numpy as np

    from bench.data.generate import DOMAINS

    rng = random.Random(7)
    noise = np.random.default_rng(7)
    operations = [
        (f"{domain}.{suffix}", tool_type, tags, suffix, description)
        for domain, (tool_type, tags, _, ops) in DOMAINS.items()
        for suffix, description, _ in ops
    ]
    base = embedder.embed([description.format(P="the vendor") for *_, description in operations])
    seen = {t["name"] for t in tools}
    made: list[dict[str, Any]] = []
    intents: dict[str, str] = {}
    vectors = []
    while len(made) < count:
        vendor = "".join(rng.sample(SYLLABLES, k=rng.choice([2, 3])))
        index = rng.randrange(len(operations))
        intent, tool_type, tags, suffix, description = operations[index]
        name = f"{vendor}_{suffix}"
        if name in seen:
            continue
        seen.add(name)
        intents[name] = intent
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
    return _entries(made, embedder, vectors=np.array(vectors, dtype=np.float32)), intents


def _widened(queries: list[dict[str, Any]], intents: dict[str, str]) -> list[dict[str, Any]]:
    """``queries`` with the look-alikes that serve their intents among the expected tools.
    Only requests that name no vendor have intents (dev and held-out): for them any vendor's
    tool of the operation is right, an invented one too; a tuning request names its vendor,
    so a look-alike stays wrong for it."""
    serving: dict[str, list[str]] = {}
    for name, intent in intents.items():
        serving.setdefault(intent, []).append(name)
    return [
        q
        | {
            "expected": q["expected"]
            + [n for i in q.get("intents", []) for n in serving.get(i, [])]
        }
        for q in queries
    ]


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


def calibrate(queries: list[dict[str, Any]]) -> dict[str, Any]:
    """The settings the given (tuning and dev) queries support: one text weight and one
    similarity margin for all languages, and per language the threshold that best separates
    its labelled queries (an expected tool kept in the five) from its unrelated ones (no tool
    kept). The score of a setting is, per language, recall@5 + recall@1 + the unrelated
    queries' no-tool rate, at that language's best threshold; ties go to the lower threshold,
    margin and weight. Each query is searched once with the threshold off and its candidates
    re-judged at every setting by the search's own rule (``judge``). Refuses held-out queries."""
    from django.conf import settings

    from retrieval.embedding import foreign_script, get_embedder
    from retrieval.selectors import NO_THRESHOLD, entry_search, judge

    held_out = {q["query"] for q in _load("paraphrase.jsonl")}
    if any(q["query"] in held_out for q in queries):
        raise ValueError("calibration was handed held-out queries")
    grid = [
        round(CALIBRATION_LOW + step * CALIBRATION_STEP, 3) for step in range(CALIBRATION_STEPS + 1)
    ]
    embedder = get_embedder()
    searched = {
        language: [
            (
                set(q["expected"]),
                foreign_script(embedder, q["query"]),
                entry_search(
                    kind="tool",
                    query=q["query"],
                    k=2 * settings.RETRIEVAL_CANDIDATES,
                    threshold=NO_THRESHOLD,
                ),
            )
            for q in queries
            if q["language"] == language
        ]
        for language in ("en", "ru")
    }
    best: tuple[float, dict[str, Any]] | None = None
    for weight, margin in itertools.product(CALIBRATION_TEXT_WEIGHTS, CALIBRATION_MARGINS):
        chosen: dict[str, Any] = {"text_weight": weight, "margin": margin}
        total = 0.0
        for language, runs in searched.items():
            labelled = sum(1 for expected, _, _ in runs if expected)
            unrelated = len(runs) - labelled
            top: tuple[float, float] | None = None
            for threshold in grid:
                first = within = empty = 0
                for expected, foreign, hits in runs:
                    names = [
                        h.name
                        for h in judge(
                            hits,
                            minimum=threshold,
                            foreign=foreign,
                            margin=margin,
                            text_weight=weight,
                        )[:5]
                    ]
                    if expected:
                        first += bool(names) and names[0] in expected
                        within += bool(expected & set(names))
                    else:
                        empty += not names
                score = (first + within) / labelled + empty / unrelated
                if top is None or score > top[0] + 1e-9:
                    top = (score, threshold)
            assert top is not None
            chosen[language] = top[1]
            total += top[0]
        print(f"text weight {weight}, margin {margin}: {chosen} score {total:.3f}", flush=True)
        if best is None or total > best[0] + 1e-9:
            best = (total, chosen)
    assert best is not None
    return best[1]


def check_separation(dev: list[dict[str, Any]], held_out: list[dict[str, Any]]) -> None:
    """Refuse a dev request that repeats a held-out one: the same text, or at least
    ``SEPARATION_JACCARD`` of its words shared (what tunes must not have seen what reports)."""

    def words(text: str) -> set[str]:
        return set(re.findall(r"[^\W_]+", text.lower()))

    reported = [words(q["query"]) for q in held_out]
    for q in dev:
        mine = words(q["query"])
        for theirs in reported:
            if mine and len(mine & theirs) / len(mine | theirs) >= SEPARATION_JACCARD:
                raise ValueError(f"dev request {q['query']!r} repeats a held-out request")


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


def _sets(*, held_out: bool = True) -> dict[str, list[dict[str, Any]]]:
    """The labelled sets by name; the held-out one only when asked for, and only once the
    dev set is known not to repeat it."""
    sets = {"tuning": _load("queries.jsonl"), "dev": _load("dev.jsonl")}
    if held_out:
        sets[HELD_OUT] = _load("paraphrase.jsonl")
        check_separation(sets["dev"], sets[HELD_OUT])
    return sets


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


def run(*, held_out: bool = True, quality: bool = True) -> tuple[list[dict[str, Any]], str]:
    """The bench's rows and notes. ``held_out``: include the held-out set (and the per-step
    selection, which samples it); ``quality``: the labelled rows, not only latency."""
    from django.conf import settings

    from retrieval.embedding import get_embedder
    from retrieval.selectors import min_similarity

    tools, sets = _load("tools.jsonl"), _sets(held_out=held_out)
    embedder = get_embedder()
    rows: list[dict[str, Any]] = []
    facts = []
    with _ThrowawaySchema():
        index_seconds = _indexed(tools, embedder)
        for name, queries in sets.items() if quality else ():
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
        if quality and held_out:
            rows += _selection(tools, sets[HELD_OUT])
        if not held_out:
            return rows, "\n".join(facts)

        started = time.perf_counter()
        extra, intents = _with_lookalikes(tools, embedder)
        bulk_seconds = time.perf_counter() - started
        for name, queries in sets.items() if quality else ():
            for language in ("en", "ru"):
                labelled, unrelated = _split(_widened(queries, intents), language)
                rows.append(
                    {
                        "set": f"{name}, {LATENCY_ENTRIES} tools (synthetic vectors)",
                        "mode": "hybrid, threshold on",
                        "language": language,
                    }
                    | _gated(labelled, unrelated)
                )
        every = [q for queries in sets.values() for q in queries]
        load_before = os.getloadavg()[0]
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
        f"Sets: {counts}. Thresholds, margin and text weight are set on the tuning and dev "
        f"sets only (--calibrate); the held-out set (bench/data/paraphrase.py) only reports. "
        f"Embedder {embedder.name}. Indexing {len(tools)} tools took {index_seconds:.1f}s, "
        f"{len(extra)} look-alikes {bulk_seconds:.1f}s (in the 10,000-tool rows of the dev and "
        f"held-out sets a look-alike that serves the request's intent counts as right).\n"
        f"Thresholds: en {min_similarity('en')}, ru {min_similarity('ru')}; margin "
        f"{settings.RETRIEVAL_SIMILARITY_MARGIN}, text weight {settings.RETRIEVAL_TEXT_WEIGHT}; "
        f"'threshold on' rows are what tool_search(k=5) returns, the others rank with it off.\n"
        + "\n".join(facts)
        + f".\ncandidates={settings.RETRIEVAL_CANDIDATES}, rrf_k={settings.RETRIEVAL_RRF_K}, "
        f"ef_search={settings.RETRIEVAL_EF_SEARCH}; load average (1 min) {load_before:.1f} "
        f"before the latency run, {os.getloadavg()[0]:.1f} after, on {os.cpu_count()} cores."
    )
    return rows, notes


def _with_lookalikes(
    tools: list[dict[str, Any]], embedder: Any
) -> tuple[list[Any], dict[str, str]]:
    """Fill the index up to ``LATENCY_ENTRIES`` with look-alikes (see ``_lookalikes``)."""
    from django.db import connection

    from retrieval.models import IndexEntry

    extra, intents = _lookalikes(tools, LATENCY_ENTRIES - len(tools), embedder)
    IndexEntry.objects.bulk_create(extra, batch_size=1000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE retrieval_indexentry")
    return extra, intents


def calibration() -> dict[str, Any]:
    """``--calibrate``: the settings the tuning and dev sets support (never the held-out),
    over the 10,000-entry index the targets are set for (look-alikes that serve a dev
    request's intent count as right for it)."""
    from retrieval.embedding import get_embedder

    embedder = get_embedder()
    tools = _load("tools.jsonl")
    with _ThrowawaySchema():
        _indexed(tools, embedder)
        _, intents = _with_lookalikes(tools, embedder)
        sets = _sets(held_out=False)
        return calibrate(sets["tuning"] + _widened(sets["dev"], intents))


def main() -> None:
    _setup_django()
    from bench.report import print_table, report

    arguments = sys.argv[1:]
    if "--calibrate" in arguments:
        chosen = calibration()
        print("RETRIEVAL_MIN_SIMILARITY (en) =", chosen["en"])
        print("RETRIEVAL_MIN_SIMILARITY_BY_LANGUAGE =", f"ru={chosen['ru']}")
        print("RETRIEVAL_SIMILARITY_MARGIN =", chosen["margin"])
        print("RETRIEVAL_TEXT_WEIGHT =", chosen["text_weight"])
        return
    if "--latency" in arguments:
        rows, notes = run(quality=False)
        print_table("retrieval latency (not saved)", rows, notes=notes)
        return
    if "--dev" in arguments:
        rows, notes = run(held_out=False)
        print_table("retrieval (tuning and dev sets only, not saved)", rows, notes=notes)
        return
    rows, notes = run()
    report("retrieval", rows, notes=notes)


if __name__ == "__main__":
    main()
