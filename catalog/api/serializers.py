"""Shapes of the catalog admin API.

Output serializers are read-only views of the models. Input serializers check types and
shapes only; what the content means (valid JSON Schema, bindings that resolve, known
templates, policies) is the services' to decide, so there is one rule and one message.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from catalog.models import (
    AgentTemplate,
    AgentTemplateVersion,
    Pipeline,
    PipelineVersion,
    Tool,
    ToolVersion,
    slug_validator,
)
from catalog.services import PROVENANCE_FIELDS


def _name_field() -> serializers.CharField:
    return serializers.CharField(max_length=100, validators=[slug_validator])


class _EntrySerializer(serializers.ModelSerializer[Any]):
    """What tools, templates and pipelines share: a slug name that never changes, and
    their active version and version count (annotated by the views)."""

    entry_kind = ""
    name = _name_field()
    active_version = serializers.IntegerField(read_only=True, allow_null=True)
    version_count = serializers.IntegerField(read_only=True)

    def validate_name(self, value: str) -> str:
        if self.instance is not None and value != self.instance.name:
            raise serializers.ValidationError(f"A {self.entry_kind} cannot be renamed.")
        return value


# Templates and pipelines: a name and a description besides their versions.
DESCRIBED_ENTRY_FIELDS = (
    "name",
    "description",
    "active_version",
    "version_count",
    "created_at",
    "updated_at",
    "version",
)


class ProvenanceInputMixin(serializers.Serializer):
    source_repo = serializers.CharField(max_length=500, required=False, allow_blank=True)
    source_branch = serializers.CharField(max_length=200, required=False, allow_blank=True)
    source_commit = serializers.CharField(max_length=64, required=False, allow_blank=True)
    source_path = serializers.CharField(max_length=500, required=False, allow_blank=True)
    source_class = serializers.CharField(max_length=200, required=False, allow_blank=True)


def provenance_of(data: dict[str, Any]) -> dict[str, str]:
    return {field: data.pop(field, "") for field in PROVENANCE_FIELDS}


# --- tools ---------------------------------------------------------------------------------


class ToolVersionSerializer(serializers.ModelSerializer[ToolVersion]):
    tool: serializers.SlugRelatedField[Tool] = serializers.SlugRelatedField(
        slug_field="name", read_only=True
    )

    class Meta:
        model = ToolVersion
        fields = (
            "tool",
            "version",
            "is_active",
            "description",
            "long_description",
            "input_schema",
            "binding_kind",
            "binding",
            "unbound_reason",
            "risk_level",
            "requires_approval",
            "idempotent",
            "on_takeover",
            "limits",
            "content_hash",
            *PROVENANCE_FIELDS,
            "created_at",
        )
        read_only_fields = fields


class ToolVersionCreateSerializer(ProvenanceInputMixin):
    """A new version's content; identical content returns the existing version."""

    description = serializers.CharField(max_length=1000)
    long_description = serializers.CharField(required=False, allow_blank=True, default="")
    input_schema = serializers.DictField(help_text="JSON Schema of an object")
    binding_kind = serializers.ChoiceField(choices=ToolVersion.BindingKind.choices)
    binding = serializers.DictField(required=False, default=dict)
    unbound_reason = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default=""
    )
    risk_level = serializers.ChoiceField(
        choices=ToolVersion.Risk.choices, required=False, default=ToolVersion.Risk.LOW
    )
    requires_approval = serializers.BooleanField(required=False, default=False)
    idempotent = serializers.BooleanField(
        required=False, default=False, help_text="Safe to repeat: a takeover runs it again"
    )
    on_takeover = serializers.ChoiceField(
        choices=ToolVersion.Takeover.choices,
        required=False,
        default=ToolVersion.Takeover.RETRY,
        help_text="A call in flight when its worker died, of a tool not idempotent: run it "
        "again with the same Idempotency-Key (retry), ask a person (ask), or tell the model "
        "its outcome is unknown (report)",
    )
    limits = serializers.DictField(required=False, default=dict)
    activate = serializers.BooleanField(
        required=False, default=True, help_text="Make the new version the active one"
    )


