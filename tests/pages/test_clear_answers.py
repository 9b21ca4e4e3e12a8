"""Clear answers on the pages (issue #20), both databases: every unmet repair condition
says why and from when it will be met (or that time alone will not meet it), and a step
not open yet on the console's case page is shown disabled with the reason and the day it
opens."""

from __future__ import annotations

import csv
import io
import re
from urllib.parse import unquote

from sqlalchemy import select

from credit_service.audit.models import AuditEvent
from credit_service.dishonesty import services as dishonesty
from credit_service.identifiers import identifier_problem
from tests.api.test_credit_checks import listed_entity
from tests.factories import bearer_for, file_penalty, unique_resident_id
from tests.integration.test_repair import CITY_REGULATOR, general_penalty
from tests.pages.test_check_pages import UNKNOWN, check, rows
from tests.pages.test_console_pages import get, punished, signed_in, take
from tests.pages.test_enterprise_pages import browser, enterprise_account, get_page

REFERENCE = re.compile(r"宣市监信核〔2026〕\d+号")

ROW = re.compile(
    r"<tr>\s*<td[^>]*>(.*?)</td>\s*<td[^>]*>(.*?)</td>\s*<td[^>]*>(.*?)</td>\s*"
    r"<td[^>]*>(.*?)</td>\s*</tr>",
    re.S,
)


def conditions(html: str) -> dict[str, tuple[str, str, str]]:
    """Each condition row: its state, its 满足日期 and its 说明, by the condition's words."""
    return {
        re.sub(r"<[^>]+>", "", name).strip(): tuple(
            re.sub(r"<[^>]+>", "", cell).strip() for cell in cells
        )
        for name, *cells in ROW.findall(html)
    }


def test_every_unmet_condition_says_why_and_from_when(ctx, app):
    owner, record = general_penalty(ctx, decided="2026-09-10")  # repairable from 2026-12-11
    file_penalty(ctx, owner["identifier"], CF_JDRQ="2026-10-15", CF_CFLB=["罚款", "责令停产停业"])
    username = enterprise_account(ctx, owner)

    html = get_page(
        browser(app, username), f"/enterprise/repair/eligibility?target=record:{record['id']}"
    )

    shown = conditions(html)
    unmet = {name: row for name, row in shown.items() if row[0] == "未满足"}
    assert len(unmet) == 2, shown
    state, day, why = unmet["已满最短公示期"]
    assert day == "2026-12-11" and "最短公示期尚未届满，2026-12-11 起满足" in why
    state, day, why = unmet["此后未再受到较重行政处罚"]
    assert day == "不会随时间经过而满足"
    assert "2026-10-15 又受到较重行政处罚" in why
    for name, (_state, day, why) in shown.items():
        assert why and day, name  # no empty cell, whatever the state
    assert "申请时在申请书中如实声明" in shown["已履行相关义务、纠正失信行为并消除不良影响"][2]


def test_a_decision_inside_the_statement_window_is_shown_disabled_with_its_date(ctx, app):
    owner, record = punished(ctx)
    case = dishonesty.propose(
        ctx, CITY_REGULATOR, entity=owner["identifier"], record_ids=[record["id"]], reason="拟列入"
    )
    client = signed_in(app, ctx)
    html = take(client, case["id"], "serve_notice")  # served 2026-11-25: the window to 12-02

    form = html.split('id="step-decide_list"', 1)[1].split("</form>", 1)[0]
    assert "暂不可办理" in form
    assert "陈述申辩期至 2026-12-02 届满，2026-12-03 起可以办理。" in form
    assert re.search(
        r'<button type="submit" class="primary" disabled aria-describedby="f-decide_list-closed">',
        form,
    )
    close = html.split('id="step-close_window"', 1)[1].split("</form>", 1)[0]
    assert " disabled " in close
    statement = html.split('id="step-receive_statement"', 1)[1].split("</form>", 1)[0]
    assert "暂不可办理" not in statement and " disabled " not in statement

    # a written waiver opens the decision at once
    take(client, case["id"], "waive", reason="当事人书面放弃陈述、申辩", document_title="放弃声明")
    html = get(client, f"/console/cases/{case['id']}")
    form = html.split('id="step-decide_list"', 1)[1].split("</form>", 1)[0]
    assert "暂不可办理" not in form and "disabled" not in form


