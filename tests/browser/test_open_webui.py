"""Open WebUI 0.12.4 in headless Chromium against the all-in-one server: a three-turn
conversation in which the agent asks a clarifying question, the answer resumes the waiting
session, and a follow-up goes on in the same session; the chat titles, tags and follow-up
suggestions Open WebUI asks for start no agent run.

Open WebUI runs in its own venv (``make open-webui``; ``make test-open-webui`` runs this
module), offline: no Ollama, no embedding model, no update check, its own data folder
under the test's tmp dir, and the gateway as its only OpenAI connection. Marked
``open_webui`` (and ``browser``); skipped without the install unless
``MARUNTIME_REQUIRE_BROWSER=1`` (CI), where it fails instead.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from agents.models import Session
from tests.e2e.conftest import free_port
from tests.fakes.fake_llm import FakeLLM, Reply
from tests.fakes.sgr import clarify_args, final_args, step

pytestmark = [pytest.mark.browser, pytest.mark.open_webui, pytest.mark.usefixtures("seeded")]

OPEN_WEBUI = Path(
    os.environ.get("MARUNTIME_OPEN_WEBUI")
    or Path.home() / ".cache/maruntime/open-webui-0.12.4/bin/open-webui"
)
ADMIN_EMAIL = "admin@example.com"
PASSWORD = "a-long-test-password"
# Open WebUI's first start migrates its database and loads its routers: minutes on a
# loaded 2-core machine. Each UI step waits for the page, which waits for both servers.
START_SECONDS = 600
STEP_MS = 180_000

TASK = "What's the weather there tomorrow?"
QUESTION = "Which city do you mean?"
ANSWER = "Sunny in Oslo, 14 °C."
FOLLOW_UP = "And tomorrow?"
FOLLOW_UP_ANSWER = "Rain tomorrow in Oslo."
TITLE = "Weather in Oslo"
# One reply fits every housekeeping task Open WebUI sends (it reads its own key of it).
HOUSEKEEPING_REPLY = (
    '{"title": "' + TITLE + '", "tags": ["Weather"], "follow_ups": ["And the day after?"]}'
)


def _is_housekeeping(request: dict[str, Any]) -> bool:
    return any(
        str(message.get("content", "")).lstrip().startswith("### Task:")
        for message in request.get("messages", [])
    )


def _respond(request: dict[str, Any]) -> Reply:
    """The upstream: housekeeping gets its JSON; the agent asks which city, then answers."""
    if _is_housekeeping(request):
        return Reply.text(HOUSEKEEPING_REPLY)
    users = [m for m in request["messages"] if m["role"] == "user"]
    last = str(users[-1]["content"]) if users else ""
    if FOLLOW_UP in last:
        return Reply.structured(step("final_answer", **final_args(FOLLOW_UP_ANSWER)))
    if "Oslo" in last:
        return Reply.structured(step("final_answer", **final_args(ANSWER)))
    return Reply.structured(step("clarification", **clarify_args(QUESTION)))


def _open_webui_env(gateway: str, data_dir: Path) -> dict[str, str]:
    """Open WebUI's settings, offline, built from nothing: the test's own environment
    (DATABASE_URL, REDIS_URL, ...) means maruntime's services, which Open WebUI would take
    for its own."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(data_dir),
        "LANG": "C.UTF-8",
        "DATA_DIR": str(data_dir),
        "HF_HOME": str(data_dir / "hf"),
        "WEBUI_SECRET_KEY": "open-webui-test-secret",
        "WEBUI_ADMIN_EMAIL": ADMIN_EMAIL,
        "WEBUI_ADMIN_PASSWORD": PASSWORD,
        "OFFLINE_MODE": "true",
        "HF_HUB_OFFLINE": "1",
        "ENABLE_VERSION_UPDATE_CHECK": "false",
        "ENABLE_OLLAMA_API": "false",
        "ENABLE_OPENAI_API": "true",
        "OPENAI_API_BASE_URL": f"{gateway}/v1",
        "OPENAI_API_KEY": "none",
        # No local embedding model to load (or download): no RAG in this test.
        "RAG_EMBEDDING_MODEL": "",
        "BYPASS_EMBEDDING_AND_RETRIEVAL": "true",
        # Sends X-OpenWebUI-Chat-Id, which names the conversation (docs/api.md).
        "ENABLE_FORWARD_USER_INFO_HEADERS": "true",
    }


@pytest.fixture(scope="module")
def server(stack) -> str:
    return stack.gateway()


