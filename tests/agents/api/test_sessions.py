"""Read-only runtime views of the admin API."""

import pytest

pytestmark = pytest.mark.django_db


def _ids(response):
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


def test_session_list_filters_search_and_ordering(api, sessions):
    done, waiting = sessions
    assert _ids(api.get("/api/admin/sessions/")) == [str(waiting.id), str(done.id)]
    assert _ids(api.get("/api/admin/sessions/?state=completed")) == [str(done.id)]
    assert _ids(api.get("/api/admin/sessions/?template=writer")) == [str(waiting.id)]
    assert _ids(api.get("/api/admin/sessions/?owner=key-a")) == [str(done.id)]
    assert _ids(api.get("/api/admin/sessions/?search=poem")) == [str(waiting.id)]
    assert _ids(api.get("/api/admin/sessions/?ordering=created_at")) == [
        str(done.id),
        str(waiting.id),
    ]
    row = api.get("/api/admin/sessions/?owner=key-a").json()["results"][0]
    assert row["template"] == "researcher" and row["template_version"] == 1
    assert "events" not in row
    assert api.get("/api/admin/sessions/?state=bogus").status_code == 400


def test_session_detail_has_its_timeline_in_seq_order(api, sessions):
    done, _ = sessions
    body = api.get(f"/api/admin/sessions/{done.id}/").json()
    assert [e["seq"] for e in body["events"]] == [1, 2, 3]
    assert [e["type"] for e in body["events"]] == ["user_message", "reasoning", "final_answer"]
    assert body["runs"][0]["outcome"] == "completed"
    assert body["tool_executions"][0]["tool_name"] == "web_search"
    assert body["artifacts"][0]["name"] == "report.md"
    assert body["result"] == "cats found"


def test_sessions_are_read_only(api, sessions):
    done, _ = sessions
    assert api.post("/api/admin/sessions/", {}, format="json").status_code == 405
    assert api.delete(f"/api/admin/sessions/{done.id}/").status_code == 405
    assert api.patch(f"/api/admin/sessions/{done.id}/", {}, format="json").status_code == 405


def test_unknown_session_is_404(api, sessions):
    assert api.get("/api/admin/sessions/00000000-0000-0000-0000-000000000000/").status_code == 404


def test_instances_list_and_filters(api, sessions):
    done, _ = sessions
    rows = api.get("/api/admin/instances/").json()["results"]
    assert [r["worker"] for r in rows] == ["w1", "w2"]
    assert rows[0]["current_session"] == str(done.id)
    busy = api.get("/api/admin/instances/?state=busy").json()["results"]
    assert [r["worker"] for r in busy] == ["w1"]
    writer = api.get("/api/admin/instances/?template=writer").json()["results"]
    assert [r["template"] for r in writer] == ["writer"]
    assert api.get(f"/api/admin/instances/{rows[0]['id']}/").json()["worker"] == "w1"


def test_runtime_views_need_credentials(settings, sessions):
    from rest_framework.test import APIClient

    settings.ADMIN_API_KEY = "k"
    assert APIClient().get("/api/admin/sessions/").status_code == 401
    assert APIClient().get("/api/admin/instances/").status_code == 401
