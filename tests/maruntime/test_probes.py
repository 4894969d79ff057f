"""Liveness, readiness and metrics: answered on every surface, before Host validation."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


async def test_health_and_readiness_answer(async_client):
    assert (await async_client.get("/healthz")).json() == {"status": "ok"}
    ready = await async_client.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"status": "ready"}


async def test_metrics_count_the_requests_served(async_client):
    await async_client.get("/v1/models")
    body = (await async_client.get("/metrics")).content.decode()
    assert 'maruntime_http_requests_total{method="GET",status="200"}' in body
    assert "maruntime_http_request_seconds_bucket" in body


async def test_probes_answer_hosts_no_allowed_hosts_list(async_client, settings):
    settings.ALLOWED_HOSTS = ["maruntime.example.com"]
    pod_ip = {"HTTP_HOST": "10.0.0.7:8000"}
    for path in ("/healthz", "/readyz", "/metrics"):
        assert (await async_client.get(path, **pod_ip)).status_code == 200, path
    assert (await async_client.get("/v1/models", **pod_ip)).status_code == 400


async def test_readiness_tells_no_internals_when_the_database_fails(async_client, monkeypatch):
    from maruntime import probes

    def refuse() -> None:
        raise OSError('connection to "db.internal:5432" as user "maruntime" failed')

    monkeypatch.setattr(probes, "_database_ready", refuse)
    ready = await async_client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json() == {"status": "unavailable", "database": "unavailable"}
