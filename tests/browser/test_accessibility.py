"""Accessibility in Chromium beyond the per-page audit: axe-core really finds what it
should (so its silence on our pages means something), charts stay readable at 375 px
(labels of at least 12 px, or the chart shown as its table), and large text chosen in the
header holds across public, enterprise and console pages."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.pages import at_width, check_accessibility, check_page
from tests.browser.test_journeys import account, click, sign_in, sign_out, visit
from tests.browser.test_journeys import world as world  # noqa: F401  (the fixture)
from tests.factories import CITY

pytestmark = [pytest.mark.browser, pytest.mark.slow]

BROKEN = (
    "data:text/html;charset=utf-8,<!doctype html><html><head><title>x</title></head><body>"
    "<main><p style='color:%23ddd'>看不清的字</p><img src='x.png'><input></main></body></html>"
)
MIN_LABEL_PX = 12
# Per chart: whether its picture is shown, the smallest label as rendered (font size in
# SVG units scaled by the drawn width over the viewBox width), and the table's font size.
CHART_TEXT = """
return [...document.querySelectorAll('figure.chart')].map((figure) => {
  const svg = figure.querySelector('.chart-picture > svg');
  const shown = (el) => !!el && el.getClientRects().length > 0;
  const scale = shown(svg) ? svg.getBoundingClientRect().width / svg.viewBox.baseVal.width : 0;
  const labels = [...figure.querySelectorAll('.chart-picture > svg text')]
    .map((t) => parseFloat(getComputedStyle(t).fontSize) * scale);
  const table = figure.querySelector('.chart-table table');
  return {id: figure.getAttribute('aria-labelledby'), picture: shown(svg),
          smallest: labels.length ? Math.min(...labels) : null,
          table: shown(table), tableFont: table ? parseFloat(getComputedStyle(table).fontSize) : 0};
});
"""
ROOT_FONT = "return parseFloat(getComputedStyle(document.documentElement).fontSize);"


def readable_charts(browser) -> list[dict]:  # type: ignore[no-untyped-def]
    """Every chart on the page at desktop and 375 px: a picture whose labels render at
    12 px or more, or else its table (never neither, never both)."""
    seen = []
    for size in (DESKTOP, PHONE):
        at_width(browser, size)
        try:
            found = browser.execute_script(CHART_TEXT)
        finally:
            browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        assert found, f"no chart on {browser.current_url}"
        for chart in found:
            assert chart["picture"] != chart["table"], (size, chart)
            if chart["picture"]:
                assert chart["smallest"] >= MIN_LABEL_PX, (size, chart)
            else:
                assert chart["tableFont"] >= MIN_LABEL_PX, (size, chart)
        seen.append(found)
    return seen


def test_axe_core_reports_what_a_broken_page_has(browser):
    """The audit is not silent by accident: a page with poor contrast, an image without
    alt text and an unlabelled field fails it, naming the rules."""
    browser.get(BROKEN)
    with pytest.raises(AssertionError) as failure:
        check_accessibility(browser)
    for rule in ("color-contrast", "image-alt", "label"):
        assert f"'{rule}'" in str(failure.value)


def test_charts_are_readable_at_phone_width(browser, live_server, live_ctx, world):  # noqa: F811
    visit(browser, f"{live_server}/statistics")
    desktop, phone = readable_charts(browser)
    assert all(c["picture"] for c in desktop), desktop  # drawn at full size on a desktop
    assert all(c["table"] for c in phone), phone  # a 375 px figure cannot hold 640 units

    sign_in(browser, live_server, account(live_ctx, "chart-reader", "regulator", region_code=CITY))
    check_page(browser)
    readable_charts(browser)  # the console's dashboard


def test_large_text_is_kept_across_the_site(browser, live_server, live_ctx, world):  # noqa: F811
    visit(browser, f"{live_server}/list")
    standard = browser.execute_script(ROOT_FONT)
    click(browser, "header a.text-size")
    assert browser.current_url == f"{live_server}/list"
    assert "large-text" in browser.find_element(By.TAG_NAME, "html").get_attribute("class")
    assert browser.execute_script(ROOT_FONT) == pytest.approx(standard * 1.25)
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        at_width(browser, size)
        overflow = browser.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth;"
        )
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        assert overflow <= 0, f"large text scrolls sideways by {overflow}px at {label} width"

    visit(browser, f"{live_server}/statistics")
    assert browser.execute_script(ROOT_FONT) == pytest.approx(standard * 1.25)
    readable_charts(browser)

    sign_in(browser, live_server, account(live_ctx, "large-reader", "regulator", region_code=CITY))
    assert browser.execute_script(ROOT_FONT) == pytest.approx(standard * 1.25)
    sign_out(browser)
    owner = world["owner"]
    clerk = account(live_ctx, "large-clerk", "enterprise", uscc=owner["identifier"])
    sign_in(browser, live_server, clerk)
    assert browser.current_url.endswith("/enterprise")
    assert browser.execute_script(ROOT_FONT) == pytest.approx(standard * 1.25)

    click(browser, "header a.text-size")  # back to the standard size, on the same page
    assert browser.current_url.endswith("/enterprise")
    assert browser.execute_script(ROOT_FONT) == pytest.approx(standard)


def test_error_pages_pass_the_audit(browser, live_server, live_ctx):
    """The pages a refusal shows (no such entry, no access) are pages too."""
    browser.get(f"{live_server}/list/999999")
    check_page(browser, error_status=404)
    assert browser.find_element(By.TAG_NAME, "h1").text
    sign_in(browser, live_server, account(live_ctx, "error-viewer", "viewer", region_code=CITY))
    browser.get(f"{live_server}/console/users")
    check_page(browser, error_status=403)
    assert "无权访问" in browser.find_element(By.TAG_NAME, "main").text
