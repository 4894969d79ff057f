"""Passthrough: models the catalog does not know go to the upstream unchanged, when the
operator turns it on; the official openai client cannot tell the difference."""

from __future__ import annotations

import io

import openai
import pytest
from asgiref.sync import sync_to_async
from django.core.management import call_command

from agents.models import Session
from gateway.services import api_key_create
from tests.e2e.conftest import client_for, stack, stack_env  # noqa: F401 (fixtures)
from tests.fakes.fake_llm import MODEL_ID, Reply
from tests.fakes.sgr import final_args, sgr_replies

pytestmark = pytest.mark.django_db(transaction=True)

BODY = {"model": "gpt-upstream", "messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture(scope="module")
def proxy(request) -> str:
    return request.getfixturevalue("stack").gateway(GATEWAY_PASSTHROUGH="1")


@pytest.fixture
def passthrough_on(settings, fake_llm):
    settings.GATEWAY_PASSTHROUGH = True
    settings.OPENAI_BASE_URL = fake_llm.base_url


def test_a_plain_completion_comes_back_from_the_upstream(proxy, fake_llm):
    fake_llm.script(Reply.text("Hello from upstream."))
    completion = client_for(proxy).chat.completions.create(
        model="gpt-upstream",
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "hi"},
        ],
        temperature=0.3,
    )
    assert completion.choices[0].message.content == "Hello from upstream."
    sent = fake_llm.requests[0]
    assert sent["model"] == "gpt-upstream" and sent["temperature"] == 0.3
    assert [m["role"] for m in sent["messages"]] == ["system", "user"]
    assert not Session.objects.exists()


def test_a_stream_and_a_tool_conversation_pass_through(proxy, fake_llm):
    fake_llm.script(
        Reply.text("Streamed words arrive in order.", token_delay=0.01),
        Reply.tool_call("lookup", {"q": "x"}),
    )
    client = client_for(proxy)
    chunks = list(
        client.chat.completions.create(
            model="gpt-upstream", stream=True, messages=[{"role": "user", "content": "go"}]
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Streamed words arrive in order." and len(chunks) > 3

    # A conversation that ends with a tool result (our agents' parser would refuse it).
    answer = client.chat.completions.create(
        model="gpt-upstream",
        messages=[
            {"role": "user", "content": "look it up"},
            {
                "role": "assistant",
                "tool_calls": [
                    {
                        "id": "c1",
                        "type": "function",
                        "function": {"name": "lookup", "arguments": "{}"},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "content": "found"},
        ],
        tools=[{"type": "function", "function": {"name": "lookup", "parameters": {}}}],
    )
    calls = answer.choices[0].message.model_dump()["tool_calls"]
    assert calls[0]["function"]["name"] == "lookup"
    assert fake_llm.requests[1]["messages"][-1]["role"] == "tool"


def test_upstream_errors_come_back_as_the_upstream_sent_them(proxy, fake_llm):
    fake_llm.script(Reply.error(429, "slow down"))
    with pytest.raises(openai.RateLimitError, match="slow down"):
        client_for(proxy).chat.completions.create(
            model="gpt-upstream", messages=[{"role": "user", "content": "hi"}]
        )


def test_catalog_models_still_run_agents(proxy, fake_llm):
    call_command("seed_builtin", stdout=io.StringIO())
    fake_llm.script(*sgr_replies(("final_answer", final_args("An agent answered."))))
    completion = client_for(proxy).chat.completions.create(
        model="sgr_agent", messages=[{"role": "user", "content": "hi"}]
    )
    assert completion.choices[0].message.content == "An agent answered."
    assert Session.objects.filter(template_version__template__name="sgr_agent").exists()


async def test_off_by_default_an_unknown_model_is_404(async_client):
    response = await async_client.post(
        "/v1/chat/completions", BODY, content_type="application/json"
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "model_not_found"


async def test_the_upstreams_models_are_listed_after_ours(async_client, passthrough_on):
    await sync_to_async(call_command)("seed_builtin", stdout=io.StringIO())
    listed = (await async_client.get("/v1/models")).json()["data"]
    kinds = {m["id"]: m.get("kind") for m in listed}
    assert kinds["sgr_agent"] == "agent" and kinds[MODEL_ID] == "passthrough"
    detail = await async_client.get(f"/v1/models/{MODEL_ID}")
    assert detail.status_code == 200 and detail.json()["owned_by"] == "fake"
    assert (await async_client.get("/v1/models/not-anywhere")).status_code == 404


async def test_an_unreachable_upstream_is_502(async_client, passthrough_on, settings):
    settings.OPENAI_BASE_URL = "http://127.0.0.1:9/v1"
    response = await async_client.post(
        "/v1/chat/completions", BODY, content_type="application/json"
    )
    assert response.status_code == 502
    assert "could not be reached" in response.json()["error"]["message"]


async def test_keys_need_the_model_in_scope_and_no_token_budget(
    async_client, passthrough_on, settings
):
    settings.GATEWAY_AUTH = "keys"
    scoped = (await _key(templates=["sgr_agent"])).plain
    budgeted = (await _key(tokens_per_day=1000)).plain
    for key, phrase in ((scoped, "may not use the model"), (budgeted, "not metered")):
        response = await async_client.post(
            "/v1/chat/completions",
            BODY,
            content_type="application/json",
            headers={"Authorization": f"Bearer {key}"},
        )
        assert response.status_code == 403
        assert phrase in response.json()["error"]["message"]


async def _key(**options):
    return await sync_to_async(api_key_create)(name="t", **options)
