"""A scripted, real-HTTP fake of an OpenAI-compatible chat completions upstream.

Tests and benchmarks point the runtime (or the ``openai`` client) at ``FakeLLM().base_url``
and script what "the model" answers, one ``Reply`` per request, in order::

    fake = FakeLLM()
    fake.script(Reply.structured({"tool": "final_answer", "answer": "42"}), Reply.text("hi"))
    ...
    fake.wait_for_requests(2)
    assert fake.requests[0]["model"] == "gpt-x"
    fake.close()

It is a genuine server on 127.0.0.1 (stdlib ``ThreadingHTTPServer``, one daemon thread per
connection), so streaming, timeouts, cancellation and connection limits behave the way they
do against a real upstream. Rendering follows the request the way a real server would:
``Reply.structured`` becomes a tool call when ``tool_choice`` forces a function and JSON
content otherwise; ``stream: true`` gets server-sent events.

``fake.quirks`` switches on the ways real servers depart from OpenAI's behaviour;
``Quirks.llama_cpp_python()`` is what llama-cpp-python 0.3's server does with its default
chat handlers (``reset()`` turns them off again)::

    fake.quirks = Quirks.llama_cpp_python()
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
import select
import socket
import socketserver
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

__all__ = ["MODEL_ID", "FakeLLM", "Quirks", "Reply"]

MODEL_ID = "fake-model"
EXHAUSTED_MESSAGE = "fake LLM script exhausted"
# Size of each streamed piece of content or tool-call arguments.
CHUNK_CHARS = 20
# How often a sleeping handler checks for close(), reset() or a vanished client.
_POLL_SECONDS = 0.05

ReplyKind = Literal["structured", "text", "tool_call", "error", "hang"]
Responder = Callable[[dict[str, Any]], "Reply"]


@dataclass(frozen=True)
class Reply:
    """One scripted answer of the fake model. Build it with the class methods."""

    kind: ReplyKind
    payload: Any = None
    name: str = ""
    status: int = 200
    message: str = ""
    delay: float = 0.0
    token_delay: float = 0.0
    # "length": the reply was cut off at max_tokens (for text and structured replies).
    finish_reason: str = ""

    @classmethod
    def structured(
        cls,
        obj: dict[str, Any],
        *,
        delay: float = 0.0,
        token_delay: float = 0.0,
        finish_reason: str = "",
    ) -> Reply:
        """The model returns ``obj``: a forced function call if the request forces one, else
        JSON content."""
        return cls(
            "structured",
            payload=obj,
            delay=delay,
            token_delay=token_delay,
            finish_reason=finish_reason,
        )

    @classmethod
    def text(
        cls, content: str, *, delay: float = 0.0, token_delay: float = 0.0, finish_reason: str = ""
    ) -> Reply:
        """Plain assistant text, finish_reason ``stop`` unless given (``length``: cut off)."""
        return cls(
            "text",
            payload=content,
            delay=delay,
            token_delay=token_delay,
            finish_reason=finish_reason,
        )

    @classmethod
    def tool_call(
        cls,
        name: str,
        arguments: dict[str, Any],
        *,
        delay: float = 0.0,
        token_delay: float = 0.0,
    ) -> Reply:
        """One tool call to ``name``, finish_reason ``tool_calls``."""
        return cls("tool_call", payload=arguments, name=name, delay=delay, token_delay=token_delay)

    @classmethod
    def error(
        cls, status: int = 500, message: str = "upstream exploded", *, delay: float = 0.0
    ) -> Reply:
        """An HTTP error carrying OpenAI's error envelope (also for streaming requests)."""
        return cls("error", status=status, message=message, delay=delay)

    @classmethod
    def hang(cls) -> Reply:
        """Never answer; the connection is dropped when the client disconnects or the fake closes.

        ``reset()`` does not release it: a client that got dropped may silently resend the
        request, which would then eat the next test's script."""
        return cls("hang")


# llama-cpp-python answers a body its pydantic model refuses with 500 and pydantic's text.
# As llama-cpp-python 0.3.36 words it: the validation error, then where in its own code.
LLAMA_CPP_JSON_SCHEMA_ERROR = (
    "1 validation error:\n  {'type': 'literal_error', 'loc': ('body', 'response_format', "
    "'type'), 'msg': \"Input should be 'text' or 'json_object'\", 'input': 'json_schema', "
    "'ctx': {'expected': \"'text' or 'json_object'\"}}\n\n  File \"/venv/lib/python3.11/"
    'site-packages/llama_cpp/server/app.py", line 376, in create_chat_completion\n'
    "    POST /v1/chat/completions"
)
LLAMA_CPP_NULL_CONTENT_ERROR = (
    "1 validation error for CreateChatCompletionRequest\nmessages.{index}.content\n  Input "
    "should be a valid string [type=string_type, input_value=None, input_type=NoneType]"
)


