"""What the catalog's admins share: entries written through ``*_upsert`` and never deleted,
read-only versions created through the service, and the version add form that reports a
refused entry as a form error."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pydantic
from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IS_POPUP_VAR
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.safestring import SafeString
from django.utils.translation import ngettext

from catalog import services
from catalog.admin.json_fields import validation_message
from catalog.admin.rendering import add_version_url, new_version_link
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
    """Tools, templates and pipelines: written through ``*_upsert``, never deleted here.
    An entry's page links to adding a version of it, and a new entry leads straight to
    adding its first version."""

    signal_kind: str
    actions = ["reindex"]
    change_form_template = "admin/catalog/entry_change_form.html"

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> Any:
        if obj is not None and obj.pk is not None:
            context["add_version_url"] = add_version_url(obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def response_add(
        self, request: HttpRequest, obj: Any, post_url_continue: str | None = None
    ) -> HttpResponse:
        staying = {"_continue", "_addanother", IS_POPUP_VAR} & set(request.POST)
        if staying:
            return super().response_add(request, obj, post_url_continue)
        self.message_user(
            request,
            f"The {obj._meta.verbose_name} “{obj}” was added; now add its first version.",
        )
        return HttpResponseRedirect(add_version_url(obj))

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

    class Media:
        css = {"all": ("catalog/admin/json_fields.css",)}

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

    def _refuse_when(self, check: Callable[..., Any], *args: Any) -> None:
        """Runs a service's check; a refusal becomes an error on the field it names."""
        try:
            check(*args)
        except InvalidCatalogEntry as error:
            field = error.param if error.param in self.fields else None
            self.add_error(field, error.message)

    def _check_policy(self, model: type[pydantic.BaseModel], field: str) -> None:
        if field not in self.cleaned_data:
            return
        try:
            model.model_validate(self.cleaned_data[field] or {})
        except pydantic.ValidationError as exc:
            self.add_error(field, validation_message(self._label(field), model, exc))

    def _check_each(self, model: type[pydantic.BaseModel], field: str, item: str) -> list[Any]:
        """Validates a JSON list of ``model`` objects; returns the parsed items ([] with an
        error on the field when it is not a list or an item does not fit)."""
        values = self.cleaned_data.get(field)
        if values is None:
            return []
        if not isinstance(values, list):
            self.add_error(field, f"{self._label(field)}: must be a JSON list of {item}s.")
            return []
        parsed = []
        for number, value in enumerate(values, start=1):
            try:
                parsed.append(model.model_validate(value))
            except pydantic.ValidationError as exc:
                where = f"{item} {number}: "
                self.add_error(field, validation_message(self._label(field), model, exc, where))
                return []
        return parsed

    def _explain(self, helps: dict[str, SafeString | str]) -> None:
        """Sets the help texts of the fields this form shows (a version's read-only page
        shows none)."""
        for field, help_text in helps.items():
            if field in self.fields:
                self.fields[field].help_text = help_text

    def _label(self, field: str) -> str:
        return str(self.fields[field].label or field)
