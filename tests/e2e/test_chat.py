"""A user's view of the all-in-one server: the official openai client against `serve`."""

from __future__ import annotations

import httpx
import openai
import pytest

from agents.models import Session, ToolExecution
from gateway.services import api_key_create
from tests.e2e.conftest import client_for
from tests.fakes.fake_llm import Reply
from tests.fakes.sgr import final_args, plan_args, sgr_replies

pytestmark = pytest.mark.usefixtures("seeded")


def _stream(base_url: str, model: str, content: str, **extra):
    stream = client_for(base_url).chat.completions.create(
        model=model, stream=True, messages=[{"role": "user", "content": content}], **extra
    )
    return list(stream)


def _error_body(error: openai.APIStatusError) -> dict:
    assert isinstance(error.body, dict)
    return error.body


def test_models_lists_the_builtin_templates(server):
    names = {m.id for m in client_for(server).models.list()}
    assert {"sgr_agent", "sgr_tool_calling_agent", "tool_calling_agent"} <= names


def test_streamed_run_reaches_the_final_answer(server, fake_llm):
    # Every flavour, step by step, in process: tests/agents/engine/test_loop.py.
    fake_llm.script(
        *sgr_replies(("generate_plan", plan_args()), ("final_answer", final_args("42.")))
    )
    chunks = _stream(server, "sgr_agent", "What is six times seven?")

    content = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert content == "42."
    finishes = [
        c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason
    ]
    assert finishes == ["stop"]
    thinking = "".join(
        (c.choices[0].delta.model_extra or {}).get("reasoning_content") or "" for c in chunks
    )
    assert "generate_plan" in thinking
    session = Session.objects.get(pk=chunks[0].model_extra["session_id"])
    assert session.state == "completed" and session.result == "42."
    seqs = list(session.events.values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))
    assert ToolExecution.objects.filter(session=session, tool_name="generate_plan").count() == 1
    assert all(c.usage is None for c in chunks)  # usage only when include_usage asks


def test_the_upstream_sees_the_schema_and_only_offered_tools(server, fake_llm):
    fake_llm.script(*sgr_replies(("final_answer", final_args("ok"))))
    _stream(server, "sgr_agent", "hi")
    request = fake_llm.requests[0]
    schema = request["response_format"]["json_schema"]["schema"]
    offered = {
        v["properties"]["tool_name_discriminator"]["enum"][0]
        for v in schema["properties"]["function"]["anyOf"]
    }
    # web search is not configured here, so it is never offered
    assert "final_answer" in offered and "web_search" not in offered
    assert request["messages"][0]["role"] == "system"


def test_non_streamed_completion(server, fake_llm):
    fake_llm.script(*sgr_replies(("final_answer", final_args("Paris."))))
    raw = client_for(server).chat.completions.with_raw_response.create(
        model="sgr_agent", messages=[{"role": "user", "content": "Capital of France?"}]
    )
    completion = raw.parse()
    assert completion.choices[0].message.content == "Paris."
    assert completion.choices[0].finish_reason == "stop"
    assert raw.headers["X-Session-Id"] == (completion.model_extra or {})["session_id"]
    detail = httpx.get(f"{server}/v1/sessions/{raw.headers['X-Session-Id']}").json()
    assert detail["state"] == "completed" and detail["result"] == "Paris."


def test_an_agent_that_gives_up_fails_the_turn_with_its_own_words(server, fake_llm):
    gave_up = {**final_args("No source says which companies."), "status": "failed"}
    fake_llm.script(*sgr_replies(("final_answer", gave_up)))
    with pytest.raises(openai.UnprocessableEntityError) as error:
        client_for(server).chat.completions.create(
            model="sgr_agent", messages=[{"role": "user", "content": "Compare the companies."}]
        )

    assert _error_body(error.value)["code"] == "agent_gave_up"
    assert "No source says which companies." in _error_body(error.value)["message"]
    session = Session.objects.latest("created_at")
    assert session.state == "failed" and session.result == "No source says which companies."
    assert session.error == _error_body(error.value)["message"]


def test_unknown_model_is_404(server):
    with pytest.raises(openai.NotFoundError) as error:
        _stream(server, "no_such_agent", "hi")
    assert _error_body(error.value)["code"] == "model_not_found"


