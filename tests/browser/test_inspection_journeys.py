"""一公开 (D20) in Chromium: the public reaches the inspection results from the menu,
searches them by an organisation's name, reads a natural person masked, and the page
neither fails its audit nor scrolls sideways at 375 px (photographed at both widths)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from selenium.webdriver.common.by import By

from credit_service.access import SYSTEM, Actor
from credit_service.clock import local_noon
from credit_service.inspections import services as inspections
from credit_service.tiers import services as tier_services
from tests.browser.pages import check_page, screenshots
from tests.browser.test_journeys import click, visit
from tests.factories import CITY, LANGXI, XUANZHOU, create_entity, create_person

pytestmark = [pytest.mark.browser, pytest.mark.slow]
REGULATOR = Actor(role="regulator", username="r-city", region_code=CITY, city_code=CITY)


@pytest.fixture
def published(live_ctx):  # type: ignore[no-untyped-def]
    """A plan with an organisation and a natural person inspected and published."""
    clock, today = live_ctx.clock, live_ctx.today()
    tier_services.apply_rule_set(live_ctx, SYSTEM)
    company = create_entity(live_ctx, region_code=XUANZHOU, name="宣城抽查示范科技有限公司")
    person = create_person(live_ctx, region_code=XUANZHOU, name="欧阳明华")
    for n, office in enumerate((LANGXI, CITY)):
        inspections.add_inspector(
            live_ctx, SYSTEM, badge_no=f"皖执浏{n}", name=f"检查员{n}", office_region=office
        )
    plan = inspections.create_plan(
        live_ctx,
        REGULATOR,
        region=XUANZHOU,
        period_start=today,
        period_end=today + timedelta(days=89),
        seed="browser",
        triggered=[company["identifier"], person["identifier"]],
    )
    for item in plan["items"]:
        inspections.record_result(
            live_ctx, REGULATOR, plan["id"], item["id"], outcome="passed", note="现场检查"
        )
    clock.set(local_noon(today + timedelta(days=1)))
    assert inspections.publish_due(live_ctx, SYSTEM) == 2
    return {"company": company, "person": person}


def test_the_public_finds_inspection_results_at_desktop_and_phone_width(
    browser, live_server, published
):
    visit(browser, f"{live_server}/")
    click(browser, 'nav.menu a[href="/inspections"]')
    check_page(browser)
    text = browser.find_element(By.TAG_NAME, "main").text
    assert "欧阳**" in text and "欧阳明华" not in text
    assert published["person"]["identifier"] not in text
    screenshots(browser, "inspections")

    browser.find_element(By.ID, "f-entity").send_keys("抽查示范")
    click(browser, "main form button[type=submit]")
    check_page(browser)
    rows = browser.find_elements(By.CSS_SELECTOR, "#results ~ .table-wrap tbody tr")
    assert len(rows) == 1 and "宣城抽查示范科技有限公司" in rows[0].text
    assert "未发现问题" in rows[0].text
    screenshots(browser, "inspections-search")
