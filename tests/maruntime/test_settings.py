"""Production settings refuse to start with an unsafe configuration (DESIGN §7)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SETUP = "import django; django.setup(); print('started')"


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
    started = _start(MARUNTIME_PRODUCTION="1", SECRET_KEY="s" * 50, ALLOWED_HOSTS="api.example")
    assert started.returncode == 0, started.stderr
