"""Every write to the search index: keeping one entry in step, and rebuilding everything.

Entries are derived from the catalog's active versions (read through ``catalog.selectors``)
and carry the embedder that produced them. The index never holds vectors from two
embedders: while stored entries disagree with the configured embedder, single-entry
updates are skipped (the index is stale and searches refuse) until ``index_rebuild``
replaces every entry.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction

from catalog.policies import RISK_ORDER
from catalog.selectors import active_template_versions, active_tool_versions
from retrieval.embedding import Embedder, get_embedder
from retrieval.models import HNSW_EF_CONSTRUCTION, HNSW_M, IndexEntry, vector_index_name

if TYPE_CHECKING:
    from catalog.models import AgentTemplateVersion, ToolVersion

logger = logging.getLogger(__name__)

# pgvector's HNSW indexes ``vector`` columns of at most this many dimensions.
MAX_INDEXED_DIM = 2000
LONG_DESCRIPTION_CHARS = 1200
MAX_PARAMETERS = 12
PARAMETERS_CHARS = 600


@dataclass(frozen=True)
class _Draft:
    """An entry before its embedding: everything copied from the catalog."""

    kind: str
    ref: str
    version_id: int
    text: str
    tool_type: str = ""
    tags: tuple[str, ...] = ()
    risk: int = 0
    binding_kind: str = ""


@dataclass(frozen=True)
class RebuildSummary:
    indexed: int
    removed: int
    full: bool
    embedder: str


def _parameters_text(input_schema: dict[str, Any]) -> str:
    """The top-level parameters of a tool's input schema as words: names with their
    underscores as spaces, and their descriptions ("max results: how many links")."""
    properties = input_schema.get("properties") if isinstance(input_schema, dict) else None
    if not isinstance(properties, dict):
        return ""
    parts = []
    for name, spec in list(properties.items())[:MAX_PARAMETERS]:
        words = str(name).replace("_", " ").strip()
        description = spec.get("description") if isinstance(spec, dict) else None
        parts.append(f"{words}: {description.strip()}" if isinstance(description, str) else words)
    return "; ".join(part for part in parts if part)[:PARAMETERS_CHARS]


def tool_entry_text(version: ToolVersion) -> str:
    """What a tool is searched by: name, descriptions, parameters, aliases, category and
    tags. Parameters add the words a request uses for what it hands over ("tracking
    number", "recipient") that a short description may leave out."""
    tool = version.tool
    lines = [f"{tool.name}: {version.description.strip()}"]
    if version.long_description.strip():
        lines.append(version.long_description.strip()[:LONG_DESCRIPTION_CHARS])
    if parameters := _parameters_text(version.input_schema):
        lines.append(f"Parameters: {parameters}")
    if tool.aliases:
        lines.append("Also known as: " + ", ".join(tool.aliases))
    if tool.category:
        lines.append(f"Category: {tool.category}")
    if tool.tags:
        lines.append("Tags: " + ", ".join(tool.tags))
    return "\n".join(lines)


def template_entry_text(version: AgentTemplateVersion) -> str:
    """What an agent is found by: name, description, capabilities summary and tags."""
    template = version.template
    lines = [f"{template.name}: {template.description.strip()}".rstrip(": ")]
    if version.capabilities.strip():
        lines.append(version.capabilities.strip()[:LONG_DESCRIPTION_CHARS])
    if version.tags:
        lines.append("Tags: " + ", ".join(version.tags))
    return "\n".join(lines)


def _tool_draft(version: ToolVersion) -> _Draft:
    return _Draft(
        kind=IndexEntry.Kind.TOOL,
        ref=version.tool.name,
        version_id=version.pk,
        text=tool_entry_text(version),
        tool_type=version.tool.type,
        tags=tuple(version.tool.tags),
        risk=RISK_ORDER[version.risk_level],
        binding_kind=version.binding_kind,
    )


def _template_draft(version: AgentTemplateVersion) -> _Draft:
    return _Draft(
        kind=IndexEntry.Kind.AGENT,
        ref=version.template.name,
        version_id=version.pk,
        text=template_entry_text(version),
        tags=tuple(version.tags),
    )


def _drafts(kind: str) -> Iterator[_Draft]:
    if kind == IndexEntry.Kind.TOOL:
        for tool_version in active_tool_versions().order_by("tool__name"):
            yield _tool_draft(tool_version)
    else:
        for template_version in active_template_versions().order_by("template__name"):
            yield _template_draft(template_version)


def _active_draft(kind: str, name: str) -> _Draft | None:
    if kind == IndexEntry.Kind.TOOL:
        tool_version = active_tool_versions(names=[name]).first()
        return _tool_draft(tool_version) if tool_version else None
    template_version = active_template_versions().filter(template__name=name).first()
    return _template_draft(template_version) if template_version else None


def _entry(draft: _Draft, embedding: list[float], embedder: Embedder) -> IndexEntry:
    return IndexEntry(
        kind=draft.kind,
        ref=draft.ref,
        version_id=draft.version_id,
        text=draft.text,
        embedding=embedding,
        embedder=embedder.name,
        dim=embedder.dim,
        is_active=True,
        tool_type=draft.tool_type,
        tags=list(draft.tags),
        risk=draft.risk,
        binding_kind=draft.binding_kind,
    )


_EMBEDDERS_TTL_SECONDS = 5.0
_embedders_recent: tuple[float, set[tuple[str, int]]] | None = None


def index_embedders_recent() -> set[tuple[str, int]]:
    """``index_embedders`` re-read at most every few seconds, for the search hot path. The
    index changes embedder only through ``index_rebuild``: this process forgets the cache
    when it writes the index, other processes notice within seconds."""
    global _embedders_recent
    now = time.monotonic()
    if _embedders_recent is None or now - _embedders_recent[0] > _EMBEDDERS_TTL_SECONDS:
        _embedders_recent = (now, index_embedders())
    return _embedders_recent[1]


def _forget_index_embedders() -> None:
    global _embedders_recent
    _embedders_recent = None


def index_embedders() -> set[tuple[str, int]]:
    """The lowest and highest ``(embedder, dim)`` stored: one pair when the index is
    consistent, empty when it is empty. Two index probes, not a scan."""
    ordered = IndexEntry.objects.values_list("embedder", "dim")
    lowest = ordered.order_by("embedder", "dim")[:1]
    highest = ordered.order_by("-embedder", "-dim")[:1]
    return set(lowest.union(highest, all=True))


def ensure_vector_index(dim: int) -> bool:
    """Create the partial HNSW index for ``dim`` if missing; False when ``dim`` is too large
    for pgvector to index (searches then scan exactly)."""
    if dim > MAX_INDEXED_DIM:
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            f'CREATE INDEX IF NOT EXISTS "{vector_index_name(dim)}" ON '
            f'"{IndexEntry._meta.db_table}" USING hnsw '
            f'(("embedding"::vector({dim})) vector_cosine_ops) '
            f"WITH (m = {HNSW_M}, ef_construction = {HNSW_EF_CONSTRUCTION}) "
            f'WHERE "dim" = {dim}'
        )
    return True


