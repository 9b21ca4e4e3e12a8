"""The console's data administration through the Flask test client, on both databases:
the audit trail (search, keyset pages, export, verification), a record filed through the
form its catalog item makes, corrected and revoked, and CSV imports with their row
report. Each page: who may open it and who may not (the 403 page), a bad form answered
with the Chinese error under its field and nothing written, and the acts audited."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from credit_service.access import SYSTEM
from credit_service.audit import services as audit
from credit_service.audit.models import AuditEvent
from credit_service.records import services as record_services
from credit_service.records.models import CreditRecord
from tests.api.test_sessions import form_token
from tests.factories import (
    LANGXI,
    PENALTY_ITEM,
    XUANZHOU,
    bearer_for,
    create_entity,
    file_penalty,
    penalty_fields,
    unique_uscc,
)
from tests.integration.test_audit import execute
from tests.pages.test_console_pages import BROWSER, get, html_of, signed_in

NEXT = re.compile(r'href="(/console/audit\?[^"]*after_id=\d+[^"]*)" rel="next"')
DOWNLOAD = re.compile(r'href="(/console/imports/[A-Za-z0-9_-]+\.csv)"')


def send(browser, path: str, data: dict, **kwargs):  # type: ignore[no-untyped-def]
    """Post a form as a browser does, with the session's token."""
    token = form_token(browser, "/account")
    return browser.post(path, data={"csrf_token": token, **data}, headers=BROWSER, **kwargs)


def form_of(fields: dict) -> dict:
    """An item's fields as the generated form posts them (``f.<name>``)."""
    return {f"f.{name}": value for name, value in fields.items()}


def records_of(ctx) -> int:  # type: ignore[no-untyped-def]
    with ctx.read_session_factory() as session:
        return session.execute(select(func.count()).select_from(CreditRecord)).scalar_one()


def actions(ctx, action: str) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    with ctx.read_session_factory() as session:
        return audit.query_events(session, action=action)


# --- the audit trail --------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "auditor"])
def test_admins_and_auditors_search_the_trail_and_page_on(app, client, ctx, role):
    owner = create_entity(ctx)
    for _ in range(3):
        file_penalty(ctx, owner["identifier"])
    headers = bearer_for(ctx, role)
    html = get(client, "/console/audit?action=record.file", headers)
    assert html.count('<tr id="event-') == 3 and "登记信用记录" in html
    assert "/api/v1/admin/audit/export.csv?action=record.file" in html.replace("&amp;", "&")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("credit_service.web.pages.console_audit.PAGE_SIZE", 2)
        first = get(client, "/console/audit?action=record.file", headers)
        assert first.count('<tr id="event-') == 2
        following = NEXT.search(first)
        assert following
        second = get(client, following.group(1).replace("&amp;", "&"), headers)
    assert second.count('<tr id="event-') == 1 and "回到第一页" in second


def test_the_trail_searches_by_day_in_shanghai_and_by_object(client, ctx, clock):
    owner = create_entity(ctx)
    record = file_penalty(ctx, owner["identifier"])
    today = ctx.today()
    headers = bearer_for(ctx, "admin")
    found = get(client, f"/console/audit?object_type=record&object_id={record['id']}", headers)
    assert found.count('<tr id="event-') == 1
    day = today.isoformat()
    assert get(client, f"/console/audit?action=record.file&since={day}&until={day}", headers).count(
        '<tr id="event-'
    )
    yesterday = (today - timedelta(days=1)).isoformat()
    none = get(client, f"/console/audit?action=record.file&until={yesterday}", headers)
    assert '<tr id="event-' not in none and "没有符合条件的记录" in none


def test_a_bad_filter_is_a_field_error_and_searches_nothing(client, ctx):
    headers = bearer_for(ctx, "admin")
    html = get(client, "/console/audit?since=2026-13-01&until=x", headers, 422)
    assert 'id="f-since-error"' in html and "请按“年-月-日”填写日期" in html
    assert '<tr id="event-' not in html and "export.csv" not in html
    backwards = get(client, "/console/audit?since=2026-05-02&until=2026-05-01", headers, 422)
    assert "截止日期不能早于起始日期" in backwards
    too_long = get(client, "/console/audit?actor=" + "a" * 101, headers, 422)
    assert 'id="f-actor-error"' in too_long
    assert "翻页位置无效" in get(client, "/console/audit?after_id=x", headers, 422)


