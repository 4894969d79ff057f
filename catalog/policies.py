"""Typed shapes of the JSON policies stored on template versions.

The database keeps plain JSON (so the admin can edit it); these models validate it on the
way in and give the engine typed access on the way out. Unknown keys are refused so a typo
in a policy is an error, not a silently ignored setting.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

# ``auto``: negotiated per upstream endpoint and model (``agents.engine.capabilities``).
StructuredOutputMode = Literal["auto", "json_schema", "json_object", "function_call", "text"]
Flavour = Literal["sgr", "sgr_tool_calling", "tool_calling"]
RiskLevel = Literal["low", "medium", "high", "critical"]
RISK_ORDER: dict[str, int] = {"low": 0, "medium": 1, "high": 2, "critical": 3}


class _Policy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    # Fields added after versions were stored: left out of the stored JSON while they hold
    # their default, so every existing version keeps its content hash (a seed does not
    # re-version unchanged entries).
    added_later: ClassVar[frozenset[str]] = frozenset()

    @model_serializer(mode="wrap")
    def _leave_out_later_defaults(self, handler: SerializerFunctionWrapHandler) -> Any:
        data = handler(self)
        for name in self.added_later:
            if getattr(self, name) == type(self).model_fields[name].default:
                data.pop(name, None)
        return data


class LLMPolicy(_Policy):
    """Empty ``base_url``/``model`` fall back to ``OPENAI_BASE_URL``/``OPENAI_MODEL``;
    ``api_key_ref`` names an environment variable, never holds a key. A reply cut off at
    ``max_tokens`` is asked again with ``max_tokens_on_truncation`` when that is larger
    (0: the same budget)."""

    base_url: str = ""
    api_key_ref: str = ""
    model: str = ""
    temperature: float = Field(default=0.2, ge=0, le=2)
    max_tokens: int = Field(default=4000, ge=1)
    max_tokens_on_truncation: int = Field(default=0, ge=0)
    structured_output: StructuredOutputMode = "auto"


class ExecutionPolicy(_Policy):
    max_iterations: int = Field(default=10, ge=1, le=200)
    max_clarifications: int = Field(default=3, ge=0, le=50)
    max_searches: int = Field(default=4, ge=0, le=200)
    time_budget_seconds: float = Field(default=600, gt=0)
    tool_budget: int = Field(default=50, ge=1)
    on_busy: Literal["reject", "enqueue"] = "reject"
    stream_format: Literal["openai", "sgr"] = "openai"


class ToolPolicy(_Policy):
    """Which catalog tools an agent may be offered. ``required`` are always offered (subject
    to rules); the rest pass the allow/deny/type/tag/risk filters."""

    tools: list[str] = Field(default_factory=list)
    required: list[str] = Field(default_factory=list)
    allow: list[str] = Field(default_factory=list)
    deny: list[str] = Field(default_factory=list)
    allowed_types: list[str] = Field(default_factory=list)
    allowed_tags: list[str] = Field(default_factory=list)
    risk_ceiling: RiskLevel = "high"
    max_tools_in_prompt: int = Field(default=12, ge=1, le=128)
    selection: Literal["static", "retrieval_per_step"] = "static"
    retrieval_k: int = Field(default=5, ge=1, le=50)
    # Whose memory store the memory and file tools use (``agents.memory.store_key``): the
    # session's own, the caller's for this template across sessions (long-term memory),
    # or one shared by every caller of the template.
    memory_scope: Literal["session", "owner", "template"] = "session"

    added_later: ClassVar[frozenset[str]] = frozenset({"memory_scope"})


class ToolLimits(_Policy):
    """A tool version's limits, enforced by the engine: a call that runs longer than
    ``timeout_seconds`` fails (the model sees why); after ``max_calls_per_session`` calls
    the tool is no longer offered in that session. None: no limit."""

    timeout_seconds: float | None = Field(default=None, gt=0, le=3600)
    max_calls_per_session: int | None = Field(default=None, ge=1)


class ToolScope(_Policy):
    """A caller's limits on tools (an API key's): what its searches find and what the
    sessions it drives may be offered, on top of each template's own tool policy. ``allow``
    None means any tool (an empty list: none); the default ceiling restricts nothing."""

    allow: list[str] | None = None
    deny: list[str] = Field(default_factory=list)
    risk_ceiling: RiskLevel = "critical"

    @property
    def unrestricted(self) -> bool:
        return self.allow is None and not self.deny and self.risk_ceiling == "critical"

    def refusal(self, name: str, risk_level: str) -> str | None:
        """Why this scope keeps the tool out, or None when it permits it."""
        if name in self.deny:
            return "denied to the caller"
        if self.allow is not None and name not in self.allow:
            return "not in the caller's allowed tools"
        if RISK_ORDER.get(risk_level, RISK_ORDER["critical"]) > RISK_ORDER[self.risk_ceiling]:
            return f"risk {risk_level} above the caller's ceiling ({self.risk_ceiling})"
        return None

    def narrowed(self, other: ToolScope) -> ToolScope:
        """What both scopes permit: a session driven by two keys keeps the stricter limits."""
        allow = self.allow if other.allow is None else other.allow
        if self.allow is not None and other.allow is not None:
            allow = [name for name in self.allow if name in other.allow]
        ceiling = min(self.risk_ceiling, other.risk_ceiling, key=RISK_ORDER.__getitem__)
        return ToolScope(allow=allow, deny=sorted({*self.deny, *other.deny}), risk_ceiling=ceiling)


class RuleCondition(_Policy):
    """All given bounds must hold: ``<counter>_gte`` / ``_lt`` compare session counters."""

    iteration_gte: int | None = None
    iteration_lt: int | None = None
    searches_used_gte: int | None = None
    searches_used_lt: int | None = None
    clarifications_used_gte: int | None = None
    clarifications_used_lt: int | None = None
    state: str | None = None
    stage: str | None = None


class Rule(_Policy):
    """When ``when`` holds: drop ``exclude`` tools, or keep only ``keep_only`` (plus
    reasoning), and/or move the agent to ``set_stage``."""

    name: str = ""
    when: RuleCondition = Field(default_factory=RuleCondition)
    exclude: list[str] = Field(default_factory=list)
    keep_only: list[str] | None = None
    set_stage: str | None = None


class PipelineStep(_Policy):
    template: str
    version: int | None = None
