"""Headless Chromium for browser tests: Debian's ``chromium`` driven by Playwright.

``make browser-deps`` installs the browser (apt); Playwright comes from requirements.txt and
carries its own driver, so ``playwright install`` (which downloads browser builds) is never
needed. Tests in this folder are marked ``browser`` (``make test-browser`` runs them) and are
skipped with the reason when Chromium is missing, unless ``MARUNTIME_REQUIRE_BROWSER=1``
(CI), where a missing browser fails them instead.

Fixtures:
- ``page``: a new tab in a Chromium launched for this test alone, with a fresh profile
  (user-data-dir) under the test's tmp_path. When the test fails, the page's last state is
  saved as ``failure.png`` among the test's artifacts.
- ``stack`` (and ``seeded``) from tests/e2e: the real ``serve`` processes under test.
- ``screenshot(name)``: saves the page as ``<artifacts>/<module>/<test>/<name>.png`` (for
  example ``browser/test_admin_site/test_an_operator_logs_in/index.png``) and returns
  the path; the artifacts folder is ``$MARUNTIME_TEST_ARTIFACTS`` or ``test-artifacts/``
  (gitignored) at the repository root, and is kept after the run.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, Playwright, sync_playwright

# The real servers under test: ``stack.gateway()`` starts ``serve`` on the test database.
from tests.e2e.conftest import seeded, stack, stack_env  # noqa: F401

CHROMIUM = Path("/usr/bin/chromium")
# Headless, and nothing that talks to the network on its own (updates, sync, field trials):
# a test sees only the requests its page makes.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("MARUNTIME_TEST_ARTIFACTS") or ROOT / "test-artifacts")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):
    """Keeps each phase's report on the item, so fixtures can tell a failed test."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        reason = f"Chromium is not installed at {CHROMIUM} (run `make browser-deps`)"
        if os.environ.get("MARUNTIME_REQUIRE_BROWSER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    # Playwright's sync API keeps its event loop running on this thread between calls, so
    # Django would take every ORM call in a browser test for one made from async code.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as running:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield running


@pytest.fixture
def browser_context(playwright: Playwright, tmp_path: Path) -> Iterator[BrowserContext]:
    context = playwright.chromium.launch_persistent_context(
        tmp_path / "chromium-profile",
        executable_path=str(CHROMIUM),
        headless=True,
        args=CHROMIUM_FLAGS,
        viewport={"width": 1280, "height": 800},
    )
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def artifacts_dir(request: pytest.FixtureRequest) -> Path:
    """This test's own artifacts folder (emptied of an earlier run's files)."""
    module = Path(request.node.path).relative_to(ROOT / "tests").with_suffix("")
    folder = ARTIFACTS / module / re.sub(r"[^\w.-]+", "_", request.node.name)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    return folder


@pytest.fixture
def page(
    browser_context: BrowserContext, artifacts_dir: Path, request: pytest.FixtureRequest
) -> Iterator[Page]:
    tab = browser_context.pages[0] if browser_context.pages else browser_context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        tab.screenshot(path=artifacts_dir / "failure.png", full_page=True)


@pytest.fixture
def screenshot(page: Page, artifacts_dir: Path) -> Callable[[str], Path]:
    def take(name: str) -> Path:
        path = artifacts_dir / f"{name}.png"
        page.screenshot(path=path, full_page=True)
        return path

    return take