# (body, status, param): each refused in OpenAI's envelope, writing nothing.
MALFORMED: list[tuple[bytes, int, str | None]] = [
    (b"{not json", 400, None),
    (b'{"model": "sgr_agent"}', 400, "messages"),
    (b'{"model": "sgr_agent", "messages": []}', 400, "messages"),
    (
        b'{"model": "sgr_agent", "messages": [{"role": "wizard", "content": "x"}]}',
        400,
        "messages[0].role",
    ),
    (
        b'{"model": "sgr_agent", "messages": [{"role": "assistant", "content": "x"}]}',
        400,
        "messages",
    ),
    (b'{"messages": [{"role": "user", "content": "x"}]}', 400, "model"),
    (b"[1, 2]", 400, None),
    (
        b'{"model": "sgr_agent", "approve": "yes", "messages": [{"role": "user", "content": "x"}]}',
        400,
        "approve",
    ),
    (
        b'{"model": "sgr_agent", "approve": true, "messages": [{"role": "user", "content": "x"}]}',
        400,
        "approve",
    ),
]


def test_malformed_bodies_get_openai_errors_and_write_nothing(server, subtests):
    before = Session.objects.count()
    for body, status, param in MALFORMED:
        with subtests.test(body=body):
            response = httpx.post(
                f"{server}/v1/chat/completions",
                content=body,
                headers={"Content-Type": "application/json"},
            )
            assert response.status_code == status
            error = response.json()["error"]
            assert error["message"] and error["type"] == "invalid_request_error"
            assert error["param"] == param
    assert Session.objects.count() == before


def test_oversize_body_is_413(server):
    body = (
        b'{"model": "sgr_agent", "messages": [{"role": "user", "content": "'
        + b"x" * 1_100_000
        + b'"}]}'
    )
    response = httpx.post(f"{server}/v1/chat/completions", content=body)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"


def test_upstream_500_is_retried_then_fails_cleanly(server, fake_llm):
    fake_llm.script(*[Reply.error(500, "upstream exploded")] * 3)
    with pytest.raises(openai.APIError) as error:
        _stream(server, "sgr_agent", "hi")
    assert "upstream" in str(error.value).lower()
    assert len(fake_llm.requests) == 3
    session = Session.objects.latest("created_at")
    assert session.state == "failed" and "3 attempts" in session.error

    fake_llm.script(*[Reply.error(500)] * 3)
    with pytest.raises(openai.APIStatusError) as error:
        client_for(server).chat.completions.create(
            model="sgr_agent", messages=[{"role": "user", "content": "hi"}]
        )
    assert error.value.status_code == 502


def test_no_upstream_configured_answers_503(stack):
    # No pool: this misconfigured process must not claim the other tests' runs.
    base = stack.gateway(pool=False, OPENAI_BASE_URL="")
    before = Session.objects.count()
    with pytest.raises(openai.APIStatusError) as error:
        _stream(base, "sgr_agent", "hi")
    assert error.value.status_code == 503
    assert "OPENAI_BASE_URL" in _error_body(error.value)["message"]
    assert Session.objects.count() == before


def test_sgr_stream_format_keeps_sgr_agent_core_clients_working(server, fake_llm):
    fake_llm.script(
        *sgr_replies(("generate_plan", plan_args()), ("final_answer", final_args("Done.")))
    )
    chunks = _stream(server, "sgr_agent", "Plan it", extra_body={"stream_format": "sgr"})
    session_id = chunks[0].model_extra["session_id"]
    ids = [c.id for c in chunks]
    assert (
        ids[0] == "0-start" and "1-reasoning" in ids and "1-action" in ids and ids[-1] == "2-final"
    )
    assert all(c.model == session_id for c in chunks)
    assert chunks[-1].choices[0].delta.content == "Done."
    tool_chunk = next(c for c in chunks if c.choices[0].delta.role == "tool")
    assert tool_chunk.choices[0].delta.model_extra["tool_call_id"] == "call_1_action"
    assert sum(1 for c in chunks if c.choices[0].finish_reason == "stop") == 2


def test_a_keys_tool_scope_keeps_tools_out_of_the_upstreams_view(stack, fake_llm):
    keyed = stack.gateway(GATEWAY_AUTH="keys")
    plain = api_key_create(name="no plans", tools_deny=["generate_plan", "adapt_plan"]).plain
    fake_llm.script(*sgr_replies(("final_answer", final_args("ok"))))
    client = openai.OpenAI(base_url=f"{keyed}/v1", api_key=plain, max_retries=0, timeout=30)
    completion = client.chat.completions.create(
        model="sgr_agent", messages=[{"role": "user", "content": "hi"}]
    )

    assert completion.choices[0].message.content == "ok"
    schema = fake_llm.requests[0]["response_format"]["json_schema"]["schema"]
    offered = {
        v["properties"]["tool_name_discriminator"]["enum"][0]
        for v in schema["properties"]["function"]["anyOf"]
    }
    assert "final_answer" in offered and not offered & {"generate_plan", "adapt_plan"}
    session = Session.objects.get(pk=(completion.model_extra or {})["session_id"])
    selection = session.events.get(type="tool_selection").payload
    assert selection["excluded"]["generate_plan"] == "caller scope: denied to the caller"
