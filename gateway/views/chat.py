"""``POST /v1/chat/completions``: start or continue a session and stream its events."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

from django.http import HttpRequest, HttpResponseBase, StreamingHttpResponse

from agents.selectors import is_session_id, session_get, session_usage, usage_of
from agents.services import Turn, chat_turn, session_cancel
from agents.targets import AgentTarget
from gateway.caller import Caller
from gateway.chunks import (
    ENDING_TYPES,
    EventView,
    OpenAIChunks,
    SGRChunks,
    client_tool_calls,
    reader_text,
    reasoning_text,
)
from gateway.errors import error_response
from gateway.follow import follow_events, read_retrying
from gateway.housekeeping import housekeeping_chat, recognise
from gateway.passthrough import passthrough_chat
from gateway.requests import ChatRequest, conversation_key, parse_chat_request, read_json_body
from gateway.targets import (
    Passthrough,
    Unresolved,
    require_model_scope,
    resolve_model,
    turn_target,
)
from gateway.views.base import KEEPALIVE, api_view, closing_on_error, json_response, sse
from maruntime.asyncdb import run_sync


def _ends_turn(event: EventView, turn: Turn) -> bool:
    if event.type == "state" and event.payload.get("state") == "cancelled":
        return True
    return event.run_id == turn.run.pk and event.type in ENDING_TYPES


async def _turn_events(turn: Turn) -> AsyncIterator[EventView | None]:
    """This turn's events, up to and including the one that ends it; ``None`` for each
    keep-alive (``follow_events``)."""
    async for event in follow_events(turn.session.pk, after=turn.after_seq):
        if event is None:
            yield None
            continue
        if event.run_id not in (turn.run.pk, None):
            continue
        yield event
        if _ends_turn(event, turn):
            return


@api_view("POST")
async def chat_completions(request: HttpRequest, caller: Caller) -> HttpResponseBase:
    body = read_json_body(request)
    resolution = await run_sync(resolve_model)(body.get("model"), caller=caller)
    if isinstance(resolution, Passthrough):
        caller.require_unmetered(resolution.model)
        return await passthrough_chat(request.body)
    housekeeping = recognise(body.get("messages"))
    if (
        housekeeping is not None
        and isinstance(resolution, AgentTarget | Unresolved)
        and not is_session_id(resolution.model)
    ):
        # A title or tags for the chat: the agent's upstream answers, no run (metered
        # like passthrough: not at all, so keys with a token budget may not).
        caller.require_unmetered(resolution.model)
        if isinstance(resolution, Unresolved):
            raise resolution.error
        return await housekeeping_chat(body, housekeeping, resolution)
    chat = parse_chat_request(body, conversation_key=conversation_key(request.headers))
    require_model_scope(caller, resolution, chat.model)
    target = await run_sync(turn_target)(resolution, chat, caller=caller)
    # A client that names the session keeps track of it itself: no transcript to match.
    named = is_session_id(chat.model)
    turn = await run_sync(chat_turn)(
        target=target,
        task=chat.task,
        owner=caller.owner,
        on_busy=chat.on_busy,
        tool_scope=caller.tool_scope,
        approve=chat.approve,
        max_active_runs=caller.concurrent_runs,
        conversation=chat.conversation,
        transcript_hash="" if named else chat.transcript_hash,
        answer_schema=chat.answer_schema,
        client_tools=chat.client_tools,
        tool_result=chat.tool_result,
        tokens_per_day=caller.tokens_per_day,
    )
    headers = {"X-Session-Id": str(turn.session.pk), "X-Agent-ID": str(turn.session.pk)}
    if chat.stream:
        response = StreamingHttpResponse(
            closing_on_error(_stream(turn, chat), what=f"chat stream of session {turn.session.pk}"),
            content_type="text/event-stream",
            headers=headers,
        )
        response["Cache-Control"] = "no-cache"
        response["X-Accel-Buffering"] = "no"
        return response
    return await _complete(turn, headers)


def _renderer(turn: Turn, chat: ChatRequest) -> OpenAIChunks:
    kind = SGRChunks if (chat.stream_format or turn.stream_format) == "sgr" else OpenAIChunks
    return kind(
        completion_id=f"chatcmpl-{turn.session.pk.hex}-{turn.run.pk}",
        model=turn.model,
        session_id=str(turn.session.pk),
        include_usage=chat.include_usage,
    )


async def _stream(turn: Turn, chat: ChatRequest) -> AsyncGenerator[bytes, None]:
    renderer = _renderer(turn, chat)
    finished = False
    try:
        for chunk in renderer.start():
            yield sse(chunk)
        async for event in _turn_events(turn):
            if event is None:
                yield KEEPALIVE
                continue
            if event.type == "error":
                yield sse({"error": _error_body(event.payload)})
                finished = True
                return
            for chunk in renderer.render(event):
                yield sse(chunk)
        for chunk in renderer.finish(
            await read_retrying(session_usage, session_id=turn.session.pk)
        ):
            yield sse(chunk)
        yield sse("[DONE]")
        finished = True
    except Exception:
        finished = True  # a failure on our side (reported by the caller) is no hang-up
        raise
    finally:
        if not finished and chat.cancel_on_disconnect:
            await run_sync(session_cancel)(session_id=turn.session.pk)


def _error_body(payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "message": payload.get("message", "the run failed"),
        "type": payload.get("type", "server_error"),
        "param": None,
        "code": payload.get("code", "run_failed"),
    }


async def _complete(turn: Turn, headers: dict[str, str]) -> HttpResponseBase:
    content = ""
    reasoning = ""
    tool_calls: list[dict[str, Any]] = []
    async for event in _turn_events(turn):
        if event is None:
            continue
        if event.type == "error":
            body = _error_body(event.payload)
            # The status the run's error carries (502 when the upstream failed).
            status = int(event.payload.get("status") or 500)
            response = error_response(
                status,
                body["message"],
                code=body["code"],
                error_type=body["type"],
                retry_after=event.payload.get("retry_after"),
            )
            for name, value in headers.items():
                response[name] = value
            return response
        if event.type == "state" and event.payload.get("state") == "cancelled":
            return error_response(409, "The session was cancelled", code="session_cancelled")
        content = reader_text(event) or content
        reasoning += reasoning_text(event)
        tool_calls = client_tool_calls(event) or tool_calls
    session = await run_sync(session_get)(session_id=turn.session.pk)
    # A turn that ends calling a client tool says nothing: content is null, as OpenAI sends.
    message: dict[str, Any] = {"role": "assistant", "content": None if tool_calls else content}
    if tool_calls:
        message["tool_calls"] = [
            {key: value for key, value in call.items() if key != "index"} for call in tool_calls
        ]
    if reasoning:
        message["reasoning_content"] = reasoning
    return json_response(
        {
            "id": f"chatcmpl-{turn.session.pk.hex}-{turn.run.pk}",
            "object": "chat.completion",
            "created": int(turn.session.created_at.timestamp()),
            "model": turn.model,
            "session_id": str(turn.session.pk),
            "session_state": session.state,
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "finish_reason": "tool_calls" if tool_calls else "stop",
                }
            ],
            "usage": usage_of(session),
        },
        headers=headers,
    )
