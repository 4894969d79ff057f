"""Reads of sessions, events, artifacts and memory stores for the edges (gateway, admin API)
and the memory tools."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.db import DataError, OperationalError, connection, transaction
from django.db.models import Exists, OuterRef, QuerySet, Sum

from agents import memory
from agents.exceptions import InvalidInput, MemoryRefused, SessionNotFound
from agents.models import Artifact, MemoryEntry, Run, Session, SessionEvent
from agents.services import rows
from agents.targets import AgentTarget, ChatTarget, SessionTarget
from catalog.selectors import model_resolve, template_version_for_step


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


def chat_target(*, model: str, owner: str) -> ChatTarget:
    """What a chat request's ``model`` names, resolved once: the caller's session (an id),
    else a template or pipeline (``name``, ``name@version``) with the template versions it
    runs. Raises ``SessionNotFound`` for an id that is not one of ``owner``'s sessions
    (another tenant's looks exactly like a missing one) and ``CatalogNotFound`` for any
    other name."""
    if is_session_id(model):
        return SessionTarget(
            session=session_get(session_id=model, owner=owner), model=model, named=True
        )
    resolved = model_resolve(model)
    if resolved.pipeline_version is None:
        assert resolved.template_version is not None
        return AgentTarget(model=model, versions=(resolved.template_version,))
    steps = tuple(
        template_version_for_step(template=step["template"], version=step["version"])
        for step in resolved.pipeline_version.steps
    )
    return AgentTarget(model=model, versions=steps, pipeline_version=resolved.pipeline_version)


def session_target(*, session_id: str | uuid.UUID, owner: str, model: str) -> SessionTarget:
    """The caller's session a request continues without naming it (the conversation it
    resends, the client tool call it answers); ``SessionNotFound`` when ``owner`` has none
    with that id."""
    session = session_get(session_id=session_id, owner=owner)
    return SessionTarget(session=session, model=model, named=False)


SESSION_STATES = frozenset(Session.State.values)


def sessions_list(*, owner: str = "", state: str = "", template: str = "") -> QuerySet[Session]:
    """The sessions ``owner`` sees (every one for ''), newest first; ``state`` is one of
    ``SESSION_STATES`` or ''."""
    sessions = Session.objects.select_related("template_version__template")
    if owner:
        sessions = sessions.filter(owner=owner)
    if state:
        sessions = sessions.filter(state=state)
    if template:
        sessions = sessions.filter(template_version__template__name=template)
    return sessions.order_by("-created_at")


# The events that end a turn with something the client shows as the assistant's reply.
REPLY_TYPES = (
    SessionEvent.Type.FINAL_ANSWER,
    SessionEvent.Type.CLARIFICATION,
    SessionEvent.Type.APPROVAL_REQUEST,
)


@dataclass(frozen=True)
class LatestTurn:
    """A session's latest turn, as a conversation that may continue it needs to know it."""

    session_id: uuid.UUID
    # The template's (or the pipeline's) name: the model the session serves.
    model: str
    conversation_key: str
    # The event that gave the turn's reply (final answer, clarification, approval request),
    # None while it has none.
    reply: rows.EventRow | None


def _latest_turn(run: Run) -> LatestTurn:
    session = run.session
    reply = run.sessionevent_set.filter(type__in=REPLY_TYPES).order_by("-seq").first()
    return LatestTurn(
        session_id=session.pk,
        model=(
            session.pipeline_version.pipeline.name
            if session.pipeline_version is not None
            else session.template_version.template.name
        ),
        conversation_key=session.conversation_key,
        reply=rows.EventRow(reply.seq, reply.type, reply.step, reply.payload, run.pk)
        if reply is not None
        else None,
    )


def latest_turns_with_transcript(
    *, owner: str, transcript_hash: str, limit: int = 10
) -> list[LatestTurn]:
    """Turns started with this transcript that are still their session's latest (so their
    reply is the last thing the client saw), newest first: ``owner``'s sessions only,
    cancelled ones left out. One look-up of the transcript index, then one query per turn
    for its reply."""
    later = Run.objects.filter(session=OuterRef("session"), pk__gt=OuterRef("pk"))
    runs = (
        Run.objects.select_related(
            "session__template_version__template", "session__pipeline_version__pipeline"
        )
        .filter(transcript_hash=transcript_hash, session__owner=owner)
        .exclude(session__state=Session.State.CANCELLED)
        .exclude(Exists(later))
        .order_by("-pk")
    )
    return [_latest_turn(run) for run in runs[:limit]]


