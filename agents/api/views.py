"""Admin API over the runtime: sessions (with their event timeline) and agent instances, read
only (sessions change only through the engine); upstream capabilities, which an operator
sets, pins or deletes (to have them learned again) through the services."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Prefetch, QuerySet
from rest_framework import serializers, viewsets

from agents import services
from agents.api.serializers import (
    AgentInstanceSerializer,
    SessionDetailSerializer,
    SessionSerializer,
    UpstreamCapabilitySerializer,
)
from agents.models import AgentInstance, Session, SessionEvent, UpstreamCapability
from maruntime.admin_api import AdminAPIMixin


class SessionFilter(django_filters.FilterSet):
    template = django_filters.CharFilter(
        field_name="template_version__template__name", label="Template name"
    )
    pipeline = django_filters.CharFilter(
        field_name="pipeline_version__pipeline__name", label="Pipeline name"
    )
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Session
        fields = ("state", "template", "pipeline", "owner", "created_after", "created_before")


class AgentInstanceFilter(django_filters.FilterSet):
    template = django_filters.CharFilter(
        field_name="template_version__template__name", label="Template name"
    )

    class Meta:
        model = AgentInstance
        fields = ("state", "worker", "template")


class SessionViewSet(AdminAPIMixin, viewsets.ReadOnlyModelViewSet[Session]):
    filterset_class = SessionFilter
    search_fields = ("task", "owner", "result")
    ordering_fields = ("created_at", "updated_at", "state")
    ordering = ("-created_at",)

    def get_queryset(self) -> QuerySet[Session]:
        sessions = Session.objects.select_related(
            "template_version__template", "pipeline_version__pipeline"
        )
        if self.action == "retrieve":
            sessions = sessions.prefetch_related(
                Prefetch("events", queryset=SessionEvent.objects.order_by("seq")),
                "runs",
                "tool_executions",
                "artifacts",
            )
        return sessions

    def get_serializer_class(self) -> type[serializers.BaseSerializer[Any]]:
        return SessionDetailSerializer if self.action == "retrieve" else SessionSerializer


class AgentInstanceViewSet(AdminAPIMixin, viewsets.ReadOnlyModelViewSet[AgentInstance]):
    queryset = AgentInstance.objects.select_related("template_version__template")
    serializer_class = AgentInstanceSerializer
    filterset_class = AgentInstanceFilter
    search_fields = ("worker",)
    ordering_fields = ("worker", "state", "heartbeat_at", "created_at")


class UpstreamCapabilityViewSet(AdminAPIMixin, viewsets.ModelViewSet[UpstreamCapability]):
    queryset = UpstreamCapability.objects.all()
    serializer_class = UpstreamCapabilitySerializer
    filterset_fields = ("base_url", "model", "pinned")
    search_fields = ("base_url", "model")
    ordering_fields = ("base_url", "model", "updated_at")
    ordering = ("base_url", "model")

    def _set(self, serializer: serializers.BaseSerializer[UpstreamCapability]) -> None:
        instance = serializer.instance
        values = {
            name: serializer.validated_data.get(name, getattr(instance, name, default))
            for name, default in (
                ("base_url", ""),
                ("model", ""),
                ("structured_output", ""),
                ("tool_choice", ""),
                ("pinned", False),
            )
        }
        serializer.instance = services.upstream_capability_set(**values)

    perform_create = perform_update = _set

    def perform_destroy(self, instance: UpstreamCapability) -> None:
        services.upstream_capability_forget(capability=instance)
