"""Read-only shapes of sessions, their runs, events, tool executions and artifacts, and of
agent instances, for the admin API; and upstream capabilities, which an operator may set."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from agents.models import (
    AgentInstance,
    Artifact,
    Run,
    Session,
    SessionEvent,
    ToolExecution,
    UpstreamCapability,
)


class SessionSerializer(serializers.ModelSerializer[Session]):
    template = serializers.CharField(source="template_version.template.name", read_only=True)
    template_version = serializers.IntegerField(source="template_version.version", read_only=True)
    pipeline = serializers.CharField(
        source="pipeline_version.pipeline.name", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = Session
        fields: tuple[str, ...] = (
            "id",
            "template",
            "template_version",
            "pipeline",
            "pipeline_step",
            "parent",
            "depth",
            "owner",
            "state",
            "task",
            "result",
            "error",
            "last_seq",
            "created_at",
            "updated_at",
        )
        read_only_fields: tuple[str, ...] = fields


class SessionEventSerializer(serializers.ModelSerializer[SessionEvent]):
    class Meta:
        model = SessionEvent
        fields = ("seq", "type", "step", "run", "payload", "created_at")
        read_only_fields = fields


class RunSerializer(serializers.ModelSerializer[Run]):
    class Meta:
        model = Run
        fields = (
            "id",
            "state",
            "outcome",
            "user_message",
            "lease_owner",
            "lease_expires_at",
            "attempt",
            "cancel_requested",
            "error",
            "created_at",
            "started_at",
            "finished_at",
        )
        read_only_fields = fields


class ToolExecutionSerializer(serializers.ModelSerializer[ToolExecution]):
    class Meta:
        model = ToolExecution
        fields = (
            "id",
            "run",
            "idempotency_key",
            "tool_name",
            "arguments",
            "result",
            "status",
            "started_at",
            "duration_ms",
        )
        read_only_fields = fields


class ArtifactSerializer(serializers.ModelSerializer[Artifact]):
    class Meta:
        model = Artifact
        fields = ("id", "name", "content_type", "content", "created_at")
        read_only_fields = fields


class SessionDetailSerializer(SessionSerializer):
    """A session with everything it recorded; events in ``seq`` order."""

    events = SessionEventSerializer(many=True, read_only=True)
    runs = RunSerializer(many=True, read_only=True)
    tool_executions = ToolExecutionSerializer(many=True, read_only=True)
    artifacts = ArtifactSerializer(many=True, read_only=True)

    class Meta(SessionSerializer.Meta):
        fields: tuple[str, ...] = (
            *SessionSerializer.Meta.fields,
            "pipeline_plan",
            "context",
            "runs",
            "events",
            "tool_executions",
            "artifacts",
        )
        read_only_fields = fields


class AgentInstanceSerializer(serializers.ModelSerializer[AgentInstance]):
    template = serializers.CharField(source="template_version.template.name", read_only=True)
    template_version = serializers.IntegerField(source="template_version.version", read_only=True)

    class Meta:
        model = AgentInstance
        fields = (
            "id",
            "worker",
            "template",
            "template_version",
            "state",
            "current_session",
            "sessions_served",
            "heartbeat_at",
            "created_at",
        )
        read_only_fields = fields


class UpstreamCapabilitySerializer(serializers.ModelSerializer[UpstreamCapability]):
    class Meta:
        model = UpstreamCapability
        fields = (
            "id",
            "base_url",
            "model",
            "structured_output",
            "tool_choice",
            "pinned",
            "evidence",
            "updated_at",
        )
        read_only_fields = ("id", "evidence", "updated_at")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        instance = self.instance
        for name in ("base_url", "model"):
            if instance is not None and name in attrs and attrs[name] != getattr(instance, name):
                raise serializers.ValidationError(
                    {name: "A row names one endpoint and model for good; create another row."}
                )
        return attrs
