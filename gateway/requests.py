"""Validation of ``/v1/chat/completions`` bodies into a ``ChatRequest``.

Sampling options (temperature, top_p, ...) are the template's to set and are ignored, as
any OpenAI-compatible server does for options it does not support, but their types and
ranges are checked as OpenAI checks them, so a request OpenAI would refuse is refused here
too (``temperature: -5`` is a 400, not silently a default). An option whose loss would
change what the client gets (``n`` > 1, a forced ``tool_choice``) is refused with a 400.
Client ``tools`` are offered to the agent; a request ending in ``tool`` messages carries
the result of the call its session waits for.
The messages before the last user message are the client's conversation
(``agents.conversations``): its system messages are the user's instructions, its user and
assistant messages the transcript that may continue a session.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import jsonschema
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest

from agents.conversations import Conversation, ToolResult, transcript_hash
from agents.engine.client_tools import parse_client_call_id
from maruntime.errors import DomainError, InvalidInput
from maruntime.json_input import JSONRefused, parse_json_object

ROLES = {"system", "developer", "user", "assistant", "tool", "function"}
INSTRUCTION_ROLES = frozenset({"system", "developer"})
# Headers front-ends send to name a conversation: Open WebUI's chat id (sent with
# ENABLE_FORWARD_USER_INFO_HEADERS), and a generic one other front-ends can be configured
# to send (LibreChat: ``headers: {X-Conversation-Id: "{{LIBRECHAT_BODY_CONVERSATIONID}}"}``).
CONVERSATION_HEADERS = ("X-OpenWebUI-Chat-Id", "X-Conversation-Id")
CONVERSATION_KEY_LIMIT = 200
# OpenAI's rule for function names.
FUNCTION_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
MAX_MODEL_CHARS = 256
# ``user_context``: what the application tells the agent about the user (sgr-agent-core
# 0.7's ``custom_context``), a JSON object of at most this many entries and bytes.
USER_CONTEXT_MAX_ENTRIES = 50
USER_CONTEXT_MAX_BYTES = 8000
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
    conversation: Conversation
    # ``transcript_hash`` of the messages up to and including the last user message.
    transcript_hash: str
    # When the earlier messages end with an assistant reply: the hash of what came before
    # it, and its text — the turn of a session this request may continue.
    reply_prefix_hash: str
    last_reply: str | None
    # The JSON Schema the final answer must follow (``response_format``), or None.
    answer_schema: dict[str, Any] | None
    # The client's tools the agent may call (OpenAI function definitions).
    client_tools: list[dict[str, Any]]
    # The result of a call to one of them, when the request ends with a ``tool`` message.
    tool_result: ToolResult | None


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
            if not isinstance(kind, str) or kind not in CONTENT_PART_TYPES:
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


def conversation_key(headers: Any) -> str:
    """The front-end's name for the conversation, from the first of
    ``CONVERSATION_HEADERS`` it sent (qualified by the header, so front-ends never clash)."""
    for name in CONVERSATION_HEADERS:
        value = str(headers.get(name) or "").strip()
        if value:
            return f"{name.lower()}:{value}"[:CONVERSATION_KEY_LIMIT]
    return ""


def _user_context(data: dict[str, Any]) -> dict[str, Any] | None:
    """The ``user_context`` body field: None when absent (a session keeps what it was told
    before), else an object within ``USER_CONTEXT_MAX_ENTRIES`` and
    ``USER_CONTEXT_MAX_BYTES`` (``{}`` clears it)."""
    value = data.get("user_context")
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidInput(
            "user_context must be an object of facts about the user, e.g. "
            '{"name": "Ann", "timezone": "Europe/Oslo"}',
            param="user_context",
        )
    if len(value) > USER_CONTEXT_MAX_ENTRIES:
        raise InvalidInput(
            f"user_context has {len(value)} entries; at most {USER_CONTEXT_MAX_ENTRIES}",
            param="user_context",
        )
    size = len(json.dumps(value, ensure_ascii=False).encode())
    if size > USER_CONTEXT_MAX_BYTES:
        raise InvalidInput(
            f"user_context is {size} bytes as JSON; at most {USER_CONTEXT_MAX_BYTES}",
            param="user_context",
        )
    return value


def _conversation(
    messages: list[dict[str, Any]], key: str, user_context: dict[str, Any] | None
) -> tuple[Conversation, list[dict[str, str]]]:
    """The conversation before the last message, and the transcript (user and assistant
    messages, the last one included) as plain text."""
    instructions = []
    transcript = []
    for index, message in enumerate(messages):
        text = _text_of(message.get("content"), index)
        if message["role"] in INSTRUCTION_ROLES:
            if text.strip():
                instructions.append(text.strip())
        elif message["role"] == "user" or (message["role"] == "assistant" and text.strip()):
            # An assistant message that only called tools said nothing to the reader.
            transcript.append({"role": message["role"], "content": text})
    ends_with_user = messages[-1]["role"] == "user"
    conversation = Conversation(
        history=transcript[:-1] if ends_with_user else transcript,
        instructions="\n\n".join(instructions),
        user_context=user_context,
        key=key,
    )
    return conversation, transcript


def _answer_schema(response_format: dict[str, Any] | None) -> dict[str, Any] | None:
    """``response_format`` as the schema of the final answer: ``json_object`` asks for
    any object, ``json_schema`` for the client's schema, ``text`` (or none) for text."""
    if response_format is None:
        return None
    kind = response_format.get("type")
    if kind == "text":
        return None
    if kind == "json_object":
        return {"type": "object"}
    if kind != "json_schema":
        raise InvalidInput(
            "response_format.type must be 'text', 'json_object' or 'json_schema'",
            param="response_format",
        )
    spec = response_format.get("json_schema")
    schema = spec.get("schema") if isinstance(spec, dict) else None
    if not isinstance(schema, dict):
        raise InvalidInput(
            "response_format.json_schema.schema must be a JSON Schema object",
            param="response_format.json_schema.schema",
        )
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise InvalidInput(
            f"response_format.json_schema.schema is not a valid JSON Schema: {exc.message}",
            param="response_format.json_schema.schema",
        ) from exc
    return schema


