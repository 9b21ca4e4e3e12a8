"""The regulator console's pages through the Flask test client, on both databases: the
dashboard's figures and charts within the caller's region, entity lookup and the entity
page (tier, reasons, history, records, cases), the case list, and a case's steps taken
through its forms with a signed-in session (CSRF), refused, posted twice, or by a viewer."""

from __future__ import annotations

import dataclasses
import itertools
import re
import shutil
from datetime import date, timedelta

import pytest

from credit_service import calendar_refresh, identifiers
from credit_service.access import SYSTEM
from credit_service.auth import services as auth_services
from credit_service.clock import local_noon
from credit_service.dishonesty import rules
from credit_service.dishonesty import services as dishonesty
from credit_service.dishonesty.procedure import LISTING
from credit_service.tiers import services as tier_services
from credit_service.web import i18n
from credit_service.web.pages import console_cases
from tests.api.test_sessions import PASSWORD, form_token, sign_in
from tests.factories import (
    CITY,
    LANGXI,
    XUANZHOU,
    bearer_for,
    create_entity,
    create_person,
    file_penalty,
    step_papers,
)
from tests.integration.test_repair import FIXTURE_2027
from tests.pages.checks import assert_accessible

BROWSER = {"Accept": "text/html"}
HEAVIER = ["罚款", "责令停产停业"]
REASON = "当事人故意假冒他人专利，受到责令停产停业的较重行政处罚"
FIGURE = re.compile(r'id="figure-([a-z-]+)">(\d+)<')
STEP_FORM = re.compile(r'action="/console/cases/(\d+)/steps/([a-z_]+)"')
_numbers = itertools.count(1)


@pytest.fixture
def tiers(ctx):  # type: ignore[no-untyped-def]
    return tier_services.apply_rule_set(ctx, SYSTEM)


# --- helpers ----------------------------------------------------------------------------------


def html_of(response, status: int = 200) -> str:  # type: ignore[no-untyped-def]
    html = response.get_data(as_text=True)
    assert response.status_code == status, (response.status_code, html[:2000])
    assert response.mimetype == "text/html"
    assert_accessible(html)
    return html


def get(client, path: str, headers: dict[str, str] | None = None, status: int = 200) -> str:  # type: ignore[no-untyped-def]
    return html_of(client.get(path, headers={**BROWSER, **(headers or {})}), status)


def signed_in(app, ctx, role: str = "regulator", region: str = CITY):  # type: ignore[no-untyped-def]
    """A browser with a session of a new user (forms need the session's CSRF token)."""
    username = f"console-{role}-{next(_numbers)}"
    auth_services.create_user(
        ctx,
        SYSTEM,
        username=username,
        display_name=username,
        role=role,
        region_code=region,
        password=PASSWORD,
    )
    browser = app.test_client()
    assert sign_in(browser, username).status_code == 303
    return browser


def post(browser, path: str, data: dict, status: int | None = None):  # type: ignore[no-untyped-def]
    """Post a form as a browser does: the session's token from the page, HTML wanted."""
    token = form_token(browser, "/console")
    response = browser.post(path, data={"csrf_token": token, **data}, headers=BROWSER)
    if status is not None:
        assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return response


def take(browser, case_id: int, step: str, **fields: str) -> str:  # type: ignore[no-untyped-def]
    """Take a step through its form and follow the redirect back to the case page."""
    response = post(browser, f"/console/cases/{case_id}/steps/{step}", fields, 303)
    assert response.headers["Location"].startswith(f"/console/cases/{case_id}?notice=")
    return get(browser, response.headers["Location"])


def punished(ctx, region: str = XUANZHOU, **entity) -> tuple[dict, dict]:  # type: ignore[no-untyped-def]
    """An entity with a heavier penalty for an IP ground (tier D, a listing may rest on it)."""
    owner = create_entity(ctx, region_code=region, **entity)
    return owner, file_penalty(ctx, owner["identifier"], CF_CFLB=HEAVIER)


