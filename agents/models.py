"""What runs: sessions, their runs and append-only event log, tool executions, artifacts and
the agent instances hosted by pool workers. The database is the source of truth; workers
hold nothing that cannot be rebuilt from these rows."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.db.models.functions import Now

from catalog.models import AgentTemplateVersion, PipelineVersion


class Session(models.Model):
    class State(models.TextChoices):
        INITED = "inited"
        RUNNING = "running"
        WAITING_FOR_CLARIFICATION = "waiting_for_clarification"
        WAITING_FOR_APPROVAL = "waiting_for_approval"
        # The agent called one of the client's own tools; the client sends the result.
        WAITING_FOR_TOOL_RESULT = "waiting_for_tool_result"
        COMPLETED = "completed"
        FAILED = "failed"
        CANCELLED = "cancelled"

    TERMINAL_STATES = (State.COMPLETED, State.FAILED, State.CANCELLED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    template_version = models.ForeignKey(
        AgentTemplateVersion, on_delete=models.PROTECT, related_name="sessions"
    )
    pipeline_version = models.ForeignKey(
        PipelineVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="sessions"
    )
    # Template versions of every pipeline step, pinned when the session starts.
    pipeline_plan = models.JSONField(default=list, blank=True)
    pipeline_step = models.PositiveIntegerField(default=0)
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children"
    )
    depth = models.PositiveSmallIntegerField(default=0)
    owner = models.CharField(max_length=100, blank=True, default="", db_index=True)
    # The callers' limits on tools (catalog.policies.ToolScope as JSON; {}: none), copied
    # from the key that started the session, narrowed by every key that drives it later,
    # inherited by delegated children.
    tool_scope = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=30, choices=State.choices, default=State.INITED)
    task = models.TextField()
    # Everything the engine needs to continue: messages, counters, plan, sources, stage.
    context = models.JSONField(default=dict)
    result = models.TextField(blank=True, default="")
    error = models.TextField(blank=True, default="")
    # The front-end's name for the conversation the session serves (e.g. Open WebUI's chat
    # id), "" when it sent none; prefers this session when transcripts are ambiguous.
    conversation_key = models.CharField(max_length=200, blank=True, default="")
    last_seq = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["state", "-created_at"])]

    def __str__(self) -> str:
        return str(self.id)


class Run(models.Model):
    """One turn of work on a session. ``pending`` waits behind the session's active run
    (enqueue policy); ``queued`` and ``running`` are active, at most one per session."""

    class State(models.TextChoices):
        PENDING = "pending"
        QUEUED = "queued"
        RUNNING = "running"
        FINISHED = "finished"

    ACTIVE_STATES = (State.QUEUED, State.RUNNING)

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="runs")
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    # The session state the run ended in (completed, waiting_for_clarification, ...).
    outcome = models.CharField(max_length=30, blank=True, default="")
    user_message = models.TextField(blank=True, default="")
    # ``agents.conversations.transcript_hash`` of the conversation as the client sent it
    # with this run's user message; "" when the client named the session itself.
    transcript_hash = models.CharField(max_length=64, blank=True, default="")
    lease_owner = models.CharField(max_length=200, blank=True, default="")
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    attempt = models.PositiveIntegerField(default=0)
    cancel_requested = models.BooleanField(default=False)
    # The daily token budget of the key whose request queued this run (0: none), which its
    # steps' reservations are held to, and the tokens reserved when it was admitted, held
    # until its first step's reservation replaces them (``agents.services.budgets``).
    token_limit = models.PositiveBigIntegerField(default=0)
    tokens_held = models.PositiveBigIntegerField(default=0)
    error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["session"],
                condition=Q(state__in=["queued", "running"]),
                name="run_one_active_per_session",
            )
        ]
        indexes = [
            models.Index(fields=["created_at"], condition=Q(state="queued"), name="run_queued_idx"),
            models.Index(
                fields=["lease_expires_at"], condition=Q(state="running"), name="run_lease_idx"
            ),
            models.Index(
                fields=["transcript_hash"],
                condition=~Q(transcript_hash=""),
                name="run_transcript_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"run {self.pk} of session {self.session_id} ({self.state})"


class SessionEvent(models.Model):
    """Append-only; ``seq`` is gap-free per session (allocated under the session row lock)."""

    class Type(models.TextChoices):
        USER_MESSAGE = "user_message"
        STATE = "state"
        REASONING = "reasoning"
        TOOL_SELECTION = "tool_selection"
        TOOL_CALL = "tool_call"
        TOOL_RESULT = "tool_result"
        CLARIFICATION = "clarification"
        APPROVAL_REQUEST = "approval_request"
        APPROVAL = "approval"
        CLIENT_TOOL_CALL = "client_tool_call"
        FINAL_ANSWER = "final_answer"
        ERROR = "error"
        CHILD_SESSION = "child_session"
        PIPELINE_STEP = "pipeline_step"
        LLM_RETRY = "llm_retry"
        # A call that was in flight when its worker died, met by the run that took over.
        TOOL_TAKEOVER = "tool_takeover"

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="events")
    seq = models.PositiveIntegerField()
    run = models.ForeignKey(Run, on_delete=models.SET_NULL, null=True, blank=True)
    type = models.CharField(max_length=20, choices=Type.choices)
    step = models.PositiveIntegerField(default=0)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["session", "seq"]
        constraints = [models.UniqueConstraint(fields=["session", "seq"], name="event_seq_unique")]

    def __str__(self) -> str:
        return f"{self.session_id}#{self.seq} {self.type}"


class SessionCheckpoint(models.Model):
    """The session row as it was when its events up to ``seq`` had been written: its
    state, run state (``context``: messages, counters, plan, sources, pending call) and
    pipeline position. One row per batch of appended events (a step's phase, a user
    message, an approval), written by a database trigger on ``agents_session`` whenever
    ``last_seq`` grows (migration 0010), so no writer of the session can forget it; never
    updated afterwards. A fork at an event starts from the checkpoint of the batch that
    wrote it (``agents.services.forks``). ``backfilled``: written by the migration for a
    session that existed before checkpoints, whose earlier events have none."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="checkpoints")
    seq = models.PositiveIntegerField()
    state = models.CharField(max_length=30, choices=Session.State.choices)
    context = models.JSONField(default=dict)
    template_version = models.ForeignKey(
        AgentTemplateVersion, on_delete=models.PROTECT, related_name="+"
    )
    pipeline_step = models.PositiveIntegerField(default=0)
    result = models.TextField(blank=True, default="")
    backfilled = models.BooleanField(default=False, db_default=False)
    created_at = models.DateTimeField(db_default=Now())

    class Meta:
        ordering = ["session", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["session", "seq"], name="checkpoint_seq_unique")
        ]

    def __str__(self) -> str:
        return f"{self.session_id}@{self.seq} ({self.state})"


