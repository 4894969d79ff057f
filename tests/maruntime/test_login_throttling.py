"""The admin login is throttled (django-axes) and no admin page may be framed."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/?next=/admin/"


@pytest.fixture
def staff(settings):
    settings.AXES_FAILURE_LIMIT = 5
    get_user_model().objects.create_user("ops", password="right-password", is_staff=True)


def _login(client, password: str):
    return client.post(LOGIN, {"username": "ops", "password": password})


def test_wrong_passwords_lock_the_login_even_for_the_right_one(client, staff):
    for _ in range(4):
        assert _login(client, "wrong").status_code == 200  # the form again, with an error
    assert _login(client, "wrong").status_code == 429  # the fifth failure locks
    locked = _login(client, "right-password")
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_successful_login_resets_the_count(client, staff):
    for _ in range(4):
        _login(client, "wrong")
    assert _login(client, "right-password").status_code == 302
    client.logout()
    for _ in range(4):
        _login(client, "wrong")
    assert _login(client, "right-password").status_code == 302


def test_admin_pages_and_the_api_refuse_to_be_framed(client):
    assert client.get(LOGIN)["X-Frame-Options"] == "DENY"
    assert client.get("/v1/models")["X-Frame-Options"] == "DENY"