def events_after(*, session_id: uuid.UUID, after: int, limit: int = 500) -> list[rows.EventRow]:
    """What a follower reads on every wake-up: hand-written SQL (``agents.services.rows``)."""
    return rows.events_after(session_id=session_id, after=after, limit=limit)


def sessions_last_seq(*, session_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Each existing session's last event seq (what followers compare their position to)."""
    return dict(Session.objects.filter(pk__in=session_ids).values_list("pk", "last_seq"))


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


# --- memory stores ---------------------------------------------------------------------


def memory_store_of(session: Session) -> str:
    """The store the session's memory and file tools work in (its template's
    ``tool_policy.memory_scope``)."""
    version = session.template_version
    return memory.store_key(
        scope=str((version.tool_policy or {}).get("memory_scope", "session")),
        session_id=session.pk,
        template=version.template.name,
        owner=session.owner,
    )


def memory_store_for(*, session_id: uuid.UUID) -> str:
    session = Session.objects.select_related("template_version__template").get(pk=session_id)
    return memory_store_of(session)


def session_memory(*, session: Session) -> dict[str, Any]:
    """What a client sees of the session's memory store: its scope and every entry (files
    with their size; the content is read one file at a time, ``session_memory_file``)."""
    store = memory_store_of(session)
    return {
        "object": "list",
        "session_id": str(session.pk),
        "scope": store.split(":", 1)[0],
        "data": [
            {
                "path": entry.path,
                "kind": entry.kind,
                "size": entry.size,
                "updated_at": entry.updated_at.isoformat(),
            }
            for entry in memory_entries(store=store)
        ],
    }


def session_memory_file(*, session: Session, path: str) -> MemoryEntry:
    """A file of the session's memory store; ``SessionNotFound`` when it has none there."""
    try:
        normalised = memory.file_path(path)
    except MemoryRefused as exc:
        raise InvalidInput(exc.message, param="path") from exc
    entry = memory_entry(store=memory_store_of(session), path=normalised)
    if entry is None or entry.kind != MemoryEntry.Kind.FILE:
        raise SessionNotFound(f"No memory file '{normalised}' in session {session.pk}")
    return entry


def memory_entry(*, store: str, path: str) -> MemoryEntry | None:
    """The file or directory at the (normalised) path; None when there is none."""
    return MemoryEntry.objects.filter(store=store, path=path).first()


def memory_entries(*, store: str, under: str = "") -> QuerySet[MemoryEntry]:
    """Every entry below the directory ``under`` ('' is the root), in path order."""
    entries = MemoryEntry.objects.filter(store=store)
    if under:
        entries = entries.filter(path__startswith=f"{under}/")
    return entries.order_by("path")


def memory_size(*, store: str, path: str) -> int | None:
    """Bytes of the file, or of every file below the directory ('' is the whole store);
    None when nothing is at the path."""
    if path:
        entry = memory_entry(store=store, path=path)
        if entry is None:
            return None
        if entry.kind == MemoryEntry.Kind.FILE:
            return entry.size
    total = memory_entries(store=store, under=path).aggregate(total=Sum("size"))["total"]
    return int(total or 0)


# Postgres evaluates the pattern (its regular expressions cannot backtrack without bound),
# within this deadline; ``***=`` makes the rest of a pattern a literal string.
_MEMORY_SEARCH_SQL = """
SELECT e.path, line.number, line.text
FROM agents_memoryentry e,
     LATERAL regexp_split_to_table(e.content, E'\\n') WITH ORDINALITY AS line(text, number)
WHERE e.store = %s AND e.kind = 'file' AND e.path = ANY(%s) AND {match}
ORDER BY e.path, line.number
LIMIT %s
"""
MEMORY_SEARCH_TIMEOUT_MS = 5_000


def memory_search(
    *, store: str, paths: list[str], pattern: str, regex: bool, case_sensitive: bool, limit: int
) -> list[tuple[str, int, str]]:
    """``(path, line number, line)`` of the lines of these files that match; a bad regular
    expression is ``MemoryRefused``."""
    operator = "~" if case_sensitive else "~*"
    expression = pattern if regex else f"***={pattern}"
    sql = _MEMORY_SEARCH_SQL.format(match=f"line.text {operator} %s")
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL statement_timeout = {MEMORY_SEARCH_TIMEOUT_MS}")
            cursor.execute(sql, [store, paths, expression, limit])
            return [(str(path), int(number), str(text)) for path, number, text in cursor]
    except (DataError, OperationalError) as exc:  # a bad pattern, or the deadline passed
        reason = str(exc).strip().splitlines()[0]
        raise MemoryRefused(f"cannot search for {pattern[:100]!r}: {reason}") from exc
