"""Validation of ``/v1/chat/completions`` bodies into a ``ChatRequest``.

Only what maruntime uses is interpreted; other OpenAI fields (temperature, n, ...) are
accepted and ignored, as any OpenAI-compatible server does for unsupported options.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest

from maruntime.errors import DomainError, InvalidInput

ROLES = {"system", "developer", "user", "assistant", "tool", "function"}


class BodyTooLarge(DomainError):
    code = "request_too_large"
    http_status = 413
    error_type = "invalid_request_error"


class InvalidJSON(InvalidInput):
    code = "invalid_json"


@dataclass(frozen=True)
class ChatRequest:
    model: str
    task: str
    stream: bool
    stream_format: str | None
    on_busy: str | None
    cancel_on_disconnect: bool
    include_usage: bool
    # The answer to a session's pending approval (``model`` is the session id).
    approve: bool | None


def read_json_body(request: HttpRequest) -> dict[str, Any]:
    """The body as a JSON object; oversize bodies are refused before they are read."""
    limit = settings.MAX_REQUEST_BYTES
    declared = request.headers.get("Content-Length", "0")
    too_large = BodyTooLarge(f"Request body exceeds the limit of {limit} bytes")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    try:
        body = request.body
    except RequestDataTooBig as exc:
        raise too_large from exc
    try:
        data = json.loads(body or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidJSON(f"We could not parse the JSON body of your request: {exc}") from exc
    if not isinstance(data, dict):
        raise InvalidJSON("The request body must be a JSON object")
    return data


def _text_of(content: Any, index: int) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if not isinstance(part, dict) or part.get("type") not in ("text", "input_text"):
                raise InvalidInput(
                    "Only text content parts are supported", param=f"messages[{index}].content"
                )
            parts.append(str(part.get("text", "")))
        return "\n".join(parts)
    if content is None:
        return ""
    raise InvalidInput(
        "content must be a string or a list of parts", param=f"messages[{index}].content"
    )


def parse_chat_request(data: dict[str, Any]) -> ChatRequest:
    model = data.get("model")
    if not isinstance(model, str) or not model.strip():
        raise InvalidInput("you must provide a model parameter", param="model")
    messages = data.get("messages")
    if not isinstance(messages, list) or not messages:
        raise InvalidInput("messages must be a non-empty array", param="messages")
    for index, message in enumerate(messages):
        if not isinstance(message, dict):
            raise InvalidInput("each message must be an object", param=f"messages[{index}]")
        role = message.get("role")
        if role not in ROLES:
            raise InvalidInput(
                f"Invalid value for role: {role!r}; expected one of {', '.join(sorted(ROLES))}",
                param=f"messages[{index}].role",
            )
        _text_of(message.get("content"), index)
    last = messages[-1]
    if last.get("role") != "user":
        raise InvalidInput("the last message must come from the user", param="messages")
    task = _text_of(last.get("content"), len(messages) - 1).strip()
    if not task:
        raise InvalidInput("the last user message is empty", param="messages")
    stream = data.get("stream", False)
    if not isinstance(stream, bool):
        raise InvalidInput("stream must be a boolean", param="stream")
    stream_format = data.get("stream_format")
    if stream_format not in (None, "openai", "sgr"):
        raise InvalidInput("stream_format must be 'openai' or 'sgr'", param="stream_format")
    on_busy = data.get("on_busy")
    if on_busy not in (None, "reject", "enqueue"):
        raise InvalidInput("on_busy must be 'reject' or 'enqueue'", param="on_busy")
    approve = data.get("approve")
    if approve is not None and not isinstance(approve, bool):
        raise InvalidInput("approve must be true or false", param="approve")
    options = data.get("stream_options") or {}
    return ChatRequest(
        model=model.strip(),
        task=task,
        stream=stream,
        stream_format=stream_format,
        on_busy=on_busy,
        cancel_on_disconnect=bool(data.get("cancel_on_disconnect", False)),
        include_usage=bool(isinstance(options, dict) and options.get("include_usage")),
        approve=approve,
    )
