"""Talking to ``/v1`` in process, through Django's async test client, as a client would:
server-sent frames as they arrive, the events of ``/v1/sessions/{id}/events``, streamed
chat completions read chunk by chunk, and plain (non-streamed) completions."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

KEEPALIVE = b": keep-alive\n\n"


async def sse_frames(response: Any, *, until: float = 30) -> AsyncIterator[tuple[float, bytes]]:
    """(arrival time, SSE frame) as the stream sends them, for ``until`` seconds at most."""
    content = response.streaming_content
    deadline = time.monotonic() + until
    buffer = b""
    try:
        while time.monotonic() < deadline:
            try:
                chunk = await asyncio.wait_for(anext(content), deadline - time.monotonic())
            except (StopAsyncIteration, TimeoutError):
                return
            buffer += chunk
            while b"\n\n" in buffer:
                frame, buffer = buffer.split(b"\n\n", 1)
                yield time.monotonic(), frame + b"\n\n"
    finally:
        await content.aclose()


def frame_fields(frame: bytes) -> dict[str, str]:
    """A frame's fields (``id``, ``event``, ``data``); comments (keep-alives) have none."""
    fields: dict[str, str] = {}
    for line in frame.decode().splitlines():
        if line and not line.startswith(":"):
            name, _, value = line.partition(":")
            fields[name] = value.lstrip()
    return fields


def frame_data(frame: bytes) -> Any:
    """A frame's ``data`` decoded (``"[DONE]"`` as is), ``None`` for a keep-alive."""
    data = frame_fields(frame).get("data")
    if data is None or data == "[DONE]":
        return data
    return json.loads(data)


async def read_events(
    client: Any,
    session_id: Any,
    *,
    headers: dict[str, str] | None = None,
    params: dict[str, Any] | None = None,
    limit: int | None = None,
    within: float = 30,
) -> list[dict[str, Any]]:
    """``GET /v1/sessions/{id}/events`` until the stream ends (or ``limit`` events), each
    checked to carry its seq as the SSE id and its type as the SSE event name."""
    response = await client.get(
        f"/v1/sessions/{session_id}/events", params or {}, headers=headers or {}
    )
    assert response.status_code == 200, response.content
    events: list[dict[str, Any]] = []
    async for _, frame in sse_frames(response, until=within):
        fields = frame_fields(frame)
        if not fields:
            continue
        event = json.loads(fields["data"])
        assert int(fields["id"]) == event["seq"] and fields["event"] == event["type"]
        events.append(event)
        if limit is not None and len(events) >= limit:
            break
    return events


@dataclass
class ChatStream:
    """What a client read of one streamed chat completion."""

    session_id: str
    status: int
    chunks: list[dict[str, Any]] = field(default_factory=list)
    done: bool = False

    @property
    def content(self) -> str:
        return "".join(
            chunk["choices"][0]["delta"].get("content") or ""
            for chunk in self.chunks
            if chunk.get("choices")
        )


def chat_body(model: str, content: str, **extra: Any) -> dict[str, Any]:
    """A streamed chat request of one user message."""
    return {"model": model, "stream": True, "messages": [{"role": "user", "content": content}]} | (
        extra
    )


async def start_chat(client: Any, body: dict[str, Any]) -> tuple[ChatStream, Any]:
    """Send a chat request; returns what is known once the headers are in, and the response
    whose stream ``finish_chat`` reads."""
    response = await client.post("/v1/chat/completions", body, content_type="application/json")
    return ChatStream(response.headers.get("X-Session-Id", ""), response.status_code), response


async def finish_chat(stream: ChatStream, response: Any, *, within: float = 30) -> ChatStream:
    """Read the rest of a started chat stream (up to ``[DONE]``)."""
    if stream.status != 200:
        stream.chunks.append(json.loads(response.content))
        return stream
    async for _, frame in sse_frames(response, until=within):
        data = frame_data(frame)
        if data == "[DONE]":
            stream.done = True
            break
        if data is not None:
            stream.chunks.append(data)
    return stream


async def chat(client: Any, body: dict[str, Any], *, within: float = 30) -> ChatStream:
    """A streamed chat completion read to its end."""
    stream, response = await start_chat(client, body)
    return await finish_chat(stream, response, within=within)


async def complete(client: Any, model: str, content: str, **extra: Any) -> Any:
    """A non-streamed chat completion of one user message: the response (status, JSON)."""
    return await client.post(
        "/v1/chat/completions",
        chat_body(model, content, stream=False, **extra),
        content_type="application/json",
    )


def session_of(response: Any) -> str:
    """The session id a completion answered in (``X-Session-Id``)."""
    return str(response.headers["X-Session-Id"])


def answer_of(response: Any) -> str:
    """The assistant's text in a successful non-streamed completion."""
    assert response.status_code == 200, response.content
    return str(response.json()["choices"][0]["message"]["content"])
