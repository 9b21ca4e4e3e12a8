"""What every browser test checks on a page, and the screenshots it leaves."""

from __future__ import annotations

from pathlib import Path

from selenium.webdriver.support.wait import WebDriverWait

from tests.browser.conftest import DESKTOP, PHONE, SCREENSHOTS

# Run in the page: the basics a Lighthouse-style audit would flag.
AUDIT = """
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
return problems;
"""
MAX_SHOT_HEIGHT = 2400
OVERFLOW = "return document.documentElement.scrollWidth - document.documentElement.clientWidth;"


def console_errors(driver) -> list[str]:  # type: ignore[no-untyped-def]
    """Errors the page wrote to the console (CSP violations and failed loads included)."""
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def check_page(driver) -> None:  # type: ignore[no-untyped-def]
    """The audit passes and the console is clean."""
    problems = driver.execute_script(AUDIT)
    assert not problems, f"{driver.current_url}: {problems}"
    errors = console_errors(driver)
    assert not errors, f"{driver.current_url}: {errors}"


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
