"""The examples `make run` prints work as printed, from a shell outside the venv."""

from __future__ import annotations

import re
import subprocess
import time

import pytest

from tests.fakes.sgr import final_args, sgr_replies

pytestmark = pytest.mark.usefixtures("seeded")

# A shell that has not activated the venv: no VIRTUAL_ENV, no .venv/bin on the PATH.
OUTSIDE_THE_VENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/tmp"}


def printed_examples(log: str) -> list[str]:
    """The commands under "Try it:", a trailing backslash joining a line to the next."""
    block = log.split("Try it:\n", 1)[1].split("\n\nNo upstream", 1)[0].split("\n\nAdmin", 1)[0]
    commands = re.sub(r"\\\n\s*", "", block).splitlines()
    return [command.strip() for command in commands if command.strip()]


@pytest.fixture(scope="module")
def banner(server, shared_gateway) -> str:
    """What the shared server printed when it started."""
    deadline = time.monotonic() + 10
    while "Try it:" not in shared_gateway.logs() and time.monotonic() < deadline:
        time.sleep(0.1)
    return shared_gateway.logs()


def test_every_printed_example_answers_outside_the_venv(banner, fake_llm):
    fake_llm.script(
        *sgr_replies(("final_answer", final_args("SGR makes the model fill a schema."))),
        *sgr_replies(("final_answer", final_args("Hello, operator."))),
    )
    models, streamed_chat, python_chat = printed_examples(banner)

    outputs = [
        subprocess.run(
            ["bash", "-c", command],
            env=OUTSIDE_THE_VENV,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
        for command in (models, streamed_chat, python_chat)
    ]

    assert '"sgr_agent"' in outputs[0]
    assert "SGR makes the model fill a schema." in outputs[1]
    assert outputs[1].rstrip().endswith("data: [DONE]")
    assert outputs[2].strip() == "Hello, operator."
