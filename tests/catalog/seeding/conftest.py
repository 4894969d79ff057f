from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from catalog import bindings
from tests.catalog.seeding.layouts import MAIN_LAYOUT, make_repo

BUILTINS = (
    "reasoning",
    "clarification",
    "generate_plan",
    "adapt_plan",
    "web_search",
    "extract_page_content",
    "create_report",
    "final_answer",
)


@pytest.fixture
def entrypoints(monkeypatch):
    """The built-in implementations, registered for this test only."""
    monkeypatch.setattr(bindings, "_PYTHON_ENTRYPOINTS", set())
    for name in BUILTINS:
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
