"""Reads of sessions, events and artifacts for the edges (gateway, admin API)."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Exists, QuerySet

from agents.exceptions import SessionNotFound
from agents.models import Artifact, Run, Session
from agents.services import rows


def _uuid(value: str | uuid.UUID) -> uuid.UUID | None:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        return None


def is_session_id(value: str) -> bool:
    return _uuid(value) is not None


def session_get(*, session_id: str | uuid.UUID, owner: str = "") -> Session:
    """The session, if it exists and the caller may see it (owners see only their own)."""
    key = _uuid(session_id)
    session = (
        Session.objects.select_related("template_version__template", "pipeline_version__pipeline")
        .filter(pk=key)
        .first()
        if key
        else None
    )
    if session is None or (owner and session.owner != owner):
        raise SessionNotFound(f"No session '{session_id}'")
    return session


def sessions_list(*, owner: str = "", state: str = "", template: str = "") -> QuerySet[Session]:
    sessions = Session.objects.select_related("template_version__template")
    if owner:
        sessions = sessions.filter(owner=owner)
    if state:
        sessions = sessions.filter(state=state)
    if template:
        sessions = sessions.filter(template_version__template__name=template)
    return sessions.order_by("-created_at")


def events_after(*, session_id: uuid.UUID, after: int, limit: int = 500) -> list[rows.EventRow]:
    """What a follower reads on every wake-up: hand-written SQL (``agents.services.rows``)."""
    return rows.events_after(session_id=session_id, after=after, limit=limit)


def session_settled_at(*, session_id: uuid.UUID) -> int | None:
    """The session's last seq when it has no active or pending run (0 when it is gone),
    else None. One statement, so it sees a run's last events and its end together (both
    are written in one transaction): a follower that reached this seq has seen everything."""
    active = Run.objects.filter(
        session_id=session_id, state__in=[Run.State.PENDING, *Run.ACTIVE_STATES]
    )
    row = (
        Session.objects.filter(pk=session_id)
        .annotate(busy=Exists(active))
        .values_list("last_seq", "busy")
        .first()
    )
    if row is None:
        return 0
    last_seq, busy = row
    return None if busy else last_seq


def session_summary(session: Session) -> dict[str, Any]:
    """What a client sees of a session: state, counters, result, timestamps, and the call
    waiting for approval (``pending_approval``) while there is one."""
    context = session.context or {}
    pending = context.get("pending_call") or {}
    waiting = session.state == Session.State.WAITING_FOR_APPROVAL and pending
    model = (
        session.pipeline_version.pipeline.name
        if session.pipeline_version
        else session.template_version.template.name
    )
    return {
        "id": str(session.pk),
        "object": "session",
        "model": model,
        "template": session.template_version.template.name,
        "template_version": session.template_version.version,
        "state": session.state,
        "task": session.task,
        "result": session.result or None,
        "error": session.error or None,
        "parent_id": str(session.parent_id) if session.parent_id else None,
        "counters": {
            "iteration": context.get("iteration", 0),
            "searches_used": context.get("searches_used", 0),
            "clarifications_used": context.get("clarifications_used", 0),
            "tool_calls": context.get("tool_calls", 0),
        },
        "usage": usage_of(session),
        "plan": context.get("plan"),
        "sources": context.get("sources") or [],
        "pending_approval": (
            {k: pending[k] for k in ("tool", "arguments", "call_id")} if waiting else None
        ),
        "last_event_seq": session.last_seq,
        "artifacts": [
            {"id": str(a.pk), "name": a.name, "content_type": a.content_type}
            for a in session.artifacts.all()
        ],
        "created_at": session.created_at.isoformat(),
        "updated_at": session.updated_at.isoformat(),
    }


def usage_of(session: Session) -> dict[str, int]:
    return _usage_totals((session.context or {}).get("usage"))


def session_usage(*, session_id: uuid.UUID) -> dict[str, int]:
    """``usage_of`` for a session that is not loaded: reads only the counters, not the
    context they live in (it grows with the conversation) nor the template."""
    return _usage_totals(rows.session_usage(session_id=session_id))


def _usage_totals(usage: dict[str, Any] | None) -> dict[str, int]:
    usage = usage or {}
    prompt, completion = int(usage.get("prompt", 0)), int(usage.get("completion", 0))
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def artifact_get(*, session: Session, artifact_id: str) -> Artifact:
    key = _uuid(artifact_id)
    artifact = session.artifacts.filter(pk=key).first() if key else None
    if artifact is None:
        raise SessionNotFound(f"No artifact '{artifact_id}' in session {session.pk}")
    return artifact