def index_entry_sync(*, kind: str, name: str) -> IndexEntry | None:
    """Make ``kind``/``name``'s entry match its active version: upsert it, or delete it when
    there is none (inactive, unbound or gone). Re-embeds only when the text changed.
    Skipped, returning None, while the index is stale (see ``index_rebuild``)."""
    _forget_index_embedders()
    if kind not in IndexEntry.Kind.values:
        return None
    draft = _active_draft(kind, name)
    if draft is None:
        IndexEntry.objects.filter(kind=kind, ref=name).delete()
        return None
    embedder = get_embedder()
    if index_embedders() - {(embedder.name, embedder.dim)}:
        logger.warning(
            "retrieval index was built by another embedder; not updating %s %r until "
            "`manage.py reindex` runs",
            kind,
            name,
        )
        return None
    with transaction.atomic():
        current = IndexEntry.objects.select_for_update().filter(kind=kind, ref=name).first()
        if current is not None and current.text == draft.text:
            current.version_id = draft.version_id
            current.tool_type = draft.tool_type
            current.tags = list(draft.tags)
            current.risk = draft.risk
            current.binding_kind = draft.binding_kind
            current.is_active = True
            current.save()
            return current
        entry = _entry(draft, embedder.embed([draft.text])[0].tolist(), embedder)
        if current is not None:
            entry.pk = current.pk
        entry.save()
        return entry


def index_rebuild(
    *,
    kinds: list[str] | None = None,
    batch_size: int = 64,
    progress: Callable[[int, int], None] | None = None,
) -> RebuildSummary:
    """Re-embed every active tool/template of ``kinds`` (default both) and drop entries
    that no longer have one, in one transaction. When any stored entry came from another
    embedder, rebuilds both kinds whatever ``kinds`` says, so dimensions never mix.
    ``progress(done, total)`` is called after each embedded batch."""
    _forget_index_embedders()
    embedder = get_embedder()
    full = bool(index_embedders() - {(embedder.name, embedder.dim)})
    selected = list(IndexEntry.Kind.values) if full or not kinds else kinds
    drafts = [draft for kind in selected for draft in _drafts(kind)]
    entries: list[IndexEntry] = []
    for start in range(0, len(drafts), batch_size):
        batch = drafts[start : start + batch_size]
        vectors = embedder.embed([draft.text for draft in batch])
        entries += [
            _entry(draft, vector.tolist(), embedder)
            for draft, vector in zip(batch, vectors, strict=True)
        ]
        if progress is not None:
            progress(len(entries), len(drafts))
    with transaction.atomic():
        replaced = (
            IndexEntry.objects.all() if full else IndexEntry.objects.filter(kind__in=selected)
        )
        before = set(replaced.values_list("kind", "ref"))
        replaced.delete()
        IndexEntry.objects.bulk_create(entries, batch_size=500)
        ensure_vector_index(embedder.dim)
    logger.info("retrieval index rebuilt: %d entries (%s)", len(entries), embedder.name)
    return RebuildSummary(
        indexed=len(entries),
        removed=len(before - {(entry.kind, entry.ref) for entry in entries}),
        full=full,
        embedder=embedder.name,
    )


def index_needs_rebuild() -> bool:
    """True when stored entries came from another embedder, or the index is empty while
    the catalog has something to index. Loads no model unless entries exist."""
    if IndexEntry.objects.exists():
        embedder = get_embedder()
        return bool(index_embedders() - {(embedder.name, embedder.dim)})
    return active_tool_versions().exists() or active_template_versions().exists()
