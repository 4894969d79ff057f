"""The Django admin site as an operator sees it: headless Chromium against ``serve``."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, Response, expect

from tests.e2e.conftest import stack, stack_env  # noqa: F401  (the real server's fixtures)

pytestmark = pytest.mark.browser

PASSWORD = "a-long-test-password"


@pytest.fixture(scope="module")
def server(stack) -> str:  # noqa: F811
    return stack.gateway(pool=False)


@pytest.fixture(scope="module")
def debug_server(stack) -> str:  # noqa: F811
    return stack.gateway(pool=False, DEBUG="1")


@pytest.fixture
def operator(transactional_db) -> str:
    get_user_model().objects.create_superuser("operator", "operator@example.com", PASSWORD)
    return "operator"


@pytest.fixture
def failed_loads(page: Page) -> list[str]:
    """Every request of the page that answered 4xx or 5xx, as "status url"."""
    failures: list[str] = []

    def record(response: Response) -> None:
        if response.status >= 400:
            failures.append(f"{response.status} {response.url}")

    page.on("response", record)
    return failures


def log_in(page: Page, server: str, username: str) -> None:
    page.goto(f"{server}/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("#site-name")).to_be_visible()


@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
def test_an_operator_logs_in_to_a_styled_site(
    request, page, operator, failed_loads, screenshot, debug
):
    log_in(page, request.getfixturevalue("debug_server" if debug else "server"), operator)

    expect(page.locator("#content h1")).to_have_text("Site administration")
    stylesheets = page.evaluate("[...document.styleSheets].map(s => s.href).filter(Boolean)")
    assert any(href.endswith("/static/admin/css/base.css") for href in stylesheets)
    # The theme toggle's icons are inline SVG that only the stylesheet sizes and hides.
    assert page.locator(".theme-toggle svg.theme-icon-when-dark").is_hidden()
    assert failed_loads == []
    screenshot("index")
