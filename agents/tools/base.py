"""What a tool implementation receives and returns, what a tool is (``ToolSpec``, a
version as the engine and the executor see it), and how a call fails (``ToolCallError``).

Implementations never mutate the session: they return ``context_updates`` that the engine
applies when it persists the step. The outcome is stored with the tool execution, so a
resumed run replays a completed call's effects without executing it again.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from django.conf import settings

from catalog.policies import ToolLimits

Ending = Literal["continue", "clarification", "final"]
# The most an HTTP or MCP tool's answer may hold.
HTTP_TOOL_MAX_BYTES = 256_000


class ToolCallError(Exception):
    """The tool could not do its job; the message (for the model, or the operator running a
    command) says why and holds no secret."""


@dataclass(frozen=True)
class WorkerRuntime:
    """The worker a run executes in, as the engine and agent-as-tool delegation see it."""

    worker: str
    # Set on SIGTERM: runs finish their step and go back to the queue.
    stopping: asyncio.Event
    definitions: Any  # agents.engine.loop.DefinitionCache
    # Set when the drain time is up: a run cancelled from now on was interrupted, not
    # cancelled by a user, and goes back to the queue for another worker.
    handing_over: asyncio.Event = field(default_factory=asyncio.Event)
    # Until when (the event loop's clock) this worker holds the lease of each run it
    # executes, as of the pool's last claim or renewal; written by the pool only.
    leased_until: dict[int, float] = field(default_factory=dict)
    # Runs an ``agent``-bound tool's call as a child session (``agents.engine.delegation``):
    # agents run in the engine, above the tools, so the pool that builds the runtime brings
    # it. None where no child can run (agent tools then refuse).
    delegate: Callable[[str, dict[str, Any], ToolContext], Awaitable[ToolOutcome]] | None = None

    def lease_ends(self, run_id: int) -> float:
        """When this worker's lease on ``run_id`` ends, on the running loop's clock. A run
        the pool does not track (a delegated child, whose lease the delegation keeps
        alive) counts one ``POOL_LEASE_SECONDS`` from now."""
        known = self.leased_until.get(run_id)
        if known is not None:
            return known
        return asyncio.get_running_loop().time() + settings.POOL_LEASE_SECONDS


@dataclass(frozen=True)
class ToolSpec:
    name: str
    version_id: int
    type: str
    tags: tuple[str, ...]
    description: str
    input_schema: dict[str, Any]
    binding_kind: str
    binding: dict[str, Any]
    risk_level: str
    # Each call waits for a person's approval before it runs (the session pauses).
    requires_approval: bool = False
    # After a takeover, a call that may have run: repeated silently if ``idempotent``,
    # else as ``on_takeover`` says (``catalog.models.ToolVersion.Takeover``).
    idempotent: bool = False
    on_takeover: str = "retry"
    limits: ToolLimits = field(default_factory=ToolLimits)
    # A fingerprint of a per-session change to ``input_schema`` (a client's answer schema),
    # "" for the version as stored: with ``version_id``, it identifies the schema.
    variant: str = ""


@dataclass(frozen=True)
class ToolContext:
    session_id: uuid.UUID
    run_id: int
    step: int
    depth: int
    owner: str
    # A read-only view of the session context (plan, sources, counters).
    state: dict[str, Any]
    runtime: WorkerRuntime | None = None
    # The call's key (``agents.models.ToolExecution.idempotency_key``): sent with effectful
    # calls (an HTTP header, an MCP ``_meta`` entry), the child session's key for an agent.
    idempotency_key: str = ""


@dataclass
class ToolOutcome:
    content: str
    ending: Ending = "continue"
    payload: dict[str, Any] = field(default_factory=dict)
    context_updates: dict[str, Any] = field(default_factory=dict)
    # Counters to add to (e.g. {"searches_used": 1}).
    counters: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ToolOutcome:
        return cls(**data)


ToolImplementation = Callable[[dict[str, Any], ToolContext], Awaitable[ToolOutcome]]
