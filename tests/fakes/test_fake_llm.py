"""The fake upstream speaks OpenAI's chat completions protocol to the official client."""

from __future__ import annotations

import http.client
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import openai
import pytest

from tests.fakes.fake_llm import MODEL_ID, FakeLLM, Quirks, Reply

SCHEMA_FORMAT: Any = {
    "type": "json_schema",
    "json_schema": {
        "name": "next_step",
        "strict": True,
        "schema": {
            "type": "object",
            "properties": {"tool": {"type": "string"}, "answer": {"type": "string"}},
            "required": ["tool", "answer"],
            "additionalProperties": False,
        },
    },
}
STEP = {"tool": "final_answer", "answer": "The answer is forty-two, as everyone knows."}
USER: Any = [{"role": "user", "content": "What is the answer?"}]
SEARCH_TOOL: Any = {
    "type": "function",
    "function": {
        "name": "web_search",
        "parameters": {"type": "object", "properties": {"query": {"type": "string"}}},
    },
}


@pytest.fixture
def client(fake_llm: FakeLLM) -> openai.OpenAI:
    return openai.OpenAI(base_url=fake_llm.base_url, api_key="x", max_retries=0)


def _raw(fake: FakeLLM, method: str, path: str, body: bytes = b"") -> tuple[int, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=5)
    try:
        connection.request(method, path, body=body, headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def test_plain_text(fake_llm: FakeLLM, client: openai.OpenAI) -> None:
    fake_llm.script(Reply.text("Hello there."))

    completion = client.chat.completions.create(model="gpt-test", messages=USER)

    assert completion.object == "chat.completion"
    assert completion.model == "gpt-test"
    choice = completion.choices[0]
    assert choice.message.role == "assistant"
    assert choice.message.content == "Hello there."
    assert choice.finish_reason == "stop"
    assert completion.usage is not None
    assert completion.usage.completion_tokens == len("Hello there.") // 4 + 1
    assert completion.usage.total_tokens == (
        completion.usage.prompt_tokens + completion.usage.completion_tokens
    )


def test_structured_json_schema(fake_llm: FakeLLM, client: openai.OpenAI) -> None:
    fake_llm.script(Reply.structured(STEP))

    completion = client.chat.completions.create(
        model="gpt-test", messages=USER, response_format=SCHEMA_FORMAT
    )

    assert json.loads(completion.choices[0].message.content or "") == STEP
    assert completion.choices[0].message.tool_calls is None


def test_structured_json_schema_streamed(fake_llm: FakeLLM, client: openai.OpenAI) -> None:
    fake_llm.script(Reply.structured(STEP))

    chunks = list(
        client.chat.completions.create(
            model="gpt-test", messages=USER, response_format=SCHEMA_FORMAT, stream=True
        )
    )

    assert chunks[0].choices[0].delta.role == "assistant"
    pieces = [c.choices[0].delta.content for c in chunks if c.choices[0].delta.content]
    assert len(pieces) > 2
    assert json.loads("".join(pieces)) == STEP
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert all(c.object == "chat.completion.chunk" and c.model == "gpt-test" for c in chunks)


def test_structured_renders_forced_function_call(fake_llm: FakeLLM, client: openai.OpenAI) -> None:
    fake_llm.script(Reply.structured(STEP))

    completion = client.chat.completions.create(
        model="gpt-test",
        messages=USER,
        tools=[SEARCH_TOOL],
        tool_choice={"type": "function", "function": {"name": "web_search"}},
    )

    message = completion.choices[0].message
    assert message.content is None
    assert message.tool_calls is not None and len(message.tool_calls) == 1
    call = message.tool_calls[0]
    assert call.type == "function"
    assert call.id.startswith("call_")
    assert call.function.name == "web_search"
    assert json.loads(call.function.arguments) == STEP
    assert completion.choices[0].finish_reason == "tool_calls"


def test_tool_call(fake_llm: FakeLLM, client: openai.OpenAI) -> None:
    fake_llm.script(Reply.tool_call("web_search", {"query": "answer"}))

    completion = client.chat.completions.create(
        model="gpt-test", messages=USER, tools=[SEARCH_TOOL], tool_choice="required"
    )

    assert completion.choices[0].finish_reason == "tool_calls"
    (call,) = completion.choices[0].message.tool_calls or []
    assert call.type == "function"
    assert call.id.startswith("call_")
    assert call.function.name == "web_search"
    assert json.loads(call.function.arguments) == {"query": "answer"}


def test_tool_call_streamed(fake_llm: FakeLLM, client: openai.OpenAI) -> None:
    arguments = {"query": "the meaning of life, the universe and everything", "limit": 5}
    fake_llm.script(Reply.tool_call("web_search", arguments))

    stream = client.chat.completions.create(
        model="gpt-test", messages=USER, tools=[SEARCH_TOOL], stream=True
    )
    deltas = [call for chunk in stream for call in chunk.choices[0].delta.tool_calls or []]

    first, *rest = deltas
    assert first.id is not None and first.id.startswith("call_")
    assert first.type == "function"
    assert first.function is not None and first.function.name == "web_search"
    assert first.function.arguments == ""
    assert len(rest) > 1
    assert all(d.index == 0 and d.id is None for d in rest)
    assembled = "".join((d.function.arguments or "") for d in rest if d.function)
    assert json.loads(assembled) == arguments


def test_tool_call_stream_helper_reassembles(fake_llm: FakeLLM, client: openai.OpenAI) -> None:
    fake_llm.script(Reply.tool_call("web_search", {"query": "a rather long query string"}))

    with client.chat.completions.stream(
        model="gpt-test", messages=USER, tools=[SEARCH_TOOL]
    ) as stream:
        final = stream.get_final_completion()

    (call,) = final.choices[0].message.tool_calls or []
    assert json.loads(call.function.arguments) == {"query": "a rather long query string"}
    assert final.choices[0].finish_reason == "tool_calls"


def test_error_reply(fake_llm: FakeLLM, client: openai.OpenAI) -> None:
    fake_llm.script(Reply.error(), Reply.error(429, "slow down"))

    with pytest.raises(openai.InternalServerError, match="upstream exploded") as raised:
        client.chat.completions.create(model="gpt-test", messages=USER)
    assert raised.value.status_code == 500
    assert raised.value.body == {
        "message": "upstream exploded",
        "type": "server_error",
        "param": None,
        "code": None,
    }
    with pytest.raises(openai.RateLimitError, match="slow down"):
        client.chat.completions.create(model="gpt-test", messages=USER, stream=True)


def test_delay_is_observed(fake_llm: FakeLLM, client: openai.OpenAI) -> None:
    fake_llm.script(Reply.text("late", delay=0.3), Reply.text("late too", delay=0.3))

    started = time.monotonic()
    client.chat.completions.create(model="gpt-test", messages=USER)
    assert time.monotonic() - started >= 0.3

    started = time.monotonic()
    stream = client.chat.completions.create(model="gpt-test", messages=USER, stream=True)
    next(iter(stream))
    assert time.monotonic() - started >= 0.3
    stream.close()


def test_token_delay_spaces_chunks(fake_llm: FakeLLM, client: openai.OpenAI) -> None:
    fake_llm.script(Reply.text("x" * 60, token_delay=0.05))  # role + 3 pieces + finish

    started = time.monotonic()
    chunks = list(client.chat.completions.create(model="gpt-test", messages=USER, stream=True))

    assert len(chunks) == 5
    assert time.monotonic() - started >= 0.2


def test_script_exhausted(fake_llm: FakeLLM, client: openai.OpenAI) -> None:
    with pytest.raises(openai.InternalServerError, match="fake LLM script exhausted"):
        client.chat.completions.create(model="gpt-test", messages=USER)


def test_responder_answers_when_queue_empty(fake_llm: FakeLLM, client: openai.OpenAI) -> None:
    fake_llm.script(Reply.text("scripted"))
    fake_llm.responder = lambda request: Reply.text(f"echo {request['messages'][-1]['content']}")

    first = client.chat.completions.create(model="gpt-test", messages=USER)
    second = client.chat.completions.create(model="gpt-test", messages=USER)

    assert first.choices[0].message.content == "scripted"
    assert second.choices[0].message.content == "echo What is the answer?"


def test_requests_recorded_in_order(fake_llm: FakeLLM, client: openai.OpenAI) -> None:
    fake_llm.script(Reply.text("one"), Reply.text("two"))

    client.chat.completions.create(model="m-1", messages=USER, temperature=0.2)
    client.chat.completions.create(model="m-2", messages=USER, response_format=SCHEMA_FORMAT)

    fake_llm.wait_for_requests(2)
    assert [r["model"] for r in fake_llm.requests] == ["m-1", "m-2"]
    assert fake_llm.requests[0]["messages"] == USER
    assert fake_llm.requests[0]["temperature"] == 0.2
    assert fake_llm.requests[1]["response_format"] == SCHEMA_FORMAT
    assert fake_llm.remaining == 0
    with pytest.raises(AssertionError, match="got 2 request"):
        fake_llm.wait_for_requests(3, timeout=0.1)


def test_wait_for_requests_blocks_until_arrival(fake_llm: FakeLLM, client: openai.OpenAI) -> None:
    fake_llm.script(Reply.text("hi", delay=0.2))
    worker = threading.Thread(
        target=client.chat.completions.create, kwargs={"model": "m", "messages": USER}
    )
    worker.start()

    fake_llm.wait_for_requests(1, timeout=2)

    assert fake_llm.requests[0]["model"] == "m"
    worker.join()


def test_include_usage_chunk(fake_llm: FakeLLM, client: openai.OpenAI) -> None:
    fake_llm.script(Reply.text("Some streamed text that spans a few chunks."), Reply.text("x"))

    chunks = list(
        client.chat.completions.create(
            model="gpt-test",
            messages=USER,
            stream=True,
            stream_options={"include_usage": True},
        )
    )

    *content, usage_chunk = chunks
    assert usage_chunk.choices == []
    assert usage_chunk.usage is not None
    assert (
        usage_chunk.usage.completion_tokens
        == len("Some streamed text that spans a few chunks.") // 4 + 1
    )
    assert all(c.usage is None for c in content)

    plain = list(client.chat.completions.create(model="gpt-test", messages=USER, stream=True))
    assert all(c.choices and c.usage is None for c in plain)


def test_models(client: openai.OpenAI) -> None:
    assert [m.id for m in client.models.list()] == ["fake-model"]


def test_json_schema_without_schema_rejected(fake_llm: FakeLLM, client: openai.OpenAI) -> None:
    fake_llm.script(Reply.text("unused"))
    broken: Any = {"type": "json_schema", "json_schema": {"name": "x"}}

    with pytest.raises(openai.BadRequestError, match="schema"):
        client.chat.completions.create(model="gpt-test", messages=USER, response_format=broken)

    assert len(fake_llm.requests) == 1
    assert fake_llm.remaining == 1


def test_invalid_json_and_unknown_path(fake_llm: FakeLLM) -> None:
    status, body = _raw(fake_llm, "POST", "/v1/chat/completions", b"{not json")
    assert status == 400
    assert body["error"]["type"] == "invalid_request_error"

    status, body = _raw(fake_llm, "GET", "/v1/nope")
    assert status == 404
    assert set(body["error"]) == {"message", "type", "param", "code"}
    assert fake_llm.requests == []


def test_hang_until_client_gives_up(fake_llm: FakeLLM) -> None:
    fake_llm.script(Reply.hang(), Reply.text("after"))
    impatient = openai.OpenAI(base_url=fake_llm.base_url, api_key="x", max_retries=0, timeout=0.3)

    with pytest.raises(openai.APITimeoutError):
        impatient.chat.completions.create(model="gpt-test", messages=USER)

    after = impatient.chat.completions.create(model="gpt-test", messages=USER)
    assert after.choices[0].message.content == "after"


def test_close_releases_hung_requests() -> None:
    fake = FakeLLM()
    fake.script(Reply.hang())
    errors: list[BaseException] = []

    def call() -> None:
        client = openai.OpenAI(base_url=fake.base_url, api_key="x", max_retries=0, timeout=10)
        try:
            client.chat.completions.create(model="gpt-test", messages=USER)
        except openai.APIError as exc:
            errors.append(exc)

    worker = threading.Thread(target=call)
    worker.start()
    fake.wait_for_requests(1)
    started = time.monotonic()
    fake.close()
    worker.join(timeout=5)

    assert not worker.is_alive()
    assert time.monotonic() - started < 2
    assert isinstance(errors[0], openai.APIConnectionError)
    with pytest.raises(httpx.ConnectError):
        httpx.get(fake.base_url + "/models", timeout=1)


def test_serves_many_concurrent_connections(fake_llm: FakeLLM) -> None:
    n = 200
    fake_llm.responder = lambda request: Reply.text(request["model"], delay=0.5)
    client = openai.OpenAI(base_url=fake_llm.base_url, api_key="x", max_retries=0, timeout=20)

    def call(i: int) -> str | None:
        completion = client.chat.completions.create(model=f"m-{i}", messages=USER)
        return completion.choices[0].message.content

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=n) as pool:
        answers = list(pool.map(call, range(n)))

    assert answers == [f"m-{i}" for i in range(n)]
    assert time.monotonic() - started < 5  # served in parallel, not 200 x 0.5s


