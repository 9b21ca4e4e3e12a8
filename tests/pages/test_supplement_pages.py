"""The day materials are due (补正期限) on the pages, on both databases: the enterprise
reads "请于…前补正：…" on its application and its objection, and that the day has passed;
the console's request form takes a day (a non-working one comes back with the error
beside the field, nothing asked), the case page and the queue flag late materials and
offer only the closing step of the phase the row was paused in, its reasons starting as
逾期未补正; a viewer sees the flag but no form."""

from __future__ import annotations

import re

import pytest

from credit_service.access import Actor
from credit_service.objections import services as objections
from credit_service.repair import services as repair
from tests.factories import CITY
from tests.integration.test_objections import a_record
from tests.integration.test_repair import CITY_REGULATOR, D, apply, general_penalty, on
from tests.pages.test_console_pages import get, post, signed_in
from tests.pages.test_enterprise_pages import HTML, browser, enterprise_account, get_page

ASKED = "请补充缴款凭证原件扫描件"
NOTICE = re.compile(
    r'<div class="alert alert-warn" role="status" id="supplement-due">(.*?)</div>', re.S
)


def own(username: str, owner: dict) -> Actor:
    return Actor(role="enterprise", username=username, uscc=owner["identifier"], city_code=CITY)


@pytest.fixture
def asked(ctx, clock):  # type: ignore[no-untyped-def]
    """An application submitted on 2026-09-28 and asked for materials on 2026-09-29 (due
    2026-10-19, across National Day); (its id, the applicant as an actor)."""
    owner, record = general_penalty(ctx)
    username = enterprise_account(ctx, owner)
    on(clock, D("2026-09-28"))
    app = apply(ctx, own(username, owner), f"record:{record['id']}")
    on(clock, D("2026-09-29"))
    repair.review(ctx, CITY_REGULATOR, app["id"], "request_supplement", reason=ASKED)
    return app["id"], own(username, owner)


def review_forms(html: str, application_id: int) -> list[str]:
    return re.findall(rf'action="/console/repairs/{application_id}/review/([a-z_]+)"', html)


# --- the enterprise -----------------------------------------------------------------------------


def test_the_applicant_reads_what_and_by_when_and_then_that_it_is_late(ctx, app, clock, asked):
    app_id, applicant = asked
    html = get_page(browser(app, applicant.username), f"/enterprise/repair/{app_id}")
    [notice] = NOTICE.findall(html)
    assert f"请于2026年10月19日前补正：{ASKED}" in notice
    assert "补正期限已过" not in notice
    assert "2026-10-19" in html  # the day, in the supplement card too

    on(clock, D("2026-10-20"))
    html = get_page(browser(app, applicant.username), f"/enterprise/repair/{app_id}")
    [notice] = NOTICE.findall(html)
    assert "补正期限已过" in notice

    repair.supplement_received(ctx, applicant, app_id)
    html = get_page(browser(app, applicant.username), f"/enterprise/repair/{app_id}")
    assert NOTICE.findall(html) == [] and "请于2026年10月19日前补正" not in html


def test_the_objector_reads_what_and_by_when(ctx, app, clock):
    on(clock, D("2026-09-28"))
    owner, record = a_record(ctx)
    username = enterprise_account(ctx, owner)
    objection, _ = objections.file_objection(
        ctx,
        own(username, owner),
        target=f"record:{record['id']}",
        reasons="该处罚决定书文号登记有误，与原决定书不一致",
        contact="王五 13900000001",
    )
    on(clock, D("2026-09-29"))
    objections.take_step(
        ctx, CITY_REGULATOR, objection["id"], "request_supplement", reason="原处罚决定书复印件"
    )
    html = get_page(browser(app, username), f"/enterprise/objections/{objection['id']}")
    [notice] = NOTICE.findall(html)
    assert "请于2026年10月19日前补正：原处罚决定书复印件" in notice


