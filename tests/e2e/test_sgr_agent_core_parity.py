"""What sgr-agent-core's users rely on, on the all-in-one server against the scripted
upstream: ``memory_agent`` seeded from its ``sgr-memory-agent`` branch keeps its notes in
the session's store in PostgreSQL (shown by the session API), and the built-in
``assistant`` holds a conversation with the ``answer`` tool."""

from __future__ import annotations

import os

import httpx
import pytest
from django.core.management import call_command

from agents.models import SessionEvent, ToolExecution
from agents.services.forks import NOT_RUN_IN_FORK
from tests.catalog.seeding.layouts import MAIN_LAYOUT, MEMORY_LAYOUT, add_branch, make_repo
from tests.e2e.conftest import client_for
from tests.fakes.fake_llm import Reply
from tests.fakes.sgr import final_args, hybrid_replies

pytestmark = pytest.mark.usefixtures("seeded")


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


def test_the_assistant_answers_each_message_and_the_dialog_goes_on(server, fake_llm):
    client = client_for(server)
    fake_llm.script(
        Reply.tool_call("answer", {"reasoning": "greet", "intermediate_result": "Hello, Ann!"}),
        Reply.tool_call("answer", {"reasoning": "reply", "intermediate_result": "Tea, then."}),
    )
    first = client.chat.completions.with_raw_response.create(
        model="assistant", messages=[{"role": "user", "content": "Hi, I am Ann."}]
    )
    session_id = first.headers["X-Session-Id"]
    assert first.parse().choices[0].message.content == "Hello, Ann!"
    detail = httpx.get(f"{server}/v1/sessions/{session_id}").json()
    assert detail["state"] == "waiting_for_clarification"
    assert detail["counters"]["clarifications_used"] == 0

    second = client.chat.completions.create(
        model=session_id, messages=[{"role": "user", "content": "Tea or coffee?"}]
    )

    assert second.choices[0].message.content == "Tea, then."
    # The model saw the conversation as it was: no research prompt around the user's words.
    messages = fake_llm.requests[-1]["messages"]
    assert [m["content"] for m in messages if m["role"] == "user"] == [
        "Hi, I am Ann.",
        "Tea or coffee?",
    ]
    assert [t["function"]["name"] for t in fake_llm.requests[-1]["tools"]] == [
        "answer",
        "final_answer",
    ]


def _answer(text: str) -> Reply:
    return Reply.tool_call("answer", {"reasoning": "reply", "intermediate_result": text})


def test_a_fork_branches_the_conversation_and_reruns_no_tool(server, fake_llm):
    client = client_for(server)
    fake_llm.script(_answer("Hello, Ann!"), _answer("Tea, then."))
    first = client.chat.completions.with_raw_response.create(
        model="assistant", messages=[{"role": "user", "content": "Hi, I am Ann."}]
    )
    original = first.headers["X-Session-Id"]
    client.chat.completions.create(
        model=original, messages=[{"role": "user", "content": "Tea or coffee?"}]
    )
    second_turn = fake_llm.requests[-1]["messages"]
    events = list(SessionEvent.objects.filter(session_id=original).order_by("seq"))
    first_reply = next(e.seq for e in events if e.type == "clarification")
    # the reply was written with the state change after it: the fork holds both
    batch_end = next(e.seq for e in events if e.seq > first_reply and e.type == "state")

    fork = httpx.post(f"{server}/v1/sessions/{original}/fork", json={"at_seq": first_reply})

    assert fork.status_code == 200
    branch = fork.json()
    assert branch["id"] != original and branch["state"] == "waiting_for_clarification"
    copied = list(SessionEvent.objects.filter(session_id=branch["id"]).order_by("seq"))
    assert [(e.seq, e.type, e.payload) for e in copied[:-1]] == [
        (e.seq, e.type, e.payload) for e in events[:batch_end]
    ]
    assert copied[-1].payload == {
        "state": "waiting_for_clarification",
        "forked_from": original,
        "at_seq": batch_end,
        "requested_seq": first_reply,
    }
    assert ToolExecution.objects.filter(session_id=original).count() == 2
    assert not ToolExecution.objects.filter(session_id=branch["id"]).exists()

    fake_llm.script(_answer("Coffee, then."))
    reply = client.chat.completions.create(
        model=branch["id"], messages=[{"role": "user", "content": "Coffee?"}]
    )
    assert reply.choices[0].message.content == "Coffee, then."
    # the fork went on from the agent's whole context of then, its tool call included
    sent = fake_llm.requests[-1]["messages"]
    assert sent[:-1] == second_turn[:-1] and sent[-1] == {"role": "user", "content": "Coffee?"}
    assert SessionEvent.objects.filter(session_id=original).count() == len(events)

    whole = httpx.post(f"{server}/v1/sessions/{original}/fork").json()
    assert whole["last_event_seq"] == len(events) + 1
    assert whole["counters"] == httpx.get(f"{server}/v1/sessions/{original}").json()["counters"]

    assert (
        httpx.post(f"{server}/v1/sessions/{original}/fork", json={"at_seq": 0}).json()["error"][
            "param"
        ]
        == "at_seq"
    )
    assert httpx.post(
        f"{server}/v1/sessions/{original}/fork", json={"at_seq": "2"}
    ).status_code == (400)
    missing = httpx.post(f"{server}/v1/sessions/00000000-0000-0000-0000-000000000000/fork")
    assert missing.status_code == 404


