"""Calls to the upstream LLM: one ``AsyncOpenAI`` client per (endpoint, key, event loop) per
process, bounded retries with backoff on transient upstream errors.

Every request is put in a form every server accepts (function names and call ids within
OpenAI's rules, no ``null`` content). A deterministic rejection (the request itself is
invalid for this server) is raised at once as ``UpstreamRejected``, never retried; errors
carry the upstream's own message, the endpoint and the setting that would fix them.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from typing import Any

import openai
from django.conf import settings
from openai.types.chat import ChatCompletion
from opentelemetry.trace import SpanKind

from agents.exceptions import UpstreamFailed, UpstreamRejected
from agents.upstream import Upstream, resolve_upstream
from catalog.policies import LLMPolicy
from maruntime.loops import PerLoop
from maruntime.observability import LLM_LATENCY, LLM_TOKENS
from maruntime.tracing import tracer

# Statuses worth another attempt: the same request may succeed a moment later.
_TRANSIENT_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})


# By endpoint and key, per event loop (a client's connections belong to its loop).
_clients: PerLoop[dict[tuple[str, str], openai.AsyncOpenAI]] = PerLoop(dict)


def client_for(upstream: Upstream) -> openai.AsyncOpenAI:
    """One client (and connection pool) per endpoint per event loop, reused by every run."""
    clients = _clients.get()
    key = (upstream.base_url, upstream.api_key)
    client = clients.get(key)
    if client is None:
        client = clients[key] = openai.AsyncOpenAI(
            base_url=upstream.base_url,
            api_key=upstream.api_key,
            max_retries=0,
            timeout=settings.LLM_TIMEOUT_SECONDS,
        )
    return client


# The request goes out through the client's documented ``post`` with the body already in
# wire form (``_to_wire``): ``chat.completions.create`` would walk every message, schema and
# tool through openai-python's parameter transform on each call, about a fifth of the CPU
# an upstream call costs here. The bearer key is sent as ``create`` sends it.
_OPTIONS: openai.RequestOptions = {"security": {"bearer_auth": True}}


# OpenAI's rule for function names, in ``tools`` and in earlier tool calls alike.
_FUNCTION_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")


def wire_name(name: str) -> str:
    """A catalog tool name as the upstream may see it: catalog names are lowercase
    ``[a-z0-9_.-]``, so a '.' (``agent.research``, ``server.tool``) becomes '__'."""
    return name if _FUNCTION_NAME.fullmatch(name) else name.replace(".", "__")[:64]


def _wire_function(item: dict[str, Any], renamed: dict[str, str]) -> dict[str, Any]:
    """``item`` (a tool, a tool call or a tool choice) with its function name on the wire."""
    name = item["function"]["name"]
    if _FUNCTION_NAME.fullmatch(name):
        return item
    renamed[wire_name(name)] = name
    return {**item, "function": {**item["function"], "name": wire_name(name)}}


# The strictest servers' rule for tool call ids (OpenAI: at most 40 characters).
_CALL_ID = re.compile(r"[a-zA-Z0-9_-]{1,40}")


def wire_call_id(call_id: str) -> str:
    """A tool call id every server accepts; the same id always maps to the same wire id."""
    if _CALL_ID.fullmatch(call_id):
        return call_id
    return "call_" + hashlib.sha256(call_id.encode()).hexdigest()[:32]


def _wire_message(message: Any, renamed: dict[str, str]) -> Any:
    """``message`` as every server accepts it: an assistant message's ``null`` content
    (tool calls only) becomes "", names and call ids follow the strictest rules."""
    if not isinstance(message, dict):
        return message
    wired = message
    if message.get("tool_calls"):
        calls = [
            {**_wire_function(call, renamed), "id": wire_call_id(str(call.get("id", "")))}
            for call in message["tool_calls"]
        ]
        wired = {**message, "tool_calls": calls}
    if message.get("role") == "assistant" and message.get("content") is None:
        wired = {**wired, "content": ""}
    if message.get("role") == "tool":
        wired = {**wired, "tool_call_id": wire_call_id(str(message.get("tool_call_id", "")))}
    return wired


def _to_wire(
    messages: list[Any], schema_parts: dict[str, Any]
) -> tuple[list[Any], dict[str, Any], dict[str, str]]:
    """The request as every server accepts it (``_wire_message``), and the function renames
    (wire name -> catalog name) to undo on the answer."""
    renamed: dict[str, str] = {}
    wired = [_wire_message(m, renamed) for m in messages]
    parts = dict(schema_parts)
    if parts.get("tools"):
        parts["tools"] = [_wire_function(tool, renamed) for tool in parts["tools"]]
    if isinstance(parts.get("tool_choice"), dict):
        parts["tool_choice"] = _wire_function(parts["tool_choice"], renamed)
    return wired, parts, renamed


async def complete(
    policy: LLMPolicy, messages: list[Any], *, max_tokens: int | None = None, **schema_parts: Any
) -> ChatCompletion:
    """One chat completion, retried with exponential backoff on transient errors.
    ``schema_parts``: ``response_format``, ``tools``, ``tool_choice``, already built;
    ``max_tokens``: this call's budget instead of the policy's. Tool names go out as
    ``wire_name`` spells them and come back as the catalog's. Raises ``UpstreamRejected``
    when the upstream refuses the request as invalid (at once: it cannot succeed
    unchanged), ``UpstreamFailed`` for every other failure."""
    messages, schema_parts, renamed = _to_wire(messages, schema_parts)
    upstream = resolve_upstream(policy)
    client = client_for(upstream)
    body = {
        "model": upstream.model,
        "messages": messages,
        "temperature": policy.temperature,
        "max_tokens": max_tokens or policy.max_tokens,
        **schema_parts,
    }
    attempts = max(1, settings.LLM_MAX_ATTEMPTS)
    for attempt in range(1, attempts + 1):
        started = time.perf_counter()
        try:
            with tracer.start_as_current_span(
                "llm.chat",
                kind=SpanKind.CLIENT,
                attributes={"llm.model": upstream.model, "llm.attempt": attempt},
            ):
                response = await client.post(
                    "/chat/completions", body=body, cast_to=ChatCompletion, options=_OPTIONS
                )
        except openai.APIStatusError as exc:
            LLM_LATENCY.labels("error").observe(time.perf_counter() - started)
            failure = _classify(exc, upstream)
            transient = not isinstance(failure, UpstreamRejected) and (
                exc.status_code in _TRANSIENT_STATUSES
            )
            if not transient:
                raise failure from exc
            if attempt == attempts:
                raise UpstreamFailed(f"{failure.message} (after {attempts} attempts)") from exc
        except openai.APITimeoutError as exc:
            # Not retried: the same request to a server too slow for it takes as long again.
            LLM_LATENCY.labels("error").observe(time.perf_counter() - started)
            raise UpstreamFailed(
                f"The upstream LLM at {upstream} did not answer within "
                f"LLM_TIMEOUT_SECONDS={settings.LLM_TIMEOUT_SECONDS:g} s: raise "
                "LLM_TIMEOUT_SECONDS, or lower llm_policy.max_tokens for a slow server."
            ) from exc
        except openai.APIConnectionError as exc:
            LLM_LATENCY.labels("error").observe(time.perf_counter() - started)
            if attempt == attempts:
                raise UpstreamFailed(
                    f"The upstream LLM at {upstream.base_url} could not be reached after "
                    f"{attempts} attempts ({exc}); check OPENAI_BASE_URL (or the template's "
                    "llm_policy.base_url) and that the server is up."
                ) from exc
        except openai.APIError as exc:
            LLM_LATENCY.labels("error").observe(time.perf_counter() - started)
            raise UpstreamFailed(
                f"The upstream LLM at {upstream} answered something unreadable: {exc}"
            ) from exc
        else:
            LLM_LATENCY.labels("ok").observe(time.perf_counter() - started)
            _count_tokens(response)
            _restore_names(response, renamed)
            return response
        await asyncio.sleep(settings.LLM_RETRY_BACKOFF_SECONDS * 2 ** (attempt - 1))
    raise AssertionError("unreachable")


def _count_tokens(response: ChatCompletion) -> None:
    if response.usage is not None:
        LLM_TOKENS.labels("prompt").inc(response.usage.prompt_tokens)
        LLM_TOKENS.labels("completion").inc(response.usage.completion_tokens)


def _restore_names(response: ChatCompletion, renamed: dict[str, str]) -> None:
    for choice in response.choices if renamed else ():
        for call in choice.message.tool_calls or ():
            function = getattr(call, "function", None)
            if function is not None and function.name in renamed:
                function.name = renamed[function.name]


# How servers word a rejected request body when they answer 500 for it (llama-cpp-python
# wraps pydantic's "validation error ... Input should be ..." in a 500).
_VALIDATION_WORDING = re.compile(
    r"validation error|input should be|not supported|unsupported|invalid|extra inputs|"
    r"response_format|tool_choice|json_schema",
    re.IGNORECASE,
)
_SETTING_FOR_STATUS = {
    401: "check OPENAI_API_KEY (or the env var the template's llm_policy.api_key_ref names)",
    403: "check OPENAI_API_KEY (or the env var the template's llm_policy.api_key_ref names)",
    404: "check OPENAI_MODEL (or llm_policy.model) and that OPENAI_BASE_URL ends in /v1",
}


def _error_envelope(exc: openai.APIStatusError) -> dict[str, Any]:
    body = exc.body if isinstance(exc.body, dict) else {}
    error = body.get("error", body)
    return error if isinstance(error, dict) else {"message": error}


# Where a server's message turns into its own stack trace (llama-cpp-python appends one).
_TRACEBACK_START = re.compile(
    r'^\s*(Traceback \(most recent call last\)|File "[^"]+", line \d+)', re.M
)


def upstream_message(exc: openai.APIStatusError) -> str:
    """The upstream's own words: its error envelope's message, else the body's text ("" when
    it said nothing); never the server's stack trace after them (of a bare stack trace, its
    last line)."""
    error = _error_envelope(exc)
    detail = error.get("message") or error.get("detail")
    if detail:
        text = str(detail)
    elif exc.body is None and exc.response is not None:
        text = exc.response.text[:2000]
    else:
        return ""
    words = _TRACEBACK_START.split(text, maxsplit=1)[0].strip()
    if words or not text.strip():
        return words
    # Nothing but a stack trace: its last line names the exception.
    return text.strip().splitlines()[-1].strip()


def _classify(exc: openai.APIStatusError, upstream: Upstream) -> UpstreamFailed:
    """``UpstreamRejected`` when the request itself is refused (400, 422, or a 500 worded
    as a validation error or with no message at all); else ``UpstreamFailed``."""
    status, message = exc.status_code, upstream_message(exc)
    if _error_envelope(exc).get("code") == "context_length_exceeded":
        return UpstreamFailed(
            f"The upstream LLM at {upstream} refused the request: {message} — lower "
            "llm_policy.max_tokens, or give the server a larger context."
        )
    if status in (400, 422) or (
        status == 500 and (not message or _VALIDATION_WORDING.search(message))
    ):
        return UpstreamRejected(
            f"The upstream LLM at {upstream} rejected the request ({status}): "
            f"{message or 'no message'}",
            status=status,
            upstream_message=message or f"HTTP {status} with no message",
        )
    message = message or "no message"
    hint = _SETTING_FOR_STATUS.get(status, "")
    return UpstreamFailed(
        f"The upstream LLM at {upstream} failed ({status}): {message}"
        + (f" — {hint}." if hint else "")
    )