class ToolExecution(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running"
        COMPLETED = "completed"
        FAILED = "failed"

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="tool_executions")
    run = models.ForeignKey(Run, on_delete=models.SET_NULL, null=True, blank=True)
    # "<session>:<step>:<call>": the same call on resume finds its completed row.
    idempotency_key = models.CharField(max_length=200, unique=True)
    tool_name = models.CharField(max_length=200)
    arguments = models.JSONField(default=dict)
    result = models.TextField(blank=True, default="")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(auto_now_add=True)
    duration_ms = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["started_at"]

    def __str__(self) -> str:
        return f"{self.tool_name} ({self.idempotency_key})"


class Artifact(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="artifacts")
    name = models.CharField(max_length=300)
    content_type = models.CharField(max_length=100, default="text/markdown")
    content = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.name


class AgentInstance(models.Model):
    """A long-lived agent hosted by one pool worker, pinned to one template version."""

    class State(models.TextChoices):
        IDLE = "idle"
        BUSY = "busy"
        RESETTING = "resetting"
        ERROR = "error"
        STOPPED = "stopped"

    worker = models.CharField(max_length=200, db_index=True)
    template_version = models.ForeignKey(
        AgentTemplateVersion, on_delete=models.CASCADE, related_name="instances"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.IDLE)
    current_session = models.ForeignKey(
        Session, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sessions_served = models.PositiveIntegerField(default=0)
    heartbeat_at = models.DateTimeField(auto_now_add=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["worker", "id"]

    def __str__(self) -> str:
        return f"instance {self.pk} on {self.worker} ({self.state})"


class UpstreamCapability(models.Model):
    """What one upstream endpoint and model accept: the structured-output mode and the
    ``tool_choice`` form the engine uses there. ``auto`` negotiation writes what it learns
    (``evidence`` keeps the upstream's words that taught it); an operator may change either
    and set ``pinned``, after which negotiation never changes the row. A blank value is not
    known yet: the engine starts from the best form and learns."""

    class StructuredOutput(models.TextChoices):
        JSON_SCHEMA = "json_schema"
        JSON_OBJECT = "json_object", "json_object (with the schema)"
        FUNCTION_CALL = "function_call", "forced function call"
        TEXT = "text", "plain JSON in the reply text"

    class ToolChoice(models.TextChoices):
        REQUIRED = "required"
        AUTO = "auto"
        FUNCTION = "function", "forced function"

    base_url = models.CharField(max_length=500)
    model = models.CharField(max_length=200)
    structured_output = models.CharField(
        max_length=20, choices=StructuredOutput.choices, blank=True
    )
    tool_choice = models.CharField(max_length=20, choices=ToolChoice.choices, blank=True)
    pinned = models.BooleanField(
        default=False, help_text="Set by an operator: negotiation never changes this row."
    )
    evidence = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "upstream capabilities"
        constraints = [
            models.UniqueConstraint(fields=["base_url", "model"], name="upstream_capability_unique")
        ]

    def __str__(self) -> str:
        return f"{self.model} at {self.base_url}"


class MemoryEntry(models.Model):
    """A file or directory of an agent's memory store (the memory and file tools' sandbox).

    ``store`` names whose memory it is (``agents.memory.store_key``): one session's, one
    caller's for one template (long-term memory), or one template's. ``path`` is relative
    and normalised (``entities/bob.md``; never ``..``, never a leading ``/``), unique per
    store; a file's parent directories exist as entries too.
    """

    class Kind(models.TextChoices):
        FILE = "file"
        DIR = "dir"

    store = models.CharField(max_length=300)
    path = models.CharField(max_length=500)
    kind = models.CharField(max_length=4, choices=Kind.choices, default=Kind.FILE)
    content = models.TextField(blank=True, default="")
    # Bytes of ``content`` in UTF-8 (what the size limits count).
    size = models.PositiveIntegerField(default=0)
    # The session that last wrote the entry (a long-term store outlives its sessions).
    session = models.ForeignKey(
        Session, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["store", "path"]
        constraints = [
            models.UniqueConstraint(fields=["store", "path"], name="memory_path_unique_per_store")
        ]
        verbose_name_plural = "memory entries"

    def __str__(self) -> str:
        return f"{self.store}:{self.path}{'/' if self.kind == self.Kind.DIR else ''}"


class MemoryChange(models.Model):
    """One write to a session's own memory store, in order: the entry at ``path`` as the
    write left it (``deleted``: gone). ``after_seq`` is the session's last event seq when
    the write happened, so the store as of a checkpoint at seq N is every change with
    ``after_seq < N`` replayed in ``id`` order (a tool's writes happen between its step's
    decide and act batches). Written by ``agents.services.memory`` with each write; long-term
    stores (per owner or template) are shared and have no journal."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="memory_changes")
    after_seq = models.PositiveIntegerField()
    path = models.CharField(max_length=500)
    kind = models.CharField(max_length=4, choices=MemoryEntry.Kind.choices)
    content = models.TextField(blank=True, default="")
    deleted = models.BooleanField(default=False)

    class Meta:
        ordering = ["session", "id"]
        indexes = [models.Index(fields=["session", "after_seq"])]

    def __str__(self) -> str:
        gone = " (deleted)" if self.deleted else ""
        return f"{self.session_id}@{self.after_seq} {self.path}{gone}"


class TokenBudget(models.Model):
    """An owner's daily token budget and what today has taken of it.

    ``used`` counts the tokens of settled calls, ``reserved`` those of steps in flight (each
    reserved its ``max_tokens`` plus its prompt's size before its calls were sent); the
    admitted runs that have not started a step yet hold theirs on the run
    (``Run.tokens_held``, counted while the run is pending or active). A reservation is
    taken only while ``used``, ``reserved``, the holds and itself stay within the limit of
    the key that made the request (``Run.token_limit``), under this row's lock, so every
    gateway and worker agrees and parallel calls cannot overshoot the budget by more than
    what the reservations underestimated. ``day`` is the day (in ``TIME_ZONE``) the counters
    are for: the first reservation of a new day starts them afresh. Owners without a row
    have no budget (``agents.services.budgets``).
    """

    owner = models.CharField(max_length=100, unique=True)
    day = models.DateField()
    used = models.PositiveBigIntegerField(default=0)
    reserved = models.PositiveBigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.owner}: {self.used} used, {self.reserved} reserved on {self.day}"
