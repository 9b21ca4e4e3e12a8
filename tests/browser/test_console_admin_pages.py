"""The console's administration pages in Chromium, in the states that matter: a form sent
back with its errors under the fields, a secret just shown once, a verification result,
a tier preview with movers. Each page is audited by ``check_page`` (axe-core at desktop
and at 375 px, labels, contrast, console errors), as the role that uses it: bindings and
activation codes by a district regulator; users and API tokens, tier rules by an
administrator; the audit trail by an auditor; records and imports by a regulator.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from credit_service import import_runs
from credit_service.access import SYSTEM
from credit_service.audit import sealing
from credit_service.auth import sessions
from credit_service.config import PROJECT_ROOT
from credit_service.errors import Unauthenticated
from credit_service.tiers import services as tier_services
from credit_service.web.i18n import translate
from tests.api.test_sessions import WRONG
from tests.browser.pages import check_page, screenshots
from tests.browser.test_journeys import account, click, fill, main_text, sign_in, submit, visit
from tests.factories import LANGXI, PENALTY_ITEM, XUANZHOU, create_entity, file_penalty
from tests.factories import penalty_fields as penalty
from tests.integration.test_audit import execute
from tests.pages.test_admin_account_pages import register
from tests.pages.test_import_pages import csv_of

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SECRET = "main code.secret"


def errors_shown(browser) -> list[str]:  # type: ignore[no-untyped-def]
    """The ids of the errors shown under fields (each named by its field's
    ``aria-describedby``), once each has its words."""
    found = browser.find_elements(By.CSS_SELECTOR, "main p.error")
    assert all(e.text.strip() for e in found)
    return sorted(e.get_attribute("id") for e in found)


def test_a_regulator_decides_bindings_and_issues_an_activation_code(browser, live_server, live_ctx):
    entity = create_entity(live_ctx, region_code=XUANZHOU, name="宣城绑定审核科技有限公司")
    approved = register(live_ctx, entity, contact="王经理 0563-1234567")
    refused = register(live_ctx, entity, display_name="宣城某某公司（自填）")
    sign_in(browser, live_server, account(live_ctx, "bind-reg", "regulator", region_code=XUANZHOU))
    click(browser, 'nav.menu a[href="/console/bindings"]')
    assert approved in main_text(browser) and "宣城某某公司（自填）" in main_text(browser)
    screenshots(browser, "console-bindings")

    click(browser, f'#binding-{refused} form[action$="/refuse"] button')  # no reason
    reason = browser.find_element(By.CSS_SELECTOR, f"#binding-{refused} textarea")
    assert errors_shown(browser) == [f"{reason.get_attribute('id')}-error"]
    reason.send_keys("营业执照名称与登记信息不一致")
    click(browser, f'#binding-{refused} form[action$="/refuse"] button')
    click(browser, f'#binding-{approved} form[action$="/approve"] button')
    assert translate("bindings.approved") in main_text(browser)
    assert approved not in main_text(browser) and refused not in main_text(browser)

    browser.find_element(By.ID, "f-uscc").send_keys("91341802MA2UNKNOWN")
    submit(browser, "/console/activation-codes")  # no such entity: the error under it
    assert errors_shown(browser) == ["e-uscc"]
    browser.find_element(By.ID, "f-uscc").clear()
    browser.find_element(By.ID, "f-uscc").send_keys(entity["identifier"])
    submit(browser, "/console/activation-codes")
    assert browser.find_element(By.CSS_SELECTOR, SECRET).text  # shown this once
    click(browser, 'form[action$="/revoke"] button')
    assert translate("bindings.codes.revoked") in main_text(browser)


def test_an_administrator_manages_users(browser, live_server, live_ctx):
    locked = account(live_ctx, "locked-officer", "regulator", region_code=LANGXI)
    for _ in range(live_ctx.settings.login_max_failures):
        with pytest.raises(Unauthenticated):
            sessions.sign_in(live_ctx, locked, WRONG, source_ip="192.0.2.7")
    sign_in(browser, live_server, account(live_ctx, "users-admin", "admin"))
    click(browser, 'nav.menu a[href="/console/users"]')
    screenshots(browser, "console-users")

    fill(browser, {"f-username": "x", "f-display_name": "郎溪县新监管员", "f-region_code": LANGXI})
    submit(browser, "/console/users")  # too short a user name: the error under it
    assert errors_shown(browser) == ["e-username"]
    fill(browser, {"f-username": "new-officer"})
    submit(browser, "/console/users")
    assert "new-officer" in browser.find_element(By.CSS_SELECTOR, "main .alert").text
    assert browser.find_element(By.CSS_SELECTOR, SECRET).text

    click(browser, f'form[action$="/users/{locked}/unlock"] button')
    assert translate("users.unlocked", username=locked) in main_text(browser)
    click(browser, f'form[action$="/users/{locked}/disable"] button')
    click(browser, f'form[action$="/users/{locked}/reset-password"] button')
    assert browser.find_element(By.CSS_SELECTOR, SECRET).text


def test_an_administrator_creates_a_token_shown_once_and_revokes_it(browser, live_server, live_ctx):
    reader = account(live_ctx, "token-reader", "viewer", region_code=XUANZHOU)
    sign_in(browser, live_server, account(live_ctx, "tokens-admin", "admin"))
    click(browser, 'nav.menu a[href="/console/tokens"]')
    fill(browser, {"f-username": reader, "f-name": "统计报表读取"})
    browser.find_element(By.CSS_SELECTOR, 'input[name="scopes"][value="write"]').click()
    submit(browser, "/console/tokens")  # beyond a viewer's role: the error under the scopes
    assert browser.find_element(By.ID, "e-scopes").text
    browser.find_element(By.CSS_SELECTOR, 'input[name="scopes"][value="write"]').click()
    submit(browser, "/console/tokens")
    assert browser.find_element(By.CSS_SELECTOR, SECRET).text
    click(browser, 'form[action$="/revoke"] button')
    assert translate("tokens.revoked") in main_text(browser)
    screenshots(browser, "console-tokens")


def test_an_auditor_searches_the_trail_and_verifies_it(browser, live_server, live_ctx):
    owner = create_entity(live_ctx, region_code=XUANZHOU)
    filed = file_penalty(live_ctx, owner["identifier"])
    sealing.seal_log(live_ctx)
    sign_in(browser, live_server, account(live_ctx, "trail-auditor", "auditor"))
    click(browser, 'nav.menu a[href="/console/audit"]')
    fill(browser, {"f-since": "2026-11-02", "f-until": "2026-11-01"})
    click(browser, "main form.search button[type=submit]")
    assert errors_shown(browser) == ["f-until-error"]
    fill(browser, {"f-since": "", "f-until": "", "f-action": "record.file"})
    click(browser, "main form.search button[type=submit]")
    assert len(browser.find_elements(By.CSS_SELECTOR, "main tr[id^='event-']")) == 1
    screenshots(browser, "console-audit")

    click(browser, 'main a[href="/console/audit/verification"]')
    assert not browser.find_elements(By.ID, "findings")  # nothing found wrong
    execute(
        live_ctx,
        "UPDATE audit_events SET chain_hash = :h WHERE object_id = :id AND action = 'record.file'",
        h="f" * 64,
        id=str(filed["id"]),
    )
    visit(browser, f"{live_server}/console/audit/verification")
    assert browser.find_elements(By.CSS_SELECTOR, "#findings ~ .table-wrap tbody tr")
    screenshots(browser, "console-audit-verification")


def test_a_regulator_files_corrects_and_revokes_a_record(browser, live_server, live_ctx):
    owner = create_entity(live_ctx, region_code=XUANZHOU, name="宣城记录登记科技有限公司")
    sign_in(
        browser, live_server, account(live_ctx, "records-reg", "regulator", region_code=XUANZHOU)
    )
    visit(browser, f"{live_server}/console/entities/{owner['identifier']}")
    click(browser, 'main a[href$="/records/new"]')
    Select(browser.find_element(By.ID, "f-item")).select_by_value(PENALTY_ITEM)
    click(browser, "main form.search button[type=submit]")
    screenshots(browser, "console-record-new")

    fields = penalty()
    values = {f"f-{name}": value for name, value in fields.items() if name != "CF_CFLB"}
    fill(browser, {**values, "f-CF_WSH": "", "f-CF_NR_FK": "很多"})
    browser.find_element(By.CSS_SELECTOR, 'input[name="f.CF_CFLB"][value="罚款"]').click()
    click(browser, 'form[method=post][action$="/records/new"] button[type=submit]')
    assert errors_shown(browser) == ["f-CF_NR_FK-error", "f-CF_WSH-error"]  # nothing filed
    fill(browser, {"f-CF_WSH": fields["CF_WSH"], "f-CF_NR_FK": fields["CF_NR_FK"]})
    click(browser, 'form[method=post][action$="/records/new"] button[type=submit]')
    assert "/console/records/" in browser.current_url and fields["CF_WSH"] in main_text(browser)
    screenshots(browser, "console-record")

    fill(browser, {"f-CF_NR": "罚款人民币六万元", "f-CF_NR_FK": "6"})
    submit(browser, "/correction")  # no reason: the error under it
    assert errors_shown(browser) == ["f-reason-error"]
    fill(browser, {"f-reason": "金额笔误"})
    submit(browser, "/correction")
    assert browser.find_element(By.ID, "record-revision").text == "2"
    fill(browser, {"f-revoke-reason": "原处罚决定被复议撤销"})
    submit(browser, "/revocation")
    assert "原处罚决定被复议撤销" in browser.find_element(By.ID, "record-status").text


def test_a_regulator_imports_records_and_reads_the_row_report(
    browser, live_server, live_ctx, tmp_path
):
    owner = create_entity(live_ctx, region_code=XUANZHOU)
    good = {"entity": owner["identifier"], "item_code": PENALTY_ITEM, **penalty(CF_CFLB="罚款")}
    bad = {**good, "CF_WSH": "宣市监知罚〔2026〕9999号", "CF_JDRQ": "2026-02-30"}
    upload = Path(tmp_path) / "records.csv"
    upload.write_bytes(csv_of([good, bad]))
    sign_in(
        browser, live_server, account(live_ctx, "imports-reg", "regulator", region_code=XUANZHOU)
    )
    click(browser, 'nav.menu a[href="/console/imports"]')
    screenshots(browser, "console-imports")
    submit(browser, "/console/imports")  # no file: the error under it
    assert errors_shown(browser) == ["f-file-error"]
    browser.find_element(By.ID, "f-file").send_keys(str(upload))
    submit(browser, "/console/imports")
    check_page(browser)  # the job's page while it waits for the scheduler
    assert import_runs.run_queued(live_ctx) == {"done": 1}  # the scheduler's job, in process
    browser.refresh()
    check_page(browser)
    rows = browser.find_elements(By.CSS_SELECTOR, "#row-report tbody tr")
    assert len(rows) == 1 and "CF_JDRQ" in rows[0].text


def test_an_administrator_previews_who_moves_under_candidate_tier_rules(
    browser, live_server, live_ctx
):
    tier_services.apply_rule_set(live_ctx, SYSTEM)
    owner = create_entity(live_ctx, region_code=LANGXI, industry="I")
    file_penalty(live_ctx, owner["identifier"])
    rules = (PROJECT_ROOT / "catalogs" / "tiers.yaml").read_text(encoding="utf-8")
    old = "  - id: dishonest-record\n    tier: C\n"
    assert old in rules
    candidate = rules.replace(old, "  - id: dishonest-record\n    tier: D\n")
    sign_in(browser, live_server, account(live_ctx, "tiers-admin", "admin"))
    click(browser, 'nav.menu a[href="/console/tiers"]')
    screenshots(browser, "console-tiers")
    fill(browser, {"f-rules": "tiers: [unclosed"})
    submit(browser, "/tiers/preview")
    assert errors_shown(browser) == ["f-rules-error"]
    fill(browser, {"f-rules": candidate})
    submit(browser, "/tiers/preview")
    movers = browser.find_elements(By.CSS_SELECTOR, "#moves ~ .table-wrap tbody tr")
    assert len(movers) == 1 and "郎溪县" in movers[0].text
    fill(browser, {"f-reason": "改"})  # too short
    submit(browser, "/tiers/apply")
    assert errors_shown(browser) == ["f-reason-error"]
    fill(browser, {"f-reason": "依据新规调整失信记录的等级"})
    submit(browser, "/tiers/apply")
    assert translate("admin_data.tiers.notice.applied") in main_text(browser)
