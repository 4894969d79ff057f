"""List filters shared by the catalog's entry and version admins."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest


class TagFilter(admin.SimpleListFilter):
    title = "tag"
    parameter_name = "tag"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        tags: set[str] = set()
        for row in model_admin.model._default_manager.values_list("tags", flat=True):
            tags.update(row or [])
        return [(tag, tag) for tag in sorted(tags)]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        return queryset.filter(tags__contains=[value]) if value else queryset


class HasActiveVersionFilter(admin.SimpleListFilter):
    title = "active version"
    parameter_name = "has_active"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "has an active version"), ("no", "no active version")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(versions__is_active=True)
        if self.value() == "no":
            return queryset.exclude(versions__is_active=True)
        return queryset
