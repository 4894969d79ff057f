"""What the catalog's admins share: entries written through ``*_upsert`` and never deleted,
read-only versions created through the service, and the version add form that reports a
refused entry as a form error."""

from __future__ import annotations

from typing import Any

import pydantic
from django import forms
from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.safestring import SafeString
from django.utils.translation import ngettext

from catalog import services
from catalog.admin.rendering import new_version_link
from catalog.exceptions import InvalidCatalogEntry
from catalog.signals import announce_change

PROVENANCE = ("source_repo", "source_branch", "source_commit", "source_path", "source_class")


class VersionInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class EntryAdmin(admin.ModelAdmin):
    """Tools, templates and pipelines: written through ``*_upsert``, never deleted here."""

    signal_kind: str
    actions = ["reindex"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("name", "created_at", "updated_at") if obj else ()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def upsert(self, obj: Any, data: dict[str, Any]) -> Any:
        raise NotImplementedError

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        saved = self.upsert(obj, dict(form.cleaned_data))
        obj.pk = saved.pk

    @admin.display(description="Active version")
    def active_version(self, obj: Any) -> str:
        active = obj.versions.filter(is_active=True).values_list("version", flat=True).first()
        return str(active) if active is not None else "-"

    @admin.action(description="Reindex the selected entries for retrieval")
    def reindex(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        names = list(queryset.values_list("name", flat=True))
        for name in names:
            announce_change(kind=self.signal_kind, name=name)
        self.message_user(request, reindex_requested(len(names)))


def reindex_requested(count: int) -> str:
    return ngettext(
        "Reindex requested for %(count)d entry.", "Reindex requested for %(count)d entries.", count
    ) % {"count": count}


class VersionAdmin(admin.ModelAdmin):
    """Read-only versions; the add form creates a version through the service."""

    parent_field: str
    signal_kind: str
    view_fieldsets: Any
    add_fieldsets: Any
    actions = ["activate", "deactivate", "reindex"]
    list_select_related = True

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.view_fieldsets if obj else self.add_fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ()
        return [field for _, opts in self.view_fieldsets for field in opts["fields"]]

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        initial = super().get_changeform_initial_data(request)
        source_pk = request.GET.get("from", "")
        source = (
            self.model._default_manager.filter(pk=source_pk).first()
            if source_pk.isdigit()
            else None
        )
        if source is not None:
            for field in self.form.base_fields:
                if hasattr(source, field):
                    value = getattr(source, field)
                    initial[field] = value.pk if isinstance(value, Model) else value
        return initial

    def create_version(self, data: dict[str, Any]) -> tuple[Any, bool]:
        raise NotImplementedError

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        version, created = self.create_version(dict(form.cleaned_data))
        obj.pk, obj.version = version.pk, version.version
        if not created:
            self.message_user(
                request,
                f"Identical content already exists as version {version.version}; "
                "no new version was created.",
                messages.WARNING,
            )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """Versions have no related rows to save; the service wrote everything."""

    @admin.display(description="Edit")
    def new_version(self, obj: Any) -> SafeString | str:
        return new_version_link(obj)

    def _one_per_parent(self, request: HttpRequest, queryset: QuerySet[Any]) -> bool:
        parents = queryset.values_list(f"{self.parent_field}_id", flat=True)
        if len(set(parents)) != len(parents):
            self.message_user(
                request, "Select at most one version of each entry to activate.", messages.ERROR
            )
            return False
        return True

    @admin.action(description="Activate the selected versions")
    def activate(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        if not self._one_per_parent(request, queryset):
            return
        versions = list(queryset.select_related(self.parent_field))
        for version in versions:
            services.version_activate(version=version)
        self.message_user(
            request,
            ngettext("Activated %d version.", "Activated %d versions.", len(versions))
            % len(versions),
        )

    @admin.action(description="Deactivate the selected versions")
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        versions = list(queryset.filter(is_active=True).select_related(self.parent_field))
        for version in versions:
            services.version_deactivate(version=version)
        self.message_user(
            request,
            ngettext("Deactivated %d version.", "Deactivated %d versions.", len(versions))
            % len(versions),
        )

    @admin.action(description="Reindex the entries of the selected versions for retrieval")
    def reindex(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        names = set(queryset.values_list(f"{self.parent_field}__name", flat=True))
        for name in sorted(names):
            announce_change(kind=self.signal_kind, name=name)
        self.message_user(request, reindex_requested(len(names)))


class VersionAddForm(forms.ModelForm):
    activate = forms.BooleanField(
        required=False, initial=True, help_text="Make the new version the active one."
    )

    def validate_unique(self) -> None:
        """Numbering, hashing and uniqueness are the service's."""

    def _refuse(self, error: InvalidCatalogEntry) -> None:
        field = error.param if error.param in self.fields else None
        self.add_error(field, error.message)

    def _check_policy(self, model: type[pydantic.BaseModel], field: str) -> None:
        if field not in self.cleaned_data:
            return
        try:
            model.model_validate(self.cleaned_data[field] or {})
        except pydantic.ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            self.add_error(field, f"{first['msg']} at {where}" if where else first["msg"])