# --- credit checks: invalid is not "not found"; the batch answer's reference, CSV, print ----

WRONG_CHECK = "91341802MA0000001X"  # the check character should be 1


def test_the_api_tells_an_invalid_identifier_from_one_not_found(ctx, client):
    checker = bearer_for(ctx, "checker")
    single = client.get(
        f"/api/v1/credit-checks/{WRONG_CHECK}",
        query_string={"purpose": "awards"},
        headers={**checker, "Accept-Language": "en"},
    )
    assert single.status_code == 422
    problem = single.get_json()
    assert problem["code"] == "invalid-identifier"
    assert problem["errors"] == {"uscc": ["check character should be '1'"]}
    unknown = client.get(
        f"/api/v1/credit-checks/{UNKNOWN}", query_string={"purpose": "awards"}, headers=checker
    )
    assert unknown.status_code == 404 and unknown.get_json()["code"] == "entity-not-found"

    batch = client.post(
        "/api/v1/credit-checks",
        json={"purpose": "awards", "identifiers": [WRONG_CHECK, UNKNOWN, "9134"]},
        headers=checker,
    ).get_json()
    assert REFERENCE.fullmatch(batch["reference"])
    wrong, missing, short = batch["items"]
    assert wrong == {
        "identifier": WRONG_CHECK,
        "found": False,
        "error": "invalid-identifier",
        "reason": {"code": "identifier-check-character", "expected": "1"},
    }
    assert missing == {"identifier": UNKNOWN, "found": False, "error": "entity-not-found"}
    assert short["reason"]["code"] == "identifier-length"
    rows_of = audit_rows(ctx, batch["reference"])
    assert [r.details["conclusion"] for r in rows_of] == [
        "invalid-identifier",
        "entity-not-found",
        "invalid-identifier",
    ]


def test_the_batch_page_says_why_a_number_is_invalid_and_numbers_the_answer(app, ctx):
    owner, _ = listed_entity(ctx)
    person = unique_resident_id()
    mistyped = next(  # a wrong check digit that no USCC has either
        m for m in (person[:17] + c for c in "0123456789X") if identifier_problem(m)
    )
    browser = signed_in(app, ctx, "checker", None)

    html = check(
        browser, "government_procurement", owner["identifier"], WRONG_CHECK, UNKNOWN, mistyped
    )

    lines = rows(html)
    assert "号码不符合国家标准（校验码有误，应为“1”）" in lines[2]
    assert "未找到该主体" in lines[3] and "不符合国家标准" not in lines[3]
    assert "不符合国家标准" in lines[4] and mistyped not in html  # a person's number masked
    assert "其中2条号码不符合国家标准" in html
    reference = re.search(r"核查编号：(\S+?)（核查日期 2026-11-25）", html).group(1)
    assert REFERENCE.fullmatch(reference)
    assert len(audit_rows(ctx, reference)) == 4  # every line's audit row names it

    link = re.search(
        r'<a class="button secondary" id="download" href="([^"]+)" download="([^"]+)"', html
    )
    assert link.group(2) == f"信用核查结果（{reference}）.csv"
    assert link.group(1).startswith("data:text/csv;charset=utf-8,")
    table = list(csv.reader(io.StringIO(unquote(link.group(1).split(",", 1)[1]).lstrip("\ufeff"))))
    assert reference in table[0][0] and "政府采购" in table[0][0]
    assert table[1][0] == "行号" and [row[0] for row in table[2:]] == ["1", "2", "3", "4"]
    assert table[2][1] == owner["identifier"] and table[2][3] == "不予准入"
    assert "校验码有误" in table[3][6] and table[4][6] == "未找到该主体"
    assert mistyped not in "".join(table[5]) and "*" in table[5][1]
    assert '<button type="button" class="secondary" id="print" data-print hidden>' in html
    assert "/static/js/print.js" in html


def audit_rows(ctx, reference: str) -> list[AuditEvent]:
    with ctx.session_factory() as session:
        rows_ = session.execute(
            select(AuditEvent).where(AuditEvent.action == "credit.check").order_by(AuditEvent.id)
        ).scalars()
        return [r for r in rows_ if (r.details or {}).get("reference") == reference]
