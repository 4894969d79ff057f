"""openai-node (npm, installed by ``make node-clients`` into the cache dir) against a real
``serve``: a resent conversation, a stream with usage, and ``parse`` with a zod schema."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import ROOT
from tests.fakes.sgr import clarify_args, final_args, sgr_replies, structured_final

pytestmark = pytest.mark.usefixtures("seeded")

OPENAI_NODE_VERSION = "7.55.0"  # the Makefile's OPENAI_NODE_VERSION
CACHE = Path(os.environ.get("MARUNTIME_CACHE") or Path.home() / ".cache" / "maruntime")
NODE_MODULES = CACHE / f"node-clients-{OPENAI_NODE_VERSION}" / "node_modules"
SCRIPT = ROOT / "tests" / "e2e" / "node" / "chat.cjs"


@pytest.fixture(scope="module")
def node() -> str:
    executable = shutil.which("node")
    if executable is None or not (NODE_MODULES / "openai").is_dir():
        pytest.skip("openai-node is not installed: run `make node-clients`")
    return executable


def test_openai_node_client(node, server, fake_llm):
    fake_llm.script(
        *sgr_replies(("clarification", clarify_args("Which city?"))),
        *sgr_replies(("final_answer", final_args("Sunny in Oslo."))),
        *sgr_replies(("final_answer", final_args("Streamed from node."))),
        structured_final({"city": "Oslo", "temperature_c": 12}),
    )
    completed = subprocess.run(
        [node, str(SCRIPT), f"{server}/v1"],
        env={**os.environ, "NODE_PATH": str(NODE_MODULES)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    result = json.loads(completed.stdout)
    assert "Which city?" in result["question"]
    first, second = result["sessions"]
    assert first == second and result["answer"] == "Sunny in Oslo."
    assert result["streamed"] == "Streamed from node." and result["finishReasons"] == ["stop"]
    assert result["usage"]["total_tokens"] > 0
    assert result["parsed"] == {"city": "Oslo", "temperature_c": 12}
