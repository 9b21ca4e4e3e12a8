"""Clear answers on the pages (issue #20), both databases: every unmet repair condition
says why and from when it will be met (or that time alone will not meet it), and a step
not open yet on the console's case page is shown disabled with the reason and the day it
opens."""

from __future__ import annotations

import re

from credit_service.dishonesty import services as dishonesty
from tests.factories import file_penalty
from tests.integration.test_repair import CITY_REGULATOR, general_penalty
from tests.pages.test_console_pages import get, punished, signed_in, take
from tests.pages.test_enterprise_pages import browser, enterprise_account, get_page

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
