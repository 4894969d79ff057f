"""Agent instances: long-lived per worker, pinned to one template version, serving many
sessions one after another. An instance keeps what is expensive to build (the agent
definition with its cached schemas; the LLM client is shared per process) and resets the
per-session state between sessions. Their state is mirrored in ``AgentInstance`` rows."""

from __future__ import annotations

import uuid

from django.db.models import F
from django.utils import timezone

from agents.engine.loop import DefinitionCache
from agents.models import AgentInstance, Run, Session
from agents.services import rows


class InstanceSlots:
    """The instances of one worker, reused by template version."""

    def __init__(self, worker: str) -> None:
        self.worker = worker
        self.definitions = DefinitionCache()
        self._idle: dict[int, list[int]] = {}

    def acquire_for_run(self, run_id: int) -> tuple[Session, int]:
        """The run's session and an instance for its template version, in one call.
        Once per run: read with hand-written SQL (``agents.services.rows``)."""
        run = rows.get(Run, run_id)
        session = rows.get(Session, run.session_id) if run is not None else None
        if session is None:
            raise Run.DoesNotExist(f"run {run_id} or its session no longer exists")
        instance_id = self.acquire(
            template_version_id=session.template_version_id, session_id=session.pk
        )
        return session, instance_id

    def acquire(self, *, template_version_id: int, session_id: uuid.UUID) -> int:
        """An idle instance for this template version, or a new one; marks it busy."""
        idle = self._idle.setdefault(template_version_id, [])
        if idle:
            instance_id = idle.pop()
            rows.update(
                AgentInstance,
                instance_id,
                {
                    "state": AgentInstance.State.BUSY,
                    "current_session_id": session_id,
                    "heartbeat_at": timezone.now(),
                },
            )
            return instance_id
        instance = AgentInstance.objects.create(
            worker=self.worker,
            template_version_id=template_version_id,
            state=AgentInstance.State.BUSY,
            current_session_id=session_id,
        )
        return instance.pk

    def release(self, *, instance_id: int, template_version_id: int, failed: bool) -> None:
        """Mirror the reset (``resetting``, the session let go), then put the instance back
        to idle (or error). The reset itself is instant today: an instance keeps no
        per-session state in memory, only what serves every session."""
        rows.update(
            AgentInstance,
            instance_id,
            {"state": AgentInstance.State.RESETTING, "current_session_id": None},
        )
        AgentInstance.objects.filter(pk=instance_id).update(
            state=AgentInstance.State.ERROR if failed else AgentInstance.State.IDLE,
            sessions_served=F("sessions_served") + 1,
            heartbeat_at=timezone.now(),
        )
        if not failed:
            self._idle.setdefault(template_version_id, []).append(instance_id)

    def heartbeat(self) -> None:
        AgentInstance.objects.filter(worker=self.worker).exclude(
            state=AgentInstance.State.STOPPED
        ).update(heartbeat_at=timezone.now())

    def stop_all(self) -> None:
        AgentInstance.objects.filter(worker=self.worker).update(
            state=AgentInstance.State.STOPPED, current_session=None
        )