def test_llama_cpp_quirks_reproduce_what_its_server_does(fake_llm, client):
    fake_llm.quirks = Quirks.llama_cpp_python()

    with pytest.raises(openai.InternalServerError, match="Input should be 'text' or 'json_object'"):
        client.chat.completions.create(model=MODEL_ID, messages=USER, response_format=SCHEMA_FORMAT)
    null_content: Any = [*USER, {"role": "assistant", "content": None}]
    with pytest.raises(openai.InternalServerError, match=r"messages\.1\.content"):
        client.chat.completions.create(model=MODEL_ID, messages=null_content)

    fake_llm.script(
        Reply.tool_call("web_search", {"query": "x"}),
        Reply.tool_call("web_search", {"query": "two\nlines"}),
    )
    ignored = client.chat.completions.create(
        model=MODEL_ID, messages=USER, tools=[SEARCH_TOOL], tool_choice="required"
    )
    assert ignored.choices[0].message.tool_calls is None
    assert "web_search" in (ignored.choices[0].message.content or "")
    forced = client.chat.completions.create(
        model=MODEL_ID,
        messages=USER,
        tools=[SEARCH_TOOL],
        tool_choice={"type": "function", "function": {"name": "web_search"}},
    )
    (call,) = forced.choices[0].message.tool_calls or []
    assert call.function.arguments == '{"query": "two\nlines"}'  # a raw newline


def test_replies_can_be_cut_off_at_max_tokens(fake_llm, client):
    fake_llm.script(Reply.text('{"answer": "cu', finish_reason="length"))
    response = client.chat.completions.create(model=MODEL_ID, messages=USER)
    assert response.choices[0].finish_reason == "length"
