"""Catalog errors that only the admin API raises (domain errors render through
``maruntime.admin_api.admin_exception_handler``)."""

from __future__ import annotations

from rest_framework.exceptions import MethodNotAllowed

from catalog.exceptions import CatalogConflict


class VersionsAreImmutable(MethodNotAllowed):
    def __init__(self, method: str) -> None:
        super().__init__(
            method,
            detail=(
                f'Method "{method}" not allowed: versions are immutable. POST the changed '
                "content to the versions collection to create a new version."
            ),
        )


def name_taken(kind: str, name: str) -> CatalogConflict:
    return CatalogConflict(f"A {kind} named {name!r} already exists", param="name")
