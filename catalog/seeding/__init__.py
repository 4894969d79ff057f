"""Seeding the catalog from a git clone of sgr-agent-core (see ``importer``)."""

from catalog.seeding.errors import SeedSourceError
from catalog.seeding.importer import BranchSummary, Counts, SeedSummary, catalog_seed_from_repo

__all__ = ["BranchSummary", "Counts", "SeedSourceError", "SeedSummary", "catalog_seed_from_repo"]