def proposed(ctx, region: str = XUANZHOU) -> tuple[dict, dict]:  # type: ignore[no-untyped-def]
    owner, record = punished(ctx, region)
    case = dishonesty.propose(
        ctx, SYSTEM, entity=owner["identifier"], record_ids=[record["id"]], reason=REASON
    )
    return owner, case


def figures(html: str) -> dict[str, int]:
    return {name: int(value) for name, value in FIGURE.findall(html)}


def step_forms(html: str) -> list[str]:
    return [step for _, step in STEP_FORM.findall(html)]


def step_count(ctx, case_id: int, step: str) -> int:
    shown = dishonesty.get_case(ctx, SYSTEM, case_id)
    return sum(s["step"] == step for s in shown["steps"])


# --- strings ----------------------------------------------------------------------------------


def test_every_state_step_and_label_the_templates_compose_has_a_string():
    messages = i18n.messages()
    keys = {f"console.state.{s}" for s in rules.STATES}
    keys |= {f"console.step.{s}" for s in (*LISTING.steps, "propose", "restore")}
    keys |= {f"console.step.done.{s}" for s in LISTING.hand_steps()}
    keys |= {f"console.kind.{k}" for k in ("organisation", "agency", "individual_business")}
    keys |= {f"console.record_status.{s}" for s in ("active", "expired", "repaired", "revoked")}
    keys |= {f"console.invalid.{f}" for f in ("on", "reason", "removal_reason", "record_ids")}
    keys |= {f"console.invalid.{f}" for f in ("documents", *console_cases.PAPER_FIELDS)}
    steps = console_cases.PAPER_STEPS
    keys |= {f"console.step.{k}.{s}" for k in ("paper", "document_hint") for s in steps}
    assert sorted(keys - set(messages)) == []


# --- dashboard --------------------------------------------------------------------------------


def test_the_dashboard_shows_figures_and_charts_of_the_callers_region_only(
    client, ctx, clock, tiers
):
    punished(ctx, XUANZHOU, name="宣州丁类测试有限公司")
    create_entity(ctx, region_code=XUANZHOU, industry="F")
    proposed_owner, case = proposed(ctx, XUANZHOU)
    dishonesty.advance(ctx, SYSTEM, case["id"], "serve_notice")
    langxi = create_entity(ctx, region_code=LANGXI, name="郎溪乙类测试有限公司")

    city = get(client, "/console", bearer_for(ctx, "regulator", region=CITY))
    assert figures(city) == {
        "entities": 4,
        "tier-d": 2,
        "in-procedure": 1,
        "published": 0,
        "overdue": 0,
    }
    for chart in ("tiers-by-region", "tiers-by-industry", "cases-by-state"):
        assert f'<title id="{chart}-title">' in city
    assert "宣州区" in city and "郎溪县" in city and "泾县" in city  # every district
    assert "<td>2家</td>" in city  # Xuanzhou's D column in the chart's table

    county = get(client, "/console", bearer_for(ctx, "regulator", region=LANGXI))
    assert figures(county) == {
        "entities": 1,
        "tier-d": 0,
        "in-procedure": 0,
        "published": 0,
        "overdue": 0,
    }
    assert "宣州区" not in county and "泾县" not in county
    assert langxi["name"] not in county  # names never reach the charts, only counts

    # on 2026-12-03 the statement window (to 2026-12-02) has passed, no decision yet
    clock.set(local_noon(date(2026, 12, 3)))
    late = get(client, "/console", bearer_for(ctx, "viewer", region=XUANZHOU))
    assert figures(late)["overdue"] == 1
    section = late.split('id="statement-passed"', 1)[1].split("</table>", 1)[0]
    assert f'href="/console/cases/{case["id"]}"' in section
    assert proposed_owner["name"] in section and "2026-12-02" in section and "已届满" in section
    quiet = get(client, "/console", bearer_for(ctx, "viewer", region=LANGXI))
    assert figures(quiet)["overdue"] == 0 and f'href="/console/cases/{case["id"]}"' not in quiet