@pytest.mark.parametrize("role", ["regulator", "viewer", "checker", "enterprise"])
def test_other_roles_may_not_read_the_trail(client, ctx, role):
    headers = bearer_for(ctx, role, uscc=unique_uscc(XUANZHOU) if role == "enterprise" else None)
    for path in ("/console/audit", "/console/audit/verification"):
        assert "无权访问" in get(client, path, headers, 403)


def test_the_export_from_the_page_is_audited(app, ctx):
    owner = create_entity(ctx)
    file_penalty(ctx, owner["identifier"])
    browser = signed_in(app, ctx, "admin")
    html = get(browser, "/console/audit?action=record.file&since=2026-01-01")
    link = re.search(r'href="(/api/v1/admin/audit/export\.csv[^"]*)"', html)
    assert link
    response = browser.get(link.group(1).replace("&amp;", "&"))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert len(response.get_data(as_text=True).strip().splitlines()) == 2
    exported = actions(ctx, "audit.export")
    assert exported and exported[-1].actor.startswith("console-admin-")


def test_verification_shows_its_result_and_findings_in_chinese(client, ctx):
    from credit_service.audit import sealing

    owner = create_entity(ctx)
    file_penalty(ctx, owner["identifier"])
    sealing.seal_log(ctx)
    headers = bearer_for(ctx, "auditor")
    assert "校验通过" in get(client, "/console/audit/verification", headers)
    filed = actions(ctx, "record.file")[0]
    execute(ctx, "UPDATE audit_events SET chain_hash = :h WHERE id = :id", h="f" * 64, id=filed.id)
    html = get(client, "/console/audit/verification", headers)
    assert "校验未通过" in html and "已被篡改" in html and "audit-row-altered" not in html
    assert f'<a href="/console/audit?after_id={filed.id - 1}">{filed.id}</a>' in html


# --- filing a record through its form ---------------------------------------------------------


def test_a_regulator_files_a_record_through_the_items_form(app, ctx):
    owner = create_entity(ctx, region_code=XUANZHOU)
    browser = signed_in(app, ctx, "regulator", XUANZHOU)
    entity_page = get(browser, f"/console/entities/{owner['identifier']}")
    new = f"/console/entities/{owner['identifier']}/records/new"
    assert f'href="{new}"' in entity_page
    form = get(browser, f"{new}?item={PENALTY_ITEM}")
    assert 'name="f.CF_JDRQ"' in form and 'type="date"' in form and "行政处罚决定书文号" in form
    assert 'type="checkbox"' in form and 'value="罚款"' in form  # the multiple choice
    fields = penalty_fields()
    response = send(browser, new, {"item": PENALTY_ITEM, **form_of(fields)})
    assert response.status_code == 303, response.get_data(as_text=True)[:1500]
    shown = get(browser, response.headers["Location"])
    assert "已登记" in shown and fields["CF_WSH"] in shown
    record_id = int(re.search(r"/console/records/(\d+)", response.headers["Location"]).group(1))
    assert f'href="/console/records/{record_id}"' in get(
        browser, f"/console/entities/{owner['identifier']}"
    )
    filed = actions(ctx, "record.file")
    assert [e.object_id for e in filed] == [str(record_id)]
    assert filed[0].actor.startswith("console-regulator-")
    again = send(browser, new, {"item": PENALTY_ITEM, **form_of(fields)})
    assert "此前已登记" in get(browser, again.headers["Location"])
    assert records_of(ctx) == 1


def test_bad_fields_come_back_under_each_field_in_chinese(app, ctx):
    owner = create_entity(ctx, region_code=XUANZHOU)
    browser = signed_in(app, ctx, "admin")
    new = f"/console/entities/{owner['identifier']}/records/new"
    fields = penalty_fields(CF_JDRQ="2026-02-30")
    del fields["CF_WSH"]
    html = html_of(send(browser, new, {"item": PENALTY_ITEM, **form_of(fields)}), 422)
    assert 'id="f-CF_JDRQ-error"' in html and 'id="f-CF_WSH-error"' in html
    errors = dict(re.findall(r'id="f-([A-Z_]+)-error">([^<]+)<', html))
    assert set(errors) == {"CF_JDRQ", "CF_WSH"}
    assert all(re.search(r"[\u4e00-\u9fff]", text) for text in errors.values()), errors
    assert 'value="在产品上标注他人专利号"' in html or "在产品上标注他人专利号" in html  # kept
    no_item = html_of(send(browser, new, {"item": "NO-SUCH-ITEM"}), 422)
    assert "请选择目录条目" in no_item
    assert records_of(ctx) == 0 and actions(ctx, "record.file") == []


