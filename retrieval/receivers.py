"""How retrieval hears about the world: catalog changes, new connections, migrations."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS

from retrieval import services

logger = logging.getLogger(__name__)


def on_catalog_changed(*, kind: str, name: str, **kwargs: Any) -> None:
    """``catalog_changed`` arrives after commit; re-read the catalog and update the entry.
    A failure (embedder down) is logged, never raised into the committed request."""
    if kind not in ("tool", "agent"):
        return
    try:
        services.index_entry_sync(kind=kind, name=name)
    except Exception:
        logger.exception("retrieval index update failed for %s %r", kind, name)


def on_connection_created(*, connection: Any, **kwargs: Any) -> None:
    """HNSW search settings for every new PostgreSQL connection. Iterative scans let a
    filtered kNN query (allow-lists, tags) keep walking the graph until enough rows pass."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"SET hnsw.ef_search = {int(settings.RETRIEVAL_EF_SEARCH)}; "
            "SET hnsw.iterative_scan = relaxed_order"
        )


def on_post_migrate(*, using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    """Changing the embedder triggers a reindex: after ``migrate``, rebuild the index when
    it holds another embedder's vectors (or nothing while the catalog has entries)."""
    if not settings.RETRIEVAL_REINDEX_ON_MIGRATE or using != DEFAULT_DB_ALIAS:
        return
    if services.index_needs_rebuild():
        summary = services.index_rebuild()
        logger.warning(
            "retrieval index rebuilt after migrate: %d entries with %s",
            summary.indexed,
            summary.embedder,
        )
