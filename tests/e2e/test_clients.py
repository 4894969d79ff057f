"""The popular Python clients, used as their users do, against a real ``serve`` and the
scripted upstream: openai-python (sync, async, ``parse``), LangChain's ``ChatOpenAI`` and
the LiteLLM SDK."""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

import openai
import pytest
from pydantic import BaseModel, SecretStr

from agents.models import Session
from tests.e2e.conftest import client_for, session_id_of
from tests.fakes.sgr import clarify_args, final_args, sgr_replies, structured_final

pytestmark = pytest.mark.usefixtures("seeded")
# LiteLLM would fetch its model price list from the network on import.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")


class Weather(BaseModel):
    city: str
    temperature_c: int


TIME_TOOL: Any = {
    "type": "function",
    "function": {
        "name": "get_time",
        "description": "The current time in a time zone.",
        "parameters": {
            "type": "object",
            "properties": {"zone": {"type": "string"}},
            "required": ["zone"],
            "additionalProperties": False,
        },
    },
}


def _offered_answer_schema(request: dict[str, Any]) -> dict[str, Any]:
    variants = request["response_format"]["json_schema"]["schema"]["properties"]["function"]
    final = next(
        v
        for v in variants["anyOf"]
        if v["properties"]["tool_name_discriminator"]["enum"] == ["final_answer"]
    )
    return dict(final["properties"]["answer"])


def test_openai_parse_returns_the_clients_model(server, fake_llm):
    # The first answer misses a field: re-asked against the client's schema, then valid.
    fake_llm.script(
        structured_final({"city": "Oslo"}), structured_final({"city": "Oslo", "temperature_c": 12})
    )
    completion = client_for(server).chat.completions.parse(
        model="sgr_agent",
        messages=[{"role": "user", "content": "Weather in Oslo?"}],
        response_format=Weather,
    )
    assert completion.choices[0].message.parsed == Weather(city="Oslo", temperature_c=12)
    schema = _offered_answer_schema(fake_llm.requests[0])
    assert set(schema["required"]) == {"city", "temperature_c"}
    assert "temperature_c" in fake_llm.requests[1]["messages"][-1]["content"]


