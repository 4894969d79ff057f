"""Liveness, readiness and Prometheus metrics for every HTTP surface (gateway and admin).

Served by a middleware at the head of the chain, before Django validates the Host header:
Kubernetes probes and Prometheus address pods by IP, which no ``ALLOWED_HOSTS`` lists.
These routes expose no data beyond process health and metrics.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from maruntime.asyncdb import run_sync

logger = logging.getLogger(__name__)


async def healthz(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"status": "ok"})


def _database_ready() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


async def readyz(request: HttpRequest) -> HttpResponse:
    """503 while the database does not answer. The cause goes to the log, not the answer:
    a database error names hosts, users and paths that an unauthenticated probe must not
    see."""
    try:
        await run_sync(_database_ready)()
    except Exception:
        logger.warning("readiness probe: the database does not answer", exc_info=True)
        return JsonResponse({"status": "unavailable", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ready"})


async def metrics(request: HttpRequest) -> HttpResponse:
    return HttpResponse(generate_latest(), content_type=CONTENT_TYPE_LATEST)


PROBES: dict[str, Callable[[HttpRequest], Awaitable[HttpResponse]]] = {
    "/healthz": healthz,
    "/readyz": readyz,
    "/metrics": metrics,
}

Handler = Callable[[HttpRequest], Awaitable[HttpResponseBase]]


class ProbeMiddleware:
    async_capable = True
    sync_capable = False

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response
        if iscoroutinefunction(self.get_response):
            markcoroutinefunction(self)

    async def __call__(self, request: HttpRequest) -> HttpResponseBase:
        probe = PROBES.get(request.path)
        if probe is not None and request.method in ("GET", "HEAD"):
            return await probe(request)
        return await self.get_response(request)
