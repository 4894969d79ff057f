"""Upstream capabilities in the admin API: what negotiation learned, and an operator's word."""

import pytest

from agents import services
from agents.models import UpstreamCapability

pytestmark = pytest.mark.django_db

URL = "/api/admin/upstream-capabilities/"


def test_an_operator_sees_pins_and_forgets_what_was_learned(api):
    learned = services.upstream_capability_learn(
        base_url="http://llm:8080/v1",
        model="smollm2",
        structured_output="json_object",
        evidence="json_schema rejected: Input should be 'text' or 'json_object'",
    )
    (row,) = api.get(URL).json()["results"]
    assert (row["structured_output"], row["pinned"]) == ("json_object", False)
    assert "Input should be" in row["evidence"]

    pinned = api.patch(
        f"{URL}{learned.pk}/", {"tool_choice": "function", "pinned": True}, format="json"
    )

    assert pinned.status_code == 200, pinned.json()
    assert pinned.json()["structured_output"] == "json_object"  # unchanged by the patch
    assert pinned.json()["evidence"] == "set by an operator"
    learned.refresh_from_db()
    assert (learned.tool_choice, learned.pinned) == ("function", True)
    assert api.delete(f"{URL}{learned.pk}/").status_code == 204
    assert not UpstreamCapability.objects.exists()


def test_bad_values_are_refused_in_the_apis_format(api):
    created = api.post(
        URL, {"base_url": "http://a/v1", "model": "m", "structured_output": "text"}, format="json"
    )
    assert created.status_code == 201, created.json()
    row = created.json()
    assert (
        api.post(URL, {"base_url": "http://a/v1", "model": "m"}, format="json").status_code == 400
    )
    bad_mode = api.patch(f"{URL}{row['id']}/", {"structured_output": "yaml"}, format="json")
    assert bad_mode.status_code == 400 and "structured_output" in bad_mode.json()
    moved = api.patch(f"{URL}{row['id']}/", {"model": "other"}, format="json")
    assert moved.status_code == 400 and "model" in moved.json()
