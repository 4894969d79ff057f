"""The catalog admin API: tools, agent templates, pipelines and their versions.

Every write goes through ``catalog.services``; views validate shapes, call one service
(or an entry and its first version in one transaction) and render the result. The list
endpoints filter with the FilterSets of ``catalog.api.filters``.
"""

from __future__ import annotations

from typing import Any

from django.db import models, transaction
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from catalog import services
from catalog.api.errors import VersionsAreImmutable, name_taken
from catalog.api.filters import (
    PipelineFilter,
    PipelineVersionFilter,
    TemplateFilter,
    TemplateVersionFilter,
    ToolFilter,
    ToolVersionFilter,
)
from catalog.api.serializers import (
    PipelineSerializer,
    PipelineVersionCreateSerializer,
    PipelineVersionSerializer,
    TemplateSerializer,
    TemplateVersionCreateSerializer,
    TemplateVersionSerializer,
    ToolSerializer,
    ToolVersionCreateSerializer,
    ToolVersionSerializer,
    provenance_of,
)
from catalog.models import (
    AgentTemplate,
    AgentTemplateVersion,
    Pipeline,
    PipelineVersion,
    Tool,
    ToolVersion,
)
from maruntime.admin_api import AdminAPIMixin

NAME_REGEX = r"[a-z][a-z0-9_.\-]{0,99}"
ENTRY_SEARCH = ("name", "description")
ENTRY_ORDERING = ("name", "created_at", "updated_at")


def _path_name(kwarg: str, kind: str) -> OpenApiParameter:
    return OpenApiParameter(kwarg, str, OpenApiParameter.PATH, description=f"The {kind}'s name")


