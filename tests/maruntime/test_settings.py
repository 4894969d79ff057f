"""Production settings refuse to start with an unsafe configuration (DESIGN §7)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SETUP = "import django; django.setup(); print('started')"
STRONG_SECRET = "Zt8Kq2vN4xW7pR1mL9cB3hJ6fD0sA5gY-uE_iO8wQ2zX7nV4bM1kT6yH3jP9rC5d"
STRONG_ADMIN_KEY = "adm-4f9c2e7b1d8a6e3f0c5b9d2a7e4f1c8b"
PRODUCTION = {"MARUNTIME_PRODUCTION": "1", "ALLOWED_HOSTS": "api.example"}


def _start(**env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG")}
    return subprocess.run(
        [sys.executable, "-c", SETUP],
        cwd=ROOT,
        env={
            **base,
            "DJANGO_SETTINGS_MODULE": "maruntime.settings",
            "DATABASE_URL": "postgres://nobody@127.0.0.1:9/none",  # never connected to
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        ({"MARUNTIME_PRODUCTION": "1"}, "SECRET_KEY"),
        ({"MARUNTIME_PRODUCTION": "1", "SECRET_KEY": "s" * 50, "DEBUG": "1"}, "DEBUG must be off"),
        ({"GATEWAY_AUTH": "maybe"}, "GATEWAY_AUTH must be"),
    ],
)
def test_an_unsafe_configuration_refuses_to_start(env, complaint):
    started = _start(**env)
    assert started.returncode != 0 and "started" not in started.stdout
    assert complaint in started.stderr


def test_a_safe_production_configuration_starts():
    started = _start(**PRODUCTION, SECRET_KEY=STRONG_SECRET)
    assert started.returncode == 0, started.stderr


@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        ({"SECRET_KEY": "x"}, "SECRET_KEY is too weak"),
        ({"SECRET_KEY": "s" * 60}, "SECRET_KEY is too weak"),
        ({"SECRET_KEY": STRONG_SECRET, "ADMIN_API_KEY": "a"}, "ADMIN_API_KEY is too weak"),
        ({"SECRET_KEY": STRONG_SECRET, "GATEWAY_AUTH": "off"}, "GATEWAY_ALLOW_ANONYMOUS"),
    ],
)
def test_production_refuses_weak_secrets_and_anonymous_v1(env, complaint):
    started = _start(**PRODUCTION, **env)
    assert started.returncode != 0 and "started" not in started.stdout
    assert complaint in started.stderr


def test_anonymous_v1_in_production_needs_saying_twice():
    started = _start(
        **PRODUCTION, SECRET_KEY=STRONG_SECRET, GATEWAY_AUTH="off", GATEWAY_ALLOW_ANONYMOUS="1"
    )
    assert started.returncode == 0, started.stderr


@pytest.mark.parametrize("surface", ["all", "gateway", "admin"])
def test_check_deploy_is_clean_under_production_settings(surface):
    checked = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG")},
            **PRODUCTION,
            "DATABASE_URL": "postgres://nobody@127.0.0.1:9/none",
            "SECRET_KEY": STRONG_SECRET,
            "ADMIN_API_KEY": STRONG_ADMIN_KEY,
            "MARUNTIME_SURFACE": surface,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "identified no issues" in checked.stdout


SCHEMA_PROBE = """
import django; django.setup()
from django.test import Client
client = Client(HTTP_HOST="api.example", secure=True)
print(client.get("/api/admin/schema/").status_code, client.get("/api/admin/docs/").status_code,
      client.get("/api/admin/schema/", HTTP_X_API_KEY="%s").status_code)
"""


def test_the_admin_schema_and_docs_need_admin_auth_in_production():
    probed = subprocess.run(
        [sys.executable, "-c", SCHEMA_PROBE % STRONG_ADMIN_KEY],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG")},
            **PRODUCTION,
            "DJANGO_SETTINGS_MODULE": "maruntime.settings",
            "DATABASE_URL": "postgres://nobody@127.0.0.1:9/none",
            "SECRET_KEY": STRONG_SECRET,
            "ADMIN_API_KEY": STRONG_ADMIN_KEY,
            "MARUNTIME_SURFACE": "admin",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert probed.returncode == 0, probed.stderr
    assert probed.stdout.split() == ["401", "401", "200"]
