"""Stateless clients (chat UIs, LangChain) resend the whole conversation every turn: the
gateway finds the session it continues, or starts one with the conversation as history."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from agents.engine.prompts import USER_CONTEXT_HEADING
from agents.models import Session, SessionEvent
from tests.e2e.conftest import client_for, session_id_of
from tests.fakes.fake_llm import FakeLLM, Reply
from tests.fakes.sgr import clarify_args, final_args, sgr_replies
from tests.gateway.test_housekeeping import LIBRECHAT_TITLE, OPEN_WEBUI_TITLE

pytestmark = pytest.mark.usefixtures("seeded")


def _ask(base_url: str, messages: list[Any], **extra: Any) -> tuple[str, str]:
    """One non-streamed turn: the answer and the session id."""
    completion = client_for(base_url).chat.completions.create(
        model="sgr_agent", messages=messages, **extra
    )
    return completion.choices[0].message.content or "", session_id_of(completion)


def test_a_resent_conversation_answers_the_clarification_and_follows_up(server, fake_llm):
    fake_llm.script(*sgr_replies(("clarification", clarify_args("Which city do you mean?"))))
    conversation = [{"role": "user", "content": "What's the weather there?"}]
    question, session_id = _ask(server, conversation)
    assert "Which city do you mean?" in question

    fake_llm.script(*sgr_replies(("final_answer", final_args("Sunny in Oslo."))))
    conversation += [
        # front-ends re-wrap what they show: whitespace is not compared
        {"role": "assistant", "content": f"\n{question}  \n"},
        {"role": "user", "content": "Oslo"},
    ]
    answer, same = _ask(server, conversation)
    assert (answer, same) == ("Sunny in Oslo.", session_id)
    upstream = fake_llm.requests[-1]["messages"]
    last_user = [m["content"] for m in upstream if m["role"] == "user"][-1]
    # the answer reached the waiting session as the answer to its clarification
    assert "clarification" in last_user and "Oslo" in last_user

    fake_llm.script(*sgr_replies(("final_answer", final_args("Rain tomorrow."))))
    conversation += [
        {"role": "assistant", "content": answer},
        {"role": "user", "content": "And tomorrow?"},
    ]
    answer, same = _ask(server, conversation)
    assert (answer, same) == ("Rain tomorrow.", session_id)
    session = Session.objects.get(pk=session_id)
    assert session.state == "completed" and session.runs.count() == 3


def test_history_that_matches_no_session_becomes_the_new_sessions_context(server, fake_llm):
    fake_llm.script(*sgr_replies(("final_answer", final_args("Four."))))
    answer, session_id = _ask(
        server,
        [
            {"role": "system", "content": "Answer in one word."},
            {"role": "user", "content": "Two plus two?"},
            {"role": "assistant", "content": "A reply this server never gave."},
            {"role": "user", "content": "Are you sure?"},
        ],
    )
    assert answer == "Four."
    messages = fake_llm.requests[-1]["messages"]
    system = messages[0]["content"]
    # the template's prompt comes first and keeps precedence; the user's instructions follow
    assert system.index("Answer in one word.") > system.index("Today is")
    assert [(m["role"], m["content"]) for m in messages[1:3]] == [
        ("user", "Two plus two?"),
        ("assistant", "A reply this server never gave."),
    ]
    assert messages[3]["role"] == "user" and "Are you sure?" in messages[3]["content"]
    session = Session.objects.get(pk=session_id)
    assert session.task == "Are you sure?" and session.runs.count() == 1


def test_an_edited_earlier_turn_starts_a_new_session(server, fake_llm):
    fake_llm.script(*sgr_replies(("final_answer", final_args("One."))))
    first = [{"role": "user", "content": "Count to one"}]
    one, session_id = _ask(server, first)
    fake_llm.script(*sgr_replies(("final_answer", final_args("Two."))))
    _, same = _ask(
        server, [*first, {"role": "assistant", "content": one}, {"role": "user", "content": "+1"}]
    )
    assert same == session_id

    # the client edited its second message: the first turn is no longer the latest
    fake_llm.script(*sgr_replies(("final_answer", final_args("Three."))))
    _, branch = _ask(
        server, [*first, {"role": "assistant", "content": one}, {"role": "user", "content": "+2"}]
    )
    assert branch != session_id
    assert Session.objects.get(pk=session_id).runs.count() == 2


def test_the_front_ends_chat_id_decides_between_identical_transcripts(server, fake_llm):
    sessions = {}
    for chat_id in ("chat-a", "chat-b"):
        fake_llm.script(*sgr_replies(("clarification", clarify_args("Which one?"))))
        question, sessions[chat_id] = _ask(
            server,
            [{"role": "user", "content": "Pick a colour"}],
            extra_headers={"X-OpenWebUI-Chat-Id": chat_id},
        )
    answer_turn = [
        {"role": "user", "content": "Pick a colour"},
        {"role": "assistant", "content": question},
        {"role": "user", "content": "Blue"},
    ]
    fake_llm.script(*sgr_replies(("final_answer", final_args("Blue it is."))))
    _, continued = _ask(server, answer_turn, extra_headers={"X-OpenWebUI-Chat-Id": "chat-a"})
    assert continued == sessions["chat-a"]
    # without a header, the most recent matching turn wins
    fake_llm.script(*sgr_replies(("final_answer", final_args("Blue it is."))))
    _, continued = _ask(server, answer_turn)
    assert continued == sessions["chat-b"]


def _system_prompt_sent(fake_llm: FakeLLM) -> str:
    """The system message of the last request the upstream received."""
    return str(fake_llm.requests[-1]["messages"][0]["content"])


def test_the_user_context_reaches_the_system_prompt_and_stays_until_replaced(server, fake_llm):
    about_ann = {"name": "Ann", "plan": "pro", "timezone": "Europe/Oslo"}
    fake_llm.script(*sgr_replies(("clarification", clarify_args("Which report?"))))
    conversation = [{"role": "user", "content": "Send me the report"}]
    question, session_id = _ask(server, conversation, extra_body={"user_context": about_ann})
    system = _system_prompt_sent(fake_llm)
    facts = "- name: Ann\n- plan: pro\n- timezone: Europe/Oslo"
    assert USER_CONTEXT_HEADING + facts in system
    assert system.index("Today is") < system.index(facts)  # the template's prompt comes first
    started = SessionEvent.objects.filter(session_id=session_id, type="user_message").first()
    assert started is not None and started.payload["user_context"] == about_ann

    # the answer to the clarification says nothing about the user: the session remembers
    fake_llm.script(*sgr_replies(("final_answer", final_args("Sent the May report."))))
    conversation += [
        {"role": "assistant", "content": question},
        {"role": "user", "content": "May's"},
    ]
    answer, same = _ask(server, conversation)
    assert same == session_id and facts in _system_prompt_sent(fake_llm)

    # a new context replaces it, and {} clears it
    fake_llm.script(*sgr_replies(("final_answer", final_args("Done."))))
    conversation += [{"role": "assistant", "content": answer}, {"role": "user", "content": "Again"}]
    answer, same = _ask(server, conversation, extra_body={"user_context": {"name": "Bo"}})
    assert same == session_id
    system = _system_prompt_sent(fake_llm)
    assert "- name: Bo" in system and "Ann" not in system
    fake_llm.script(*sgr_replies(("final_answer", final_args("Done again."))))
    conversation += [{"role": "assistant", "content": answer}, {"role": "user", "content": "More"}]
    _, same = _ask(server, conversation, extra_body={"user_context": {}})
    assert same == session_id and USER_CONTEXT_HEADING not in _system_prompt_sent(fake_llm)


def _raw_stream(base_url: str, **extra: Any) -> list[Any]:
    body = {
        "model": "sgr_agent",
        "stream": True,
        "messages": [{"role": "user", "content": "hi"}],
        **extra,
    }
    with httpx.stream("POST", f"{base_url}/v1/chat/completions", json=body, timeout=30) as reply:
        data = [line[6:] for line in reply.iter_lines() if line.startswith("data: ")]
    assert data[-1] == "[DONE]"
    return [json.loads(item) for item in data[:-1]]


def test_include_usage_adds_a_final_usage_chunk_and_nothing_else_has_usage(server, fake_llm):
    fake_llm.script(*sgr_replies(("final_answer", final_args("ok"))))
    chunks = _raw_stream(server, stream_options={"include_usage": True})
    *choice_chunks, usage_chunk = chunks
    assert usage_chunk["choices"] == [] and usage_chunk["usage"]["total_tokens"] > 0
    assert all(c["usage"] is None and len(c["choices"]) == 1 for c in choice_chunks)
    finishes = [c["choices"][0]["finish_reason"] for c in choice_chunks]
    assert [f for f in finishes if f] == ["stop"] and finishes[-1] == "stop"

    fake_llm.script(*sgr_replies(("final_answer", final_args("ok"))))
    chunks = _raw_stream(server)
    assert all("usage" not in c and len(c["choices"]) == 1 for c in chunks)


def test_front_ends_housekeeping_is_answered_by_the_upstream_without_a_session(server, fake_llm):
    fake_llm.script(Reply.text('{"title": "Oslo Weather"}'))
    title = client_for(server).chat.completions.create(
        model="sgr_agent",
        messages=[{"role": "user", "content": OPEN_WEBUI_TITLE}],
        extra_headers={"X-OpenWebUI-Chat-Id": "chat-1"},
    )
    assert title.choices[0].message.content == '{"title": "Oslo Weather"}'
    request = fake_llm.requests[-1]
    assert request["model"] == "fake-model"  # the agent's upstream model
    assert request["messages"] == [{"role": "user", "content": OPEN_WEBUI_TITLE}]

    fake_llm.script(Reply.text("Greeting Exchange"))
    chunks = list(
        client_for(server).chat.completions.create(
            model="sgr_agent",
            messages=[{"role": "user", "content": LIBRECHAT_TITLE}],
            stream=True,
        )
    )
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == (
        "Greeting Exchange"
    )
    assert not Session.objects.exists()
