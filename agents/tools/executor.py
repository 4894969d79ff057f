"""Runs one tool call, whatever its binding: a built-in python implementation, an HTTP
endpoint or an MCP server's tool (only globally routable addresses unless allow-listed:
``agents.tools.egress``; a wall-clock deadline and a size cap), or another agent
(agent-as-tool delegation)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from agents.tools.base import (
    HTTP_TOOL_MAX_BYTES,
    ToolCallError,
    ToolContext,
    ToolOutcome,
    ToolSpec,
)
from agents.tools.builtin import BUILTIN_TOOLS, PURE_TOOLS
from agents.tools.egress import pinned_request, refuse_private
from maruntime.observability import TOOL_LATENCY


def is_pure(spec: ToolSpec) -> bool:
    """A built-in without effects outside its outcome (see ``builtin.PURE_TOOLS``)."""
    return spec.binding_kind == "python" and spec.binding.get("entrypoint") in PURE_TOOLS


async def execute_tool(
    spec: ToolSpec, arguments: dict[str, Any], context: ToolContext
) -> ToolOutcome:
    """Run the call within the version's ``timeout_seconds`` limit, when it has one."""
    started = time.perf_counter()
    status = "ok"
    limit = spec.limits.timeout_seconds
    try:
        return await asyncio.wait_for(_dispatch(spec, arguments, context), limit)
    except TimeoutError as exc:
        status = "error"
        if limit is None:
            raise
        raise ToolCallError(f"tool {spec.name} did not finish within {limit:g} s") from exc
    except Exception:
        status = "error"
        raise
    finally:
        TOOL_LATENCY.labels(spec.name, status).observe(time.perf_counter() - started)


async def _dispatch(spec: ToolSpec, arguments: dict[str, Any], context: ToolContext) -> ToolOutcome:
    if spec.binding_kind == "python":
        implementation = BUILTIN_TOOLS.get(str(spec.binding.get("entrypoint", "")))
        if implementation is None:
            raise ToolCallError(f"tool {spec.name} has no implementation in this worker")
        return await implementation(arguments, context)
    if spec.binding_kind == "http":
        return await _call_http(spec, arguments, context.idempotency_key)
    if spec.binding_kind == "mcp":
        # Imported here: only processes that call an MCP tool load the SDK.
        from agents.tools.mcp import mcp_call_tool

        return await mcp_call_tool(
            spec.name, spec.binding, arguments, idempotency_key=context.idempotency_key
        )
    if spec.binding_kind == "agent":
        # Agents run in the engine, above the tools: the worker's runtime brings the runner.
        if context.runtime is None or context.runtime.delegate is None:
            raise ToolCallError("agent tools run only inside a pool worker")
        return await context.runtime.delegate(
            str(spec.binding.get("template", "")), arguments, context
        )
    raise ToolCallError(f"tool {spec.name} has binding {spec.binding_kind!r}, which cannot run")


async def _call_http(
    spec: ToolSpec, arguments: dict[str, Any], idempotency_key: str
) -> ToolOutcome:
    """One call, within a wall-clock deadline of the binding's ``timeout_seconds`` (default
    30) from resolution to the last byte: a server that trickles its answer cannot hold the
    call past it. Redirects are not followed. The ``Idempotency-Key`` header lets the
    endpoint recognise a call repeated after a takeover."""
    url = str(spec.binding.get("url", ""))
    timeout = float(spec.binding.get("timeout_seconds", 30))
    try:
        async with asyncio.timeout(timeout):
            return await _call_http_within_deadline(
                spec, url, arguments, idempotency_key, deadline_seconds=timeout
            )
    except TimeoutError as exc:
        raise ToolCallError(f"tool {spec.name} did not answer within {timeout:g} s") from exc


async def _call_http_within_deadline(
    spec: ToolSpec,
    url: str,
    arguments: dict[str, Any],
    idempotency_key: str,
    *,
    deadline_seconds: float,
) -> ToolOutcome:
    target = await refuse_private(url)
    pinned_url, headers, extensions = pinned_request(url, target)
    if idempotency_key:
        headers = {**headers, "Idempotency-Key": idempotency_key}
    async with (
        httpx.AsyncClient(timeout=deadline_seconds, follow_redirects=False) as client,
        client.stream(
            str(spec.binding.get("method", "POST")),
            pinned_url,
            json=arguments,
            headers=headers,
            extensions=extensions,
        ) as response,
    ):
        body = b""
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > HTTP_TOOL_MAX_BYTES:
                raise ToolCallError(
                    f"tool {spec.name} answered more than {HTTP_TOOL_MAX_BYTES} bytes"
                )
        if response.status_code >= 400:
            raise ToolCallError(f"tool {spec.name} answered HTTP {response.status_code}")
    return ToolOutcome(content=body.decode("utf-8", errors="replace"))
