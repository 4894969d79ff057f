"""Logs, metrics and request context shared by every process.

Log lines are JSON with whatever of request id, session id, run id, template and tool is
bound to the current context (``bind_log_context``); contextvars keep them correct across
concurrent asyncio tasks.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponseBase
from opentelemetry.trace import SpanKind
from prometheus_client import Counter, Gauge, Histogram

from maruntime.tracing import tracer

_LOG_CONTEXT: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar(
    "maruntime_log_context", default=None
)


def bind_log_context(**fields: object) -> contextvars.Token[dict[str, str] | None]:
    """Add fields to every log line emitted from the current context."""
    bound = {k: str(v) for k, v in fields.items() if v is not None}
    return _LOG_CONTEXT.set({**(_LOG_CONTEXT.get() or {}), **bound})


def reset_log_context(token: contextvars.Token[dict[str, str] | None]) -> None:
    _LOG_CONTEXT.reset(token)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, bound context, exception."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **(_LOG_CONTEXT.get() or {}),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


HTTP_REQUESTS = Counter(
    "maruntime_http_requests_total", "HTTP requests served", ["method", "status"]
)
HTTP_LATENCY = Histogram("maruntime_http_request_seconds", "HTTP request latency", ["method"])
LLM_LATENCY = Histogram("maruntime_llm_call_seconds", "Upstream LLM call latency", ["outcome"])
LLM_TOKENS = Counter("maruntime_llm_tokens_total", "Tokens reported by the upstream", ["kind"])
TOOL_LATENCY = Histogram(
    "maruntime_tool_call_seconds", "Tool execution latency", ["tool", "status"]
)
RETRIEVAL_LATENCY = Histogram("maruntime_retrieval_seconds", "Tool/agent search latency", ["kind"])
PASSTHROUGH_REQUESTS = Counter(
    "maruntime_passthrough_requests_total",
    "Chat completions forwarded to the upstream unchanged, by upstream status",
    ["status"],
)
HOUSEKEEPING_REQUESTS = Counter(
    "maruntime_housekeeping_requests_total",
    "Front-ends' housekeeping requests (titles, tags, ...) answered by the upstream model",
    ["front_end", "task"],
)
TOOL_APPROVALS = Counter(
    "maruntime_tool_approvals_total",
    "Calls to tools that require approval: requested, approved, declined",
    ["tool", "answer"],
)
ACTIVE_RUNS = Gauge("maruntime_active_runs", "Runs executing in this process")
QUEUE_DEPTH = Gauge("maruntime_queued_runs", "Runs waiting for a worker (last poll)")

Handler = Callable[[HttpRequest], Awaitable[HttpResponseBase]]


# What a client's own request id may look like to be kept (echoed and logged): UUIDs, hex,
# base64url and the usual tracing ids fit; markup, spaces and control characters do not.
REQUEST_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")


def client_request_id(value: str) -> str | None:
    """The client's ``X-Request-Id`` when it is safe to echo and log, else None."""
    return value if REQUEST_ID.fullmatch(value) else None


class RequestContextMiddleware:
    """Gives every request an id (``X-Request-Id``, taken from the client when it is at most
    128 characters of ``[A-Za-z0-9._:-]``, else a new one), binds it to the log context,
    and counts the request in the metrics."""

    async_capable = True
    sync_capable = False

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response
        if iscoroutinefunction(self.get_response):
            markcoroutinefunction(self)

    async def __call__(self, request: HttpRequest) -> HttpResponseBase:
        request_id = client_request_id(request.headers.get("X-Request-Id", "")) or (
            uuid.uuid4().hex
        )
        token = bind_log_context(request_id=request_id)
        started = time.perf_counter()
        try:
            with tracer.start_as_current_span(
                f"{request.method} {request.path}",
                kind=SpanKind.SERVER,
                attributes={"http.request.method": str(request.method), "request.id": request_id},
            ) as span:
                response = await self.get_response(request)
                span.set_attribute("http.response.status_code", response.status_code)
        finally:
            reset_log_context(token)
        HTTP_LATENCY.labels(request.method).observe(time.perf_counter() - started)
        HTTP_REQUESTS.labels(request.method, str(response.status_code)).inc()
        response["X-Request-Id"] = request_id
        return response
