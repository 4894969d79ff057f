"""The Django admin site as an operator sees it: headless Chromium against ``serve``."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from tests.e2e.conftest import stack, stack_env  # noqa: F401  (the real server's fixtures)

pytestmark = pytest.mark.browser

PASSWORD = "a-long-test-password"


@pytest.fixture(scope="module")
def server(stack) -> str:  # noqa: F811
    return stack.gateway(pool=False)


@pytest.fixture
def operator(transactional_db) -> str:
    get_user_model().objects.create_superuser("operator", "operator@example.com", PASSWORD)
    return "operator"


def log_in(page: Page, server: str, username: str) -> None:
    page.goto(f"{server}/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("#site-name")).to_be_visible()


def test_an_operator_logs_in(page, server, operator, screenshot):
    log_in(page, server, operator)

    expect(page.locator("#content h1")).to_have_text("Site administration")
    screenshot("index")
