"""Traces: which exporter the environment selects, and the spans a request and an LLM
call produce (recorded by an in-memory exporter)."""

from __future__ import annotations

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from agents.engine.llm import complete
from catalog.policies import LLMPolicy
from maruntime import tracing
from tests.fakes.fake_llm import Reply

_EXPORTER = InMemorySpanExporter()


@pytest.fixture(scope="module")
def spans():
    # The global provider can be set once per process; this module is its only user.
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(_EXPORTER))
    trace.set_tracer_provider(provider)
    return _EXPORTER


@pytest.fixture(autouse=True)
def _clear_spans():
    _EXPORTER.clear()


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "none"),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, "otlp"),
        ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces"}, "otlp"),
        ({"OTEL_TRACES_EXPORTER": "console"}, "console"),
        ({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://x"}, "none"),
    ],
)
def test_the_environment_picks_the_exporter(monkeypatch, env, expected):
    for name in (
        "OTEL_TRACES_EXPORTER",
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert tracing.exporter_name() == expected


def test_an_unknown_exporter_is_refused(monkeypatch):
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "zipkin")
    with pytest.raises(ValueError, match="zipkin"):
        tracing.configure_tracing(surface="all")


async def test_an_llm_call_is_a_client_span(spans, fake_llm, settings):
    settings.OPENAI_BASE_URL = fake_llm.base_url
    fake_llm.script(Reply.text("hi"))
    await complete(LLMPolicy(model="fake-model"), [{"role": "user", "content": "hello"}])
    (span,) = [s for s in spans.get_finished_spans() if s.name == "llm.chat"]
    assert span.kind == trace.SpanKind.CLIENT
    assert span.attributes["llm.model"] == "fake-model" and span.attributes["llm.attempt"] == 1


@pytest.mark.django_db
async def test_a_request_is_a_server_span(spans, async_client):
    response = await async_client.get("/v1/models", headers={"X-Request-Id": "req-1"})
    assert response.status_code == 200
    (span,) = [s for s in spans.get_finished_spans() if s.name == "GET /v1/models"]
    assert span.kind == trace.SpanKind.SERVER
    assert span.attributes["request.id"] == "req-1"
    assert span.attributes["http.response.status_code"] == 200
