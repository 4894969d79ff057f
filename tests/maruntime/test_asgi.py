"""The ASGI application ``serve`` runs: static files in front of Django, ``/v1`` untouched."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import pytest

from maruntime.asgi import application
from tests.e2e.conftest import ROOT

pytestmark = pytest.mark.django_db(transaction=True)


def _client() -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=application), base_url="http://127.0.0.1:8000"
    )


@pytest.mark.parametrize("debug", [False, True])
async def test_the_admin_stylesheets_are_served_with_debug_off_and_on(settings, debug):
    settings.DEBUG = debug
    async with _client() as client:
        response = await client.get("/static/admin/css/base.css")
        missing = await client.get("/static/admin/css/no-such-file.css")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
    assert "--body-fg" in response.text
    assert missing.status_code == 404


async def test_the_gateway_answers_beside_the_static_files():
    async with _client() as client:
        models = await client.get("/v1/models")

    assert models.status_code == 200 and models.json()["object"] == "list"


def test_the_gateway_surface_serves_no_static_files():
    probe = """
import asyncio, httpx
from maruntime.asgi import application

async def main():
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        print((await client.get("/static/admin/css/base.css")).status_code)

asyncio.run(main())
"""
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env={**os.environ, "MARUNTIME_SURFACE": "gateway"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.stdout.strip() == "404", result.stderr