def test_openai_sync_stream_with_usage_and_the_conversation_resent(server, fake_llm):
    client = client_for(server)
    fake_llm.script(*sgr_replies(("clarification", clarify_args("Which city?"))))
    messages: list[Any] = [{"role": "user", "content": "Weather there?"}]
    first = client.chat.completions.create(model="sgr_agent", messages=messages)
    messages += [
        {"role": "assistant", "content": first.choices[0].message.content},
        {"role": "user", "content": "Oslo"},
    ]
    fake_llm.script(*sgr_replies(("final_answer", final_args("Sunny."))))
    chunks = list(
        client.chat.completions.create(
            model="sgr_agent",
            messages=messages,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Sunny."
    usage = chunks[-1].usage
    assert chunks[-1].choices == [] and usage is not None and usage.total_tokens > 0
    assert {session_id_of(c) for c in chunks} == {session_id_of(first)}


def test_openai_async_client_streams(server, fake_llm):
    fake_llm.script(*sgr_replies(("final_answer", final_args("Async works."))))

    async def chat() -> str:
        client = openai.AsyncOpenAI(base_url=f"{server}/v1", api_key="none", max_retries=0)
        stream = await client.chat.completions.create(
            model="sgr_agent", messages=[{"role": "user", "content": "hi"}], stream=True
        )
        text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
        await client.close()
        return text

    assert asyncio.run(chat()) == "Async works."


@pytest.mark.parametrize(
    ("extra", "param"),
    [
        ({"n": 2}, "n"),
        ({"tools": [TIME_TOOL], "tool_choice": "required"}, "tool_choice"),
        ({"tools": [{"type": "retrieval"}]}, "tools[0]"),
        ({"response_format": {"type": "yaml"}}, "response_format"),
        (
            {
                "response_format": {
                    "type": "json_schema",
                    "json_schema": {"name": "x", "schema": {"type": "nonsense"}},
                }
            },
            "response_format.json_schema.schema",
        ),
    ],
)
def test_options_an_agent_cannot_honour_are_refused_not_ignored(server, extra, param):
    before = Session.objects.count()
    with pytest.raises(openai.BadRequestError) as error:
        client_for(server).chat.completions.create(
            model="sgr_agent", messages=[{"role": "user", "content": "hi"}], **extra
        )
    assert isinstance(error.value.body, dict) and error.value.body["param"] == param
    assert Session.objects.count() == before


def test_the_agent_calls_a_client_tool_and_the_result_resumes_the_session(server, fake_llm):
    client = client_for(server)
    fake_llm.script(*sgr_replies(("get_time", {"zone": "UTC"})))
    messages: list[Any] = [{"role": "user", "content": "What time is it?"}]
    chunks = list(
        client.chat.completions.create(
            model="sgr_agent", messages=messages, tools=[TIME_TOOL], stream=True
        )
    )
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices[0].finish_reason]
    assert finishes == ["tool_calls"]
    (call,) = [tc for c in chunks for tc in c.choices[0].delta.tool_calls or []]
    assert call.function is not None and call.function.name == "get_time"
    assert json.loads(call.function.arguments or "") == {"zone": "UTC"}
    session = Session.objects.get()
    assert session.state == "waiting_for_tool_result"

    fake_llm.script(*sgr_replies(("final_answer", final_args("It is noon (UTC)."))))
    messages += [
        {"role": "assistant", "content": None, "tool_calls": [call.model_dump()]},
        {"role": "tool", "tool_call_id": call.id, "content": "12:00"},
    ]
    answer = client.chat.completions.create(model="sgr_agent", messages=messages, tools=[TIME_TOOL])
    assert answer.choices[0].message.content == "It is noon (UTC)."
    assert answer.choices[0].finish_reason == "stop"
    assert session_id_of(answer) == str(session.pk)
    tool_message = fake_llm.requests[-1]["messages"][-1]
    assert tool_message["role"] == "tool" and tool_message["content"] == "12:00"

    # the conversation goes on in the same session
    fake_llm.script(*sgr_replies(("final_answer", final_args("Still noon."))))
    messages += [
        {"role": "assistant", "content": "It is noon (UTC)."},
        {"role": "user", "content": "And now?"},
    ]
    later = client.chat.completions.create(model="sgr_agent", messages=messages, tools=[TIME_TOOL])
    assert session_id_of(later) == str(session.pk)

    # a result for a call the session no longer waits for
    with pytest.raises(openai.ConflictError):
        client.chat.completions.create(model="sgr_agent", messages=messages[:3])


def test_langchain_continues_the_session_and_returns_structured_output(server, fake_llm):
    from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
    from langchain_openai import ChatOpenAI

    chat = ChatOpenAI(
        model="sgr_agent", base_url=f"{server}/v1", api_key=SecretStr("none"), max_retries=0
    )
    fake_llm.script(*sgr_replies(("clarification", clarify_args("Which city?"))))
    history: list[Any] = [SystemMessage("Be brief."), HumanMessage("Weather there?")]
    question = chat.invoke(history)
    session_id = question.response_metadata.get("id", "")
    assert "Which city?" in str(question.content)

    fake_llm.script(*sgr_replies(("final_answer", final_args("Sunny in Oslo."))))
    history += [AIMessage(question.content), HumanMessage("Oslo")]
    answer = chat.invoke(history)
    assert answer.content == "Sunny in Oslo."
    session = Session.objects.get()
    assert session.runs.count() == 2 and session.pk.hex in session_id
    assert session.context["instructions"] == "Be brief."

    fake_llm.script(structured_final({"city": "Oslo", "temperature_c": 12}))
    weather = chat.with_structured_output(Weather).invoke("Weather in Oslo?")
    assert weather == Weather(city="Oslo", temperature_c=12)


def test_litellm_sdk_completion_and_stream(server, fake_llm):
    import litellm

    fake_llm.script(*sgr_replies(("final_answer", final_args("Hello from LiteLLM."))))
    response = litellm.completion(
        model="openai/sgr_agent",
        api_base=f"{server}/v1",
        api_key="none",
        messages=[{"role": "user", "content": "hi"}],
    )
    assert response.choices[0].message.content == "Hello from LiteLLM."

    fake_llm.script(*sgr_replies(("final_answer", final_args("Streamed."))))
    chunks = list(
        litellm.completion(
            model="openai/sgr_agent",
            api_base=f"{server}/v1",
            api_key="none",
            messages=[{"role": "user", "content": "hi"}],
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Streamed."
    assert any(getattr(c, "usage", None) and c.usage.total_tokens > 0 for c in chunks)
