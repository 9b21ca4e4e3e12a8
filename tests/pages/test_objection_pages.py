"""The objection pages (D19) through the Flask test client, on both databases: the
enterprise files an objection to one field of its own record with a file, follows it
(deadlines, the mark, notices, history) and says when the asked-for materials are in;
the regulator works the queue and takes the steps through their forms; an objection
brought to the office is entered with its scan; the public entry and the enterprise's
record list show the mark 异议处理中. Who may not open a page gets a Chinese 403/404, and
a refused form shows its errors beside the fields and writes nothing."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from credit_service.access import Actor
from credit_service.objections import services as objections
from credit_service.objections.models import Objection, ObjectionEvidence
from tests.factories import CITY, LANGXI, create_entity, file_penalty
from tests.integration.test_repair import CITY_REGULATOR, PDF, general_penalty, listed, on
from tests.pages.test_console_pages import get, post, signed_in
from tests.pages.test_enterprise_pages import (
    CSRF,
    HTML,
    KEY,
    browser,
    enterprise_account,
    files,
    get_page,
    post_form,
)

D = date.fromisoformat
OBJECTION_URL = re.compile(r"/enterprise/objections/(\d+)")
REASONS = "处罚决定书载明的罚款金额为三万元，公示的五万元有误"
CONTACT = "王五 13900000001"


def count(ctx, model) -> int:  # type: ignore[no-untyped-def]
    with ctx.session_factory() as session:
        return session.execute(select(func.count()).select_from(model)).scalar_one()


@pytest.fixture
def owned(ctx, app):  # type: ignore[no-untyped-def]
    """An entity with a general penalty, its enterprise account's browser, the target."""
    owner, record = general_penalty(ctx)
    username = enterprise_account(ctx, owner)
    return owner, record, f"record:{record['id']}", username, browser(app, username)


def form_of(client, target: str) -> dict[str, str]:
    html = get_page(client, f"/enterprise/objections/new?target={target}")
    return {
        "csrf_token": CSRF.search(html).group(1),
        "idempotency_key": KEY.search(html).group(1),
        "target": target,
    }


def file_through_form(client, target: str, **changes: object):  # type: ignore[no-untyped-def]
    data = {
        **form_of(client, target),
        "field": "CF_NR",
        "value_claimed": "罚款人民币三万元",
        "reasons": REASONS,
        "contact": CONTACT,
        "files": files((PDF, "决定书.pdf")),
        **changes,
    }
    return post_form(client, "/enterprise/objections/new", data)


def objector(username: str, owner: dict) -> Actor:
    return Actor(role="enterprise", username=username, uscc=owner["identifier"], city_code=CITY)


# --- the enterprise -----------------------------------------------------------------------------


def test_the_enterprise_files_an_objection_to_a_field_with_a_file(ctx, app, owned):
    owner, record, target, _, client = owned
    overview = get_page(client, "/enterprise")
    assert "提出异议" in overview
    assert f"/enterprise/objections/new?target={target}" in overview.replace("%3A", ":")

    form = get_page(client, f"/enterprise/objections/new?target={target}")
    assert "罚款人民币五万元" in form  # the value shown now, beside its field
    response = file_through_form(client, target)
    assert response.status_code == 303, response.get_data(as_text=True)
    objection_id = int(OBJECTION_URL.search(response.headers["Location"]).group(1))
    html = get_page(client, response.headers["Location"])
    assert "异议已提交" in html and "待受理" in html and "决定书.pdf" in html
    assert "罚款人民币五万元" in html and "罚款人民币三万元" in html
    assert "2026-11-30" in html  # acceptance due: 3 working days
    view = objections.get_objection(ctx, CITY_REGULATOR, objection_id)
    assert view["field"] == "CF_NR" and len(view["evidence"]) == 1

    listing = get_page(client, "/enterprise/objections")
    assert f"/enterprise/objections/{objection_id}" in listing


def test_a_double_submit_files_once_and_uploads_once(ctx, app, owned):
    _, _, target, _, client = owned
    data = {
        **form_of(client, target),
        "field": "",
        "value_claimed": "",
        "reasons": REASONS,
        "contact": CONTACT,
    }
    first = post_form(
        client, "/enterprise/objections/new", {**data, "files": files((PDF, "a.pdf"))}
    )
    again = post_form(
        client, "/enterprise/objections/new", {**data, "files": files((PDF, "a.pdf"))}
    )
    assert first.status_code == again.status_code == 303
    assert "refiled" in again.headers["Location"]
    assert count(ctx, Objection) == 1 and count(ctx, ObjectionEvidence) == 1


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"reasons": "太短"}, "reasons", "请写明异议理由"),
        ({"contact": ""}, "contact", "请填写联系人及联系方式"),
        ({"field": "NOT_A_FIELD"}, "field", "请选择列表中的字段"),
        ({"value_claimed": ""}, "value_claimed", "请填写主张的正确内容"),
    ],
)
def test_a_refused_filing_form_shows_the_error_beside_the_field_and_writes_nothing(
    ctx, app, owned, changes, field, words
):
    _, _, target, _, client = owned
    response = file_through_form(client, target, **changes)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="e-{field}"' in html and words in html
    assert count(ctx, Objection) == 0 and count(ctx, ObjectionEvidence) == 0


