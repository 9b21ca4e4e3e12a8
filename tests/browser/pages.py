"""What every browser test checks on a page, and the screenshots it leaves."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.wait import WebDriverWait

from tests.browser.conftest import DESKTOP, PHONE, SCREENSHOTS

# axe-core (tests/browser/vendor/README.md says which version and under what licence)
AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
# WCAG 2.1 AA (GB/T 37668-2019 follows it): no violation of these impacts is tolerated
BLOCKING_IMPACTS = ("serious", "critical")
RUN_AXE = """
const done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ['violations']}).then(
  (results) => done(results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ') + ' ' + n.failureSummary),
  }))),
  (error) => done([{id: 'axe-error', impact: 'critical', help: String(error), nodes: []}]),
);
"""

# Run in the page: the basics a Lighthouse-style audit would flag.
AUDIT = r"""
const problems = [];
if (document.documentElement.lang !== 'zh-CN') problems.push('html lang');
const h1 = document.querySelectorAll('h1').length;
if (h1 !== 1) problems.push(h1 + ' h1 headings');
for (const el of document.querySelectorAll('input, select, textarea')) {
  if (['hidden', 'submit', 'button', 'reset', 'image'].includes(el.type)) continue;
  const named = el.labels.length || el.getAttribute('aria-label')
    || el.getAttribute('aria-labelledby');
  if (!named) problems.push('unlabelled field ' + (el.name || el.id));
}
for (const img of document.querySelectorAll('img')) {
  if (!img.hasAttribute('alt')) problems.push('image without alt ' + img.src);
}
for (const svg of document.querySelectorAll('svg[role=img]')) {
  if (!svg.querySelector('title')) problems.push('chart without a title');
}
for (const button of document.querySelectorAll('button, a')) {
  if (!button.textContent.trim() && !button.getAttribute('aria-label')) {
    problems.push('empty ' + button.tagName);
  }
}
// WCAG 2 contrast of every visible piece of text (SVG charts excepted: their labels
// are checked by their own colours in the chart tests) against its painted background
const rgb = (s) => (s.match(/[\d.]+/g) || ['0', '0', '0']).map(Number);
const luminance = ([r, g, b]) => [r, g, b]
  .map((c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; })
  .reduce((sum, c, i) => sum + c * [0.2126, 0.7152, 0.0722][i], 0);
