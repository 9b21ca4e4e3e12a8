"""Credit reports (D21) in Chromium: the enterprise requests its report in the portal and
downloads the PDF; an anonymous browser opens the report's verification address, types
the code printed on it and reads "authentic, unchanged"; a checker of another
department checks entities for a purpose and requests a report for it in the console.
Pages photographed at desktop and phone width (375 px, which must not scroll sideways)."""

from __future__ import annotations

import re
import urllib.request

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from tests.browser.pages import check_page, screenshots
from tests.browser.test_journeys import account, click, fill, main_text, sign_in, submit, visit
from tests.factories import create_entity, file_penalty

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_the_enterprise_downloads_its_report_and_anyone_verifies_it(browser, live_server, live_ctx):  # type: ignore[no-untyped-def]
    owner = create_entity(live_ctx, name="宣城信用报告测试科技有限公司")
    file_penalty(live_ctx, owner["identifier"])
    clerk = account(live_ctx, "report-clerk", "enterprise", uscc=owner["identifier"])

    sign_in(browser, live_server, clerk)
    visit(browser, f"{live_server}/enterprise/credit-reports")
    submit(browser, "/enterprise/credit-reports")
    check_page(browser)
    notice = browser.find_element(By.ID, "issued").text
    number, code = re.search(r"(XCXY-\d{4}-\d{6})，核验码 ([A-Z0-9]{8})", notice).groups()
    screenshots(browser, "enterprise-credit-reports")

    link = browser.find_element(By.CSS_SELECTOR, f'a[href$="/credit-reports/{number}.pdf"]')
    cookies = "; ".join(f"{c['name']}={c['value']}" for c in browser.get_cookies())
    request = urllib.request.Request(link.get_attribute("href"), headers={"Cookie": cookies})
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (loopback)
        assert response.headers["Content-Type"] == "application/pdf"
        assert response.read().startswith(b"%PDF")

    browser.delete_all_cookies()  # a second, anonymous browser
    text = visit(browser, f"{live_server}/verify/{number}")
    assert "真实有效" in text and owner["name"] not in text
    screenshots(browser, "public-verify")
    browser.find_element(By.ID, "f-code").send_keys(code.lower())
    click(browser, 'main form button[type="submit"]')
    check_page(browser)
    assert "真实有效，内容未变化" in browser.find_element(By.ID, "comparison").text
    screenshots(browser, "public-verify-unchanged")


def test_a_checker_checks_entities_and_requests_a_report_for_its_purpose(
    browser, live_server, live_ctx
):
    owner = create_entity(live_ctx, name="宣城信用核查测试科技有限公司")
    file_penalty(live_ctx, owner["identifier"])
    sign_in(browser, live_server, account(live_ctx, "desk-checker", "checker"))
    assert browser.current_url.endswith("/console/credit-checks")  # its only work page
    Select(browser.find_element(By.ID, "f-purpose")).select_by_value("fiscal_funding")
    fill(browser, {"f-identifiers": f"{owner['identifier']}\n91341802MA0000000X"})
    submit(browser, "/console/credit-checks")
    assert len(browser.find_elements(By.CSS_SELECTOR, "main tr[id^='check-']")) == 2

    click(browser, 'nav.menu a[href="/console/credit-reports"]')
    fill(browser, {"f-identifier": owner["identifier"], "f-purpose": "fiscal_funding"})
    submit(browser, "/console/credit-reports")
    assert re.search(r"XCXY-\d{4}-\d{6}", browser.find_element(By.ID, "issued").text)
    assert owner["name"] in main_text(browser)
    screenshots(browser, "console-credit-reports")