# --- the console --------------------------------------------------------------------------------


def test_the_request_form_takes_a_day_and_a_non_working_one_comes_back(ctx, app, clock):
    owner, record = general_penalty(ctx)
    on(clock, D("2026-09-29"))
    application = apply(ctx, own(enterprise_account(ctx, owner), owner), f"record:{record['id']}")
    path = f"/console/repairs/{application['id']}"
    regulator = signed_in(app, ctx)
    html = get(regulator, path)
    assert 'name="due_on"' in html and "留空则为要求之日后第10个工作日" in html

    holiday = post(
        regulator,
        f"{path}/review/request_supplement",
        {"expected_version": "1", "reason": ASKED, "due_on": "2026-10-03"},
    )
    assert holiday.status_code == 422
    refused = holiday.get_data(as_text=True)
    assert 'id="f-request_supplement-due_on-error"' in refused
    assert "补正期限须为工作日，2026-10-03不是工作日" in refused
    assert 'value="2026-10-03"' in refused and ASKED in refused  # the input is kept
    assert repair.get_application(ctx, CITY_REGULATOR, application["id"])["state"] == "submitted"

    post(
        regulator,
        f"{path}/review/request_supplement",
        {"expected_version": "1", "reason": ASKED, "due_on": "2026-10-12"},
        303,
    )
    html = get(regulator, path)
    assert "补正期限" in html and "2026-10-12" in html
    assert review_forms(html, application["id"]) == []  # nothing to close yet


def test_late_materials_are_flagged_and_only_the_phases_closing_step_is_offered(
    ctx, app, clock, asked, auth
):
    app_id, _ = asked
    on(clock, D("2026-10-20"))
    regulator = signed_in(app, ctx)
    html = get(regulator, f"/console/repairs/{app_id}")
    assert '<span class="badge badge-bad">逾期未补正</span>' in html
    assert "补正期限已过" in html
    assert review_forms(html, app_id) == ["not_accept"]
    assert re.search(r'name="reason"[^>]*>逾期未补正</textarea>', html)
    queue = get(regulator, "/console/repairs")
    [row] = re.findall(rf'<tr id="application-{app_id}">(.*?)</tr>', queue, re.S)
    assert "逾期未补正" in row

    viewer = get(app.test_client(), f"/console/repairs/{app_id}", {**HTML, **auth("viewer")})
    assert "逾期未补正" in viewer and review_forms(viewer, app_id) == []

    version = str(repair.get_application(ctx, CITY_REGULATOR, app_id)["version"])
    post(
        regulator,
        f"/console/repairs/{app_id}/review/not_accept",
        {"expected_version": version, "reason": "逾期未补正"},
        303,
    )
    assert repair.get_application(ctx, CITY_REGULATOR, app_id)["state"] == "not_accepted"


def test_the_objection_refusal_offers_the_lapse_only_once_late(ctx, app, clock):
    on(clock, D("2026-09-28"))
    owner, record = a_record(ctx)
    objection, _ = objections.file_objection(
        ctx,
        own(enterprise_account(ctx, owner), owner),
        target=f"record:{record['id']}",
        reasons="该处罚决定书文号登记有误，与原决定书不一致",
        contact="王五 13900000001",
    )
    oid = objection["id"]
    regulator = signed_in(app, ctx)
    assert 'value="supplement_overdue"' not in get(regulator, f"/console/objections/{oid}")

    on(clock, D("2026-09-29"))
    objections.take_step(ctx, CITY_REGULATOR, oid, "request_supplement", reason="原决定书")
    on(clock, D("2026-10-20"))
    regulator = signed_in(app, ctx)
    html = get(regulator, f"/console/objections/{oid}")
    assert '<option value="supplement_overdue" selected>逾期未补正</option>' in html
    assert f"/console/objections/{oid}/steps/refuse" in html
    assert "补正期限" in html and "2026-10-19" in html
