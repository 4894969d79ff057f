"""Catalog domain errors."""

from maruntime.errors import Conflict, InvalidInput, NotFound


class CatalogNotFound(NotFound):
    code = "model_not_found"


class InvalidCatalogEntry(InvalidInput):
    code = "invalid_catalog_entry"


class CatalogConflict(Conflict):
    code = "catalog_conflict"
