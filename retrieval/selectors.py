"""Hybrid search over the index: tools for an agent's step, agents for the directory.

One search = two SQL queries over the same filtered set of entries: pgvector kNN on the
query's embedding (cosine) and PostgreSQL full text (any query word, ``ts_rank``), each
returning ``RETRIEVAL_CANDIDATES`` candidates. Their ranks are fused by weighted reciprocal
rank fusion: ``1/(RETRIEVAL_RRF_K + vector rank) + RETRIEVAL_TEXT_WEIGHT/(RETRIEVAL_RRF_K +
text rank)``; a text weight below 1 keeps a request in the user's own words, which shares few
words with the right description and many with wrong ones, from being reordered by word
coincidences.

"No tool fits" is decided per query, then per hit (``judge``). The query's best cosine
similarity must reach the threshold of its language (``min_similarity``: embedders score
languages on different scales, so each has its own, calibrated by the bench on the tuning
and dev sets); then every candidate within ``RETRIEVAL_SIMILARITY_MARGIN`` of that best is
offered, so the right tool is not lost for sitting just below a threshold its neighbour
reached. Apart from that, a hit is kept when its own similarity reaches the threshold, or
every query word matched its text, or both searches found it and it is within
``AGREEMENT_MARGIN`` of the threshold. An unrelated request therefore returns no tool at all.

A query mostly in a script the embedder does not read (Greek for the default multilingual
model, Cyrillic for an English-only one; see ``retrieval.embedding.foreign_script``) gets a
vector that says nothing about its meaning: an English-only model puts Cyrillic queries as
close to Cyrillic descriptions whether or not they ask for them. For
such a query neither the similarity nor the vector rank is evidence: a hit must be found by
the full-text search (at least one query word, stemmed by the ``russian`` configuration) and
is ranked by it alone (the kNN search is skipped). ``NO_THRESHOLD`` turns the check off;
vector candidates then follow the text ones, with a score of 0.

Every filter (kind, active, bound, types, tags, allow/deny lists, risk ceiling) is in the
SQL. Functions are synchronous; async callers wrap them with ``sync_to_async``.
"""

from __future__ import annotations

import dataclasses
import re
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection

from catalog.policies import RISK_ORDER
from maruntime.errors import InvalidInput
from maruntime.observability import RETRIEVAL_LATENCY
from retrieval.embedding import Embedder, foreign_script, get_embedder, text_language
from retrieval.exceptions import IndexStale
from retrieval.models import TEXT_SEARCH_CONFIG, IndexEntry
from retrieval.services import index_embedders_recent

MAX_QUERY_TERMS = 32
# A hit both searches found may sit this far below the similarity threshold.
AGREEMENT_MARGIN = 0.1
# Every cosine similarity reaches this threshold: it turns the checks off (evaluation).
NO_THRESHOLD = -1.0
_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class SearchHit:
    name: str
    kind: str
    version_id: int
    score: float  # fused RRF score; higher is better
    vector_rank: int | None  # 1-based rank among vector candidates, None if not one
    text_rank: int | None  # 1-based rank among full-text candidates, None if not one
    vector_similarity: float  # cosine similarity of the query and the entry
    all_words_matched: bool  # the entry's text holds every query word (after stemming)
    explanation: str


def tool_search(
    *,
    query: str,
    k: int = 5,
    types: list[str] | None = None,
    tags: list[str] | None = None,
    allow: list[str] | None = None,
    deny: list[str] | None = None,
    risk_ceiling: str | None = None,
    threshold: float | None = None,
) -> list[SearchHit]:
    """Up to ``k`` active, bound tools for ``query``, best first. ``types``: tool types to
    keep; ``tags``: keep tools with at least one of them; ``allow``/``deny``: tool names;
    ``risk_ceiling``: the highest risk level offered. None or empty means no restriction."""
    return entry_search(
        kind=IndexEntry.Kind.TOOL,
        query=query,
        k=k,
        types=types,
        tags=tags,
        allow=allow,
        deny=deny,
        risk_ceiling=risk_ceiling,
        threshold=threshold,
    )