class ToolSerializer(_EntrySerializer):
    entry_kind = "tool"
    aliases = serializers.ListField(child=serializers.CharField(max_length=200), required=False)
    tags = serializers.ListField(child=serializers.CharField(max_length=50), required=False)
    version = ToolVersionCreateSerializer(
        write_only=True, required=False, help_text="The first version (on create only)"
    )

    class Meta:
        model = Tool
        fields = (
            "name",
            "type",
            "aliases",
            "category",
            "tags",
            "active_version",
            "version_count",
            "created_at",
            "updated_at",
            "version",
        )
        read_only_fields = ("created_at", "updated_at")


# --- agent templates -----------------------------------------------------------------------


class TemplateVersionSerializer(serializers.ModelSerializer[AgentTemplateVersion]):
    template: serializers.SlugRelatedField[AgentTemplate] = serializers.SlugRelatedField(
        slug_field="name", read_only=True
    )

    class Meta:
        model = AgentTemplateVersion
        fields = (
            "template",
            "version",
            "is_active",
            "flavour",
            "system_prompt",
            "initial_user_prompt",
            "clarification_prompt",
            "llm_policy",
            "execution_policy",
            "tool_policy",
            "rules",
            "capabilities",
            "tags",
            "content_hash",
            *PROVENANCE_FIELDS,
            "created_at",
        )
        read_only_fields = fields


class TemplateVersionCreateSerializer(ProvenanceInputMixin):
    """A new version's content; policies are validated and normalised by the service."""

    flavour = serializers.ChoiceField(choices=AgentTemplateVersion.Flavour.choices)
    system_prompt = serializers.CharField()
    initial_user_prompt = serializers.CharField(required=False, allow_blank=True, default="")
    clarification_prompt = serializers.CharField(required=False, allow_blank=True, default="")
    llm_policy = serializers.DictField(required=False, default=dict)
    execution_policy = serializers.DictField(required=False, default=dict)
    tool_policy = serializers.DictField(required=False, default=dict)
    rules = serializers.ListField(child=serializers.DictField(), required=False, default=list)
    capabilities = serializers.CharField(required=False, allow_blank=True, default="")
    tags = serializers.ListField(
        child=serializers.CharField(max_length=50), required=False, default=list
    )
    activate = serializers.BooleanField(
        required=False, default=True, help_text="Make the new version the active one"
    )


class TemplateSerializer(_EntrySerializer):
    entry_kind = "template"
    version = TemplateVersionCreateSerializer(
        write_only=True, required=False, help_text="The first version (on create only)"
    )

    class Meta:
        model = AgentTemplate
        fields = DESCRIBED_ENTRY_FIELDS
        read_only_fields = ("created_at", "updated_at")


# --- pipelines -----------------------------------------------------------------------------


class PipelineStepSerializer(serializers.Serializer):
    template = serializers.CharField(max_length=100)
    version = serializers.IntegerField(min_value=1, required=False, allow_null=True)


class PipelineVersionSerializer(serializers.ModelSerializer[PipelineVersion]):
    pipeline: serializers.SlugRelatedField[Pipeline] = serializers.SlugRelatedField(
        slug_field="name", read_only=True
    )
    steps = PipelineStepSerializer(many=True, read_only=True)

    class Meta:
        model = PipelineVersion
        fields = ("pipeline", "version", "is_active", "steps", "content_hash", "created_at")
        read_only_fields = fields


class PipelineVersionCreateSerializer(serializers.Serializer):
    steps = PipelineStepSerializer(many=True, allow_empty=False)
    activate = serializers.BooleanField(
        required=False, default=True, help_text="Make the new version the active one"
    )


class PipelineSerializer(_EntrySerializer):
    entry_kind = "pipeline"
    version = PipelineVersionCreateSerializer(
        write_only=True, required=False, help_text="The first version (on create only)"
    )

    class Meta:
        model = Pipeline
        fields = DESCRIBED_ENTRY_FIELDS
        read_only_fields = ("created_at", "updated_at")
