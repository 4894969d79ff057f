"""sgr-agent-core's ``memory_agent``, seeded from its ``sgr-memory-agent`` branch, runs on
the all-in-one server against the scripted upstream: its memory tools write to the
session's store in PostgreSQL, which the session API shows."""

from __future__ import annotations

import os

import httpx
import pytest
from django.core.management import call_command

from agents.models import SessionEvent
from tests.catalog.seeding.layouts import MAIN_LAYOUT, MEMORY_LAYOUT, add_branch, make_repo
from tests.e2e.conftest import client_for
from tests.fakes.sgr import final_args, hybrid_replies

pytestmark = pytest.mark.usefixtures("seeded")


@pytest.fixture(scope="module")
def server(stack) -> str:
    return stack.gateway()


@pytest.fixture
def memory_agent(tmp_path) -> None:
    repo = make_repo(tmp_path / "core", MAIN_LAYOUT)
    add_branch(repo, "sgr-memory-agent", MEMORY_LAYOUT, remove=("sgr_agent_core",))
    call_command(
        "seed_catalog",
        "--repo-path",
        str(tmp_path / "core"),
        "--branch",
        "sgr-memory-agent",
        stdout=open(os.devnull, "w"),  # noqa: SIM115
    )


def test_the_imported_memory_agent_keeps_notes_in_its_session_store(server, fake_llm, memory_agent):
    note = {"reasoning": "remember", "file_path": "people/ann.md", "content": "# Ann\nLikes tea.\n"}
    fake_llm.script(
        *hybrid_replies(
            ("create_file", note),
            (
                "update_file",
                {
                    "reasoning": "correct",
                    "file_path": "people/ann.md",
                    "old_content": "tea",
                    "new_content": "green tea",
                },
            ),
            ("get_list_files", {"reasoning": "look"}),
            ("final_answer", final_args("Noted: Ann likes green tea.")),
        )
    )
    response = client_for(server).chat.completions.with_raw_response.create(
        model="memory_agent", messages=[{"role": "user", "content": "Ann likes tea."}]
    )
    completion = response.parse()
    session_id = response.headers["X-Session-Id"]

    assert completion.choices[0].message.content == "Noted: Ann likes green tea."
    results = SessionEvent.objects.filter(session_id=session_id, type="tool_result")
    assert [e.payload["content"] for e in results.order_by("seq")][:3] == [
        "True",
        "True",
        "./\n└── people/\n    └── ann.md",
    ]
    listing = httpx.get(f"{server}/v1/sessions/{session_id}/memory").json()
    assert listing["scope"] == "session"
    assert [(e["path"], e["kind"], e["size"]) for e in listing["data"]] == [
        ("people", "dir", 0),
        ("people/ann.md", "file", len("# Ann\nLikes green tea.\n")),
    ]
    file = httpx.get(f"{server}/v1/sessions/{session_id}/memory/people/ann.md").json()
    assert file["content"] == "# Ann\nLikes green tea.\n"
    missing = httpx.get(f"{server}/v1/sessions/{session_id}/memory/people/bob.md")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "session_not_found"
    escaping = httpx.get(f"{server}/v1/sessions/{session_id}/memory/people/%2E%2E/%2E%2E/x")
    assert escaping.status_code == 400 and escaping.json()["error"]["param"] == "path"