class CatalogEntryViewSet(AdminAPIMixin, viewsets.ModelViewSet[Any]):
    """CRUD of a named catalog entry. Create may carry the first version (one transaction);
    update changes descriptive fields only (never the name, never a version); delete is
    refused (409) while a version is active."""

    kind: str
    model: type[models.Model]
    version_model: type[models.Model]
    parent_field: str
    lookup_field = "name"
    lookup_value_regex = NAME_REGEX

    def get_queryset(self) -> QuerySet[Any]:
        # Subqueries rather than joins: search and filters join versions themselves, and a
        # joined Count would multiply with their matches.
        versions = self.version_model._default_manager.filter(
            **{self.parent_field: OuterRef("pk")}
        ).order_by()
        active = versions.filter(is_active=True).values("version")[:1]
        count = versions.values(self.parent_field).annotate(n=Count("pk")).values("n")
        return self.model._default_manager.annotate(
            active_version=Subquery(active),
            version_count=Coalesce(Subquery(count), 0),
        )

    def upsert(self, data: dict[str, Any]) -> Any:
        raise NotImplementedError

    def create_version(self, entry: Any, data: dict[str, Any]) -> tuple[Any, bool]:
        raise NotImplementedError

    def _render(self, entry: Any, status_code: int = status.HTTP_200_OK) -> Response:
        return Response(
            self.get_serializer(self.get_queryset().get(pk=entry.pk)).data, status=status_code
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        first_version = data.pop("version", None)
        if self.model._default_manager.filter(name=data["name"]).exists():
            raise name_taken(self.kind, data["name"])
        # Entry and first version commit together: a refused version leaves no entry.
        with transaction.atomic():
            entry = self.upsert(data)
            if first_version is not None:
                self.create_version(entry, dict(first_version))
        return self._render(entry, status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        instance = self.get_object()
        partial = kwargs.pop("partial", False)
        data = request.data
        if "name" not in data and not partial:
            data = {**data, "name": instance.name}
        serializer = self.get_serializer(instance, data=data, partial=partial)
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        if "version" in changes:
            raise ValidationError(
                {"version": ["Versions are created at .../versions/, not by an update."]}
            )
        changes["name"] = instance.name
        entry = self.upsert({**self.descriptive_fields(instance), **changes})
        return self._render(entry)

    def descriptive_fields(self, instance: Any) -> dict[str, Any]:
        return {"description": instance.description}

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        services.catalog_entry_delete(entry=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class CatalogVersionViewSet(
    AdminAPIMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet[Any],
):
    """Versions of one entry: list, retrieve, create (a new version through the service),
    activate, deactivate. Versions are immutable: PUT, PATCH and DELETE answer 405."""

    kind: str
    parent_model: type[models.Model]
    parent_kwarg: str
    parent_field: str
    create_serializer_class: type[serializers.Serializer]
    lookup_field = "version"
    lookup_value_regex = r"[0-9]+"
    ordering_fields = ("version", "created_at")
    ordering = ("-version",)

    def parent(self) -> Any:
        name = self.kwargs[self.parent_kwarg]
        found = self.parent_model._default_manager.filter(name=name).first()
        if found is None:
            raise NotFound(f"No {self.kind} named {name!r}.")
        return found

    def get_queryset(self) -> QuerySet[Any]:
        model: type[models.Model] = self.get_serializer_class().Meta.model  # type: ignore[attr-defined]
        if getattr(self, "swagger_fake_view", False):
            return model._default_manager.none()
        return model._default_manager.filter(**{self.parent_field: self.parent()}).select_related(
            self.parent_field
        )

    def create_version(self, parent: Any, data: dict[str, Any]) -> tuple[Any, bool]:
        raise NotImplementedError

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        parent = self.parent()
        serializer = self.create_serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        version, created = self.create_version(parent, dict(serializer.validated_data))
        return Response(
            self.get_serializer(version).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @action(detail=True, methods=["post"])
    def activate(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        version = services.version_activate(version=self.get_object())
        return Response(self.get_serializer(version).data)

    @action(detail=True, methods=["post"])
    def deactivate(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        version = services.version_deactivate(version=self.get_object())
        return Response(self.get_serializer(version).data)

    def http_method_not_allowed(  # type: ignore[override]
        self, request: Request, *args: Any, **kwargs: Any
    ) -> Response:
        if request.method in ("PUT", "PATCH", "DELETE"):
            raise VersionsAreImmutable(request.method)
        return super().http_method_not_allowed(request, *args, **kwargs)


def _version_schema(output: type[serializers.Serializer], request: Any) -> dict[str, Any]:
    return {
        "create": extend_schema(
            request=request,
            responses={201: output, 200: output},
            description="Create a version. Content identical to an existing version returns "
            "that version (200) instead of creating one (201).",
        ),
        "activate": extend_schema(request=None, responses=output),
        "deactivate": extend_schema(request=None, responses=output),
    }


# --- tools ---------------------------------------------------------------------------------


def _tool_version_create(tool: Tool, data: dict[str, Any]) -> tuple[ToolVersion, bool]:
    provenance = provenance_of(data)
    return services.tool_version_create(tool=tool, provenance=provenance, **data)


class ToolViewSet(CatalogEntryViewSet):
    kind = "tool"
    model = Tool
    version_model = ToolVersion
    parent_field = "tool"
    serializer_class = ToolSerializer
    filterset_class = ToolFilter
    search_fields = ("name", "category", "versions__description")
    ordering_fields = ("name", "type", "created_at", "updated_at")

    def get_queryset(self) -> QuerySet[Any]:
        # The search joins versions; distinct keeps one row per tool.
        return super().get_queryset().distinct()

    def upsert(self, data: dict[str, Any]) -> Tool:
        return services.tool_upsert(**data)

    def descriptive_fields(self, instance: Tool) -> dict[str, Any]:
        return {
            "type": instance.type,
            "aliases": instance.aliases,
            "category": instance.category,
            "tags": instance.tags,
        }

    def create_version(self, entry: Tool, data: dict[str, Any]) -> tuple[ToolVersion, bool]:
        return _tool_version_create(entry, data)


@extend_schema(parameters=[_path_name("tool_name", "tool")])
@extend_schema_view(**_version_schema(ToolVersionSerializer, ToolVersionCreateSerializer))
class ToolVersionViewSet(CatalogVersionViewSet):
    kind = "tool"
    parent_model = Tool
    parent_kwarg = "tool_name"
    parent_field = "tool"
    serializer_class = ToolVersionSerializer
    create_serializer_class = ToolVersionCreateSerializer
    filterset_class = ToolVersionFilter
    search_fields = ("description", "long_description")

    def create_version(self, parent: Tool, data: dict[str, Any]) -> tuple[ToolVersion, bool]:
        return _tool_version_create(parent, data)


# --- agent templates -----------------------------------------------------------------------


def _template_version_create(
    template: AgentTemplate, data: dict[str, Any]
) -> tuple[AgentTemplateVersion, bool]:
    provenance = provenance_of(data)
    return services.template_version_create(template=template, provenance=provenance, **data)


class TemplateViewSet(CatalogEntryViewSet):
    kind = "template"
    model = AgentTemplate
    version_model = AgentTemplateVersion
    parent_field = "template"
    serializer_class = TemplateSerializer
    filterset_class = TemplateFilter
    search_fields = ENTRY_SEARCH
    ordering_fields = ENTRY_ORDERING

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # Templates and pipelines share the `model` namespace of the gateway.
        name = request.data.get("name") if hasattr(request.data, "get") else None
        if isinstance(name, str) and Pipeline.objects.filter(name=name).exists():
            raise name_taken("pipeline", name)
        return super().create(request, *args, **kwargs)

    def upsert(self, data: dict[str, Any]) -> AgentTemplate:
        return services.template_upsert(**data)

    def create_version(
        self, entry: AgentTemplate, data: dict[str, Any]
    ) -> tuple[AgentTemplateVersion, bool]:
        return _template_version_create(entry, data)


@extend_schema(parameters=[_path_name("template_name", "template")])
@extend_schema_view(**_version_schema(TemplateVersionSerializer, TemplateVersionCreateSerializer))
class TemplateVersionViewSet(CatalogVersionViewSet):
    kind = "template"
    parent_model = AgentTemplate
    parent_kwarg = "template_name"
    parent_field = "template"
    serializer_class = TemplateVersionSerializer
    create_serializer_class = TemplateVersionCreateSerializer
    filterset_class = TemplateVersionFilter
    search_fields = ("system_prompt", "capabilities")

    def create_version(
        self, parent: AgentTemplate, data: dict[str, Any]
    ) -> tuple[AgentTemplateVersion, bool]:
        return _template_version_create(parent, data)


# --- pipelines -----------------------------------------------------------------------------


def _pipeline_version_create(
    pipeline: Pipeline, data: dict[str, Any]
) -> tuple[PipelineVersion, bool]:
    steps = [dict(step) for step in data["steps"]]
    return services.pipeline_version_create(
        pipeline=pipeline, steps=steps, activate=data.get("activate", True)
    )


class PipelineViewSet(CatalogEntryViewSet):
    kind = "pipeline"
    model = Pipeline
    version_model = PipelineVersion
    parent_field = "pipeline"
    serializer_class = PipelineSerializer
    filterset_class = PipelineFilter
    search_fields = ENTRY_SEARCH
    ordering_fields = ENTRY_ORDERING

    def upsert(self, data: dict[str, Any]) -> Pipeline:
        return services.pipeline_upsert(**data)

    def create_version(self, entry: Pipeline, data: dict[str, Any]) -> tuple[PipelineVersion, bool]:
        return _pipeline_version_create(entry, data)


@extend_schema(parameters=[_path_name("pipeline_name", "pipeline")])
@extend_schema_view(**_version_schema(PipelineVersionSerializer, PipelineVersionCreateSerializer))
class PipelineVersionViewSet(CatalogVersionViewSet):
    kind = "pipeline"
    parent_model = Pipeline
    parent_kwarg = "pipeline_name"
    parent_field = "pipeline"
    serializer_class = PipelineVersionSerializer
    create_serializer_class = PipelineVersionCreateSerializer
    filterset_class = PipelineVersionFilter
    search_fields = ()

    def create_version(
        self, parent: Pipeline, data: dict[str, Any]
    ) -> tuple[PipelineVersion, bool]:
        return _pipeline_version_create(parent, data)