def test_who_may_file_and_who_may_not(app, client, ctx):
    owner = create_entity(ctx, region_code=XUANZHOU)
    new = f"/console/entities/{owner['identifier']}/records/new"
    langxi = signed_in(app, ctx, "regulator", LANGXI)
    refused = send(langxi, new, {"item": PENALTY_ITEM, **form_of(penalty_fields())})
    assert html_of(refused, 403)
    viewer = signed_in(app, ctx, "viewer", XUANZHOU)
    assert "无权访问" in get(viewer, new, status=403)
    assert html_of(send(viewer, new, {"item": PENALTY_ITEM, **form_of(penalty_fields())}), 403)
    assert f'href="{new}"' not in get(viewer, f"/console/entities/{owner['identifier']}")
    assert "无权访问" in get(client, new, bearer_for(ctx, "auditor"), 403)
    assert records_of(ctx) == 0


# --- correcting and revoking ------------------------------------------------------------------


def test_a_correction_makes_a_revision_with_its_reason(app, ctx):
    owner = create_entity(ctx, region_code=XUANZHOU)
    fields = penalty_fields()
    record = file_penalty(ctx, owner["identifier"], **fields)
    browser = signed_in(app, ctx, "regulator", XUANZHOU)
    page = get(browser, f"/console/records/{record['id']}")
    assert 'value="2026-03-15"' in page and "更正理由" in page
    changed = {**fields, "CF_NR": "罚款人民币六万元", "CF_NR_FK": "6"}
    posted = {**form_of(changed), "reason": "金额笔误", "revision": "1"}
    missing = send(browser, f"/console/records/{record['id']}/correction", {**posted, "reason": ""})
    assert "请填写更正理由" in html_of(missing, 422)
    bad = send(
        browser,
        f"/console/records/{record['id']}/correction",
        {**posted, "f.CF_NR_FK": "很多"},
    )
    assert 'id="f-CF_NR_FK-error"' in html_of(bad, 422)
    assert record_services.read_record(ctx, SYSTEM, record["id"])["revision"] == 1
    done = send(browser, f"/console/records/{record['id']}/correction", posted)
    assert done.status_code == 303
    shown = get(browser, done.headers["Location"])
    assert "已更正" in shown and "金额笔误" in shown and "罚款人民币六万元" in shown
    assert record_services.read_record(ctx, SYSTEM, record["id"])["revision"] == 2
    assert actions(ctx, "record.correct")[-1].details["reason"] == "金额笔误"
    same = send(browser, f"/console/records/{record['id']}/correction", {**posted, "revision": "2"})
    assert "未生成新的版本" in get(browser, same.headers["Location"])


def test_a_revocation_takes_a_reason_and_a_day_not_before_the_decision(app, ctx):
    owner = create_entity(ctx, region_code=XUANZHOU)
    record = file_penalty(ctx, owner["identifier"])
    browser = signed_in(app, ctx, "regulator", XUANZHOU)
    path = f"/console/records/{record['id']}/revocation"
    short = html_of(send(browser, path, {"reason": "撤", "on": ""}), 422)
    assert 'id="f-revoke-reason-error"' not in short or "请填写撤销理由" in short
    assert "请填写撤销理由" in short
    early = html_of(
        send(browser, path, {"reason": "原处罚决定被复议撤销", "on": "2026-03-01"}), 422
    )
    assert 'id="f-revoke-on-error"' in early
    assert record_services.read_record(ctx, SYSTEM, record["id"])["status"] == "active"
    assert actions(ctx, "record.revoke") == []
    done = send(browser, path, {"reason": "原处罚决定被复议撤销", "on": ""})
    assert done.status_code == 303 and "已撤销" in get(browser, done.headers["Location"])
    assert record_services.read_record(ctx, SYSTEM, record["id"])["status"] == "revoked"
    assert actions(ctx, "record.revoke")[-1].details["reason"] == "原处罚决定被复议撤销"
    twice = send(browser, path, {"reason": "原处罚决定被复议撤销", "on": ""})
    assert twice.status_code == 409


