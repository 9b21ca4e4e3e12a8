"""The credit-check page for other departments through the Flask test client, on both
databases: where a checker lands and what its menu offers, the purposes, a pasted batch
answered line by line as the API answers it (a natural person masked, D12), each check
audited, refused forms with the message beside the field, and who may open the page."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from credit_service.audit.models import AuditEvent
from credit_service.web import i18n
from tests.api.test_credit_checks import listed_entity
from tests.factories import (
    LANGXI,
    XUANZHOU,
    bearer_for,
    create_entity,
    create_person,
    unique_resident_id,
)
from tests.pages.test_console_pages import BROWSER, get, html_of, signed_in

PAGE = "/console/credit-checks"
UNKNOWN = "91341802MA0000000X"
ROW = re.compile(r'<tr id="check-(\d+)">(.*?)</tr>', re.S)
CSRF_INPUT = re.compile(r'<input type="hidden" name="csrf_token" value="([^"]*)">')
MENU = re.compile(r'<nav class="menu menu-console"[^>]*>(.*?)</nav>', re.S)


def check(browser, purpose: str, *lines: str, status: int = 200) -> str:  # type: ignore[no-untyped-def]
    """Post the form as a browser does: the session's token from the page, HTML wanted."""
    token = CSRF_INPUT.search(get(browser, PAGE)).group(1)
    response = browser.post(
        PAGE,
        data={"csrf_token": token, "purpose": purpose, "identifiers": "\n".join(lines)},
        headers=BROWSER,
    )
    return html_of(response, status)


def rows(html: str) -> dict[int, str]:
    return {int(n): cells for n, cells in ROW.findall(html)}


def menu_labels(html: str) -> list[str]:
    return re.findall(r">([^<]+)</a>", MENU.search(html).group(1))


def checks_audited(ctx) -> int:  # type: ignore[no-untyped-def]
    with ctx.session_factory() as session:
        return session.execute(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "credit.check")
        ).scalar_one()


# --- landing and menus ------------------------------------------------------------------------


def test_a_checker_starts_on_the_check_page_and_its_menu_offers_only_it(app, ctx):
    browser = signed_in(app, ctx, "checker", None)
    start = browser.get("/start")
    assert (start.status_code, start.headers["Location"]) == (303, PAGE)
    html = get(browser, PAGE)
    assert menu_labels(html) == [
        i18n.translate("nav.console.credit_checks"),
        i18n.translate("nav.console.credit_reports"),  # its reports for a purpose (D21)
    ]
    assert 'aria-current="page">信用核查<' in html
    for purpose, name in ctx.catalogs.purposes.items():
        assert f'<option value="{purpose}">{name}</option>' in html
    assert '<label for="f-purpose">' in html and '<label for="f-identifiers">' in html
    assert '<textarea id="f-identifiers" name="identifiers"' in html
    assert "<script" not in html  # a plain form: works without JavaScript


def test_staff_find_the_page_at_the_end_of_their_menu(app, ctx):
    for role in ("regulator", "viewer", "admin"):
        html = get(signed_in(app, ctx, role), PAGE)
        labels = menu_labels(html)
        assert labels[0] == i18n.translate("nav.console.dashboard")
        # then the credit reports (D21), which an admin does not request
        reports = [i18n.translate("nav.console.credit_reports")] if role != "admin" else []
        assert labels[-1 - len(reports) :] == [
            i18n.translate("nav.console.credit_checks"),
            *reports,
        ]
    assert signed_in(app, ctx, "regulator").get("/start").headers["Location"] == "/console"


def test_an_enterprise_is_refused_and_a_visitor_sent_to_sign_in(ctx, client):
    owner = create_entity(ctx)
    refused = client.get(
        PAGE, headers={**BROWSER, **bearer_for(ctx, "enterprise", uscc=owner["identifier"])}
    )
    assert html_of(refused, 403) and "无权访问" in refused.get_data(as_text=True)
    anonymous = client.get(PAGE, headers=BROWSER)
    assert anonymous.status_code == 302 and anonymous.headers["Location"].startswith("/sign-in")


# --- results ----------------------------------------------------------------------------------


def test_a_batch_is_answered_line_by_line_and_each_check_audited(app, ctx):
    owner, case = listed_entity(ctx)
    clean = create_entity(ctx, name="宣城核查无记录有限公司")
    browser = signed_in(app, ctx, "checker", None)
    before = checks_audited(ctx)

    html = check(
        browser,
        "government_procurement",
        owner["identifier"],
        "",  # blank lines are skipped
        f"  {UNKNOWN}  ",
        clean["identifier"],
    )

    assert checks_audited(ctx) == before + 3
    assert "核查结果（用途：政府采购）" in html
    assert "共3条：不予准入1条，从严审查0条，无限制1条，未找到或无权查询1条。" in html
    assert list(rows(html)) == [1, 3, 4]  # numbered as the lines were pasted
    listed, unknown, fine = (rows(html)[n] for n in (1, 3, 4))
    assert owner["name"] in listed and owner["identifier"] in listed
    assert "不予准入" in listed
    assert f"已列入（{case['decision_no']}），公示至 2029-11-25" in listed
    measure = ctx.catalogs.measures["list_procurement_restriction"]
    assert measure.name in listed and "《企业信息公示暂行条例》第十八条" in listed
    assert "执行至 2029-11-25" in listed
    assert "宣市监知罚〔2026〕" in listed  # the penalty under publicity
    assert UNKNOWN in unknown and "未找到该主体" in unknown
    assert clean["name"] in fine and "无限制" in fine and "未列入" in fine
    assert f"{owner['identifier']}</textarea>" not in html  # the box is emptied
    assert '<option value="government_procurement" selected>' in html


