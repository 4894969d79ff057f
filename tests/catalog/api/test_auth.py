"""Who may call the admin API: the configured key or a staff session, nobody else."""

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from tests.catalog.api.conftest import ADMIN_KEY

pytestmark = pytest.mark.django_db

URL = "/api/admin/tools/"


def test_no_key_configured_refuses_every_key(settings):
    settings.ADMIN_API_KEY = ""
    client = APIClient()
    for key in ("", "anything"):
        response = client.get(URL, HTTP_X_API_KEY=key)
        assert response.status_code == 401
        assert "not configured" in response.json()["detail"]


def test_missing_credentials_answer_401_with_challenge(settings):
    settings.ADMIN_API_KEY = ADMIN_KEY
    response = APIClient().get(URL)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "X-API-Key"


def test_wrong_key_answers_401(settings):
    settings.ADMIN_API_KEY = ADMIN_KEY
    response = APIClient().get(URL, HTTP_X_API_KEY=ADMIN_KEY + "x")
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid admin API key."}


def test_right_key_is_accepted(api):
    assert api.get(URL).status_code == 200


def test_staff_session_is_accepted_without_a_key(settings, admin_user):
    settings.ADMIN_API_KEY = ""
    client = APIClient()
    client.force_login(admin_user)
    assert client.get(URL).status_code == 200


def test_non_staff_session_is_forbidden(settings):
    settings.ADMIN_API_KEY = ADMIN_KEY
    user = get_user_model().objects.create_user("plain", password="pw", is_staff=False)
    client = APIClient()
    client.force_login(user)
    assert client.get(URL).status_code == 403
    assert client.get("/api/admin/sessions/").status_code == 403


def test_staff_session_writes_need_csrf(settings, admin_user):
    settings.ADMIN_API_KEY = ADMIN_KEY
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(admin_user)
    response = client.post(URL, {"name": "x"}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
