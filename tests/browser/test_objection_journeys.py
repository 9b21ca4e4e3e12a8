"""Objections (D19) in Chromium, against the running service: an enterprise objects to
one field of its record with a PDF and sees it received; a regulator accepts it, extends
it once and upholds it, and the enterprise then reads the outcome and its notices. Every
page visited is audited like the other journeys, and the main ones are photographed at
desktop and phone width (375 px, which must not scroll sideways). An objection brought
to the office on paper is entered by a regulator with its scan."""

from __future__ import annotations

from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from credit_service.access import Actor
from credit_service.objections import services as objections
from credit_service.web.i18n import translate
from tests.browser.pages import check_page, screenshots
from tests.browser.test_journeys import (
    PDF,
    account,
    click,
    fill,
    main_text,
    sign_in,
    sign_out,
    submit,
    visit,
)
from tests.factories import CITY
from tests.integration.test_repair import general_penalty

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REASONS = "处罚决定书载明的罚款金额为三万元，公示的五万元有误"


@pytest.fixture
def penalised(live_ctx):  # type: ignore[no-untyped-def]
    """An entity with a fine published (罚款人民币五万元) and its enterprise account."""
    owner, record = general_penalty(live_ctx)
    clerk = account(live_ctx, "objection-clerk", "enterprise", uscc=owner["identifier"])
    return owner, record, clerk


def test_an_enterprise_objects_to_a_field_of_its_record_with_a_file(
    browser, live_server, penalised, tmp_path
):
    owner, record, clerk = penalised
    evidence = Path(tmp_path) / "处罚决定书.pdf"
    evidence.write_bytes(PDF)

    sign_in(browser, live_server, clerk)
    check_page(browser)
    click(browser, f'a[href*="/enterprise/objections/new?target=record:{record["id"]}"]')
    check_page(browser)
    assert "罚款人民币五万元" in main_text(browser)  # the value shown, beside its field
    screenshots(browser, "enterprise-objection-new")
    Select(browser.find_element(By.ID, "f-field")).select_by_value("CF_NR")
    browser.find_element(By.ID, "f-value_claimed").send_keys("罚款人民币三万元")
    browser.find_element(By.ID, "f-reasons").send_keys(REASONS)
    browser.find_element(By.ID, "f-contact").send_keys("王五 0563-1234567")
    browser.find_element(By.ID, "f-files").send_keys(str(evidence))
    submit(browser, "/enterprise/objections/new")
    check_page(browser)
    text = main_text(browser)
    assert translate("objections.state.received") in text and "处罚决定书.pdf" in text
    assert "罚款人民币三万元" in text and "/enterprise/objections/" in browser.current_url
    screenshots(browser, "enterprise-objection")

    visit(browser, f"{live_server}/enterprise/objections")
    assert translate("objections.state.received") in main_text(browser)
    screenshots(browser, "enterprise-objections")


def test_a_regulator_accepts_extends_and_upholds_and_the_enterprise_reads_the_outcome(
    browser, live_server, live_ctx, penalised
):
    owner, record, clerk = penalised
    filer = Actor(role="enterprise", username=clerk, uscc=owner["identifier"], city_code=CITY)
    objection, _ = objections.file_objection(
        live_ctx,
        filer,
        target=f"record:{record['id']}",
        field="CF_NR",
        value_claimed="罚款人民币三万元",
        reasons=REASONS,
        contact="王五 0563-1234567",
    )
    reviewer = account(live_ctx, "objection-reviewer", "regulator", region_code=CITY)

    sign_in(browser, live_server, reviewer)
    check_page(browser)
    click(browser, 'nav.menu a[href="/console/objections"]')
    check_page(browser)
    screenshots(browser, "console-objections")
    click(browser, f'main a[href="/console/objections/{objection["id"]}"]')
    check_page(browser)
    screenshots(browser, "console-objection")
    submit(browser, "/steps/accept")
    check_page(browser)
    assert translate("objections.mark") in main_text(browser)
    browser.find_element(By.ID, "f-extend-reason").send_keys("需原处罚机关核实罚款金额")
    submit(browser, "/steps/extend")
    check_page(browser)
    assert "需原处罚机关核实罚款金额" in main_text(browser)
    Select(browser.find_element(By.ID, "f-uphold-action")).select_by_value("correct")
    browser.find_element(By.ID, "f-uphold-reason").send_keys("原处罚决定书载明罚款三万元")
    submit(browser, "/steps/uphold")
    check_page(browser)
    text = main_text(browser)
    assert translate("objections.state.upheld") in text
    assert translate("objections.document.result") in text
    screenshots(browser, "console-objection-upheld")
    sign_out(browser)

    sign_in(browser, live_server, clerk)
    visit(browser, f"{live_server}/enterprise/objections/{objection['id']}")
    text = main_text(browser)
    assert translate("objections.state.upheld") in text and "原处罚决定书载明罚款三万元" in text
    for kind in ("acceptance", "extension", "result"):
        assert translate(f"objections.document.{kind}") in text
    assert "罚款人民币三万元" in text
    screenshots(browser, "enterprise-objection-upheld")


def test_a_regulator_enters_an_objection_brought_to_the_office(
    browser, live_server, live_ctx, penalised, tmp_path
):
    owner, record, _ = penalised
    scan = Path(tmp_path) / "异议申请书.pdf"
    scan.write_bytes(PDF)
    sign_in(
        browser, live_server, account(live_ctx, "office-reviewer", "regulator", region_code=CITY)
    )
    visit(browser, f"{live_server}/console/objections")
    click(browser, 'main a[href="/console/objections/new"]')
    fill(
        browser,
        {
            "f-number": str(record["id"]),
            "f-applicant_name": owner["name"],
            "f-reasons": REASONS,
            "f-contact": "王五 0563-1234567",
        },
    )
    submit(browser, "/console/objections/new")  # without the scan: the error under it
    assert browser.find_element(By.ID, "e-files").text
    browser.find_element(By.ID, "f-files").send_keys(str(scan))
    submit(browser, "/console/objections/new")
    assert "异议申请书.pdf" in main_text(browser) and owner["name"] in main_text(browser)