def test_the_dashboard_before_any_tier_rules_says_so(client, ctx):
    html = get(client, "/console", bearer_for(ctx, "viewer"))
    assert figures(html)["entities"] == 0
    assert i18n.translate("console.dashboard.no_tiers") in html


@pytest.mark.parametrize(
    ("day", "warned"), [(date(2026, 10, 31), False), (date(2026, 11, 1), True)]
)
def test_the_dashboard_warns_from_1_november_that_next_years_holiday_file_is_missing(
    client, ctx, clock, day, warned
):
    """D14: the notice for 2027 is due in November or December 2026; until its file is
    added, every deadline that crosses the year end is provisional."""
    clock.set(local_noon(day))
    html = get(client, "/console", bearer_for(ctx, "viewer"))
    assert ('id="holidays-2027"' in html) is warned
    if warned:
        assert i18n.translate("console.holidays.missing_title", year=2027) in html
        assert "catalogs/holidays/2027.yaml" in html  # the file to add
        assert "source_notice" in html and "makeup_workdays" in html  # and its format
        assert "console.holidays" not in html  # words, not keys


def test_a_case_in_a_provisional_window_says_from_when_it_can_be_decided(client, ctx, clock):
    clock.set(local_noon(date(2026, 12, 28)))
    _, case = proposed(ctx)
    dishonesty.advance(ctx, SYSTEM, case["id"], "serve_notice")
    html = get(client, f"/console/cases/{case['id']}", bearer_for(ctx, "regulator", region=CITY))
    assert i18n.translate("console.step.certain_from", day="2027-01-20") in html


def test_the_warning_goes_once_the_named_file_is_added(client, ctx, tmp_path, monkeypatch):
    holidays = tmp_path / "catalogs" / "holidays"
    holidays.mkdir(parents=True)
    ctx.settings = dataclasses.replace(ctx.settings, catalogs_dir=holidays.parent)
    monkeypatch.setattr(calendar_refresh, "CALENDAR_CHECK_S", 0.0)  # look at every request
    viewer = bearer_for(ctx, "viewer")
    assert 'id="holidays-2027"' in get(client, "/console", viewer)

    shutil.copy(FIXTURE_2027, holidays / "2027.yaml")
    assert 'id="holidays-2027"' not in get(client, "/console", viewer)


# --- entity lookup ----------------------------------------------------------------------------


def test_entity_search_stays_in_the_region_and_links_to_the_entity(client, ctx, tiers):
    owner = create_entity(ctx, region_code=XUANZHOU, name="宣城查找测试纸业有限公司")
    city = bearer_for(ctx, "viewer", region=CITY)
    html = get(client, "/console/entities", city)
    assert '<input id="f-q" name="q"' in html and "查询结果" not in html
    for q in ("查找测试纸业", owner["identifier"]):
        found = get(client, f"/console/entities?q={q}", city)
        assert f'href="/console/entities/{owner["identifier"]}"' in found
    elsewhere = get(
        client, "/console/entities?q=查找测试纸业", bearer_for(ctx, "viewer", region=LANGXI)
    )
    assert owner["name"] not in elsewhere
    assert i18n.translate("console.entities.empty") in elsewhere
    bad = get(client, "/console/entities?q=x&cursor=zzz", city)
    assert i18n.translate("console.entities.bad_cursor") in bad


