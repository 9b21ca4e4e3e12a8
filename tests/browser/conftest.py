"""Browser tests: Debian's Chromium, headless, against the service on a loopback port.

The service runs in a thread of the test process (a real HTTP server over the test's
committed database, ``live_ctx``), so a test sets the clock and builds data through the
services, then drives the pages like a user. Without Chromium and its driver these tests
are skipped with the reason (``-ra`` prints it); they are never passed silently.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from credit_service.config import PROJECT_ROOT
from credit_service.context import Context
from credit_service.web import create_app

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
# Every run writes here (ignored by git); docs/screenshots holds the few the README shows,
# refreshed with `make screenshots`.
SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR", PROJECT_ROOT / "build" / "screenshots"))
DESKTOP = (1280, 900)
PHONE = (375, 812)

pytestmark = pytest.mark.browser
# test_page_coverage reads what every other browser test audited: it runs after them,
# and only where none of them was left out of the run.
COVERAGE_MODULE = "test_page_coverage.py"
LEFT_OUT = pytest.StashKey[bool]()


@pytest.hookimpl(trylast=True)  # after -k/-m and the fixtures' reordering
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.path.name == COVERAGE_MODULE)  # stable: the rest keep order


def pytest_deselected(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.parent == Path(__file__).parent:
            item.config.stash[LEFT_OUT] = True


@pytest.fixture(scope="session")
def chromium_paths() -> tuple[str, str]:
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip(
            "browser tests need Debian's chromium and chromium-driver "
            "(apt-get install chromium chromium-driver); .ci/run installs them"
        )
    return CHROMIUM, CHROMEDRIVER


@pytest.fixture
def live_server(live_ctx: Context) -> Iterator[str]:
    """The app over ``live_ctx`` on a free loopback port; yields its base URL."""
    live_ctx.settings = live_ctx.settings.replace(
        session_cookie_secure=False,  # plain http on loopback
        ratelimit_public="100000 per minute",
        ratelimit_signin="1000 per minute",
    )
    app = create_app(context=live_ctx)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def browser(chromium_paths: tuple[str, str]):  # type: ignore[no-untyped-def]
    """A headless Chromium that keeps its console log (checked for errors)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary, driver_path = chromium_paths
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--lang=zh-CN",
        f"--window-size={DESKTOP[0]},{DESKTOP[1]}",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.implicitly_wait(2)
    try:
        yield driver
    finally:
        driver.quit()
