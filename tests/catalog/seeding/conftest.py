from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from catalog import bindings
from tests.catalog.seeding.layouts import MAIN_LAYOUT, make_repo


@pytest.fixture
def entrypoints(monkeypatch):
    """The built-in implementations a worker registers (and only those), for this test."""
    from agents.tools.builtin import BUILTIN_TOOLS

    monkeypatch.setattr(bindings, "_PYTHON_ENTRYPOINTS", set())
    for name in BUILTIN_TOOLS:
        bindings.register_python_entrypoint(name)
    return bindings.python_entrypoints()


@pytest.fixture
def main_repo(tmp_path):
    return make_repo(tmp_path / "core", MAIN_LAYOUT)


@pytest.fixture
def seed():
    def run(*args: str) -> str:
        out = StringIO()
        call_command("seed_catalog", *args, stdout=out)
        return out.getvalue()

    return run