const painted = (el) => {
  for (let e = el; e; e = e.parentElement) {
    const c = rgb(getComputedStyle(e).backgroundColor);
    if (c.length < 4 || c[3] > 0) return c;
  }
  return [255, 255, 255];
};
for (const el of document.querySelectorAll('body *')) {
  if (el.closest('svg') || !el.getClientRects().length) continue;
  if (![...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
  const style = getComputedStyle(el);
  if (style.visibility === 'hidden') continue;
  const [a, b] = [luminance(rgb(style.color)), luminance(painted(el))];
  const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  const size = parseFloat(style.fontSize), bold = parseInt(style.fontWeight, 10) >= 700;
  const needed = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
  if (ratio < needed) {
    const text = el.textContent.trim().slice(0, 20);
    problems.push(`contrast ${ratio.toFixed(2)} < ${needed}: ${el.tagName} ${text}`);
  }
}
return problems;
"""
MAX_SHOT_HEIGHT = 2400
FORM_ANSWERS = (409, 422)  # a page answering a form with its errors, or refusing the act
# The paths of the service's pages that check_page passed in this test session (any
# port, any database): test_page_coverage compares them with the app's page routes.
AUDITED_PATHS: set[str] = set()
OVERFLOW = "return document.documentElement.scrollWidth - document.documentElement.clientWidth;"


def console_errors(driver, answered: tuple[int, ...] = FORM_ANSWERS) -> list[str]:  # type: ignore[no-untyped-def]
    """Errors the page wrote to the console (CSP violations and failed loads included).

    The page's own status when it is the state under test (``answered``: by default a
    form answered with its errors, 422, or an act refused, 409) is logged by Chromium as
    a failed load of the page: that is not an error."""
    own = tuple(
        f"{driver.current_url} - Failed to load resource: the server responded with a "
        f"status of {status} "
        for status in answered
    )
    return [
        entry["message"]
        for entry in driver.get_log("browser")
        if entry["level"] == "SEVERE" and not entry["message"].startswith(own)
    ]


def axe_violations(driver) -> list[dict]:  # type: ignore[no-untyped-def]
    """axe-core's serious and critical violations on the page as it is laid out now."""
    if not driver.execute_script("return typeof window.axe === 'object';"):
        driver.execute_script(AXE_SOURCE)
    driver.set_script_timeout(60)
    found = driver.execute_async_script(RUN_AXE)
    return [v for v in found if v["impact"] in BLOCKING_IMPACTS]


def at_width(driver, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    """Lay the page out again at ``size`` (a phone below 600 px) without reloading it;
    ``Emulation.clearDeviceMetricsOverride`` undoes it."""
    width, height = size
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
    )


def check_accessibility(driver) -> None:  # type: ignore[no-untyped-def]
    """axe-core finds no serious or critical violation at desktop width nor at 375 px.

    The page is laid out again at phone width without reloading it (a form the test has
    begun to fill keeps its values); a document once checked is marked and not checked
    twice."""
    if driver.execute_script("return window.__axeChecked === true;"):
        return
    problems = {}
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        at_width(driver, size)
        try:
            found = axe_violations(driver)
        finally:
            driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        if found:
            problems[label] = found
    assert not problems, f"{driver.current_url}: axe-core {problems}"
    driver.execute_script("window.__axeChecked = true;")


def check_page(driver, error_status: int | None = None) -> None:  # type: ignore[no-untyped-def]
    """The audit and axe-core pass and the console is clean. Every browser test calls
    this after each page it loads (``visit`` and ``click`` in test_journeys do it);
    ``error_status`` is that of an error page under test (403, 404)."""
    problems = driver.execute_script(AUDIT)
    assert not problems, f"{driver.current_url}: {problems}"
    check_accessibility(driver)
    errors = console_errors(driver, FORM_ANSWERS + ((error_status,) if error_status else ()))
    assert not errors, f"{driver.current_url}: {errors}"
    address = urlsplit(driver.current_url)
    if address.scheme in ("http", "https") and error_status is None:  # the page itself
        AUDITED_PATHS.add(address.path)


def check_changed_page(driver) -> None:  # type: ignore[no-untyped-def]
    """``check_page`` again on a document its scripts have changed in place (parts opened,
    a dialog shown): the mark that spares a document a second axe-core run is cleared."""
    driver.execute_script("window.__axeChecked = false;")
    check_page(driver)


FOCUSED = """
const e = document.activeElement, style = getComputedStyle(e);
return {tag: e.tagName, cls: e.className, id: e.id, name: e.name || '', text: e.textContent.trim(),
        outline: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0};
"""


def tab_until(driver, found, limit: int = 60) -> list[dict]:  # type: ignore[no-untyped-def]
    """Press Tab on a freshly loaded page until ``found(focused)`` holds; every element
    reached must show where the focus is. The first stop is the skip link."""
    driver.execute_script("window.scrollTo(0, 0); document.activeElement.blur();")
    reached: list[dict] = []
    for _ in range(limit):
        ActionChains(driver).send_keys(Keys.TAB).perform()
        focused = driver.execute_script(FOCUSED)
        reached.append(focused)
        assert focused["outline"], f"no visible focus on {focused}"
        if found(focused):
            assert reached[0]["cls"] == "skip", reached[0]
            return reached
    stops = [r["text"][:12] or r["id"] for r in reached]
    raise AssertionError(f"not reached by Tab in {limit} steps: {stops}")


def screenshots(driver, name: str) -> list[Path]:  # type: ignore[no-untyped-def]
    """The page at desktop and at phone width (375 px), which must not scroll sideways."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    paths = []
    for label, (width, height) in (("desktop", DESKTOP), ("phone", PHONE)):
        metrics = {"width": width, "height": height, "deviceScaleFactor": 1}
        metrics["mobile"] = label == "phone"
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
        driver.refresh()
        WebDriverWait(driver, 15).until(
            lambda d: d.execute_script("return document.readyState") == "complete"
        )
        overflow = driver.execute_script(OVERFLOW)
        assert overflow <= 0, f"{name} scrolls sideways by {overflow}px at {width}px wide"
        # the whole page, up to a limit, so the pictures show the charts and tables too
        full = driver.execute_script("return document.documentElement.scrollHeight;")
        metrics["height"] = min(max(full, height), MAX_SHOT_HEIGHT)
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
        path = SCREENSHOTS / f"{name}-{label}.png"
        driver.save_screenshot(str(path))
        paths.append(path)
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    check_page(driver)
    return paths