def test_a_natural_person_is_found_masked_and_opened_only_with_the_full_number(client, ctx, tiers):
    person = create_person(ctx, region_code=XUANZHOU)
    viewer = bearer_for(ctx, "viewer", region=XUANZHOU)
    by_name = get(client, "/console/entities?q=欧阳明华", viewer)
    assert "欧阳**" not in by_name  # a viewer cannot confirm a name it sees masked
    assert i18n.translate("console.entities.empty") in by_name
    masked = identifiers.mask_resident_id(person["identifier"])
    by_masked = get(client, f"/console/entities?q={masked}", viewer)
    assert "欧阳**" in by_masked and person["identifier"] not in by_masked
    assert "/console/entities/3418" not in by_masked  # no link reveals the number
    assert i18n.translate("console.entities.person_hint") in by_masked
    no_purpose = get(client, f"/console/entities?q={person['identifier']}", viewer, 422)
    assert i18n.translate("console.entities.purpose_required") in no_purpose
    assert "欧阳**" not in no_purpose
    by_number = get(
        client, f"/console/entities?q={person['identifier']}&purpose=投诉核查2026-17", viewer
    )
    assert f'href="/console/entities/{person["identifier"]}"' in by_number
    page = get(client, f"/console/entities/{person['identifier']}", viewer)
    assert "欧阳**" in page and "欧阳明华" not in page and "13812345678" not in page
    assert person["identifier"] not in page  # masked on the page; the viewer typed it
    assert i18n.translate("console.entity.masked") in page


def test_the_entity_page_explains_the_tier_with_its_records_history_and_cases(
    app, client, ctx, tiers
):
    owner, record = punished(ctx, XUANZHOU)
    viewer = bearer_for(ctx, "viewer", region=XUANZHOU)
    html = get(client, f"/console/entities/{owner['identifier']}", viewer)
    assert "D类（信用风险高）" in html
    assert "有公示期内的严重失信信息" in html  # the rule's description: the reason
    assert f'<a href="#record-{record["id"]}">{record["id"]}</a>' in html  # reason → record
    assert f'<tr id="record-{record["id"]}">' in html and record["source_ref"] in html
    assert "公示期届满" in html  # what would change it: the record's publicity ends
    history = html.split('id="tier-history"', 1)[1].split("</table>", 1)[0]
    assert "→" in history  # B → D when the penalty was filed, said in words
    assert (
        "有公示期内的严重失信信息" in history and f"登记信用信息（第{record['id']}号）" in history
    )
    assert "severe-record" not in html and "filed" not in history
    assert "名单案件" in html and i18n.translate("console.entity.no_cases") in html
    assert 'action="/console/entities/' not in html  # a viewer cannot propose

    case = dishonesty.propose(
        ctx, SYSTEM, entity=owner["identifier"], record_ids=[record["id"]], reason=REASON
    )
    for step in ("serve_notice", "waive", "decide_list", "publish"):
        dishonesty.advance(ctx, SYSTEM, case["id"], step, **step_papers(step))
    listed = get(client, f"/console/entities/{owner['identifier']}", viewer)
    assert "列入严重失信主体名单" in listed  # the listing rule fires first now
    assert f'href="/console/cases/{case["id"]}"' in listed
    assert "已公示" in listed


def test_another_regions_entity_is_a_403_page(client, ctx, tiers):
    owner = create_entity(ctx, region_code=XUANZHOU)
    response = client.get(
        f"/console/entities/{owner['identifier']}",
        headers={**BROWSER, **bearer_for(ctx, "regulator", region=LANGXI)},
    )
    html = html_of(response, 403)
    assert "无权访问" in html and owner["name"] not in html
    missing = client.get(
        "/console/entities/NOSUCHENTITY", headers={**BROWSER, **bearer_for(ctx, "viewer")}
    )
    assert html_of(missing, 404)


# --- listing cases ----------------------------------------------------------------------------


