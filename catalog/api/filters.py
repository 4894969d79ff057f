"""FilterSets of the catalog admin API's list endpoints.

Entry filters about version content look at the active version (``binding_kind``,
``flavour``, ``tags`` of templates, ``template`` of pipelines) or at any version
(``source_branch``); version filters look at the version itself.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Exists, OuterRef, QuerySet

from catalog.models import (
    AgentTemplate,
    AgentTemplateVersion,
    Pipeline,
    PipelineVersion,
    Tool,
    ToolVersion,
)


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


class _TagsMixin(django_filters.FilterSet):
    tags = django_filters.CharFilter(
        method="filter_tags", label="Comma-separated tags; all must be present"
    )

    def filter_tags(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return queryset.filter(tags__contains=_split(value))


class _HasActiveMixin(django_filters.FilterSet):
    is_active = django_filters.BooleanFilter(
        method="filter_is_active", label="Has an active version"
    )

    def filter_is_active(self, queryset: QuerySet[Any], name: str, value: bool) -> QuerySet[Any]:
        # At most one version is active, so the join cannot duplicate rows.
        if value:
            return queryset.filter(versions__is_active=True)
        return queryset.exclude(versions__is_active=True)


class ToolFilter(_TagsMixin, _HasActiveMixin):
    type = django_filters.ChoiceFilter(choices=Tool.Type.choices)
    category = django_filters.CharFilter()
    binding_kind = django_filters.ChoiceFilter(
        choices=ToolVersion.BindingKind.choices,
        method="filter_binding_kind",
        label="Binding kind of the active version",
    )
    source_branch = django_filters.CharFilter(
        field_name="versions__source_branch", distinct=True, label="Source branch of any version"
    )

    class Meta:
        model = Tool
        fields = ("type", "category", "tags", "is_active", "binding_kind", "source_branch")

    def filter_binding_kind(
        self, queryset: QuerySet[Tool], name: str, value: str
    ) -> QuerySet[Tool]:
        return queryset.filter(
            Exists(
                ToolVersion.objects.filter(tool=OuterRef("pk"), is_active=True, binding_kind=value)
            )
        )


class ToolVersionFilter(django_filters.FilterSet):
    class Meta:
        model = ToolVersion
        fields = ("is_active", "binding_kind", "risk_level", "requires_approval", "source_branch")


class TemplateFilter(_HasActiveMixin):
    flavour = django_filters.ChoiceFilter(
        choices=AgentTemplateVersion.Flavour.choices,
        method="filter_flavour",
        label="Flavour of the active version",
    )
    tags = django_filters.CharFilter(
        method="filter_tags", label="Comma-separated tags the active version has (all)"
    )
    source_branch = django_filters.CharFilter(
        field_name="versions__source_branch", distinct=True, label="Source branch of any version"
    )

    class Meta:
        model = AgentTemplate
        fields = ("is_active", "flavour", "tags", "source_branch")

    def _active(self, **conditions: Any) -> Exists:
        return Exists(
            AgentTemplateVersion.objects.filter(
                template=OuterRef("pk"), is_active=True, **conditions
            )
        )

    def filter_flavour(
        self, queryset: QuerySet[AgentTemplate], name: str, value: str
    ) -> QuerySet[AgentTemplate]:
        return queryset.filter(self._active(flavour=value))

    def filter_tags(
        self, queryset: QuerySet[AgentTemplate], name: str, value: str
    ) -> QuerySet[AgentTemplate]:
        return queryset.filter(self._active(tags__contains=_split(value)))


class TemplateVersionFilter(_TagsMixin):
    class Meta:
        model = AgentTemplateVersion
        fields = ("is_active", "flavour", "tags", "source_branch")


class PipelineFilter(_HasActiveMixin):
    template = django_filters.CharFilter(
        method="filter_template", label="Name of a template a step of the active version runs"
    )

    class Meta:
        model = Pipeline
        fields = ("is_active", "template")

    def filter_template(
        self, queryset: QuerySet[Pipeline], name: str, value: str
    ) -> QuerySet[Pipeline]:
        return queryset.filter(
            Exists(
                PipelineVersion.objects.filter(
                    pipeline=OuterRef("pk"), is_active=True, steps__contains=[{"template": value}]
                )
            )
        )


class PipelineVersionFilter(django_filters.FilterSet):
    template = django_filters.CharFilter(
        method="filter_template", label="Name of a template one of the steps runs"
    )

    class Meta:
        model = PipelineVersion
        fields = ("is_active", "template")

    def filter_template(
        self, queryset: QuerySet[PipelineVersion], name: str, value: str
    ) -> QuerySet[PipelineVersion]:
        return queryset.filter(steps__contains=[{"template": value}])