def test_a_viewer_reads_a_record_without_forms_and_another_region_may_not(app, client, ctx):
    owner = create_entity(ctx, region_code=XUANZHOU)
    record = file_penalty(ctx, owner["identifier"])
    viewer = signed_in(app, ctx, "viewer", XUANZHOU)
    html = get(viewer, f"/console/records/{record['id']}")
    assert "版本记录" in html and "/correction" not in html and "/revocation" not in html
    for step in ("correction", "revocation"):
        assert html_of(send(viewer, f"/console/records/{record['id']}/{step}", {}), 403)
    langxi = bearer_for(ctx, "regulator", region=LANGXI)
    assert "无权访问" in get(client, f"/console/records/{record['id']}", langxi, 403)
    assert get(client, "/console/records/999999", bearer_for(ctx, "admin"), 404)


# --- CSV imports ------------------------------------------------------------------------------


def csv_of(rows: list[dict]) -> bytes:
    names = list(dict.fromkeys(k for row in rows for k in row))
    lines = [",".join(names)] + [",".join(str(row.get(n, "")) for n in names) for row in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def test_an_import_shows_its_counts_and_row_report_and_downloads_it(app, ctx):
    owner = create_entity(ctx, region_code=XUANZHOU)
    good = {"entity": owner["identifier"], "item_code": PENALTY_ITEM, **penalty_fields()}
    good["CF_CFLB"] = "罚款"
    bad = {**good, "CF_WSH": "宣市监知罚〔2026〕9999号", "CF_JDRQ": "2026-02-30"}
    browser = signed_in(app, ctx, "regulator", XUANZHOU)
    assert 'enctype="multipart/form-data"' in get(browser, "/console/imports")
    upload = (io.BytesIO(csv_of([good, bad])), "records.csv")
    response = send(browser, "/console/imports", {"kind": "records", "file": upload})
    html = html_of(response)
    assert "共2行，其中1行未导入" in html and 'id="row-report"' in html
    row = re.search(
        r'<td data-label="行号">(\d+)</td>\s*<td[^>]*><span translate="no">(\w+)</span>', html
    )
    assert row and row.groups() == ("3", "CF_JDRQ")
    assert records_of(ctx) == 1 and actions(ctx, "record.import")
    link = DOWNLOAD.search(html)
    assert link
    report = browser.get(link.group(1))
    assert report.status_code == 200 and report.mimetype == "text/csv"
    lines = report.get_data(as_text=True).lstrip("\ufeff").strip().splitlines()
    assert lines[0] == "行号,列,原因,原因代码" and lines[1].startswith("3,CF_JDRQ,")
    cells = [cell for line in csv.reader(lines) for cell in line]
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))]
    other = signed_in(app, ctx, "regulator", XUANZHOU)
    assert other.get(link.group(1), headers=BROWSER).status_code == 404


def test_an_import_without_a_file_or_a_kind_is_a_field_error(app, ctx):
    browser = signed_in(app, ctx, "admin")
    html = html_of(send(browser, "/console/imports", {"kind": "records"}), 422)
    assert 'id="f-file-error"' in html and "请选择要上传的 CSV 文件" in html
    upload = (io.BytesIO(b"a,b\n1,2\n"), "x.csv")
    wrong = html_of(send(browser, "/console/imports", {"kind": "cats", "file": upload}), 422)
    assert 'id="f-kind-error"' in wrong
    header = (io.BytesIO(b"nonsense,columns\n1,2\n"), "x.csv")
    refused = html_of(send(browser, "/console/imports", {"kind": "records", "file": header}), 422)
    assert 'id="f-file-error"' in refused
    assert records_of(ctx) == 0 and actions(ctx, "record.import") == []


@pytest.mark.parametrize("role", ["viewer", "auditor", "checker"])
def test_only_officers_import(app, client, ctx, role):
    assert "无权访问" in get(client, "/console/imports", bearer_for(ctx, role), 403)
