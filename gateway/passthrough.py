"""Passthrough: with ``GATEWAY_PASSTHROUGH`` on, a chat completion for a model the catalog
does not know (not a template, pipeline or session: ``gateway.targets`` decides) goes to
the upstream LLM (``OPENAI_BASE_URL``, ``OPENAI_API_KEY``) as received, and its answer
comes back as the upstream sent it: status, content type and bytes, streamed chunk by
chunk. Nothing is parsed on the way (DESIGN §8), so passthrough requests run no agent and
write no session.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx2 as httpx
from django.conf import settings
from django.http import HttpResponse, HttpResponseBase, StreamingHttpResponse

from agents.exceptions import UpstreamFailed
from agents.upstream import Upstream, resolve_upstream
from catalog.policies import LLMPolicy
from maruntime.loops import PerLoop
from maruntime.observability import PASSTHROUGH_REQUESTS

logger = logging.getLogger(__name__)

_LIMITS = httpx.Limits(max_connections=1024, max_keepalive_connections=256)
# The upstream's model list by base URL, as last fetched: (monotonic time, models).
_listings: dict[str, tuple[float, list[dict[str, Any]]]] = {}
LISTING_TTL_SECONDS = 60.0


def _new_client() -> httpx.AsyncClient:
    timeout = httpx.Timeout(settings.LLM_TIMEOUT_SECONDS, connect=10)
    return httpx.AsyncClient(timeout=timeout, limits=_LIMITS)


# One connection pool per event loop, reused by every passthrough request. httpx's default
# (100 connections, 20 kept alive) queues a burst and reconnects for most of it.
_clients: PerLoop[httpx.AsyncClient] = PerLoop(_new_client)


def _client() -> httpx.AsyncClient:
    return _clients.get()


async def upstream_models() -> list[dict[str, Any]]:
    """The upstream's ``/models`` (marked ``kind: passthrough``), fetched at most once a
    minute per process; empty when passthrough is off or the upstream does not answer (a
    listing never fails because of it)."""
    if not settings.GATEWAY_PASSTHROUGH or not settings.OPENAI_BASE_URL:
        return []
    upstream = resolve_upstream(LLMPolicy())
    fetched_at, models = _listings.get(upstream.base_url, (-LISTING_TTL_SECONDS, []))
    if time.monotonic() - fetched_at < LISTING_TTL_SECONDS:
        return models
    try:
        response = await _client().get(
            f"{upstream.base_url.rstrip('/')}/models",
            headers={"Authorization": f"Bearer {upstream.api_key}"},
            timeout=5,
        )
        response.raise_for_status()
        models = [
            {**model, "kind": "passthrough"}
            for model in response.json().get("data") or []
            if isinstance(model, dict) and isinstance(model.get("id"), str)
        ]
    except (httpx.HTTPError, ValueError, AttributeError) as exc:
        logger.warning("upstream model list unavailable: %s", exc)
        models = []
    _listings[upstream.base_url] = (time.monotonic(), models)
    return models


async def passthrough_chat(body: bytes) -> HttpResponseBase:
    """Forward the body to the upstream's ``/chat/completions``; 503 when no upstream is
    configured, 502 when it cannot be reached. Its own errors come back as it sent them."""
    return await forward_chat(body, resolve_upstream(LLMPolicy()))


async def forward_chat(body: bytes, upstream: Upstream) -> HttpResponseBase:
    """Send the body to ``upstream``'s ``/chat/completions`` and relay its answer as sent
    (502 when it cannot be reached)."""
    request = _client().build_request(
        "POST",
        f"{upstream.base_url.rstrip('/')}/chat/completions",
        content=body,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {upstream.api_key}"},
    )
    try:
        response = await _client().send(request, stream=True)
    except httpx.HTTPError as exc:
        PASSTHROUGH_REQUESTS.labels("unreachable").inc()
        raise UpstreamFailed(f"The upstream LLM could not be reached: {exc}") from exc
    PASSTHROUGH_REQUESTS.labels(str(response.status_code)).inc()
    content_type = response.headers.get("content-type", "application/json")
    if not content_type.startswith("text/event-stream"):
        try:
            data = await response.aread()
        finally:
            await response.aclose()
        return HttpResponse(data, status=response.status_code, content_type=content_type)
    return StreamingHttpResponse(
        _relay(response),
        status=response.status_code,
        content_type=content_type,
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _relay(response: httpx.Response) -> AsyncIterator[bytes]:
    """The upstream's stream as it arrives; closed (freeing the connection) however the
    client's side ends."""
    try:
        async for chunk in response.aiter_bytes():
            yield chunk
    finally:
        await response.aclose()