def _memory(server: str, session_id: str) -> dict[str, str]:
    """The session's memory store as the session API shows it: path -> content."""
    listing = httpx.get(f"{server}/v1/sessions/{session_id}/memory").json()["data"]
    return {
        entry["path"]: httpx.get(
            f"{server}/v1/sessions/{session_id}/memory/{entry['path']}"
        ).json()["content"]
        if entry["kind"] == "file"
        else "/"
        for entry in listing
    }


def test_a_fork_at_an_earlier_step_carries_the_run_state_and_memory_of_then(
    server, fake_llm, memory_agent
):
    note = {"reasoning": "remember", "file_path": "people/ann.md", "content": "Likes tea.\n"}
    correction = {
        "reasoning": "correct",
        "file_path": "people/ann.md",
        "old_content": "tea",
        "new_content": "green tea",
    }
    fake_llm.script(
        *hybrid_replies(
            ("create_file", note),
            ("update_file", correction),
            ("final_answer", final_args("Noted: Ann likes green tea.")),
        )
    )
    response = client_for(server).chat.completions.with_raw_response.create(
        model="memory_agent", messages=[{"role": "user", "content": "Ann likes tea."}]
    )
    original = response.headers["X-Session-Id"]
    events = list(SessionEvent.objects.filter(session_id=original).order_by("seq"))
    created = next(e.seq for e in events if e.type == "tool_result")
    update_decided = next(
        e.seq for e in events if e.type == "tool_call" and e.payload["tool"] == "update_file"
    )
    assert _memory(server, original) == {"people": "/", "people/ann.md": "Likes green tea.\n"}

    after_create = httpx.post(f"{server}/v1/sessions/{original}/fork", json={"at_seq": created})
    branch = after_create.json()

    assert after_create.status_code == 200 and branch["state"] == "completed"
    # the store as it was then: the note before its correction
    assert _memory(server, branch["id"]) == {"people": "/", "people/ann.md": "Likes tea.\n"}
    assert branch["counters"]["iteration"] == 1 and branch["counters"]["tool_calls"] == 1
    assert not ToolExecution.objects.filter(session_id=branch["id"]).exists()

    fake_llm.script(*hybrid_replies(("final_answer", final_args("Ann likes tea."))))
    client_for(server).chat.completions.create(
        model=branch["id"], messages=[{"role": "user", "content": "What does Ann like?"}]
    )
    continued = fake_llm.requests[-2]["messages"]
    tool_results = [m["content"] for m in continued if m["role"] == "tool"]
    assert "True" in tool_results  # create_file's result, from the original's run
    assert [m["content"] for m in continued if m["role"] == "user"][-1] == "What does Ann like?"
    assert "green tea" not in str(continued)

    # a fork where the correction was decided but not yet run: it is never run
    before_update = httpx.post(
        f"{server}/v1/sessions/{original}/fork", json={"at_seq": update_decided}
    ).json()
    assert before_update["state"] == "completed"
    assert _memory(server, before_update["id"])["people/ann.md"] == "Likes tea.\n"
    fake_llm.script(*hybrid_replies(("final_answer", final_args("Left as it was."))))
    client_for(server).chat.completions.create(
        model=before_update["id"], messages=[{"role": "user", "content": "Leave it."}]
    )
    closed = fake_llm.requests[-2]["messages"]
    assert any(m["role"] == "tool" and m["content"] == NOT_RUN_IN_FORK for m in closed)
    assert _memory(server, before_update["id"])["people/ann.md"] == "Likes tea.\n"
    # the fork ran only its own final answer, never the original's update_file
    ran = ToolExecution.objects.filter(session_id=before_update["id"])
    assert list(ran.values_list("tool_name", flat=True)) == ["final_answer"]

    # the original is as it was; a fork of a fork starts from the same point
    assert _memory(server, original)["people/ann.md"] == "Likes green tea.\n"
    again = httpx.post(f"{server}/v1/sessions/{branch['id']}/fork", json={"at_seq": created})
    assert _memory(server, again.json()["id"]) == {"people": "/", "people/ann.md": "Likes tea.\n"}