def agent_search(
    *,
    query: str,
    k: int = 5,
    tags: list[str] | None = None,
    allow: list[str] | None = None,
    deny: list[str] | None = None,
    threshold: float | None = None,
) -> list[SearchHit]:
    """Up to ``k`` active agent templates for ``query`` (the agent directory)."""
    return entry_search(
        kind=IndexEntry.Kind.AGENT,
        query=query,
        k=k,
        tags=tags,
        allow=allow,
        deny=deny,
        threshold=threshold,
    )


def query_words(query: str) -> list[str]:
    """The query's words (at most ``MAX_QUERY_TERMS``), lower-cased; each goes through
    the same text search configuration as the indexed text."""
    return _WORD.findall(query.lower())[:MAX_QUERY_TERMS]


def query_language(query: str) -> str:
    """The language whose threshold judges ``query`` ("ru" or "en", by its writing system:
    ``retrieval.embedding.text_language``). The thresholds are calibrated per language."""
    return text_language(query)


def min_similarity(language: str) -> float:
    """The similarity threshold for queries in ``language``
    (``RETRIEVAL_MIN_SIMILARITY_BY_LANGUAGE``, else ``RETRIEVAL_MIN_SIMILARITY``)."""
    by_language: dict[str, float] = settings.RETRIEVAL_MIN_SIMILARITY_BY_LANGUAGE
    return by_language.get(language, settings.RETRIEVAL_MIN_SIMILARITY)


def _candidate(
    row: tuple[Any, ...], *, vector_rank: int | None, text_rank: int | None
) -> dict[str, Any]:
    pk, ref, version_id, distance, full_match = row
    return {
        "pk": pk,
        "ref": ref,
        "version_id": version_id,
        "distance": distance,
        "full_match": full_match,
        "vector_rank": vector_rank,
        "text_rank": text_rank,
    }


