"""Retrieval domain errors."""

from maruntime.errors import Unavailable


class EmbedderUnavailable(Unavailable):
    code = "embedder_unavailable"


class IndexStale(Unavailable):
    """The index was built by another embedder than the configured one."""

    code = "retrieval_index_stale"
