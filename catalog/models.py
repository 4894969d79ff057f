"""What exists: tools, agent templates and pipelines, each with immutable versions.

A version's content never changes after creation; editing means a new version. At most one
version of each tool/template/pipeline is active, enforced by partial unique indexes.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q

slug_validator = RegexValidator(
    r"^[a-z][a-z0-9_.\-]{0,99}$",
    "Use lowercase letters, digits, '_', '-' or '.', starting with a letter.",
)


class Provenance(models.Model):
    """Where a version came from: a seeded repository, or hand curation (all empty)."""

    source_repo = models.CharField(max_length=500, blank=True, default="")
    source_branch = models.CharField(max_length=200, blank=True, default="", db_index=True)
    source_commit = models.CharField(max_length=64, blank=True, default="")
    source_path = models.CharField(max_length=500, blank=True, default="")
    source_class = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        abstract = True


class Tool(models.Model):
    class Type(models.TextChoices):
        SYSTEM = "system"
        AUX = "aux"
        DOMAIN = "domain"
        META = "meta"

    name = models.CharField(max_length=100, unique=True, validators=[slug_validator])
    aliases = ArrayField(models.CharField(max_length=200), default=list, blank=True)
    type = models.CharField(max_length=10, choices=Type.choices, default=Type.DOMAIN)
    category = models.CharField(max_length=100, blank=True, default="")
    tags = ArrayField(models.CharField(max_length=50), default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["type"])]

    def __str__(self) -> str:
        return self.name


class ToolVersion(Provenance):
    class BindingKind(models.TextChoices):
        PYTHON = "python"
        HTTP = "http"
        MCP = "mcp"
        AGENT = "agent"
        UNBOUND = "unbound"

    class Risk(models.TextChoices):
        LOW = "low"
        MEDIUM = "medium"
        HIGH = "high"
        CRITICAL = "critical"

    class Takeover(models.TextChoices):
        """What a run taken over after a crash does with a call of this tool that was in
        flight (it may or may not have taken effect), unless the tool is ``idempotent``."""

        # Run it again with the same idempotency key: the endpoint honours keys.
        RETRY = "retry"
        # Put it to a person as an approval: "this call may already have run".
        ASK = "ask"
        # Run nothing; tell the model the outcome is unknown.
        REPORT = "report"

    tool = models.ForeignKey(Tool, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    description = models.CharField(max_length=1000)
    long_description = models.TextField(blank=True, default="")
    input_schema = models.JSONField(default=dict)
    binding_kind = models.CharField(max_length=10, choices=BindingKind.choices)
    # python: {"entrypoint": name}; http: {"url", "method", "timeout_seconds"};
    # mcp: {"server", "tool"}; agent: {"template"}; unbound: {}.
    binding = models.JSONField(default=dict, blank=True)
    unbound_reason = models.CharField(max_length=500, blank=True, default="")
    risk_level = models.CharField(max_length=10, choices=Risk.choices, default=Risk.LOW)
    requires_approval = models.BooleanField(default=False)
    # Safe to repeat (a read, a pure function): a takeover runs it again without asking.
    idempotent = models.BooleanField(default=False)
    on_takeover = models.CharField(max_length=10, choices=Takeover.choices, default=Takeover.RETRY)
    limits = models.JSONField(default=dict, blank=True)
    content_hash = models.CharField(max_length=64)
    is_active = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["tool__name", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["tool", "version"], name="tool_version_unique"),
            models.UniqueConstraint(
                fields=["tool"], condition=Q(is_active=True), name="tool_one_active_version"
            ),
            models.UniqueConstraint(
                fields=["tool", "content_hash"], name="tool_version_content_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tool.name}@{self.version}"


class AgentTemplate(models.Model):
    name = models.CharField(max_length=100, unique=True, validators=[slug_validator])
    description = models.CharField(max_length=1000, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AgentTemplateVersion(Provenance):
    class Flavour(models.TextChoices):
        SGR = "sgr"
        SGR_TOOL_CALLING = "sgr_tool_calling"
        TOOL_CALLING = "tool_calling"

    template = models.ForeignKey(AgentTemplate, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    flavour = models.CharField(max_length=20, choices=Flavour.choices)
    system_prompt = models.TextField()
    initial_user_prompt = models.TextField(blank=True, default="")
    clarification_prompt = models.TextField(blank=True, default="")
    llm_policy = models.JSONField(default=dict, blank=True)
    execution_policy = models.JSONField(default=dict, blank=True)
    tool_policy = models.JSONField(default=dict, blank=True)
    rules = models.JSONField(default=list, blank=True)
    capabilities = models.TextField(blank=True, default="")
    tags = ArrayField(models.CharField(max_length=50), default=list, blank=True)
    content_hash = models.CharField(max_length=64)
    is_active = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["template__name", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["template", "version"], name="template_version_unique"),
            models.UniqueConstraint(
                fields=["template"],
                condition=Q(is_active=True),
                name="template_one_active_version",
            ),
            models.UniqueConstraint(
                fields=["template", "content_hash"], name="template_version_content_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template.name}@{self.version}"


class Pipeline(models.Model):
    name = models.CharField(max_length=100, unique=True, validators=[slug_validator])
    description = models.CharField(max_length=1000, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PipelineVersion(models.Model):
    """``steps``: ordered ``[{"template": name, "version": n|null}]``; each step's result is
    the next step's task. ``version: null`` means the template's active version when the
    session starts (then pinned for the session)."""

    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    steps = models.JSONField(default=list)
    content_hash = models.CharField(max_length=64)
    is_active = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pipeline__name", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["pipeline", "version"], name="pipeline_version_unique"),
            models.UniqueConstraint(
                fields=["pipeline"],
                condition=Q(is_active=True),
                name="pipeline_one_active_version",
            ),
            models.UniqueConstraint(
                fields=["pipeline", "content_hash"], name="pipeline_version_content_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.pipeline.name}@{self.version}"


class Skill(Provenance):
    """An Agent Skill (sgr-agent-core 0.7.1; a ``SKILL.md`` file): instructions an agent
    loads when it needs them, with the ``use_skill`` tool. Not versioned: a re-seed or an
    edit replaces the text (a session reads it at the moment it uses the skill)."""

    name = models.CharField(max_length=100, unique=True, validators=[slug_validator])
    description = models.CharField(max_length=1000)
    # The file's body, without its frontmatter.
    content = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
