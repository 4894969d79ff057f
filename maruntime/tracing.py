"""OpenTelemetry traces: spans per HTTP request, run, step, LLM call and tool call.

Configured by the standard OpenTelemetry environment: ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or
``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``) exports over OTLP/HTTP, ``OTEL_TRACES_EXPORTER=
console`` prints spans, ``OTEL_SERVICE_NAME`` names the service. With none of them the
spans are the API's no-ops and cost next to nothing.
"""

from __future__ import annotations

import os

from opentelemetry import trace

tracer = trace.get_tracer("maruntime")


def exporter_name() -> str:
    """Which exporter the environment asks for: "otlp", "console" or "none"."""
    configured = os.environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if configured:
        return configured
    endpoint = os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or os.environ.get(
        "OTEL_EXPORTER_OTLP_ENDPOINT"
    )
    return "otlp" if endpoint else "none"


def configure_tracing(*, surface: str) -> bool:
    """Install an SDK tracer provider when the environment asks for traces; True if so."""
    name = exporter_name()
    if name == "none":
        return False
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import (
        BatchSpanProcessor,
        ConsoleSpanExporter,
        SpanExporter,
    )

    exporter: SpanExporter
    if name == "console":
        exporter = ConsoleSpanExporter()
    elif name == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter()
    else:
        raise ValueError(f"OTEL_TRACES_EXPORTER={name!r}: use otlp, console or none")
    service = os.environ.get("OTEL_SERVICE_NAME", f"maruntime-{surface}")
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    return True
