"""Admin of pipelines and their versions (a list of template steps)."""

from __future__ import annotations

from typing import Any

import pydantic
from django import forms
from django.contrib import admin
from django.utils.safestring import SafeString

from catalog import services
from catalog.admin.base import EntryAdmin, VersionAddForm, VersionAdmin, VersionInline
from catalog.admin.filters import HasActiveVersionFilter
from catalog.admin.rendering import pretty_json
from catalog.models import AgentTemplateVersion, Pipeline, PipelineVersion
from catalog.policies import PipelineStep


class PipelineVersionInline(VersionInline):
    model = PipelineVersion
    fields = readonly_fields = ("version", "is_active", "steps", "created_at")


@admin.register(Pipeline)
class PipelineAdmin(EntryAdmin):
    signal_kind = "pipeline"
    list_display = ("name", "description", "active_version", "updated_at")
    list_filter = (HasActiveVersionFilter,)
    search_fields = ("name", "description")
    fields = ("name", "description")
    inlines = (PipelineVersionInline,)

    def upsert(self, obj: Pipeline, data: dict[str, Any]) -> Pipeline:
        return services.pipeline_upsert(
            name=obj.name or data["name"], description=data.get("description", "")
        )


class PipelineVersionAddForm(VersionAddForm):
    class Meta:
        model = PipelineVersion
        fields = ("pipeline", "steps")

    def clean_steps(self) -> list[dict[str, Any]]:
        steps = self.cleaned_data.get("steps")
        if not isinstance(steps, list) or not steps:
            raise forms.ValidationError("A pipeline needs a JSON list of at least one step.")
        for raw in steps:
            try:
                step = PipelineStep.model_validate(raw)
            except pydantic.ValidationError as exc:
                raise forms.ValidationError(str(exc.errors()[0]["msg"])) from exc
            versions = AgentTemplateVersion.objects.filter(template__name=step.template)
            if step.version is not None:
                versions = versions.filter(version=step.version)
            if not versions.exists():
                raise forms.ValidationError(f"Unknown template {step.template!r} in a step.")
        return steps


@admin.register(PipelineVersion)
class PipelineVersionAdmin(VersionAdmin):
    parent_field = "pipeline"
    signal_kind = "pipeline"
    form = PipelineVersionAddForm
    list_display = ("__str__", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("pipeline__name",)
    add_fieldsets = ((None, {"fields": ("pipeline", "steps", "activate")}),)
    view_fieldsets = (
        (None, {"fields": ("pipeline", "version", "is_active", "new_version")}),
        ("Steps", {"fields": ("steps_view",)}),
        ("Provenance", {"fields": ("content_hash", "created_at")}),
    )

    @admin.display(description="Steps")
    def steps_view(self, obj: PipelineVersion) -> SafeString:
        return pretty_json(obj.steps)

    def create_version(self, data: dict[str, Any]) -> tuple[PipelineVersion, bool]:
        return services.pipeline_version_create(
            pipeline=data["pipeline"], steps=data["steps"], activate=data.get("activate", False)
        )