def test_another_enterprise_and_staff_cannot_open_the_enterprise_pages(ctx, app, owned, auth):
    owner, record, target, username, client = owned
    objection, _ = objections.file_objection(
        ctx, objector(username, owner), target=target, reasons=REASONS, contact=CONTACT
    )
    other = create_entity(ctx)
    other_record = file_penalty(ctx, other["identifier"])
    stranger = browser(app, enterprise_account(ctx, other))
    page_403 = get_page(stranger, f"/enterprise/objections/{objection['id']}", 403)
    assert "无权" in page_403 or "权限" in page_403
    get_page(stranger, f"/enterprise/objections/new?target={target}", 403)
    get_page(client, f"/enterprise/objections/new?target=record:{other_record['id']}", 403)
    get_page(client, "/enterprise/objections/new?target=record:999999", 404)
    get_page(client, "/enterprise/objections/999999", 404)
    regulator = app.test_client().get(
        f"/enterprise/objections/{objection['id']}", headers={**HTML, **auth("regulator")}
    )
    assert regulator.status_code == 403


def test_the_enterprise_follows_the_steps_supplies_materials_and_reads_the_outcome(ctx, app, owned):
    owner, record, target, username, client = owned
    objection, _ = objections.file_objection(
        ctx,
        objector(username, owner),
        target=target,
        field="CF_NR",
        value_claimed="罚款人民币三万元",
        reasons=REASONS,
        contact=CONTACT,
    )
    oid = objection["id"]
    objections.take_step(ctx, CITY_REGULATOR, oid, "accept")
    objections.take_step(ctx, CITY_REGULATOR, oid, "request_supplement", reason="请补充原决定书")
    html = get_page(client, f"/enterprise/objections/{oid}")
    assert "待补正材料" in html and "请补充原决定书" in html and "材料已补正" in html
    overview = get_page(client, "/enterprise")
    assert "异议处理中" in overview

    token = CSRF.search(html).group(1)
    done = client.post(
        f"/enterprise/objections/{oid}/supplement-received",
        data={"csrf_token": token},
        headers=HTML,
    )
    assert done.status_code == 303
    twice = client.post(
        f"/enterprise/objections/{oid}/supplement-received",
        data={"csrf_token": token},
        headers=HTML,
    )
    assert twice.status_code == 409 and "无需补正" in twice.get_data(as_text=True)

    objections.take_step(ctx, CITY_REGULATOR, oid, "uphold", reason="原决定书载明罚款三万元")
    html = get_page(client, f"/enterprise/objections/{oid}")
    assert "异议成立" in html and "原决定书载明罚款三万元" in html
    assert "异议受理通知书" in html and "异议处理结果告知书" in html
    assert "异议已办结" in html  # no more uploads
    document = re.search(rf'href="(/enterprise/objections/{oid}/documents/\d+\.pdf)"', html)
    pdf = client.get(document.group(1))
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")


# --- the console --------------------------------------------------------------------------------


@pytest.fixture
def filed(ctx, owned):  # type: ignore[no-untyped-def]
    owner, record, target, username, _ = owned
    objection, _ = objections.file_objection(
        ctx,
        objector(username, owner),
        target=target,
        field="CF_NR",
        value_claimed="罚款人民币三万元",
        reasons=REASONS,
        contact=CONTACT,
    )
    return objection, record


def test_the_regulator_accepts_extends_and_upholds_through_the_forms(ctx, app, filed):
    objection, record = filed
    oid = objection["id"]
    regulator = signed_in(app, ctx)
    queue = get(regulator, "/console/objections")
    assert f"/console/objections/{oid}" in queue and "待受理" in queue
    assert "/console/objections" in get(regulator, "/console")  # in the menu

    page = get(regulator, f"/console/objections/{oid}")
    assert "罚款人民币五万元" in page and REASONS in page and CONTACT in page
    for step in ("accept", "refuse", "request_supplement"):
        assert f"/console/objections/{oid}/steps/{step}" in page
    post(regulator, f"/console/objections/{oid}/steps/accept", {"expected_version": "1"}, 303)
    page = get(regulator, f"/console/objections/{oid}")
    assert "异议处理中" in page and "/steps/uphold" in page

    # the same form sent again: the page says the objection moved on, nothing twice
    again = post(regulator, f"/console/objections/{oid}/steps/accept", {"expected_version": "1"})
    assert again.status_code == 409 and "状态已变化" in again.get_data(as_text=True)

    version = objections.get_objection(ctx, CITY_REGULATOR, oid)["version"]
    refused = post(
        regulator, f"/console/objections/{oid}/steps/extend", {"expected_version": str(version)}
    )
    assert refused.status_code == 422 and 'id="f-extend-reason-error"' in refused.get_data(
        as_text=True
    )
    post(
        regulator,
        f"/console/objections/{oid}/steps/extend",
        {"expected_version": str(version), "reason": "需原处罚机关核实"},
        303,
    )
    version += 1
    post(
        regulator,
        f"/console/objections/{oid}/steps/uphold",
        {"expected_version": str(version), "reason": "原决定书载明罚款三万元", "action": "correct"},
        303,
    )
    view = objections.get_objection(ctx, CITY_REGULATOR, oid)
    assert view["state"] == "upheld" and view["correction"]["to"] == "罚款人民币三万元"
    page = get(regulator, f"/console/objections/{oid}")
    assert "异议延期处理通知书" in page and "异议处理结果告知书" in page
    assert "/steps/" not in page