def test_the_same_purpose_means_strict_review_for_fiscal_funding(app, ctx):
    owner, _ = listed_entity(ctx)
    html = check(signed_in(app, ctx, "viewer"), "fiscal_funding", owner["identifier"])
    (row,) = rows(html).values()
    assert "从严审查" in row and "不予准入" not in row
    assert ctx.catalogs.measures["list_fiscal_strict_review"].name in row


def test_a_natural_person_is_shown_as_the_api_shows_it_masked(app, ctx, client):
    person = create_person(ctx, name="欧阳明华")
    api = client.get(
        f"/api/v1/credit-checks/{person['identifier']}",
        query_string={"purpose": "awards"},
        headers=bearer_for(ctx, "checker"),
    ).get_json()
    assert api["entity"]["name"] == "欧阳**" and "*" in api["entity"]["identifier"]

    html = check(signed_in(app, ctx, "checker", None), "awards", person["identifier"])
    (row,) = rows(html).values()
    assert api["entity"]["name"] in row and api["entity"]["identifier"] in row
    assert i18n.translate(f"console.checks.conclusion.{api['conclusion']}") in row
    assert "欧阳明华" not in html and person["identifier"] not in html
    assert person["phone"] not in html and person["address"] not in html
    unknown_id = unique_resident_id()
    missing = check(signed_in(app, ctx, "checker", None), "awards", unknown_id)
    assert unknown_id not in missing  # an unknown resident ID is masked as well
    assert unknown_id[:6] in rows(missing)[1] and "未找到该主体" in missing


def test_a_county_regulator_sees_other_counties_as_out_of_its_region(app, ctx):
    mine, _ = listed_entity(ctx, region_code=XUANZHOU)
    theirs, _ = listed_entity(ctx, region_code=LANGXI)
    browser = signed_in(app, ctx, "regulator", XUANZHOU)
    html = check(browser, "awards", mine["identifier"], theirs["identifier"])
    first, second = rows(html)[1], rows(html)[2]
    assert mine["name"] in first and "不予准入" in first
    assert theirs["name"] not in html and "超出本账号的辖区范围" in second


# --- refused forms ----------------------------------------------------------------------------


def test_a_form_without_purpose_or_identifiers_says_so_beside_each_field(app, ctx):
    browser = signed_in(app, ctx, "checker", None)
    before = checks_audited(ctx)
    html = check(browser, "", " \n ", status=422)
    assert i18n.translate("form.error") in html
    assert (
        f'<p class="error" id="f-purpose-error">{i18n.translate("console.invalid.purpose")}</p>'
        in html
    )
    assert i18n.translate("console.invalid.identifiers") in html
    assert 'aria-describedby="f-identifiers-hint f-identifiers-error"' in html
    assert "核查结果" not in html and checks_audited(ctx) == before


def test_an_unknown_purpose_and_a_too_long_line_keep_the_input(app, ctx):
    owner = create_entity(ctx)
    browser = signed_in(app, ctx, "checker", None)
    unknown = check(browser, "lottery", owner["identifier"], status=422)
    assert i18n.translate("console.invalid.purpose") in unknown
    assert f">{owner['identifier']}</textarea>" in unknown

    long_line = "9" * 41
    too_long = check(browser, "awards", owner["identifier"], "", long_line, status=422)
    assert "以下行的标识过长（超过40个字符）：第3行。" in too_long
    assert f">{owner['identifier']}\n\n{long_line}</textarea>" in too_long
    assert '<option value="awards" selected>' in too_long


def test_more_than_1000_identifiers_are_refused(app, ctx):
    lines = [f"91341802MA{n:07d}X" for n in range(1001)]
    before = checks_audited(ctx)
    html = check(signed_in(app, ctx, "checker", None), "awards", *lines, status=422)
    assert i18n.translate("console.invalid.identifiers") in html
    assert checks_audited(ctx) == before


def test_more_resident_ids_than_the_day_allows_are_refused_whole(app, ctx):
    numbers = [unique_resident_id() for _ in range(ctx.settings.natural_person_lookups_per_day + 1)]
    before = checks_audited(ctx)
    html = check(signed_in(app, ctx, "viewer"), "awards", *numbers, status=429)
    assert i18n.translate("console.checks.lookup_limit") in html
    assert "核查结果" not in html and checks_audited(ctx) == before