def _refuse_unsupported(data: dict[str, Any]) -> None:
    """Options that would change what the client gets, which an agent model cannot honour:
    refused (400) rather than silently ignored."""
    if data.get("n") not in (None, 1):
        raise InvalidInput(
            "Agent models return one answer per request: n must be 1 (start several "
            "sessions for several answers)",
            param="n",
        )
    if data.get("tool_choice") not in (None, "auto", "none"):
        raise InvalidInput(
            "An agent decides itself whether to call a tool: tool_choice must be 'auto' or 'none'",
            param="tool_choice",
        )


def _client_tools(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The client's function tools, checked (none when ``tool_choice`` is 'none')."""
    tools = data.get("tools")
    if tools is None or data.get("tool_choice") == "none":
        return []
    if not isinstance(tools, list):
        raise InvalidInput("tools must be an array", param="tools")
    functions = []
    for index, tool in enumerate(tools):
        function = tool.get("function") if isinstance(tool, dict) else None
        if (
            not isinstance(tool, dict)
            or tool.get("type") != "function"
            or not isinstance(function, dict)
        ):
            raise InvalidInput(
                "Only function tools are supported: {type: 'function', function: {...}}",
                param=f"tools[{index}]",
            )
        name = function.get("name")
        if not isinstance(name, str) or not FUNCTION_NAME.match(name):
            raise InvalidInput(
                "A function name is 1-64 letters, digits, '_' or '-'",
                param=f"tools[{index}].function.name",
            )
        parameters = function.get("parameters", {"type": "object", "properties": {}})
        try:
            jsonschema.Draft202012Validator.check_schema(parameters)
        except jsonschema.SchemaError as exc:
            raise InvalidInput(
                f"The function's parameters are not a valid JSON Schema: {exc.message}",
                param=f"tools[{index}].function.parameters",
            ) from exc
        description = function.get("description", "")
        functions.append(
            {
                "name": name,
                "description": description if isinstance(description, str) else "",
                "parameters": parameters,
            }
        )
    return functions


def _tool_result(messages: list[dict[str, Any]]) -> ToolResult:
    """The result in the request's last message (a ``tool`` message answering the call
    the agent made through this server)."""
    index = len(messages) - 1
    call = parse_client_call_id(str(messages[index].get("tool_call_id") or ""))
    if call is None:
        raise InvalidInput(
            "tool_call_id must be the id of a tool call this server sent",
            param=f"messages[{index}].tool_call_id",
        )
    return ToolResult(
        session_id=call[0], step=call[1], content=_text_of(messages[index].get("content"), index)
    )


def parse_chat_request(data: dict[str, Any], *, conversation_key: str = "") -> ChatRequest:
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
        if not isinstance(role, str) or role not in ROLES:
            raise InvalidInput(
                f"Invalid value for role: {role!r}; expected one of {', '.join(sorted(ROLES))}",
                param=f"messages[{index}].role",
            )
        _text_of(message.get("content"), index)
    last = messages[-1]
    tool_result = _tool_result(messages) if last.get("role") == "tool" else None
    if last.get("role") != "user" and tool_result is None:
        raise InvalidInput(
            "the last message must come from the user (or be a tool's result)",
            param="messages",
        )
    task = "" if tool_result else _text_of(last.get("content"), len(messages) - 1).strip()
    if not task and tool_result is None:
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
    _refuse_unsupported(data)
    answer_schema = _answer_schema(data.get("response_format"))
    client_tools = _client_tools(data)
    conversation, transcript = _conversation(messages, conversation_key, _user_context(data))
    replied = (
        tool_result is None
        and bool(conversation.history)
        and conversation.history[-1]["role"] == "assistant"
    )
    return ChatRequest(
        model=model.strip(),
        task=task,
        stream=stream,
        stream_format=stream_format,
        on_busy=on_busy,
        cancel_on_disconnect=bool(data.get("cancel_on_disconnect", False)),
        include_usage=bool(isinstance(options, dict) and options.get("include_usage")),
        approve=approve,
        conversation=conversation,
        transcript_hash=transcript_hash(transcript),
        reply_prefix_hash=transcript_hash(conversation.history[:-1]) if replied else "",
        last_reply=conversation.history[-1]["content"] if replied else None,
        answer_schema=answer_schema,
        client_tools=client_tools,
        tool_result=tool_result,
    )
