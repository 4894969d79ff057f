"""Hostile input on the admin API (``maruntime.admin_api_input``, the request guard): each
request that used to answer 500 is now refused in DRF's format, and nothing is written."""

from __future__ import annotations

import json

import pytest

from catalog.models import Tool
from tests.catalog.api.conftest import make_tool

pytestmark = pytest.mark.django_db


def assert_drf_refusal(response, status: int = 400) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body, dict) and body
    return body


def test_a_huge_limit_is_capped(api):
    make_tool()
    response = api.get("/api/admin/tools/?limit=99999999999999999999999")
    assert response.status_code == 200
    assert len(response.json()["results"]) == 1


def test_an_offset_beyond_bigint_is_a_400(api):
    body = assert_drf_refusal(api.get("/api/admin/tools/?offset=99999999999999999999999"))
    assert "offset" in body


@pytest.mark.parametrize(
    "value",
    [
        "0001-01-01",
        "9999-12-31T00:00:00+00:00",
        "2026-01-01T00:00:00+23:59",  # found by the schemathesis run: was a 500
    ],
)
def test_a_date_filter_at_the_edges_is_answered(api, value):
    response = api.get("/api/admin/sessions/", {"created_after": value})
    assert response.status_code == 200, response.content
    assert response.json()["count"] == 0


@pytest.mark.parametrize(
    "value",
    [
        "294277-01-01T00:00:00Z",
        "0000-01-01",
        "-0001-01-01",
        "9999-12-31T23:59:59-14:00",  # year 10000 in UTC
        "0001-01-01T00:00:00+14:00",  # year 0 in UTC
    ],
)
def test_a_date_filter_beyond_the_calendar_is_a_400(api, value):
    response = api.get("/api/admin/sessions/", {"created_after": value})
    assert "created_after" in assert_drf_refusal(response)


@pytest.mark.parametrize("body", [[1, 2], "a string", 42, None])
def test_put_with_a_body_that_is_not_an_object_is_a_400(api, body):
    make_tool()
    Tool.objects.filter(name="search").update(category="kept")
    response = api.put(
        "/api/admin/tools/search/", json.dumps(body), content_type="application/json"
    )
    assert_drf_refusal(response)
    assert Tool.objects.get(name="search").category == "kept"


def test_nul_in_a_name_is_a_400_and_writes_nothing(api):
    response = api.post("/api/admin/tools/", {"name": "a\u0000b", "type": "domain"}, format="json")
    assert_drf_refusal(response)
    assert not Tool.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "/api/admin/tools/?search=%00",
        "/api/admin/sessions/?owner=a%00b",
        "/api/admin/tools/?category=%00",
        "/api/admin/tools/%00/",
    ],
)
def test_nul_in_the_url_is_a_400(api, url):
    body = assert_drf_refusal(api.get(url))
    assert "NUL" in json.dumps(body)


def test_deeply_nested_json_is_a_400(api):
    nested = '{"name": "deep", "type": "domain", "tags": ' + "[" * 5000 + "]" * 5000 + "}"
    response = api.generic("POST", "/api/admin/tools/", nested, content_type="application/json")
    assert_drf_refusal(response)
    assert not Tool.objects.exists()


def test_a_lone_surrogate_is_a_400(api):
    response = api.generic(
        "POST",
        "/api/admin/tools/",
        '{"name": "x", "type": "domain", "description": "\\ud800"}',
        content_type="application/json",
    )
    assert "surrogate" in json.dumps(assert_drf_refusal(response))
    assert not Tool.objects.exists()


def test_an_unknown_admin_route_is_json(api):
    response = api.get("/api/admin/no-such-thing/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Unknown route: GET /api/admin/no-such-thing/"}