@dataclass(frozen=True)
class Quirks:
    """Ways a real server departs from OpenAI's behaviour (all off: OpenAI's)."""

    # A ``json_schema`` response_format is refused with this status (0: accepted).
    json_schema_status: int = 0
    # A message with ``"content": null`` is refused with this status (0: accepted).
    null_content_status: int = 0
    # ``tool_choice`` "required" is refused with this status and an empty message (0: not).
    required_status: int = 0
    # ``tool_choice`` "required"/"auto" is ignored: a scripted tool call comes back as prose.
    # A named (forced) function is honoured.
    ignores_tool_choice: bool = False
    # Newlines inside JSON strings come back raw (grammar-constrained output).
    raw_control_characters: bool = False

    @classmethod
    def llama_cpp_python(cls) -> Quirks:
        """llama-cpp-python 0.3's server with a plain chat format (no function calling)."""
        return cls(
            json_schema_status=500,
            null_content_status=500,
            ignores_tool_choice=True,
            raw_control_characters=True,
        )

    def refusal(self, request: dict[str, Any]) -> tuple[int, str] | None:
        """The status and message this server refuses ``request`` with, or None."""
        response_format = request.get("response_format")
        if (
            self.json_schema_status
            and isinstance(response_format, dict)
            and response_format.get("type") == "json_schema"
        ):
            return self.json_schema_status, LLAMA_CPP_JSON_SCHEMA_ERROR
        for index, message in enumerate(request.get("messages") or []):
            if self.null_content_status and message.get("content", "") is None:
                return self.null_content_status, LLAMA_CPP_NULL_CONTENT_ERROR.format(index=index)
        if self.required_status and request.get("tool_choice") == "required":
            return self.required_status, ""
        return None

    def ignores(self, request: dict[str, Any]) -> bool:
        return self.ignores_tool_choice and request.get("tool_choice") in (None, "required", "auto")

    def json_text(self, value: Any) -> str:
        text = json.dumps(value)
        return text.replace("\\n", "\n") if self.raw_control_characters else text


@dataclass
class _Answer:
    """A reply rendered against its request: what the assistant message holds."""

    content: str | None
    tool_name: str | None = None
    tool_arguments: str = ""
    tool_call_id: str = ""
    finish_reason: str = "stop"

    @property
    def completion_text(self) -> str:
        if self.content is not None:
            return self.content
        return (self.tool_name or "") + self.tool_arguments


def error_envelope(status: int, message: str) -> dict[str, Any]:
    """OpenAI's error body for an HTTP status."""
    if status == 429:
        error_type, code = "rate_limit_error", "rate_limit_exceeded"
    elif status in (401, 403):
        error_type, code = "authentication_error", "invalid_api_key"
    elif status >= 500:
        error_type, code = "server_error", None
    else:
        error_type, code = "invalid_request_error", None
    return {"error": {"message": message, "type": error_type, "param": None, "code": code}}


def _forced_function(request: dict[str, Any]) -> str | None:
    tool_choice = request.get("tool_choice")
    if isinstance(tool_choice, dict) and tool_choice.get("type") == "function":
        function = tool_choice.get("function")
        if isinstance(function, dict) and isinstance(function.get("name"), str):
            return str(function["name"])
    return None


FUNCTION_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")


def _validation_error(request: dict[str, Any]) -> str | None:
    """What a real server would reject with 400, or None."""
    response_format = request.get("response_format")
    if isinstance(response_format, dict) and response_format.get("type") == "json_schema":
        json_schema = response_format.get("json_schema")
        if not isinstance(json_schema, dict) or not isinstance(json_schema.get("schema"), dict):
            return "response_format.json_schema.schema is required for type 'json_schema'"
    return _function_name_error(request)


def _function_name_error(request: dict[str, Any]) -> str | None:
    """OpenAI refuses function names outside ``^[a-zA-Z0-9_-]{1,64}$``, in ``tools`` and in
    the conversation's earlier tool calls alike."""
    named: list[tuple[str, Any]] = [
        (f"tools[{i}].function.name", (tool.get("function") or {}).get("name"))
        for i, tool in enumerate(request.get("tools") or [])
    ]
    for i, message in enumerate(request.get("messages") or []):
        for j, call in enumerate(message.get("tool_calls") or []):
            path = f"messages[{i}].tool_calls[{j}].function.name"
            named.append((path, (call.get("function") or {}).get("name")))
    for path, name in named:
        if not isinstance(name, str) or not FUNCTION_NAME.fullmatch(name):
            return f"Invalid '{path}': string does not match pattern '^[a-zA-Z0-9_-]{{1,64}}$'."
    return None


def _pieces(text: str) -> list[str]:
    return [text[i : i + CHUNK_CHARS] for i in range(0, len(text), CHUNK_CHARS)]