@pytest.fixture(scope="module")
def open_webui(server, tmp_path_factory) -> Iterator[str]:
    """Open WebUI serving on a free port, its only connection the gateway under test."""
    if not OPEN_WEBUI.exists():
        reason = f"Open WebUI is not installed at {OPEN_WEBUI} (run `make open-webui`)"
        if os.environ.get("MARUNTIME_REQUIRE_BROWSER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    data_dir = tmp_path_factory.mktemp("open-webui")
    port = free_port()
    log_path = data_dir / "open-webui.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [str(OPEN_WEBUI), "serve", "--host", "127.0.0.1", "--port", str(port)],
            cwd=data_dir,
            env=_open_webui_env(server, data_dir),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_SECONDS
        while not _healthy(base_url):
            if process.poll() is not None or time.monotonic() > deadline:
                tail = log_path.read_text(errors="replace")[-4000:]
                raise RuntimeError(f"Open WebUI did not start ({process.returncode}):\n{tail}")
            time.sleep(1)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def _healthy(base_url: str) -> bool:
    try:
        return httpx.get(f"{base_url}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _log_in(page: Page, base_url: str) -> None:
    page.goto(f"{base_url}/auth")
    page.get_by_placeholder("Enter Your Email").fill(ADMIN_EMAIL)
    page.get_by_placeholder("Enter Your Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.locator("#chat-input").wait_for()
    # The first sign-in shows the release notes.
    release_notes = page.get_by_role("button", name="Okay, Let's Go!")
    if release_notes.is_visible():
        release_notes.click()


def _pick_model(page: Page, model: str) -> None:
    page.locator("#model-selector-model-button").first.click()
    page.get_by_placeholder("Search a model").fill(model)
    page.locator(f"button[aria-label='Select {model} model']").click()
    expect(page.locator("#model-selector-model-button").first).to_contain_text(
        model, timeout=STEP_MS
    )


def _send(page: Page, text: str, reply: str) -> None:
    """Type a message as a person would, send it, and wait until the reply shows."""
    page.locator("#chat-input").click()
    page.keyboard.type(text)
    page.keyboard.press("Enter")
    expect(page.get_by_text(reply).last).to_be_visible(timeout=STEP_MS)


def _only_session(server: str) -> dict[str, Any]:
    """The one session the gateway's session API lists (housekeeping starts none)."""
    sessions = httpx.get(f"{server}/v1/sessions", timeout=30).json()["data"]
    assert len(sessions) == 1, sessions
    return dict(sessions[0])


def test_a_clarification_answered_in_open_webui_resumes_the_waiting_session(
    page, screenshot, open_webui, server, fake_llm: FakeLLM
):
    fake_llm.responder = _respond
    page.set_default_timeout(STEP_MS)
    _log_in(page, open_webui)
    _pick_model(page, "sgr_agent")

    _send(page, TASK, QUESTION)
    screenshot("1-clarification")
    waiting = _only_session(server)
    assert waiting["state"] == "waiting_for_clarification" and waiting["model"] == "sgr_agent"

    _send(page, "Oslo", ANSWER)
    screenshot("2-answer")
    resumed = _only_session(server)
    assert resumed["id"] == waiting["id"] and resumed["state"] == "completed"
    assert resumed["counters"]["clarifications_used"] == 1

    _send(page, FOLLOW_UP, FOLLOW_UP_ANSWER)
    # The title Open WebUI asked the model for (a housekeeping request) names the chat.
    expect(page.get_by_text(TITLE).first).to_be_visible(timeout=STEP_MS)
    screenshot("3-follow-up")
    followed = _only_session(server)
    assert followed["id"] == waiting["id"] and followed["result"] == FOLLOW_UP_ANSWER

    session = Session.objects.get(pk=waiting["id"])
    # Three turns, three runs of the one session (the task as Open WebUI typeset it).
    first, *later = [run.user_message for run in session.runs.order_by("created_at")]
    assert "weather there tomorrow" in first and later == ["Oslo", FOLLOW_UP]
    chat_id = page.url.rsplit("/c/", 1)[1]
    assert session.conversation_key == f"x-openwebui-chat-id:{chat_id}"
    # Housekeeping went to the upstream as plain completions, never through the agent.
    housekeeping = [r for r in fake_llm.requests if _is_housekeeping(r)]
    agent_calls = [r for r in fake_llm.requests if not _is_housekeeping(r)]
    assert housekeeping and len(agent_calls) == 3
    assert all(r["messages"][0]["role"] != "system" for r in housekeeping)