def entry_search(
    *,
    kind: str,
    query: str,
    k: int,
    types: list[str] | None = None,
    tags: list[str] | None = None,
    allow: list[str] | None = None,
    deny: list[str] | None = None,
    risk_ceiling: str | None = None,
    threshold: float | None = None,
    mode: str = "hybrid",
) -> list[SearchHit]:
    """The search behind ``tool_search``/``agent_search``. ``mode`` "vector" or "text"
    ranks by one signal alone (for evaluation); raises ``IndexStale`` when the index was
    built by another embedder."""
    if k <= 0 or not query.strip():
        return []
    started = time.perf_counter()
    embedder = get_embedder()
    _refuse_stale(embedder)
    # Hand-written SQL: on this hot path the ORM's query building cost more than the two
    # index searches themselves. Every value is a query parameter.
    where = ["kind = %s", "is_active", "dim = %s", "binding_kind <> 'unbound'"]
    params: list[Any] = [kind, embedder.dim]
    if types:
        where.append("tool_type = ANY(%s)")
        params.append(list(types))
    if risk_ceiling is not None:
        if risk_ceiling not in RISK_ORDER:
            raise InvalidInput(f"unknown risk level {risk_ceiling!r}", param="risk_ceiling")
        where.append("risk <= %s")
        params.append(RISK_ORDER[risk_ceiling])
    if tags:
        where.append("tags && %s::varchar[]")
        params.append(list(tags))
    if allow:
        where.append("ref = ANY(%s)")
        params.append(list(allow))
    if deny:
        where.append("NOT (ref = ANY(%s))")
        params.append(list(deny))
    filters = " AND ".join(where)
    pool = max(settings.RETRIEVAL_CANDIDATES, k)
    vector = "[" + ",".join(f"{x:.7g}" for x in embedder.embed_queries([query])[0]) + "]"
    # The same cast as the partial HNSW index of this dimension, so the index serves it.
    distance = f"(embedding::vector({int(embedder.dim)}) <=> %s::vector)"
    words = query_words(query)
    foreign = foreign_script(embedder, query)
    minimum = min_similarity(query_language(query)) if threshold is None else threshold
    # A foreign query's vector candidates cannot pass the threshold: skip their search.
    useful = foreign is None or minimum <= NO_THRESHOLD
    by_vector = mode == "vector" or (mode == "hybrid" and useful)
    any_word = " | ".join(words)
    full_match = "(search_vector @@ to_tsquery(%s::regconfig, %s))" if words else "false"
    match_params: list[Any] = [TEXT_SEARCH_CONFIG, " & ".join(words)] if words else []
    columns = f"id, ref, version_id, {distance} AS distance, {full_match} AS full_match"
    table = IndexEntry._meta.db_table

    candidates: dict[int, dict[str, Any]] = {}
    with connection.cursor() as cursor:
        if by_vector:
            cursor.execute(
                f"SELECT {columns} FROM {table} WHERE {filters} ORDER BY distance LIMIT %s",
                [vector, *match_params, *params, pool],
            )
            for rank, row in enumerate(cursor.fetchall(), start=1):
                candidates[row[0]] = _candidate(row, vector_rank=rank, text_rank=None)
        if words and mode in ("hybrid", "text"):
            # Rank the (possibly many) matching rows by text alone, then compute the cosine
            # distance and the every-word match only for the few that made the pool.
            # ts_rank, not ts_rank_cd: same recall on the eval set, a quarter of the cost.
            rank_expr = "ts_rank(search_vector, to_tsquery(%s::regconfig, %s))"
            cursor.execute(
                f"SELECT {columns} FROM {table} WHERE id IN ("
                f"  SELECT id FROM {table} WHERE {filters}"
                f"  AND search_vector @@ to_tsquery(%s::regconfig, %s)"
                f"  ORDER BY {rank_expr} DESC, id LIMIT %s"
                f") ORDER BY {rank_expr} DESC, id",
                [
                    vector,
                    *match_params,
                    *params,
                    TEXT_SEARCH_CONFIG,
                    any_word,
                    TEXT_SEARCH_CONFIG,
                    any_word,
                    pool,
                    TEXT_SEARCH_CONFIG,
                    any_word,
                ],
            )
            for rank, row in enumerate(cursor.fetchall(), start=1):
                candidate = candidates.setdefault(
                    row[0], _candidate(row, vector_rank=None, text_rank=None)
                )
                candidate["text_rank"] = rank

    hits = []
    for candidate in candidates.values():
        similarity = 1.0 - float(candidate["distance"])
        hits.append(
            SearchHit(
                name=candidate["ref"],
                kind=kind,
                version_id=candidate["version_id"],
                score=0.0,  # set by judge()
                vector_rank=candidate["vector_rank"],
                text_rank=candidate["text_rank"],
                vector_similarity=similarity,
                all_words_matched=bool(candidate["full_match"]),
                explanation="",  # set by judge()
            )
        )
    # Text mode ranks by the full-text rank alone, whatever its weight beside vectors.
    kept = judge(
        hits, minimum=minimum, foreign=foreign, text_weight=1.0 if mode == "text" else None
    )
    RETRIEVAL_LATENCY.labels(kind).observe(time.perf_counter() - started)
    return kept[:k]


def fused_score(hit: SearchHit, *, text_weight: float, foreign: bool = False) -> float:
    """The hit's weighted RRF score (module docstring). A foreign query's vector rank says
    as little as its similarity: its text rank alone counts, at full weight."""
    rrf_k = settings.RETRIEVAL_RRF_K
    score = 0.0
    if hit.vector_rank is not None and not foreign:
        score += 1.0 / (rrf_k + hit.vector_rank)
    if hit.text_rank is not None:
        score += (1.0 if foreign else text_weight) / (rrf_k + hit.text_rank)
    return score


