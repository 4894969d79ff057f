"""``/v1/sessions``: list, inspect, follow (resumable SSE), cancel, approve a pending
tool call, fork, artifacts, the memory store."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator

from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse

from agents.selectors import (
    SESSION_STATES,
    artifact_get,
    session_get,
    session_memory,
    session_memory_file,
    session_settled_at,
    session_summary,
    sessions_list,
)
from agents.services import session_approve, session_cancel, session_fork
from gateway.caller import Caller
from gateway.follow import follow_events, read_retrying
from gateway.requests import read_json_body
from gateway.targets import require_model_scope, resolve_model
from gateway.views.base import KEEPALIVE, api_view, closing_on_error, json_response, sse
from maruntime.asyncdb import run_sync
from maruntime.errors import InvalidInput

PAGE_LIMIT = 100
# Event seqs are PostgreSQL bigints: a larger ``after`` could not even be compared.
MAX_SEQ = 2**63 - 1


def _list(owner: str, state: str, template: str, limit: int, after: str) -> list[dict[str, object]]:
    sessions = sessions_list(owner=owner, state=state, template=template)
    if after:
        anchor = session_get(session_id=after, owner=owner)
        sessions = sessions.filter(created_at__lt=anchor.created_at)
    return [session_summary(s) for s in sessions.prefetch_related("artifacts")[:limit]]


def _non_negative_int(raw: str, name: str, maximum: int) -> int:
    if not (raw.isascii() and raw.isdigit()) or int(raw) > maximum:
        raise InvalidInput(f"{name} must be an integer from 0 to {maximum}", param=name)
    return int(raw)


def _int_param(request: HttpRequest, name: str, default: int, maximum: int = MAX_SEQ) -> int:
    raw = request.GET.get(name)
    return default if raw is None else _non_negative_int(raw, name, maximum)


@api_view("GET")
async def sessions_index(request: HttpRequest, caller: Caller) -> HttpResponseBase:
    state = request.GET.get("state", "")
    if state and state not in SESSION_STATES:
        raise InvalidInput(f"unknown state {state!r}", param="state")
    limit = min(_int_param(request, "limit", 20), PAGE_LIMIT)
    data = await run_sync(_list)(
        caller.reading_owner,
        state,
        request.GET.get("template", ""),
        limit,
        request.GET.get("after", ""),
    )
    return json_response({"object": "list", "data": data, "has_more": len(data) == limit})


def _detail(session_id: str, owner: str) -> dict[str, object]:
    return session_summary(session_get(session_id=session_id, owner=owner))


@api_view("GET")
async def session_detail(request: HttpRequest, caller: Caller, session_id: str) -> HttpResponseBase:
    return json_response(await run_sync(_detail)(session_id, caller.reading_owner))


def _cancel(session_id: str, owner: str) -> dict[str, object]:
    session_get(session_id=session_id, owner=owner)
    return session_summary(session_cancel(session_id=session_id, owner=owner))


@api_view("POST")
async def session_cancel_view(
    request: HttpRequest, caller: Caller, session_id: str
) -> HttpResponseBase:
    return json_response(await run_sync(_cancel)(session_id, caller.owner))


@api_view("POST")
async def session_approval(
    request: HttpRequest, caller: Caller, session_id: str
) -> HttpResponseBase:
    """``{"approve": true|false, "reason": "..."}``: answer the session's pending approval;
    the run that follows is watched on ``/events`` (or by the next chat request)."""
    body = read_json_body(request)
    approve, reason = body.get("approve"), body.get("reason", "")
    if not isinstance(approve, bool):
        raise InvalidInput("approve must be true or false", param="approve")
    if not isinstance(reason, str):
        raise InvalidInput("reason must be a string", param="reason")
    resolution = await run_sync(resolve_model)(session_id, caller=caller)
    require_model_scope(caller, resolution, session_id)
    session, _ = await run_sync(session_approve)(
        session_id=session_id,
        approved=approve,
        reason=reason.strip(),
        owner=caller.owner,
        approver=caller.owner,
        tool_scope=caller.tool_scope,
        max_active_runs=caller.concurrent_runs,
        tokens_per_day=caller.tokens_per_day,
    )
    return json_response(await run_sync(session_summary)(session))


@api_view("GET")
async def session_events(request: HttpRequest, caller: Caller, session_id: str) -> HttpResponseBase:
    """SSE of the session's events with ``id: seq``. Resumes after ``Last-Event-ID`` or
    ``?after=``; ends once the session has no active run (or follows with ``?follow=1``)."""
    session = await run_sync(session_get)(session_id=session_id, owner=caller.reading_owner)
    header = request.headers.get("Last-Event-ID", "")
    after = (
        _non_negative_int(header, "Last-Event-ID", MAX_SEQ)
        if header
        else _int_param(request, "after", 0)
    )
    keep_following = request.GET.get("follow") in ("1", "true")
    response = StreamingHttpResponse(
        closing_on_error(
            _event_stream(session.pk, after, keep_following), what=f"events of session {session.pk}"
        ),
        content_type="text/event-stream",
    )
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response


async def _event_stream(
    session_id: uuid.UUID, after: int, keep_following: bool
) -> AsyncGenerator[bytes, None]:
    async for event in follow_events(session_id, after=after):
        if event is None:
            yield KEEPALIVE
        else:
            yield sse(
                {
                    "seq": event.seq,
                    "type": event.type,
                    "step": event.step,
                    "run_id": event.run_id,
                    "payload": event.payload,
                },
                event_id=event.seq,
                event=event.type,
            )
            after = event.seq
        if keep_following:
            continue
        settled_at = await read_retrying(session_settled_at, session_id=session_id)
        if settled_at is not None and settled_at <= after:
            return


def _artifact(session_id: str, artifact_id: str, owner: str) -> tuple[str, str, str]:
    artifact = artifact_get(
        session=session_get(session_id=session_id, owner=owner), artifact_id=artifact_id
    )
    return artifact.name, artifact.content_type, artifact.content


@api_view("GET")
async def session_artifact(
    request: HttpRequest, caller: Caller, session_id: str, artifact_id: str
) -> HttpResponseBase:
    name, content_type, content = await run_sync(_artifact)(
        session_id, artifact_id, caller.reading_owner
    )
    response = HttpResponse(content, content_type=f"{content_type}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _memory(session_id: str, owner: str) -> dict[str, object]:
    return session_memory(session=session_get(session_id=session_id, owner=owner))


@api_view("GET")
async def session_memory_view(
    request: HttpRequest, caller: Caller, session_id: str
) -> HttpResponseBase:
    """The files and directories of the session's memory store (the memory and file
    tools' workspace)."""
    return json_response(await run_sync(_memory)(session_id, caller.reading_owner))


