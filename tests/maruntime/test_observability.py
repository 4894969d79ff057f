"""JSON logs with the bound context, and a request id on every response."""

from __future__ import annotations

import json
import logging

import pytest

from maruntime.observability import JsonFormatter, bind_log_context, reset_log_context


def _line(record: logging.LogRecord) -> dict:
    return json.loads(JsonFormatter().format(record))


def _record(message: str, exc_info=None) -> logging.LogRecord:
    return logging.LogRecord("agents.engine", logging.WARNING, __file__, 1, message, (), exc_info)


def test_a_log_line_is_json_with_the_bound_context():
    outer = bind_log_context(request_id="r1", session_id="s1")
    inner = bind_log_context(run_id=7, tool=None)
    try:
        line = _line(_record("step failed"))
    finally:
        reset_log_context(inner)
        reset_log_context(outer)
    assert line["message"] == "step failed" and line["level"] == "WARNING"
    assert (line["request_id"], line["session_id"], line["run_id"]) == ("r1", "s1", "7")
    assert "tool" not in line
    assert "request_id" not in _line(_record("later"))


def test_an_exception_is_part_of_the_line():
    try:
        raise ValueError("boom")
    except ValueError as exc:
        line = _line(_record("crashed", (type(exc), exc, exc.__traceback__)))
    assert "ValueError: boom" in line["exception"]


@pytest.mark.django_db(transaction=True)
async def test_every_response_carries_a_request_id(async_client):
    fresh = await async_client.get("/v1/models")
    assert len(fresh["X-Request-Id"]) == 32
    echoed = await async_client.get("/v1/models", headers={"X-Request-Id": "client-42"})
    assert echoed["X-Request-Id"] == "client-42"


@pytest.mark.parametrize(
    "sent", ["x" * 6000, "<script>alert(1)</script>", "a b", "id\u00e9", "line\tbreak"]
)
async def test_a_request_id_unsafe_to_echo_is_replaced(async_client, sent):
    response = await async_client.get("/healthz/", headers={"X-Request-Id": sent})
    assert response["X-Request-Id"] != sent
    assert len(response["X-Request-Id"]) == 32


@pytest.mark.parametrize("sent", ["4bf92f3577b34da6a3ce929d0e0e4736", "req_01H:abc.def-9"])
async def test_a_well_formed_request_id_is_echoed(async_client, sent):
    response = await async_client.get("/v1/no-such-route", headers={"X-Request-Id": sent})
    assert response["X-Request-Id"] == sent
