"""Calls to the upstream LLM: one ``AsyncOpenAI`` client per (endpoint, key, event loop) per
process, bounded retries with backoff on transient upstream errors."""

from __future__ import annotations

import asyncio
import os
import re
import time
from dataclasses import dataclass
from typing import Any

import openai
from django.conf import settings
from openai.types.chat import ChatCompletion
from opentelemetry.trace import SpanKind

from agents.exceptions import UpstreamFailed, UpstreamNotConfigured
from catalog.policies import LLMPolicy
from maruntime.observability import LLM_LATENCY, LLM_TOKENS
from maruntime.tracing import tracer

_RETRYABLE = (
    openai.APIConnectionError,
    openai.APITimeoutError,
    openai.InternalServerError,
    openai.RateLimitError,
)


@dataclass(frozen=True)
class Upstream:
    base_url: str
    api_key: str
    model: str


def resolve_upstream(policy: LLMPolicy) -> Upstream:
    """The template's endpoint, else ``OPENAI_BASE_URL``; raises when neither is set."""
    base_url = policy.base_url or settings.OPENAI_BASE_URL
    if not base_url:
        raise UpstreamNotConfigured(
            "No upstream LLM is configured: set OPENAI_BASE_URL (and OPENAI_API_KEY, "
            "OPENAI_MODEL) to any OpenAI-compatible endpoint, or give the template an LLM "
            "policy with base_url."
        )
    api_key = (
        os.environ.get(policy.api_key_ref, "") if policy.api_key_ref else settings.OPENAI_API_KEY
    )
    return Upstream(
        base_url=base_url,
        api_key=api_key or "not-needed",
        model=policy.model or settings.OPENAI_MODEL,
    )


_clients: dict[tuple[str, str, int], openai.AsyncOpenAI] = {}


def client_for(upstream: Upstream) -> openai.AsyncOpenAI:
    """One client (and connection pool) per endpoint per event loop, reused by every run."""
    key = (upstream.base_url, upstream.api_key, id(asyncio.get_running_loop()))
    client = _clients.get(key)
    if client is None:
        client = openai.AsyncOpenAI(
            base_url=upstream.base_url,
            api_key=upstream.api_key,
            max_retries=0,
            timeout=settings.LLM_TIMEOUT_SECONDS,
        )
        _clients[key] = client
    return client


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


def _to_wire(
    messages: list[Any], schema_parts: dict[str, Any]
) -> tuple[list[Any], dict[str, Any], dict[str, str]]:
    """The request with every function name the upstream would refuse renamed, and the
    renames (wire name -> catalog name) to undo on the answer."""
    renamed: dict[str, str] = {}
    wired = [
        {**m, "tool_calls": [_wire_function(c, renamed) for c in m["tool_calls"]]}
        if isinstance(m, dict) and m.get("tool_calls")
        else m
        for m in messages
    ]
    parts = dict(schema_parts)
    if parts.get("tools"):
        parts["tools"] = [_wire_function(tool, renamed) for tool in parts["tools"]]
    if isinstance(parts.get("tool_choice"), dict):
        parts["tool_choice"] = _wire_function(parts["tool_choice"], renamed)
    return wired, parts, renamed


async def complete(policy: LLMPolicy, messages: list[Any], **schema_parts: Any) -> ChatCompletion:
    """One chat completion, retried with exponential backoff on transient errors.
    ``schema_parts``: ``response_format``, ``tools``, ``tool_choice``, already built. Tool
    names go out as ``wire_name`` spells them and come back as the catalog's."""
    messages, schema_parts, renamed = _to_wire(messages, schema_parts)
    upstream = resolve_upstream(policy)
    client = client_for(upstream)
    attempts = max(1, settings.LLM_MAX_ATTEMPTS)
    for attempt in range(1, attempts + 1):
        started = time.perf_counter()
        try:
            with tracer.start_as_current_span(
                "llm.chat",
                kind=SpanKind.CLIENT,
                attributes={"llm.model": upstream.model, "llm.attempt": attempt},
            ):
                response = await client.chat.completions.create(
                    model=upstream.model,
                    messages=messages,
                    temperature=policy.temperature,
                    max_tokens=policy.max_tokens,
                    # Schemas and tool lists go out as they are: openai-python's parameter
                    # transform walks every node of them on each call, a hot-path cost here.
                    extra_body=schema_parts,
                )
        except _RETRYABLE as exc:
            LLM_LATENCY.labels("error").observe(time.perf_counter() - started)
            if attempt == attempts:
                raise UpstreamFailed(
                    f"Upstream LLM failed after {attempts} attempts: {_describe(exc)}"
                ) from exc
            await asyncio.sleep(settings.LLM_RETRY_BACKOFF_SECONDS * 2 ** (attempt - 1))
            continue
        except openai.APIError as exc:
            LLM_LATENCY.labels("error").observe(time.perf_counter() - started)
            raise UpstreamFailed(f"Upstream LLM refused the request: {_describe(exc)}") from exc
        LLM_LATENCY.labels("ok").observe(time.perf_counter() - started)
        if response.usage is not None:
            LLM_TOKENS.labels("prompt").inc(response.usage.prompt_tokens)
            LLM_TOKENS.labels("completion").inc(response.usage.completion_tokens)
        for choice in response.choices if renamed else ():
            for call in choice.message.tool_calls or ():
                function = getattr(call, "function", None)
                if function is not None and function.name in renamed:
                    function.name = renamed[function.name]
        return response
    raise AssertionError("unreachable")


def _describe(exc: Exception) -> str:
    status = getattr(exc, "status_code", None)
    message = getattr(exc, "message", None) or str(exc)
    return f"{status} {message}" if status else message