def test_the_case_list_filters_by_state_and_marks_passed_deadlines(client, ctx, clock, tiers):
    _, waiting = proposed(ctx, XUANZHOU)
    _, served = proposed(ctx, XUANZHOU)
    dishonesty.advance(ctx, SYSTEM, served["id"], "serve_notice")
    _, elsewhere = proposed(ctx, LANGXI)
    viewer = bearer_for(ctx, "viewer", region=XUANZHOU)

    html = get(client, "/console/cases", viewer)
    assert f'href="/console/cases/{waiting["id"]}"' in html
    assert f'href="/console/cases/{served["id"]}"' in html
    assert f'href="/console/cases/{elsewhere["id"]}"' not in html
    assert "2026-12-02" in html and "已届满" not in html

    only = get(client, "/console/cases?state=notice_served", viewer)
    assert f'href="/console/cases/{served["id"]}"' in only
    assert f'href="/console/cases/{waiting["id"]}"' not in only
    assert '<option value="notice_served" selected>' in only

    clock.set(local_noon(date(2026, 12, 3)))
    assert "已届满" in get(client, "/console/cases", bearer_for(ctx, "viewer", region=XUANZHOU))
    wrong = get(client, "/console/cases?state=nonsense", viewer)
    assert i18n.translate("console.invalid.state") in wrong
    assert f'href="/console/cases/{waiting["id"]}"' in wrong  # unfiltered


def test_a_case_goes_from_proposal_to_publication_through_its_forms(app, ctx, tiers):
    owner, record = punished(ctx, XUANZHOU)
    browser = signed_in(app, ctx, "regulator", XUANZHOU)

    entity_page = get(browser, f"/console/entities/{owner['identifier']}")
    assert f'name="record_ids" value="{record["id"]}"' in entity_page
    response = post(
        browser,
        f"/console/entities/{owner['identifier']}/cases",
        {"record_ids": str(record["id"]), "reason": REASON},
        303,
    )
    case_id = int(response.headers["Location"].split("/")[-1].split("?")[0])
    html = get(browser, response.headers["Location"])
    assert i18n.translate("console.case.proposed") in html
    assert step_forms(html) == ["serve_notice", "decide_not_list", "withdraw"]
    assert i18n.translate("console.step.no_deadline") in html

    html = take(browser, case_id, "serve_notice")
    assert i18n.translate("console.step.done.serve_notice") in html
    assert step_forms(html) == [
        "receive_statement",
        "waive",
        "close_window",
        "decide_list",
        "decide_not_list",
        "withdraw",
    ]
    assert "应于 2026-12-02 前办理" in html  # the statement window, for a waiver
    assert "2026-12-03 起可办理" in html  # a decision only after it
    assert "宣市监信告〔2026〕" in html  # the notice's number

    take(
        browser,
        case_id,
        "waive",
        reason="当事人书面放弃陈述、申辩",
        document_title="放弃陈述申辩权利声明书",
    )
    html = take(browser, case_id, "decide_list")
    decided = dishonesty.get_case(ctx, SYSTEM, case_id)
    assert step_forms(html) == ["publish", "withdraw"]
    assert f"应于 {decided['publication_deadline']} 前办理" in html

    html = take(browser, case_id, "publish")
    assert dishonesty.get_case(ctx, SYSTEM, case_id)["state"] == "published"
    assert step_forms(html) == ["remove"] and 'name="removal_reason"' in html
    listed = html.split('id="documents"', 1)[1]
    documents = re.findall(r'href="(/api/v1/dishonesty-documents/\d+\.(?:html|pdf))"', listed)
    assert len(documents) == 4  # notice and decision, each as HTML and PDF
    notice = browser.get(documents[0])
    assert notice.status_code == 200 and owner["name"] in notice.get_data(as_text=True)
    history = html.split('id="history"', 1)[1].split('id="documents"', 1)[0]
    for step in ("propose", "serve_notice", "waive", "decide_list", "publish"):
        assert i18n.translate(f"console.step.{step}") in history
    # each step's row links the document it issued; the waiver's row names its paper
    issued = re.findall(r'href="(/api/v1/dishonesty-documents/\d+\.html)"', history)
    assert issued == [documents[0], documents[2]]  # the notice, then the decision
    assert "放弃陈述申辩权利声明书" in history
    assert i18n.translate("console.late") not in history  # published in time


