"""The three audiences in Chromium, against the running service: the public searching the
list and reading an entry; an enterprise applying for repair with an upload; a regulator
accepting and granting it; the entry leaving the public pages. Every page visited is
audited (labels, alt text, headings, console errors, no sideways scrolling at 375 px) and
the main ones are photographed at desktop and phone width for the README."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.expected_conditions import staleness_of
from selenium.webdriver.support.wait import WebDriverWait

from credit_service.access import SYSTEM
from credit_service.auth import services as auth_services
from credit_service.inspections import services as inspections
from credit_service.web.i18n import translate
from tests.browser.pages import check_page, screenshots, tab_until
from tests.factories import CITY, LANGXI, XUANZHOU, listed_on

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PASSWORD = "Xuan-Cheng#2026!"
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def account(ctx, username: str, role: str, **scope: str) -> str:  # type: ignore[no-untyped-def]
    auth_services.create_user(
        ctx, SYSTEM, username=username, display_name=username, role=role, password=PASSWORD, **scope
    )
    return username


def click(browser, css: str) -> None:  # type: ignore[no-untyped-def]
    """Click a link or button and wait until the next page has replaced this one and
    finished loading."""
    page = browser.find_element(By.TAG_NAME, "html")
    # Chromium's driver sometimes loses a node it just found (after the screenshots'
    # viewport changes): find it again rather than fail
    patient(browser).until(lambda b: b.find_element(By.CSS_SELECTOR, css).click() or True)
    wait_for_next_page(browser, page)


def patient(browser) -> WebDriverWait:  # type: ignore[no-untyped-def]
    """A wait that retries through the driver's transient errors."""
    return WebDriverWait(browser, 15, ignored_exceptions=(WebDriverException,))


def wait_for_next_page(browser, page) -> None:  # type: ignore[no-untyped-def]
    """Wait until a new page has replaced ``page`` (the old ``html`` element) and loaded,
    then audit it (``check_page``: axe-core at desktop and phone width among the rest).

    While a navigation is under way Chromium's driver may answer a question about the old
    node with an inspector error ("does not belong to the document") instead of calling it
    stale: that is retried, not a failure.
    """
    wait = patient(browser)
    wait.until(staleness_of(page))
    wait.until(lambda b: b.execute_script("return document.readyState") == "complete")
    check_page(browser)


def sign_in(browser, base: str, username: str) -> None:  # type: ignore[no-untyped-def]
    browser.get(f"{base}/sign-in")
    check_page(browser)
    browser.find_element(By.ID, "f-username").send_keys(username)
    browser.find_element(By.ID, "f-password").send_keys(PASSWORD)
    click(browser, "main form button[type=submit]")


def sign_out(browser) -> None:  # type: ignore[no-untyped-def]
    click(browser, "header form button[type=submit]")


def submit(browser, action_suffix: str) -> None:  # type: ignore[no-untyped-def]
    click(browser, f'form[action$="{action_suffix}"] button[type=submit]')


def visit(browser, url: str) -> str:  # type: ignore[no-untyped-def]
    browser.get(url)
    check_page(browser)
    return main_text(browser)


def main_text(browser) -> str:  # type: ignore[no-untyped-def]
    return browser.find_element(By.TAG_NAME, "main").text


