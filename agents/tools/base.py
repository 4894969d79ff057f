"""What a tool implementation receives and returns.

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

Ending = Literal["continue", "clarification", "final"]


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

    def lease_ends(self, run_id: int) -> float:
        """When this worker's lease on ``run_id`` ends, on the running loop's clock. A run
        the pool does not track (a delegated child, whose lease the delegation keeps
        alive) counts one ``POOL_LEASE_SECONDS`` from now."""
        known = self.leased_until.get(run_id)
        if known is not None:
            return known
        return asyncio.get_running_loop().time() + settings.POOL_LEASE_SECONDS


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