def test_a_publication_after_its_deadline_is_marked_late(app, ctx, clock, tiers):
    owner, case = proposed(ctx)
    for step, kwargs in (
        ("serve_notice", {}),
        ("waive", {"reason": "书面放弃", **step_papers("waive")}),
        ("decide_list", {}),
    ):
        case = dishonesty.advance(ctx, SYSTEM, case["id"], step, **kwargs)
    clock.set(local_noon(case["publication_deadline"] + timedelta(days=1)))
    dishonesty.advance(ctx, SYSTEM, case["id"], "publish")
    html = get(signed_in(app, ctx, "viewer", XUANZHOU), f"/console/cases/{case['id']}")
    history = html.split('id="history"', 1)[1]
    assert i18n.translate("console.late") in history


def test_a_refused_step_comes_back_with_the_message_and_the_input(app, ctx, tiers):
    _, case = proposed(ctx, XUANZHOU)
    dishonesty.advance(ctx, SYSTEM, case["id"], "serve_notice")
    browser = signed_in(app, ctx)

    inside = post(
        browser,
        f"/console/cases/{case['id']}/steps/decide_list",
        {"on": "2026-11-25", "reason": "本机关认为事实清楚"},
        422,
    )
    html = html_of(inside, 422)
    assert "陈述申辩期未满" in html
    assert ">本机关认为事实清楚</textarea>" in html
    assert 'id="f-decide_list-on" name="on" value="2026-11-25"' in html
    assert 'aria-invalid="true" aria-describedby="f-decide_list-on-error"' in html
    assert dishonesty.get_case(ctx, SYSTEM, case["id"])["state"] == "notice_served"

    future = html_of(
        post(browser, f"/console/cases/{case['id']}/steps/waive", {"on": "2026-12-01"}), 422
    )
    assert "日期不能晚于今天" in future and 'value="2026-12-01"' in future

    malformed = html_of(
        post(browser, f"/console/cases/{case['id']}/steps/waive", {"on": "25/11/2026"}), 422
    )
    assert i18n.translate("console.invalid.on") in malformed and 'value="25/11/2026"' in malformed

    _, listed = proposed(ctx, XUANZHOU)
    for step in ("serve_notice", "waive", "decide_list", "publish"):
        dishonesty.advance(ctx, SYSTEM, listed["id"], step, **step_papers(step))
    unknown = html_of(
        post(browser, f"/console/cases/{listed['id']}/steps/remove", {"removal_reason": "x"}), 422
    )
    assert i18n.translate("console.invalid.removal_reason") in unknown
    assert i18n.translate("form.error") in unknown

    out_of_order = html_of(post(browser, f"/console/cases/{case['id']}/steps/publish", {}), 409)
    assert "当前环节不允许此操作" in out_of_order and "已处理" not in out_of_order


def test_the_waiver_form_needs_the_written_waiver_beside_its_field(app, ctx, clock, tiers):
    _, case = proposed(ctx, XUANZHOU)
    dishonesty.advance(ctx, SYSTEM, case["id"], "serve_notice")
    browser = signed_in(app, ctx)
    html = get(browser, f"/console/cases/{case['id']}")
    waive = html.split('id="step-waive"', 1)[1].split("</form>", 1)[0]
    assert i18n.translate("console.step.document_title_required") in waive
    assert 'name="document_title" value="" maxlength="200" required' in waive
    assert 'name="document_reference"' in waive and 'name="document_received_on"' in waive
    statement = html.split('id="step-receive_statement"', 1)[1].split("</form>", 1)[0]
    assert i18n.translate("console.step.document_title") in statement
    assert 'id="f-receive_statement-document_title" name="document_title"' in statement
    assert 'name="document_title" value="" maxlength="200" required' not in statement
    assert 'name="document_title"' not in html.split('id="step-close_window"', 1)[1]

    path = f"/console/cases/{case['id']}/steps/waive"
    spoken = html_of(post(browser, path, {"reason": "当事人电话表示放弃"}), 422)
    assert (
        '<p class="error" id="f-waive-document_title-error">'
        + i18n.translate("console.invalid.documents")
        in spoken
    )
    assert 'aria-invalid="true" aria-describedby="f-waive-document_title-hint ' in spoken
    assert ">当事人电话表示放弃</textarea>" in spoken

    untitled = {"document_reference": "宣市监收〔2026〕9号", "document_received_on": "2026-11-25"}
    kept = html_of(post(browser, path, untitled), 422)
    assert (
        '<p class="error" id="f-waive-document_title-error">'
        + i18n.translate("console.invalid.document_title")
        in kept
    )
    assert 'name="document_reference" value="宣市监收〔2026〕9号"' in kept
    assert 'name="document_received_on" value="2026-11-25"' in kept

    future = {"document_title": "放弃陈述申辩权利声明书", "document_received_on": "2026-11-26"}
    later = html_of(post(browser, path, future), 422)
    assert (
        '<p class="error" id="f-waive-document_received_on-error">'
        + i18n.translate("console.invalid.document_received_on")
        in later
    )
    assert 'name="document_title" value="放弃陈述申辩权利声明书"' in later
    assert dishonesty.get_case(ctx, SYSTEM, case["id"])["state"] == "notice_served"

    done = take(browser, case["id"], "waive", document_title="放弃陈述申辩权利声明书", **untitled)
    history = done.split('id="history"', 1)[1].split('id="documents"', 1)[0]
    assert "放弃陈述申辩权利声明书（宣市监收〔2026〕9号）" in history
    assert i18n.translate("console.paper.received_on", day="2026-11-25") in history
    assert dishonesty.get_case(ctx, SYSTEM, case["id"])["statement_waived"] is True