def test_a_refusal_needs_its_reason_and_a_bad_form_writes_nothing(ctx, app, filed):
    objection, _ = filed
    oid = objection["id"]
    regulator = signed_in(app, ctx)
    bad = post(
        regulator,
        f"/console/objections/{oid}/steps/refuse",
        {"expected_version": "1", "refusal_reason": "bored", "reason": "重复"},
    )
    assert bad.status_code == 422 and "请选择不予受理的理由" in bad.get_data(as_text=True)
    bad_date = post(regulator, f"/console/objections/{oid}/steps/accept", {"on": "昨天"})
    assert bad_date.status_code == 422 and "请填写有效日期" in bad_date.get_data(as_text=True)
    assert objections.get_objection(ctx, CITY_REGULATOR, oid)["state"] == "received"


def test_who_may_not_open_the_console_objection_pages(ctx, app, filed, auth):
    objection, _ = filed
    oid = objection["id"]
    langxi = {**HTML, **auth("regulator", region=LANGXI)}
    client = app.test_client()
    assert client.get(f"/console/objections/{oid}", headers=langxi).status_code == 403
    assert f"/console/objections/{oid}" not in get(client, "/console/objections", langxi)
    viewer = {**HTML, **auth("viewer")}
    get(client, "/console/objections", viewer, 403)
    get(client, f"/console/objections/{oid}", viewer, 403)
    get(client, "/console/objections/999999", {**HTML, **auth("regulator")}, 404)
    owner = create_entity(ctx)
    enterprise = client.get(
        "/console/objections", headers={**HTML, **auth("enterprise", uscc=owner["identifier"])}
    )
    assert enterprise.status_code == 403


def test_an_objection_brought_to_the_office_is_entered_with_its_scan(ctx, app):
    owner, record = general_penalty(ctx)
    regulator = signed_in(app, ctx)
    form = get(regulator, "/console/objections/new")
    token, key = CSRF.search(form).group(1), KEY.search(form).group(1)
    data = {
        "csrf_token": token,
        "idempotency_key": key,
        "kind": "record",
        "number": str(record["id"]),
        "applicant_name": owner["name"],
        "reasons": REASONS,
        "contact": CONTACT,
    }
    missing = post_form(regulator, "/console/objections/new", data)
    assert missing.status_code == 422 and "请上传异议申请扫描件" in missing.get_data(as_text=True)
    assert count(ctx, Objection) == 0
    entered = post_form(
        regulator, "/console/objections/new", {**data, "files": files((PDF, "申请书.pdf"))}
    )
    assert entered.status_code == 303, entered.get_data(as_text=True)
    page = get(regulator, entered.headers["Location"])
    assert "现场或书面提出" in page and "申请书.pdf" in page and owner["name"] in page


# --- the mark on the public entry ---------------------------------------------------------------


def test_the_public_entry_shows_the_mark_from_acceptance(ctx, app, client):
    owner, record, case = listed(ctx)
    username = enterprise_account(ctx, owner)
    objection, _ = objections.file_objection(
        ctx,
        objector(username, owner),
        target=f"listing:{case['id']}",
        reasons=REASONS,
        contact=CONTACT,
    )
    assert "异议处理中" not in get(client, f"/list/{case['id']}")
    objections.take_step(ctx, CITY_REGULATOR, objection["id"], "accept")
    assert "异议处理中" in get(client, f"/list/{case['id']}")


def test_the_dashboard_lists_objections_due_soon_then_overdue(ctx, app, clock, filed):
    objection, _ = filed
    link = f"/console/objections/{objection['id']}"
    assert link not in get(signed_in(app, ctx), "/console")  # due in 3 working days
    on(clock, D("2026-11-27"))  # Friday: the acceptance is due on Monday 2026-11-30
    dashboard = get(signed_in(app, ctx), "/console")
    soon = dashboard.split('id="objections-due-soon"')[1]
    assert link in soon and link not in dashboard.split('id="objections-due-soon"')[0]
    on(clock, D("2026-12-01"))  # the acceptance was due on 2026-11-30
    dashboard = get(signed_in(app, ctx), "/console")
    overdue = dashboard.split('id="objections-overdue"')[1].split('id="objections-due-soon"')[0]
    assert link in overdue and "已逾期" in overdue
    viewer = get(signed_in(app, ctx, "viewer"), "/console")
    assert link not in viewer and 'id="objections-overdue"' not in viewer
