"""Every built-in model against llama-cpp-python's server, in both chat handlers, with zero
configuration. These check the protocol, not the model's wisdom: a 135M model may well fail
the task, but it must do so with an error a user can act on, every step it takes must
match its tool's schema, and nothing it says is taken for a completed answer unless it is.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.real_servers.judge import MaruntimeClient
from tests.real_servers.llama_server import LlamaServer

pytestmark = [pytest.mark.real_server, pytest.mark.usefixtures("seeded")]

BUILTIN_MODELS = ("sgr_agent", "sgr_tool_calling_agent", "tool_calling_agent", "router")
TASK = "What is the capital of France? Answer with the city's name."
CLARIFICATION_ANSWER = "The country France in Europe; answer directly."


@pytest.fixture
def client(maruntime_url: str, llama: LlamaServer) -> Iterator[MaruntimeClient]:
    client = MaruntimeClient(maruntime_url, upstream=llama.base_url)
    try:
        yield client
    finally:
        client.close()


@pytest.mark.parametrize("model", BUILTIN_MODELS)
def test_a_simple_task_completes_or_fails_clearly(client, llama, model):
    verdict = client.run(model, TASK, clarification_answer=CLARIFICATION_ANSWER)

    assert verdict.steps >= 1 or verdict.state == "failed", verdict.describe()
    assert not verdict.problems, f"[{llama.chat_format}] {verdict.describe()}"