def test_a_statement_taken_through_its_form_shows_its_paper(app, ctx, tiers):
    _, case = proposed(ctx, XUANZHOU)
    dishonesty.advance(ctx, SYSTEM, case["id"], "serve_notice")
    browser = signed_in(app, ctx)
    html = take(browser, case["id"], "receive_statement", document_title="陈述申辩书")
    history = html.split('id="history"', 1)[1].split('id="documents"', 1)[0]
    assert f"{i18n.translate('console.paper.received')}：陈述申辩书</li>" in history
    shown = dishonesty.get_case(ctx, SYSTEM, case["id"])
    assert shown["steps"][-1]["details"]["documents"] == [
        {"title": "陈述申辩书", "reference": None, "received_on": None}
    ]


def test_the_remove_form_offers_only_a_correction_and_needs_its_reason(app, ctx, tiers):
    _, listed = proposed(ctx, XUANZHOU)
    for step in ("serve_notice", "waive", "decide_list", "publish"):
        dishonesty.advance(ctx, SYSTEM, listed["id"], step, **step_papers(step))
    browser = signed_in(app, ctx)
    html = get(browser, f"/console/cases/{listed['id']}")
    form = html.split('id="step-remove"', 1)[1].split("</form>", 1)[0]
    assert re.findall(r'<option value="([a-z]+)"', form) == ["corrected"]
    assert ctx.list_rules.removal_reasons["corrected"] in form
    assert i18n.translate("console.step.reason_required") in form
    assert '<textarea id="f-remove-reason" name="reason" rows="2" maxlength="2000" required' in form
    assert i18n.translate("console.step.removal_hint") in form

    path = f"/console/cases/{listed['id']}/steps/remove"
    other_path = html_of(post(browser, path, {"removal_reason": "expired", "reason": "期满"}), 422)
    assert "公示期届满由每日到期任务自动移出" in other_path
    assert i18n.translate("console.invalid.removal_reason") in other_path
    assert 'aria-describedby="f-remove-removal_reason-hint f-remove-removal_reason-error"' in (
        other_path
    )
    unexplained = html_of(post(browser, path, {"removal_reason": "corrected"}), 422)
    assert "请说明列入错误的情况" in unexplained
    assert i18n.translate("console.invalid.reason") in unexplained
    assert dishonesty.get_case(ctx, SYSTEM, listed["id"])["state"] == "published"

    done = take(browser, listed["id"], "remove", removal_reason="corrected", reason="列入有误")
    assert i18n.translate("console.step.done.remove") in done
    removed = dishonesty.get_case(ctx, SYSTEM, listed["id"])
    assert (removed["state"], removed["removal_reason"]) == ("removed", "corrected")


