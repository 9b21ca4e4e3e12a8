"""The public trustworthy list in Chromium: from the menu to a search, its results and an
entry, audited (labels, headings, console errors) and photographed at desktop and phone
width (no sideways scrolling at 375 px)."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from tests.browser.pages import check_page, screenshots
from tests.browser.test_journeys import click, visit
from tests.factories import LANGXI, XUANZHOU, create_entity, create_person, file_award

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def honoured(live_ctx):  # type: ignore[no-untyped-def]
    """Two honoured companies and an honoured natural person."""
    star = create_entity(live_ctx, name="宣城星河光电科技有限公司", region_code=XUANZHOU)
    paper = create_entity(live_ctx, name="泾县红星宣纸文化股份有限公司", region_code=LANGXI)
    person = create_person(live_ctx, name="欧阳明华", region_code=XUANZHOU)
    records = {
        "star": file_award(live_ctx, star["identifier"], project_name="高亮度光电模组"),
        "paper": file_award(
            live_ctx,
            paper["identifier"],
            "GI-TRU-PROMOTION-LIST",
            honour_name="地理标志运用促进",
            gi_product_name="宣纸",
        ),
        "person": file_award(live_ctx, person["identifier"], honour_name="中国专利奖"),
    }
    return {"star": star, "records": records}


def test_the_public_searches_the_trustworthy_list_and_reads_an_entry(
    browser, live_server, honoured
):
    visit(browser, f"{live_server}/")
    click(browser, 'nav.menu a[href="/trustworthy"]')
    check_page(browser)
    text = browser.find_element(By.TAG_NAME, "main").text
    assert "宣城星河光电科技有限公司" in text and "欧阳**" in text and "欧阳明华" not in text
    screenshots(browser, "trustworthy")

    browser.find_element(By.ID, "f-q").send_keys("星河")
    click(browser, "main form button[type=submit]")
    check_page(browser)
    rows = browser.find_elements(By.CSS_SELECTOR, "main table tbody tr")
    assert len(rows) == 1 and "宣城星河光电科技有限公司" in rows[0].text

    click(browser, "main table tbody tr a")
    check_page(browser)
    entry = browser.find_element(By.TAG_NAME, "main").text
    record = honoured["records"]["star"]
    for shown in (honoured["star"]["identifier"], record["source_ref"], "国家知识产权局"):
        assert shown in entry
    screenshots(browser, "trustworthy-entry")
