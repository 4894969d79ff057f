"""MCP servers as tool bindings: the servers configured in ``MCP_SERVERS``, one connection
per request over streamable HTTP, and the two requests maruntime makes: ``tools/call`` for
the executor, ``tools/list`` for ``import_mcp_tools``.

Every connection passes the HTTP tools' guard first (no private or loopback address unless
in ``HTTP_TOOL_ALLOWED_HOSTS``). Header values may name environment variables
(``${TOKEN}``), read at each connection, so no secret is held in the catalog. Every failure
(not configured, refused, unreachable, protocol or tool error) is a ``ToolCallError`` whose
message names the server and never carries its headers.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import httpx2
from django.conf import settings
from mcp import ClientSession, MCPError
from mcp.client.streamable_http import streamable_http_client
from mcp.types import (
    CallToolResult,
    PaginatedRequestParams,
    RequestParamsMeta,
    TextContent,
    Tool,
)
from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from agents.tools.base import HTTP_TOOL_MAX_BYTES, ToolCallError, ToolOutcome
from agents.tools.egress import refuse_private

T = TypeVar("T")
_ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
# The SDK's defaults: a server may hold a response stream open while a tool runs; the
# version's ``limits.timeout_seconds`` bounds a call as a whole (``execute_tool``).
_TIMEOUT = httpx2.Timeout(30.0, read=300.0)
# A listing longer than this many pages is refused rather than followed for ever.
MAX_LIST_PAGES = 100
# The ``_meta`` key of a tools/call request that carries the call's idempotency key (a
# prefixed name, as the MCP specification asks of keys it does not define).
IDEMPOTENCY_META_KEY = "io.maruntime/idempotency-key"


class McpServerConfig(BaseModel):
    """One entry of ``MCP_SERVERS`` (a streamable HTTP endpoint; stdio is not supported)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str
    headers: dict[str, str] = {}

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        if not url.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return url


def mcp_server(name: str) -> McpServerConfig:
    """The configured server called ``name``; ``ToolCallError`` when there is none or its
    entry is malformed."""
    entry = settings.MCP_SERVERS.get(name)
    if entry is None:
        configured = ", ".join(sorted(settings.MCP_SERVERS)) or "none"
        raise ToolCallError(
            f"MCP server {name!r} is not configured in MCP_SERVERS (configured: {configured})"
        )
    try:
        return McpServerConfig.model_validate(entry)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"]) or "(entry)"
        raise ToolCallError(
            f"MCP_SERVERS[{name!r}] is invalid: {error['msg']} at {where}; expected "
            '{"url": "https://.../mcp", "headers": {...}} (streamable HTTP only)'
        ) from exc


def _headers(name: str, server: McpServerConfig) -> dict[str, str]:
    def resolve(match: re.Match[str]) -> str:
        value = os.environ.get(match.group(1))
        if value is None:
            raise ToolCallError(
                f"MCP server {name!r}: a header names ${{{match.group(1)}}}, which is not set"
            )
        return value

    return {key: _ENV_REFERENCE.sub(resolve, value) for key, value in server.headers.items()}


def _reason(exc: BaseException) -> str:
    """The first underlying error (the SDK's task groups wrap them) as one line."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    if isinstance(exc, MCPError):
        return f"error {exc.code}: {exc.message}"
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


async def _request(name: str, operation: Callable[[ClientSession], Awaitable[T]]) -> T:
    """Connect to the server, initialise a session, run ``operation`` and disconnect."""
    server = mcp_server(name)
    headers = _headers(name, server)
    await refuse_private(server.url)
    try:
        async with (
            httpx2.AsyncClient(headers=headers, timeout=_TIMEOUT) as http,
            streamable_http_client(server.url, http_client=http) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            return await operation(session)
    except Exception as exc:
        raise ToolCallError(f"MCP server {name!r} failed: {_reason(exc)}") from exc


@dataclass(frozen=True)
class McpToolListing:
    """What a server says about one of its tools."""

    name: str
    description: str
    input_schema: dict[str, Any]
    title: str = ""


async def mcp_list_tools(server: str) -> list[McpToolListing]:
    """Every tool the server lists (all pages, at most ``MAX_LIST_PAGES`` of them: a
    server that keeps answering with a cursor cannot hang the import)."""

    async def list_all(session: ClientSession) -> list[Tool]:
        tools: list[Tool] = []
        cursor: str | None = None
        for _ in range(MAX_LIST_PAGES):
            page = await session.list_tools(
                params=None if cursor is None else PaginatedRequestParams(cursor=cursor)
            )
            tools += page.tools
            cursor = page.next_cursor
            if not cursor:
                return tools
        raise ToolCallError(
            f"MCP server {server!r} listed more than {MAX_LIST_PAGES} pages of tools"
        )

    return [
        McpToolListing(
            name=tool.name,
            description=tool.description or "",
            input_schema=tool.input_schema,
            title=tool.title or "",
        )
        for tool in await _request(server, list_all)
    ]


async def mcp_call_tool(
    name: str, binding: dict[str, Any], arguments: dict[str, Any], *, idempotency_key: str = ""
) -> ToolOutcome:
    """``tools/call`` for the catalog tool ``name``: the result's text is the outcome's
    content (its structured content, when there is no text) and the structured content,
    when present, its ``payload``. An error result is a ``ToolCallError`` with its text.
    ``idempotency_key`` goes in the request's ``_meta`` (``IDEMPOTENCY_META_KEY``), so the
    server can recognise a call repeated after a takeover."""
    server, tool = str(binding.get("server", "")), str(binding.get("tool", ""))
    meta = (
        cast(RequestParamsMeta, {IDEMPOTENCY_META_KEY: idempotency_key})
        if idempotency_key
        else None
    )

    async def call(session: ClientSession) -> CallToolResult:
        return await session.call_tool(tool, arguments, meta=meta)

    result = await _request(server, call)
    text = "\n".join(
        block.text if isinstance(block, TextContent) else f"[{block.type} content omitted]"
        for block in result.content
    )
    structured = result.structured_content
    if result.is_error:
        raise ToolCallError(f"tool {name} failed: {text or 'the MCP server gave no reason'}")
    if not text and structured is not None:
        text = json.dumps(structured, ensure_ascii=False)
    size = len(text.encode()) + len(json.dumps(structured, ensure_ascii=False).encode())
    if size > HTTP_TOOL_MAX_BYTES:
        raise ToolCallError(f"tool {name} answered more than {HTTP_TOOL_MAX_BYTES} bytes")
    payload = {} if structured is None else {"structured_content": structured}
    return ToolOutcome(content=text, payload=payload)
