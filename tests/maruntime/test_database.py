"""The embedded PostgreSQL's list of attached processes: one that was SIGKILLed must not
keep the server alive forever."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from maruntime.database import forget_dead_handles

ROOT = Path(__file__).resolve().parents[2]
ATTACH_AND_DIE = (
    "import os, signal, django; django.setup(); print(os.getpid(), flush=True); "
    "os.kill(os.getpid(), signal.SIGKILL)"
)


@pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="not the embedded server")
def test_a_killed_process_is_forgotten_by_the_embedded_server():
    pgdata = Path(settings.MARUNTIME_HOME) / "pgdata"
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["DJANGO_SETTINGS_MODULE"] = "maruntime.settings"
    died = subprocess.run(
        [sys.executable, "-c", ATTACH_AND_DIE], cwd=ROOT, env=env, capture_output=True, text=True
    )
    pid = int(died.stdout.split()[0])
    handles = pgdata / ".handle_pids.json"
    assert pid in json.loads(handles.read_text())  # it attached, and never detached

    forget_dead_handles(pgdata)

    remaining = json.loads(handles.read_text())
    assert pid not in remaining and os.getpid() in remaining
