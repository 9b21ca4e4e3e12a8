"""The API documentation page (Swagger UI, with our style sheet and script over it) in
Chromium: audited by ``check_page`` (axe-core at desktop and 375 px, labels, contrast,
console errors) as it loads, with operations opened, tried out and executed and a model
opened, and with the Authorize dialog shown; it does not scroll sideways at 375 px."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait

from credit_service.web.i18n import translate
from tests.browser.conftest import PHONE
from tests.browser.pages import OVERFLOW, at_width, check_changed_page, check_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HEALTH = "#operations-health-get_healthz"  # executed: it reads nothing and changes nothing
TRIED = (
    "#operations-catalogs-get_api_v1_catalogs__domain_",  # a path parameter of set values
    "#operations-public_list-get_api_v1_public_dishonesty_list",  # query parameters
    "#operations-entities-post_api_v1_entities",  # a JSON request body
)


def wait_for(browser, css: str):  # type: ignore[no-untyped-def]
    """The first element ``css`` finds once Swagger UI has rendered it."""
    return WebDriverWait(browser, 20).until(lambda b: b.find_elements(By.CSS_SELECTOR, css))[0]


def press(browser, css: str) -> None:  # type: ignore[no-untyped-def]
    button = wait_for(browser, css)
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", button)
    button.click()


def try_out(browser, operation: str) -> None:  # type: ignore[no-untyped-def]
    press(browser, f"{operation} .opblock-summary-control")
    press(browser, f"{operation} .try-out__btn")
    wait_for(browser, f"{operation} .execute")


def test_the_api_documentation_passes_the_audit_opened_up(browser, live_server):
    browser.get(f"{live_server}/api/docs")
    wait_for(browser, f"{HEALTH} .opblock-summary-control")
    check_page(browser)
    assert browser.find_element(By.TAG_NAME, "h1").text == translate("api_docs.heading")

    try_out(browser, HEALTH)
    press(browser, f"{HEALTH} .execute")
    wait_for(browser, f"{HEALTH} .live-responses-table")
    for operation in TRIED:
        try_out(browser, operation)
    press(browser, "#model-Problem .model-box-control")
    wait_for(browser, "#model-Problem .model-box .model")
    # each opened summary is named by its visible method, path and summary
    summaries = browser.find_elements(By.CSS_SELECTOR, ".opblock.is-open .opblock-summary-control")
    assert len(summaries) == 1 + len(TRIED)
    assert not [s for s in summaries if s.get_attribute("aria-label")]
    check_changed_page(browser)
    at_width(browser, PHONE)
    try:
        assert browser.execute_script(OVERFLOW) <= 0
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

    browser.execute_script("window.scrollTo(0, 0);")
    press(browser, ".scheme-container .btn.authorize")
    wait_for(browser, ".dialog-ux .auth-container input")
    check_changed_page(browser)
