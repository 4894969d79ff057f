"""The Django admin site as an operator sees it: headless Chromium against ``serve``."""

from __future__ import annotations

import time

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, Response, expect

from agents.engine.loop import DEFINITION_TTL_SECONDS
from agents.models import Session
from catalog import services
from catalog.models import ToolVersion
from tests.e2e.conftest import client_for
from tests.fakes.sgr import clarify_args, final_args, plan_args, sgr_replies

pytestmark = pytest.mark.browser

PASSWORD = "a-long-test-password"


@pytest.fixture(scope="module")
def server(stack) -> str:
    return stack.gateway()


@pytest.fixture(scope="module")
def debug_server(stack) -> str:
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


def ask(server: str, model: str, content: str, **extra) -> str:
    """One chat turn through the gateway; returns the session id."""
    completion = client_for(server).chat.completions.create(
        model=model, messages=[{"role": "user", "content": content}], extra_body=extra or None
    )
    return str((completion.model_extra or {})["session_id"])


def open_session(page: Page, server: str, session_id: str) -> None:
    page.goto(f"{server}/admin/agents/session/{session_id}/change/")
    expect(page.locator(".timeline")).to_be_visible()


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


@pytest.mark.usefixtures("seeded")
def test_a_finished_session_reads_as_a_timeline(
    page, server, operator, fake_llm, failed_loads, screenshot
):
    fake_llm.script(
        *sgr_replies(
            ("generate_plan", plan_args()),
            ("clarification", clarify_args("Which city do you mean?")),
        )
    )
    session_id = ask(server, "sgr_agent", "What's the weather there tomorrow?")
    fake_llm.script(*sgr_replies(("final_answer", final_args("Sunny in Oslo, 14 °C."))))
    ask(server, session_id, "Oslo")
    assert Session.objects.get(pk=session_id).state == "completed"

    log_in(page, server, operator)
    page.goto(f"{server}/admin/agents/session/")
    row = page.locator("#result_list tbody tr").first
    expect(row).to_contain_text("What's the weather there tomorrow?")
    expect(row).to_contain_text("Completed")
    screenshot("session-list")
    row.locator("a").first.click()

    timeline = page.locator(".timeline")
    expect(timeline.locator(".tl-turn")).to_have_count(2)
    call = timeline.locator(".tl-call").first
    expect(call).to_contain_text("generate_plan")
    expect(call).to_contain_text("Answer the question")  # an argument, as text
    expect(call).to_contain_text("Plan recorded.")  # its result
    clarification = timeline.locator(".tl-clarification")
    expect(clarification).to_contain_text("Which city do you mean?")
    expect(clarification).to_contain_text("Oslo")
    expect(timeline.locator(".tl-answer")).to_contain_text("Sunny in Oslo, 14 °C.")
    expect(timeline.locator(".tl-reasoning").first).to_contain_text("Working on the request.")
    expect(timeline.locator(".tl-step-head").first).to_contain_text("prompt +")
    assert failed_loads == []
    screenshot("finished-session")
    page.emulate_media(color_scheme="dark")  # the admin's "auto" theme follows it
    screenshot("finished-session-dark")


@pytest.mark.usefixtures("seeded")
def test_waiting_sessions_show_what_they_wait_for(
    page, server, operator, fake_llm, failed_loads, screenshot
):
    current = ToolVersion.objects.select_related("tool").get(
        tool__name="generate_plan", is_active=True
    )
    services.tool_version_create(
        tool=current.tool,
        description=current.description,
        input_schema=current.input_schema,
        binding_kind=current.binding_kind,
        binding=current.binding,
        risk_level="high",
        requires_approval=True,
    )
    changed_at = time.monotonic()
    fake_llm.script(*sgr_replies(("clarification", clarify_args("Which year?"))))
    clarifying = ask(server, "sgr_agent", "Who won the cup?")
    # The server's pool reads the catalog change when its cached definition expires.
    time.sleep(max(0.0, DEFINITION_TTL_SECONDS - (time.monotonic() - changed_at)))
    fake_llm.script(*sgr_replies(("generate_plan", plan_args())))
    approving = ask(server, "sgr_agent", "Plan a trip to Bergen")
    assert Session.objects.get(pk=approving).state == "waiting_for_approval"

    log_in(page, server, operator)
    open_session(page, server, clarifying)
    clarification = page.locator(".tl-clarification")
    expect(clarification).to_contain_text("Which year?")
    expect(clarification).to_contain_text("Waiting for the user's answer.")
    screenshot("waiting-for-clarification")

    open_session(page, server, approving)
    approval = page.locator(".tl-approval")
    expect(approval).to_contain_text("Approval needed to call generate_plan")
    expect(approval).to_contain_text("risk level high")
    expect(approval).to_contain_text("Waiting for a person")
    assert failed_loads == []
    screenshot("waiting-for-approval")


def test_an_operator_adds_a_tool_and_activates_its_version(
    page, server, operator, failed_loads, screenshot
):
    log_in(page, server, operator)
    page.goto(f"{server}/admin/catalog/tool/add/")
    page.fill("#id_name", "weather_lookup")
    page.select_option("#id_type", "domain")
    page.fill("#id_category", "weather")
    page.click("input[name=_save]")

    # A new tool leads straight to its first version, the tool chosen.
    expect(page.locator(".messagelist")).to_contain_text("now add its first version")
    expect(page.locator("#id_tool option:checked")).to_have_text("weather_lookup")
    expect(page.locator("#id_limits + .help, #id_limits_helptext")).to_contain_text(
        "max_calls_per_session"
    )
    page.fill("#id_description", "Tomorrow's weather for a city")
    page.fill(
        "#id_input_schema",
        '{"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}',
    )
    page.select_option("#id_binding_kind", "http")
    page.fill("#id_binding", '{"url": "https://weather.example.com/lookup"}')
    page.fill("#id_limits", '{"timeout_seconds": 0}')
    page.uncheck("#id_activate")
    page.click("input[name=_save]")

    expect(page.locator("#id_limits_error")).to_have_text(
        "Limits: timeout_seconds: Input should be greater than 0"
    )
    screenshot("version-refused")
    page.fill("#id_limits", '{"timeout_seconds": 10}')
    page.click("input[name=_save]")

    row = page.locator("#result_list tbody tr", has_text="weather_lookup")
    expect(row).to_have_count(1)
    row.locator("input.action-select").check()
    page.select_option("select[name=action]", "activate")
    page.click("button[name=index]")
    expect(page.locator(".messagelist")).to_have_text("Activated 1 version.")
    screenshot("version-activated")

    version = ToolVersion.objects.get(tool__name="weather_lookup")
    assert version.is_active and version.limits == {"timeout_seconds": 10}
    page.goto(f"{server}/admin/catalog/tool/{version.tool_id}/change/")
    expect(page.locator(".object-tools a", has_text="Add a version")).to_have_attribute(
        "href", f"/admin/catalog/toolversion/add/?from={version.pk}"
    )
    assert failed_loads == []
    screenshot("tool-page")
