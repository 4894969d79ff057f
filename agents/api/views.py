"""Admin API over the runtime: sessions (with their event timeline) and agent instances, read
only (sessions change only through the engine); upstream capabilities, which an operator
sets, pins or deletes (to have them learned again) through the services."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import django_filters
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django_filters.fields import IsoDateTimeField
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


class StorableDateTimeField(IsoDateTimeField):
    """An ISO 8601 date-time PostgreSQL can compare with: one whose offset or year puts
    it outside what ``timestamptz`` takes (``+99:00``, year 1 at ``+14:00``) is a 400,
    not a database error (found by the schemathesis run)."""

    def clean(self, value: Any) -> datetime | None:
        cleaned = super().clean(value)
        if cleaned is None:
            return None
        try:
            return cleaned.astimezone(UTC)
        except OverflowError as exc:
            raise ValidationError("Enter a date/time within the calendar.") from exc


class StorableDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = StorableDateTimeField


class SessionFilter(django_filters.FilterSet):
    template = django_filters.CharFilter(
        field_name="template_version__template__name", label="Template name"
    )
    pipeline = django_filters.CharFilter(
        field_name="pipeline_version__pipeline__name", label="Pipeline name"
    )
    created_after = StorableDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = StorableDateTimeFilter(field_name="created_at", lookup_expr="lt")

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
