"""A console CSV import in Chromium, as in ``make run``: an administrator uploads a file of
entities and lands at once on the import's page (progress bar, queued); a real scheduler
process (``python -m schedulers``, the ``imports.run`` job alone, every second) picks the
import up; the page's script sees it end and loads the page again, now with the counts and
the row report. Pages audited (axe-core) and photographed at desktop and phone width."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.wait import WebDriverWait

from credit_service.config import PROJECT_ROOT
from tests.browser.pages import check_page, screenshots
from tests.browser.test_journeys import account, click, sign_in, visit
from tests.factories import LANGXI, XUANZHOU, unique_uscc
from tests.sync.test_scheduler import stop

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCHEDULER = [sys.executable, "-m", "schedulers", "--only", "imports.run", "--interval-seconds", "1"]


def entities_csv() -> str:
    rows = [
        f"organisation,{unique_uscc(XUANZHOU)},宣城导入{n}有限公司,{XUANZHOU}" for n in range(3)
    ]
    rows.append(f"organisation,{unique_uscc(LANGXI)},郎溪导入有限公司,999999")  # no such region
    return "kind,identifier,name,region_code\n" + "\n".join(rows) + "\n"


def test_an_upload_is_followed_to_its_report_while_the_scheduler_runs_it(
    browser, live_server, live_ctx, tmp_path
):
    admin = account(live_ctx, "browser-importer", "admin")
    sign_in(browser, live_server, admin)
    visit(browser, f"{live_server}/console/imports")
    upload = tmp_path / "主体.csv"
    upload.write_text(entities_csv(), encoding="utf-8")
    Select(browser.find_element(By.ID, "f-kind")).select_by_value("entities")
    browser.find_element(By.ID, "f-file").send_keys(str(upload))
    click(browser, 'main form button[type="submit"]')

    assert "/console/imports/" in browser.current_url
    assert browser.find_element(By.ID, "import-state").text == "排队等候"
    bar = browser.find_element(By.ID, "progress-bar")
    assert (bar.get_attribute("max"), bar.get_attribute("value")) == ("4", "0")
    assert browser.find_element(By.ID, "progress-text").text == "已处理 0 / 4 行"
    screenshots(browser, "console-import-queued")

    page = browser.find_element(By.TAG_NAME, "html")
    environment = {
        **os.environ,
        "DATABASE_URL": live_ctx.settings.database_url,
        "DATA_DIR": str(live_ctx.settings.data_dir),
        "CATALOGS_DIR": str(PROJECT_ROOT / "catalogs"),
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(PROJECT_ROOT),
    }
    log = (tmp_path / "scheduler.log").open("wb")
    scheduler = subprocess.Popen(
        SCHEDULER, cwd=PROJECT_ROOT, env=environment, stdout=log, stderr=log
    )
    try:
        # the script reloads the page once the import has ended
        WebDriverWait(browser, 60).until(
            lambda b: b.find_elements(By.ID, "row-report") or scheduler.poll() is not None
        )
    finally:
        stop(scheduler)
        log.close()
    assert browser.find_elements(By.ID, "row-report"), (tmp_path / "scheduler.log").read_text()
    check_page(browser)
    assert page.id != browser.find_element(By.TAG_NAME, "html").id  # a new page
    assert browser.find_element(By.ID, "import-state").text == "已完成"
    assert browser.find_element(By.ID, "progress-text").text == "已处理 4 / 4 行"
    report = browser.find_element(By.ID, "row-report").text
    assert "5" in report and "region_code" in report
    assert "共4行，其中1行未导入" in browser.find_element(By.TAG_NAME, "main").text
    screenshots(browser, "console-import-done")