def _tokens(text: str) -> int:
    return len(text) // 4 + 1


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], fake: FakeLLM) -> None:
        self.fake = fake
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host's FQDN, which can stall on DNS.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up mid-answer (cancel tests, timeouts, close()) are expected.
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # TCP_NODELAY: headers and body go out as separate writes; with Nagle on, a kept-alive
    # client's delayed ACK holds the body back about 40 ms per answer.
    disable_nagle_algorithm = True
    server: _Server
    # Idle keep-alive connections give their thread back after this long.
    timeout = 120

    @property
    def fake(self) -> FakeLLM:
        return self.server.fake

    def setup(self) -> None:
        super().setup()
        self.fake._track(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.fake._untrack(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        pass

    # -- routing -----------------------------------------------------------------------

    def _route(self) -> str:
        return self.path.split("?", 1)[0].rstrip("/")

    def do_GET(self) -> None:
        if self._route() == "/v1/models":
            model = {"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "fake"}
            self._send_json(200, {"object": "list", "data": [model]})
        else:
            self._send_not_found()

    def do_POST(self) -> None:
        body = self._read_body()
        if self._route() != "/v1/chat/completions":
            self._send_not_found()
            return
        try:
            request = json.loads(body)
        except ValueError as exc:
            self._send_error(400, f"We could not parse the JSON body of your request: {exc}")
            return
        if not isinstance(request, dict):
            self._send_error(400, "The request body must be a JSON object.")
            return
        self.fake._record(request, self.headers.get("Authorization", ""))
        problem = _validation_error(request)
        if problem is not None:
            self._send_error(400, problem)
            return
        refusal = self.fake.quirks.refusal(request)
        if refusal is not None:
            self._send_error(*refusal)
            return
        try:
            reply = self.fake._take_reply(request)
        except Exception as exc:  # a broken responder should fail the test loudly
            self._send_error(500, f"fake LLM responder raised {exc!r}")
            return
        if reply is None:
            self._send_error(500, EXHAUSTED_MESSAGE)
            return
        self._answer(request, reply)

    def do_PUT(self) -> None:
        self._read_body()
        self._send_not_found()

    do_DELETE = do_PATCH = do_PUT

    # -- answering ---------------------------------------------------------------------

    def _answer(self, request: dict[str, Any], reply: Reply) -> None:
        if reply.kind == "hang":
            self._hang()
            return
        if reply.delay and not self._sleep(reply.delay):
            return
        if reply.kind == "error":
            self._send_error(reply.status, reply.message)
            return
        answer = self._render(request, reply)
        model = str(request.get("model") or MODEL_ID)
        completion_id = f"chatcmpl-fake-{self.fake._next_id()}"
        created = int(time.time())
        prompt_tokens = _tokens(json.dumps(request.get("messages", [])))
        completion_tokens = _tokens(answer.completion_text)
        usage = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        }
        if request.get("stream"):
            stream_options = request.get("stream_options")
            include_usage = isinstance(stream_options, dict) and bool(
                stream_options.get("include_usage")
            )
            chunks = _stream_chunks(answer, completion_id, created, model, usage, include_usage)
            self._send_stream(chunks, reply.token_delay)
            return
        message: dict[str, Any] = {"role": "assistant", "content": answer.content, "refusal": None}
        if answer.tool_name is not None:
            message["tool_calls"] = [
                {
                    "id": answer.tool_call_id,
                    "type": "function",
                    "function": {"name": answer.tool_name, "arguments": answer.tool_arguments},
                }
            ]
        self._send_json(
            200,
            {
                "id": completion_id,
                "object": "chat.completion",
                "created": created,
                "model": model,
                "choices": [
                    {
                        "index": 0,
                        "message": message,
                        "logprobs": None,
                        "finish_reason": answer.finish_reason,
                    }
                ],
                "usage": usage,
            },
        )

    def _render(self, request: dict[str, Any], reply: Reply) -> _Answer:
        quirks = self.fake.quirks
        finish_reason = reply.finish_reason or "stop"
        if reply.kind == "text":
            return _Answer(content=str(reply.payload), finish_reason=finish_reason)
        if reply.kind == "tool_call" and quirks.ignores(request):
            return _Answer(content=f"I will use {reply.name} now.")
        forced = _forced_function(request) if reply.kind == "structured" else None
        if reply.kind == "tool_call" or forced is not None:
            return _Answer(
                content=None,
                tool_name=reply.name if reply.kind == "tool_call" else forced,
                tool_arguments=quirks.json_text(reply.payload),
                tool_call_id=f"call_{self.fake._next_id()}",
                finish_reason=reply.finish_reason or "tool_calls",
            )
        return _Answer(content=quirks.json_text(reply.payload), finish_reason=finish_reason)

    def _hang(self) -> None:
        self.close_connection = True
        while self._sleep(_POLL_SECONDS):
            if self._client_gone():
                return

    def _client_gone(self) -> bool:
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            if not readable:
                return False
            return self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    def _sleep(self, seconds: float) -> bool:
        """Sleep; False if the fake closed meanwhile (the handler should just return)."""
        if self.fake._closed.wait(seconds):
            self.close_connection = True
            return False
        return True

    # -- wire format -------------------------------------------------------------------

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send_json(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _send_error(self, status: int, message: str) -> None:
        self._send_json(status, error_envelope(status, message))

    def _send_not_found(self) -> None:
        self._send_error(404, f"Invalid URL ({self.command} {self.path})")

    def _send_stream(self, chunks: Iterator[dict[str, Any]], token_delay: float) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        try:
            for index, chunk in enumerate(chunks):
                if index and token_delay and not self._sleep(token_delay):
                    return
                self.wfile.write(b"data: " + json.dumps(chunk).encode() + b"\n\n")
                self.wfile.flush()
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass


def _stream_chunks(
    answer: _Answer,
    completion_id: str,
    created: int,
    model: str,
    usage: dict[str, int],
    include_usage: bool,
) -> Iterator[dict[str, Any]]:
    def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [
                {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
            ],
        }
        if include_usage:
            body["usage"] = None
        return body

    if answer.tool_name is None:
        yield chunk({"role": "assistant", "content": "", "refusal": None})
        for piece in _pieces(answer.content or ""):
            yield chunk({"content": piece})
    else:
        yield chunk({"role": "assistant", "content": None, "refusal": None})
        yield chunk(
            {
                "tool_calls": [
                    {
                        "index": 0,
                        "id": answer.tool_call_id,
                        "type": "function",
                        "function": {"name": answer.tool_name, "arguments": ""},
                    }
                ]
            }
        )
        for piece in _pieces(answer.tool_arguments):
            yield chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]})
    yield chunk({}, answer.finish_reason)
    if include_usage:
        yield {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [],
            "usage": usage,
        }


