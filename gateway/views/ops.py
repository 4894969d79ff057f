"""Health, readiness and Prometheus metrics."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from gateway.views.base import api_view, json_response
from maruntime.asyncdb import run_sync


@api_view("GET")
async def healthz(request: HttpRequest) -> HttpResponseBase:
    return json_response({"status": "ok"})


def _database_ready() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


@api_view("GET")
async def readyz(request: HttpRequest) -> HttpResponseBase:
    try:
        await run_sync(_database_ready)()
    except Exception as exc:
        return json_response({"status": "unavailable", "database": str(exc)}, status=503)
    return json_response({"status": "ready"})


@api_view("GET")
async def metrics(request: HttpRequest) -> HttpResponseBase:
    return HttpResponse(generate_latest(), content_type=CONTENT_TYPE_LATEST)
