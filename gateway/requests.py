"""Validation of ``/v1/chat/completions`` bodies into a ``ChatRequest``.

Only what maruntime uses is interpreted; other OpenAI fields (temperature, n, ...) are
accepted and ignored, as any OpenAI-compatible server does for unsupported options, but
their types and ranges are checked as OpenAI checks them, so a request OpenAI would refuse
is refused here too (``temperature: -5`` is a 400, not silently a default).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest

from maruntime.errors import DomainError, InvalidInput
from maruntime.json_input import JSONRefused, parse_json_object

ROLES = {"system", "developer", "user", "assistant", "tool", "function"}
MAX_MODEL_CHARS = 256
MAX_STOP_SEQUENCES = 4


@dataclass(frozen=True)
class NumberRange:
    """An OpenAI number parameter's bounds (inclusive); ``integer`` refuses fractions."""

    minimum: float | None
    maximum: float | None
    integer: bool = False

    def refusal(self, value: Any) -> str | None:
        # bool is an int to Python, not a number to OpenAI.
        if isinstance(value, bool) or not isinstance(value, int | float):
            return "must be an integer" if self.integer else "must be a number"
        if self.integer and not isinstance(value, int):
            return "must be an integer"
        if self.minimum is not None and value < self.minimum:
            return f"must be at least {self.minimum:g}, got {value}"
        if self.maximum is not None and value > self.maximum:
            return f"must be at most {self.maximum:g}, got {value}"
        return None


# OpenAI's documented bounds for the chat completion parameters maruntime accepts.
OPENAI_NUMBER_PARAMETERS = {
    "temperature": NumberRange(0, 2),
    "top_p": NumberRange(0, 1),
    "presence_penalty": NumberRange(-2, 2),
    "frequency_penalty": NumberRange(-2, 2),
    "n": NumberRange(1, 128, integer=True),
    "max_tokens": NumberRange(1, None, integer=True),
    "max_completion_tokens": NumberRange(1, None, integer=True),
    "top_logprobs": NumberRange(0, 20, integer=True),
    "seed": NumberRange(-(2**63), 2**63 - 1, integer=True),
}
OPENAI_BOOLEAN_PARAMETERS = ("logprobs", "parallel_tool_calls", "store", "cancel_on_disconnect")
OPENAI_STRING_PARAMETERS = ("user", "reasoning_effort", "service_tier")
OPENAI_OBJECT_PARAMETERS = ("stream_options", "metadata", "logit_bias", "response_format")
CONTENT_PART_TYPES = {"text", "input_text", "image_url", "input_audio", "file", "refusal"}


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


class UnsupportedContentType(InvalidInput):
    code = "unsupported_content_type"


def _is_json_media_type(content_type: str) -> bool:
    media_type = content_type.partition(";")[0].strip().lower()
    return media_type == "application/json" or media_type.endswith("+json")


def read_json_body(request: HttpRequest) -> dict[str, Any]:
    """The body as a JSON object (``maruntime.json_input``: bounded depth, no NUL or lone
    surrogate); oversize bodies are refused before they are read, and a body declared as
    anything but JSON (``text/plain``, a form) is refused unread."""
    content_type = request.headers.get("Content-Type", "")
    if content_type and not _is_json_media_type(content_type):
        raise UnsupportedContentType(
            f"Content-Type must be application/json, not {content_type[:100]!r}"
        )
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
        return parse_json_object(body)
    except JSONRefused as exc:
        raise InvalidJSON(str(exc)) from exc


def _check_openai_parameters(data: dict[str, Any]) -> None:
    """Types and ranges of the OpenAI parameters, whatever maruntime does with them."""
    for name, bounds in OPENAI_NUMBER_PARAMETERS.items():
        if data.get(name) is not None:
            refusal = bounds.refusal(data[name])
            if refusal:
                raise InvalidInput(f"Invalid value for '{name}': {refusal}", param=name)
    for name in OPENAI_BOOLEAN_PARAMETERS:
        if data.get(name) is not None and not isinstance(data[name], bool):
            raise InvalidInput(f"Invalid value for '{name}': must be a boolean", param=name)
    for name in OPENAI_STRING_PARAMETERS:
        if data.get(name) is not None and not isinstance(data[name], str):
            raise InvalidInput(f"Invalid value for '{name}': must be a string", param=name)
    for name in OPENAI_OBJECT_PARAMETERS:
        if data.get(name) is not None and not isinstance(data[name], dict):
            raise InvalidInput(f"Invalid value for '{name}': must be an object", param=name)
    stop = data.get("stop")
    if stop is not None:
        sequences = [stop] if isinstance(stop, str) else stop
        if (
            not isinstance(sequences, list)
            or not all(isinstance(item, str) for item in sequences)
            or len(sequences) > MAX_STOP_SEQUENCES
        ):
            raise InvalidInput(
                f"Invalid value for 'stop': a string or up to {MAX_STOP_SEQUENCES} strings",
                param="stop",
            )


def _text_of(content: Any, index: int) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for position, part in enumerate(content):
            kind = part.get("type") if isinstance(part, dict) else None
            if kind not in CONTENT_PART_TYPES:
                raise InvalidInput(
                    f"Invalid content part type {kind!r}; expected one of "
                    f"{', '.join(sorted(CONTENT_PART_TYPES))}",
                    param=f"messages[{index}].content[{position}].type",
                )
            if kind not in ("text", "input_text"):
                raise InvalidInput(
                    "Only text content parts are supported", param=f"messages[{index}].content"
                )
            text = part.get("text", "")
            if not isinstance(text, str):
                raise InvalidInput(
                    "a text part's text must be a string",
                    param=f"messages[{index}].content[{position}].text",
                )
            parts.append(text)
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
    if len(model) > MAX_MODEL_CHARS:
        raise InvalidInput(f"model is at most {MAX_MODEL_CHARS} characters", param="model")
    _check_openai_parameters(data)
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