def _memory_file(session_id: str, path: str, owner: str) -> dict[str, object]:
    session = session_get(session_id=session_id, owner=owner)
    entry = session_memory_file(session=session, path=path)
    return {
        "object": "memory.file",
        "path": entry.path,
        "size": entry.size,
        "content": entry.content,
        "updated_at": entry.updated_at.isoformat(),
    }


@api_view("GET")
async def session_memory_file_view(
    request: HttpRequest, caller: Caller, session_id: str, path: str
) -> HttpResponseBase:
    return json_response(await run_sync(_memory_file)(session_id, path, caller.reading_owner))


def _fork(session_id: str, owner: str, at_seq: int | None) -> dict[str, object]:
    session_get(session_id=session_id, owner=owner)
    fork = session_fork(session_id=session_id, owner=owner, at_seq=at_seq)
    return session_summary(session_get(session_id=fork.pk, owner=owner))


@api_view("POST")
async def session_fork_view(
    request: HttpRequest, caller: Caller, session_id: str
) -> HttpResponseBase:
    """``{"at_seq": N}`` (optional): a new session with this one's history up to event N
    (default: all of it); continue it with ``model`` = the new id."""
    empty = request.headers.get("Content-Length", "0") in ("", "0")
    at_seq = ({} if empty else read_json_body(request)).get("at_seq")
    if at_seq is not None and (isinstance(at_seq, bool) or not isinstance(at_seq, int)):
        raise InvalidInput("at_seq must be an integer", param="at_seq")
    owner = caller.owner
    return json_response(await run_sync(_fork)(session_id, owner, at_seq))
