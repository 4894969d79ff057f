"""Read-only admin API over the runtime: sessions (with their event timeline) and agent
instances. Nothing here writes; sessions change only through the engine."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Prefetch, QuerySet
from rest_framework import serializers, viewsets

from agents.api.serializers import (
    AgentInstanceSerializer,
    SessionDetailSerializer,
    SessionSerializer,
)
from agents.models import AgentInstance, Session, SessionEvent
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