def test_a_step_posted_twice_is_applied_once_and_says_it_was_done(app, ctx, tiers):
    _, case = proposed(ctx, XUANZHOU)
    browser = signed_in(app, ctx)
    path = f"/console/cases/{case['id']}/steps/serve_notice"
    post(browser, path, {}, 303)
    again = html_of(post(browser, path, {}), 200)
    assert "已处理" in again and i18n.translate("console.step.serve_notice") in again
    assert "alert-error" not in again
    assert step_count(ctx, case["id"], "serve_notice") == 1
    shown = dishonesty.get_case(ctx, SYSTEM, case["id"])
    assert [d["kind"] for d in shown["documents"]] == ["notice"]  # one notice, one number


def test_a_refused_proposal_keeps_the_choice_and_names_the_missing_grounds(app, ctx, tiers):
    owner = create_entity(ctx, region_code=XUANZHOU)
    fine = file_penalty(ctx, owner["identifier"])  # a fine only: not a heavier penalty
    browser = signed_in(app, ctx, "regulator", XUANZHOU)
    path = f"/console/entities/{owner['identifier']}/cases"

    refused = html_of(post(browser, path, {"record_ids": str(fine["id"]), "reason": REASON}), 422)
    assert "缺少较重行政处罚" in refused
    assert f'value="{fine["id"]}" checked' in refused and f">{REASON}</textarea>" in refused

    empty = html_of(post(browser, path, {"reason": "短"}), 422)
    assert i18n.translate("console.invalid.record_ids") in empty
    assert i18n.translate("console.invalid.reason") in empty
    assert dishonesty.list_cases(ctx, SYSTEM) == []


def test_a_second_proposal_on_the_same_penalty_points_to_the_first(app, ctx, tiers):
    owner, case = proposed(ctx, XUANZHOU)
    browser = signed_in(app, ctx, "regulator", XUANZHOU)
    again = post(
        browser,
        f"/console/entities/{owner['identifier']}/cases",
        {"record_ids": str(case["record_ids"][0]), "reason": REASON},
    )
    html = html_of(again, 409)
    assert "该处罚已有进行中或已公示的列入案件" in html
    assert f'<a href="/console/cases/{case["id"]}">' in html
    assert len(dishonesty.list_cases(ctx, SYSTEM)) == 1


def test_a_viewer_sees_no_forms_and_may_not_post(app, ctx, tiers):
    owner, case = proposed(ctx, XUANZHOU)
    viewer = signed_in(app, ctx, "viewer", XUANZHOU)
    html = get(viewer, f"/console/cases/{case['id']}")
    assert step_forms(html) == [] and i18n.translate("console.case.next") not in html
    refused = post(viewer, f"/console/cases/{case['id']}/steps/serve_notice", {})
    assert html_of(refused, 403) and "无权访问" in refused.get_data(as_text=True)
    assert post(viewer, f"/console/entities/{owner['identifier']}/cases", {}).status_code == 403
    assert dishonesty.get_case(ctx, SYSTEM, case["id"])["state"] == "proposed"


def test_another_regions_case_and_unknown_steps_are_refused(app, client, ctx, tiers):
    _, case = proposed(ctx, XUANZHOU)
    langxi = bearer_for(ctx, "regulator", region=LANGXI)
    assert "无权访问" in get(client, f"/console/cases/{case['id']}", langxi, 403)
    browser = signed_in(app, ctx, "regulator", LANGXI)
    html_of(post(browser, f"/console/cases/{case['id']}/steps/serve_notice", {}), 403)
    city = signed_in(app, ctx)
    html_of(post(city, f"/console/cases/{case['id']}/steps/teleport", {}), 404)
    get(client, "/console/cases/999999", bearer_for(ctx, "viewer"), 404)
    assert dishonesty.get_case(ctx, SYSTEM, case["id"])["state"] == "proposed"
