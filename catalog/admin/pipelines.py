"""Admin of pipelines and their versions (a list of template steps)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.utils.safestring import SafeString

from catalog import services
from catalog.admin.base import EntryAdmin, VersionAddForm, VersionAdmin, VersionInline
from catalog.admin.filters import HasActiveVersionFilter
from catalog.admin.json_fields import JSONTextField, keys_help
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
        field_classes = {"steps": JSONTextField}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        steps_help = keys_help(
            PipelineStep,
            "A JSON list of the templates to run in order, each step's answer being the next "
            'one\'s task: [{"template": "researcher"}, {"template": "writer", "version": 2}]. '
            "A step takes:",
        )
        self._explain({"steps": steps_help})

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("steps") == []:
            self.add_error("steps", "Steps: a pipeline needs at least one step.")
        for number, step in enumerate(self._check_each(PipelineStep, "steps", "step"), 1):
            versions = AgentTemplateVersion.objects.filter(template__name=step.template)
            if step.version is not None:
                versions = versions.filter(version=step.version)
            if not versions.exists():
                self.add_error(
                    "steps",
                    f"Steps: step {number} names an unknown template {step.template!r}"
                    + (f" version {step.version}" if step.version is not None else "")
                    + ".",
                )
        return data


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
