"""Removals the public can confirm (D22), in Chromium against the running service: the
notices page as one stream newest first, a removed entry's address (what, when, why, by
whom; no listing facts), found again by its name, and the entry's print view; each page
audited and photographed at desktop and phone width (375 px)."""

from __future__ import annotations

from datetime import date

import pytest
from selenium.webdriver.common.by import By

from credit_service.clock import local_noon
from credit_service.dishonesty import services as dishonesty
from tests.browser.pages import check_page, screenshots
from tests.browser.test_journeys import click, visit
from tests.factories import LANGXI, LISTING_REGULATOR, XUANZHOU, listed_on

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def removals(live_ctx):  # type: ignore[no-untyped-def]
    """Two listings of 2026-11-02; one removed as corrected on 2026-11-20."""
    kept, _ = listed_on(live_ctx, "宣城青弋新材料有限公司", XUANZHOU, date(2026, 11, 2))
    gone, case = listed_on(live_ctx, "郎溪远山商标代理有限公司", LANGXI, date(2026, 11, 2))
    now = live_ctx.clock.now()
    live_ctx.clock.set(local_noon(date(2026, 11, 20)))
    dishonesty.advance(
        live_ctx,
        LISTING_REGULATOR,
        case["id"],
        "remove",
        reason="列入有误",
        removal_reason="corrected",
    )
    live_ctx.clock.set(now)
    return {"kept": kept, "gone": gone, "case": case}


def test_the_public_confirms_a_removal(browser, live_server, removals):
    text = visit(browser, f"{live_server}/list/notices")
    notices = browser.find_elements(By.CSS_SELECTOR, "ol.notices > li")
    assert [n.find_element(By.CSS_SELECTOR, ".badge").text for n in notices] == [
        "移出",
        "列入",
        "列入",
    ]
    assert "移出严重失信主体名单（列入错误予以更正）" in notices[0].text
    assert "订阅源（Atom 格式）" in text
    screenshots(browser, "notices")

    click(browser, "ol.notices > li:first-child a[href^='/list/']")
    check_page(browser)
    entry = browser.find_element(By.TAG_NAME, "main").text
    assert "郎溪远山商标代理有限公司" in entry and "已移出" in entry
    assert "2026-11-20" in entry and "列入错误予以更正" in entry
    assert removals["gone"]["identifier"] in entry
    assert "从事严重违法专利" not in entry and "管理措施" not in entry
    screenshots(browser, "removed-entry")

    visit(browser, f"{live_server}/list?q=远山")
    rows = browser.find_elements(By.CSS_SELECTOR, "main table tbody tr")
    assert len(rows) == 1 and "已移出（2026-11-20）" in rows[0].text

    visit(browser, f"{live_server}/list?q=青弋")
    click(browser, "main table tbody tr a")
    click(browser, "main a[href$='/print']")
    check_page(browser)
    printed = browser.find_element(By.TAG_NAME, "main").text
    assert "打印时间（北京时间）" in printed and f"{live_server}/list/" in printed
    screenshots(browser, "entry-print")