def judge(
    hits: list[SearchHit],
    *,
    minimum: float,
    foreign: str | None = None,
    margin: float | None = None,
    text_weight: float | None = None,
) -> list[SearchHit]:
    """``hits`` (every candidate of one search) scored, kept or dropped and ordered, best
    first: what the search returns before its cut to ``k``. ``foreign``: the script of a
    query the embedder does not read (``foreign_script``). ``margin`` and ``text_weight``
    default to the settings; the bench's calibration passes others to re-judge one
    threshold-off search at many settings, with exactly the search's own rule."""
    margin = settings.RETRIEVAL_SIMILARITY_MARGIN if margin is None else margin
    weight = settings.RETRIEVAL_TEXT_WEIGHT if text_weight is None else text_weight
    best = max((h.vector_similarity for h in hits if h.vector_rank is not None), default=-1.0)
    unread = foreign is not None
    kept = [
        dataclasses.replace(
            h,
            score=fused_score(h, text_weight=weight, foreign=unread),
            explanation=_explain(h, minimum, foreign, best),
        )
        for h in hits
        if passes_threshold(h, minimum, best=best, margin=margin, foreign=unread)
    ]
    kept.sort(key=lambda hit: (-hit.score, -hit.vector_similarity, hit.name))
    return kept


def passes_threshold(
    hit: SearchHit,
    minimum: float,
    *,
    best: float | None = None,
    margin: float = 0.0,
    foreign: bool = False,
) -> bool:
    """Whether ``hit`` is kept at similarity threshold ``minimum`` (see the module
    docstring). ``best``: the highest similarity among the search's vector candidates
    (None: the hit's own); ``margin``: how far below ``best`` a hit may be when ``best``
    reaches the threshold; ``foreign``: the query is in a script the embedder does not read.
    Depends on nothing but its arguments, so a search run with ``NO_THRESHOLD`` can be
    re-judged at any threshold (the bench's calibration does)."""
    if minimum <= NO_THRESHOLD:
        return True
    if foreign:
        return hit.text_rank is not None
    similarity = hit.vector_similarity
    best = similarity if best is None else best
    both = hit.vector_rank is not None and hit.text_rank is not None
    agreed = both and similarity >= minimum - AGREEMENT_MARGIN
    near_best = best >= minimum and similarity >= best - margin
    return similarity >= minimum or hit.all_words_matched or agreed or near_best


def _explain(hit: SearchHit, minimum: float, foreign: str | None, best: float) -> str:
    """Why ``hit`` (kept) stands where it does, for the API's ``explanation``."""
    similarity = hit.vector_similarity
    parts = []
    if hit.vector_rank is not None:
        parts.append(f"vector #{hit.vector_rank} ({similarity:.2f})")
    else:
        parts.append(f"similarity {similarity:.2f}")
    if hit.text_rank is not None:
        words = "all query words" if hit.all_words_matched else "query words"
        parts.append(f"text #{hit.text_rank} ({words})")
    if foreign is not None:
        parts.append(f"{foreign.capitalize()} query: the embedder does not read it")
        if hit.text_rank is not None and minimum > NO_THRESHOLD:
            parts.append("kept on the text match")
    elif minimum > NO_THRESHOLD and similarity < minimum:
        if hit.all_words_matched:
            reason = "every query word matched"
        elif best >= minimum and hit.vector_rank is not None:
            reason = f"near the best match ({best:.2f})"
        else:
            reason = "both searches agree"
        parts.append(f"kept below {minimum:.2f}: {reason}")
    return ", ".join(parts)


def _refuse_stale(embedder: Embedder) -> None:
    if index_embedders_recent() - {(embedder.name, embedder.dim)}:
        raise IndexStale(
            f"The retrieval index was built with another embedder than the configured "
            f"{embedder.name!r} ({embedder.dim} dimensions); run `python manage.py reindex`."
        )