@dataclass(eq=False)
class FakeLLM:
    """A scripted OpenAI-compatible upstream serving on 127.0.0.1 in a background thread."""

    port: int = 0
    responder: Responder | None = None
    quirks: Quirks = field(default_factory=Quirks)
    requests: list[dict[str, Any]] = field(default_factory=list, init=False)
    # Each request's ``Authorization`` header, in the order of ``requests``.
    authorizations: list[str] = field(default_factory=list, init=False)
    _queue: deque[Reply] = field(default_factory=deque, init=False, repr=False)
    _lock: threading.Condition = field(default_factory=threading.Condition, init=False, repr=False)
    _closed: threading.Event = field(default_factory=threading.Event, init=False, repr=False)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1), init=False, repr=False)
    _connections: set[socket.socket] = field(default_factory=set, init=False, repr=False)

    def __post_init__(self) -> None:
        self._server = _Server(("127.0.0.1", self.port), self)
        self.port = self._server.server_port
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": _POLL_SECONDS},
            name=f"fake-llm-{self.port}",
            daemon=True,
        )
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def remaining(self) -> int:
        """Scripted replies not yet consumed."""
        with self._lock:
            return len(self._queue)

    def script(self, *replies: Reply) -> None:
        """Queue replies; each chat completion request takes the next one."""
        with self._lock:
            self._queue.extend(replies)

    def wait_for_requests(self, n: int, timeout: float = 20.0) -> None:
        """Block until at least ``n`` requests have arrived; AssertionError on timeout."""
        with self._lock:
            if not self._lock.wait_for(lambda: len(self.requests) >= n, timeout):
                raise AssertionError(
                    f"fake LLM got {len(self.requests)} request(s), expected {n} within {timeout}s"
                )

    def reset(self) -> None:
        """Forget the script, the responder, the quirks and the recorded requests."""
        with self._lock:
            self._queue.clear()
            self.requests.clear()
            self.authorizations.clear()
            self.responder = None
            self.quirks = Quirks()

    def close(self) -> None:
        """Stop serving and drop every open connection (idempotent)."""
        if self._closed.is_set():
            return
        self._closed.set()
        self._server.shutdown()
        self._server.server_close()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeLLM:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- used by the request handler ---------------------------------------------------

    def _record(self, request: dict[str, Any], authorization: str) -> None:
        with self._lock:
            self.requests.append(request)
            self.authorizations.append(authorization)
            self._lock.notify_all()

    def _take_reply(self, request: dict[str, Any]) -> Reply | None:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
            responder = self.responder
        return responder(request) if responder is not None else None

    def _next_id(self) -> int:
        with self._lock:
            return next(self._ids)

    def _track(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.add(connection)

    def _untrack(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.discard(connection)