def fill(browser, values: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    """Set form controls by id, as typing would leave them: for a long text (a rules
    file), a date (whose typing follows the browser's locale) or a choice."""
    for element_id, value in values.items():
        browser.execute_script(
            "const e = document.getElementById(arguments[0]); e.value = arguments[1];"
            "e.dispatchEvent(new Event('input', {bubbles: true}));",
            element_id,
            value,
        )


@pytest.fixture
def world(live_ctx):  # type: ignore[no-untyped-def]
    """Three listings in two counties (one more than a year old), a few inspectors."""
    old_owner, old_case = listed_on(
        live_ctx, "宣城星河光电科技有限公司", XUANZHOU, date(2025, 10, 20)
    )
    listed_on(live_ctx, "郎溪远山商标代理有限公司", LANGXI, date(2026, 9, 1))
    listed_on(live_ctx, "宣城青弋新材料有限公司", XUANZHOU, date(2026, 11, 2))
    for n, office in enumerate((XUANZHOU, LANGXI, CITY)):
        inspections.add_inspector(
            live_ctx, SYSTEM, badge_no=f"皖宣执B{n}", name=f"检查员{n}", office_region=office
        )
    return {"owner": old_owner, "case": old_case}


def test_the_public_searches_the_list_and_reads_an_entry(browser, live_server, world):
    text = visit(browser, f"{live_server}/")
    assert "严重失信主体名单" in text
    screenshots(browser, "home")

    click(browser, 'nav.menu a[href="/list"]')
    browser.find_element(By.ID, "f-q").send_keys("星河")
    click(browser, "main form button[type=submit]")
    check_page(browser)
    rows = browser.find_elements(By.CSS_SELECTOR, "main table tbody tr")
    assert len(rows) == 1 and "宣城星河光电科技有限公司" in rows[0].text
    screenshots(browser, "list")  # reloads the page

    click(browser, "main table tbody tr a")
    check_page(browser)
    entry = browser.find_element(By.TAG_NAME, "main").text
    assert world["owner"]["identifier"] in entry and world["case"]["decision_no"] in entry
    screenshots(browser, "entry")

    for path, name in (
        ("/list/notices", "notices"),
        ("/catalogs", "catalogs"),
        ("/catalogs/patent", "catalog-patent"),
        ("/catalogs/patent/items/PAT-PEN-COUNTERFEIT", "catalog-item"),
        ("/statistics", "statistics"),
    ):
        visit(browser, f"{live_server}{path}")
        screenshots(browser, name)


def test_the_list_is_searched_from_the_keyboard_alone(browser, live_server, world):
    """Skip link first, a visible focus everywhere, the search field reached by Tab and
    the search sent with Enter."""
    visit(browser, f"{live_server}/list")
    skip = tab_until(browser, lambda focused: True)
    assert skip[0]["cls"] == "skip"
    ActionChains(browser).send_keys(Keys.ENTER).perform()
    assert browser.execute_script("return location.hash") == "#main"

    visit(browser, f"{live_server}/list")
    tab_until(browser, lambda focused: focused["id"] == "f-q")
    page = browser.find_element(By.TAG_NAME, "html")
    ActionChains(browser).send_keys("远山", Keys.ENTER).perform()
    wait_for_next_page(browser, page)
    rows = browser.find_elements(By.CSS_SELECTOR, "main table tbody tr")
    assert len(rows) == 1 and "郎溪远山商标代理有限公司" in rows[0].text
    check_page(browser)


def test_an_enterprise_applies_with_evidence_and_a_regulator_grants_it(
    browser, live_server, live_ctx, world, tmp_path
):
    owner, case = world["owner"], world["case"]
    clerk = account(live_ctx, "browser-clerk", "enterprise", uscc=owner["identifier"])
    reviewer = account(live_ctx, "browser-reviewer", "regulator", region_code=CITY)
    evidence = Path(tmp_path) / "缴款凭证.pdf"
    evidence.write_bytes(PDF)

    # the enterprise: its own credit, the eligibility check, the application
    visit(browser, f"{live_server}/sign-in")
    screenshots(browser, "sign-in")
    sign_in(browser, live_server, clerk)
    assert browser.current_url.endswith("/enterprise")
    check_page(browser)
    assert "宣城星河光电科技有限公司" in browser.find_element(By.TAG_NAME, "main").text
    screenshots(browser, "enterprise-overview")
    click(browser, f'a[href*="target=listing:{case["id"]}"]')
    check_page(browser)
    screenshots(browser, "enterprise-eligibility")
    click(browser, 'a[href*="/enterprise/repair/new"]')
    check_page(browser)
    screenshots(browser, "enterprise-apply")  # the empty form, at 375 px too
    browser.find_element(By.ID, "f-reason").send_keys(
        "已全面履行处罚决定，申请提前移出严重失信主体名单"
    )
    browser.find_element(By.ID, "f-measures_taken").send_keys(
        "缴清罚款，下架涉案产品，建立合规制度"
    )
    browser.find_element(By.ID, "f-contact").send_keys("李四 0563-1234567")
    browser.find_element(By.ID, "f-obligations_performed").click()
    browser.find_element(By.ID, "f-commitment_signed").click()
    browser.find_element(By.ID, "f-files").send_keys(str(evidence))
    submit(browser, "/enterprise/repair/new")
    check_page(browser)
    status = browser.find_element(By.TAG_NAME, "main").text
    assert translate("enterprise.state.submitted") in status and "缴款凭证.pdf" in status
    assert "/enterprise/repair/" in browser.current_url
    screenshots(browser, "enterprise-application")
    sign_out(browser)

    # the regulator: the queue, the application, accept, grant
    sign_in(browser, live_server, reviewer)
    check_page(browser)
    screenshots(browser, "console-dashboard")
    visit(browser, f"{live_server}/console/repairs")
    screenshots(browser, "console-repairs")
    click(browser, 'main a[href^="/console/repairs/"]')
    check_page(browser)
    screenshots(browser, "console-repair")
    submit(browser, "/review/accept")
    check_page(browser)
    assert (
        translate("operations.repair.state.accepted")
        in browser.find_element(By.TAG_NAME, "main").text
    )
    browser.find_element(By.ID, "f-grant-reason").send_keys(
        "已履行义务、消除不良影响，准予提前移出"
    )
    submit(browser, "/review/grant")
    check_page(browser)
    assert (
        translate("operations.repair.state.granted")
        in browser.find_element(By.TAG_NAME, "main").text
    )

    # the entry has left the public list at once; its address and a search for its
    # name say it was removed (D22)
    sign_out(browser)
    visit(browser, f"{live_server}/list")
    assert "宣城星河光电科技有限公司" not in browser.find_element(By.TAG_NAME, "main").text
    rows = visit(browser, f"{live_server}/list?q=星河")
    assert translate("removals.entry.status") in rows
    entry = visit(browser, f"{live_server}/list/{case['id']}")
    assert translate("removals.entry.status") in entry and "信用修复提前移出" in entry
    notices = visit(browser, f"{live_server}/list/notices")
    assert "宣城星河光电科技有限公司" in notices


def test_the_console_pages_for_regulators_and_administrators(browser, live_server, live_ctx, world):
    inspections.create_plan(
        live_ctx,
        SYSTEM,
        region=CITY,
        period_start=date(2026, 10, 1),
        period_end=date(2026, 12, 31),
        seed="browser",
    )
    reviewer = account(live_ctx, "browser-console", "regulator", region_code=CITY)
    sign_in(browser, live_server, reviewer)
    identifier = world["owner"]["identifier"]
    for path, name in (
        ("/console/entities?q=星河", "console-entities"),
        (f"/console/entities/{identifier}", "console-entity"),
        ("/console/cases", "console-cases"),
        (f"/console/cases/{world['case']['id']}", "console-case"),
        ("/console/inspections", "console-inspections"),
    ):
        visit(browser, f"{live_server}{path}")
        screenshots(browser, name)
    click(browser, 'main a[href^="/console/inspections/"]')
    check_page(browser)
    screenshots(browser, "console-plan")
    sign_out(browser)

    admin = account(live_ctx, "browser-admin", "admin")
    sign_in(browser, live_server, admin)
    visit(browser, f"{live_server}/console/sync")
    screenshots(browser, "console-sync")
