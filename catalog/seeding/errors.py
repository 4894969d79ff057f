"""Why a seed could not start: the source repository or a branch cannot be read."""

from __future__ import annotations

from maruntime.errors import InvalidInput


class SeedSourceError(InvalidInput):
    code = "seed_source_invalid"
