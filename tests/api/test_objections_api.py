"""Objections (D19) through HTTP, on both databases: filing with an Idempotency-Key, by the
enterprise and by a regulator for a party at the office; who may not file, read or act
(problem+json); bad input refused with field errors and nothing written; steps out of
order and unknown; evidence judged by content; the whole path accept → extend → uphold
with a correction; the notices as HTML and PDF; and the mark 异议处理中 on the record
API, the public list entry, the change feed and credit checks from acceptance until the
decision."""

from __future__ import annotations

import io
from datetime import date

import pytest
from sqlalchemy import func, select

from credit_service.dishonesty import statistics
from credit_service.objections.models import Objection, ObjectionEvidence
from tests.factories import LANGXI, create_entity, file_penalty
from tests.integration.test_repair import listed, on

D = date.fromisoformat
BASE = "/api/v1/objections"
LIST = "/api/v1/public/dishonesty-list"
CHECKS = "/api/v1/credit-checks"
PDF = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
    b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
)
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64


# --- helpers ----------------------------------------------------------------------------------


def body(target: str, **extra) -> dict:
    return {
        "target": target,
        "reasons": "该处罚决定书载明的罚款金额登记有误",
        "contact": "王五 13900000001",
        **extra,
    }


def file(client, headers: dict, target: str, key: str | None = None, **extra):  # type: ignore[no-untyped-def]
    more = {"Idempotency-Key": key} if key else {}
    return client.post(BASE, json=body(target, **extra), headers={**headers, **more})


def filed(client, headers: dict, target: str, **extra) -> dict:  # type: ignore[no-untyped-def]
    response = file(client, headers, target, **extra)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def step(client, headers: dict, objection_id: int, name: str, **data):  # type: ignore[no-untyped-def]
    data.setdefault("reason", "经核查")
    return client.post(f"{BASE}/{objection_id}/steps/{name}", json=data, headers=headers)


def took(client, headers: dict, objection_id: int, name: str, **data) -> dict:  # type: ignore[no-untyped-def]
    response = step(client, headers, objection_id, name, **data)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def upload(client, headers: dict, objection_id: int, content: bytes, name: str):  # type: ignore[no-untyped-def]
    return client.post(
        f"{BASE}/{objection_id}/evidence",
        data={"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
        headers=headers,
    )


def objections(ctx) -> int:
    with ctx.session_factory() as session:
        return session.execute(select(func.count()).select_from(Objection)).scalar_one()


def evidence_rows(ctx) -> int:
    with ctx.session_factory() as session:
        return session.execute(select(func.count()).select_from(ObjectionEvidence)).scalar_one()


def assert_problem(response, status: int, code: str | None = None) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.get_data(as_text=True)[:400]
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["status"] == status and problem["detail"]
    if code:
        assert problem["code"] == code, problem
    return problem


def mark(view: dict) -> tuple[bool, int | None]:
    return view["objection_pending"], view["objection_id"]


@pytest.fixture
def penalised(ctx, auth):  # type: ignore[no-untyped-def]
    """An entity (a district of the city) with a penalty record and its enterprise account."""
    owner = create_entity(ctx)
    record = file_penalty(ctx, owner["identifier"])
    return owner, record, auth("enterprise", uscc=owner["identifier"])


# --- filing -----------------------------------------------------------------------------------


def test_the_enterprise_files_once_per_idempotency_key(ctx, client, auth, penalised):
    owner, record, enterprise = penalised
    target = f"record:{record['id']}"
    first = file(
        client, enterprise, target, "key-1", field="CF_NR", value_claimed="罚款人民币三万元"
    )
    assert first.status_code == 201, first.get_json()
    created = first.get_json()
    assert created["state"] == "received" and created["channel"] == "enterprise"
    assert created["target"] == target and created["field"] == "CF_NR"
    assert created["value_shown"] == "罚款人民币五万元"
    assert created["entity"]["identifier"] == owner["identifier"]
    assert created["marked"] is False and created["acceptance_due"]

    again = file(
        client, enterprise, target, "key-1", field="CF_NR", value_claimed="罚款人民币三万元"
    )
    assert again.status_code == 200 and again.get_json()["id"] == created["id"]
    other = file_penalty(ctx, owner["identifier"])
    reused = file(client, enterprise, f"record:{other['id']}", "key-1")
    problem = assert_problem(reused, 422, "idempotency-key-reused")
    assert "Idempotency-Key" in problem["errors"]
    assert objections(ctx) == 1

    mine = client.get(BASE, headers=enterprise).get_json()
    assert [o["id"] for o in mine] == [created["id"]]
    queue = client.get(BASE, headers=auth("regulator")).get_json()
    assert created["id"] in [o["id"] for o in queue]


def test_a_regulator_enters_one_brought_to_the_office_naming_the_applicant(
    ctx, client, auth, penalised
):
    _, record, _ = penalised
    regulator = auth("regulator")
    missing = file(client, regulator, f"record:{record['id']}")
    assert "applicant_name" in assert_problem(missing, 422)["errors"]
    assert objections(ctx) == 0
    created = filed(client, regulator, f"record:{record['id']}", applicant_name="张三")
    assert created["channel"] == "office" and created["applicant_name"] == "张三"
    # its scanned application comes before acceptance
    refused = step(client, regulator, created["id"], "accept")
    assert_problem(refused, 422, "objection-scan-required")
    assert upload(client, regulator, created["id"], PDF, "申请书.pdf").status_code == 201
    assert took(client, regulator, created["id"], "accept")["state"] == "accepted"


def test_who_may_not_file_read_or_act(ctx, client, auth, penalised):
    owner, record, enterprise = penalised
    target = f"record:{record['id']}"
    stranger = auth("enterprise", uscc=create_entity(ctx)["identifier"])
    assert_problem(file(client, stranger, target), 403)
    assert_problem(file(client, auth("viewer"), target), 403, "role-forbidden")
    assert_problem(file(client, auth("checker"), target), 403, "role-forbidden")
    langxi = auth("regulator", region=LANGXI)
    assert_problem(file(client, langxi, target, applicant_name="张三"), 403)
    assert objections(ctx) == 0

    created = filed(client, enterprise, target)
    url = f"{BASE}/{created['id']}"
    assert_problem(client.get(url, headers=stranger), 403)
    assert_problem(client.get(url, headers=langxi), 403)
    assert_problem(client.get(url, headers=auth("viewer")), 403, "role-forbidden")
    assert_problem(client.get(BASE, headers=auth("checker")), 403, "role-forbidden")
    assert_problem(step(client, langxi, created["id"], "accept"), 403)
    assert_problem(step(client, enterprise, created["id"], "accept"), 403)
    assert_problem(upload(client, stranger, created["id"], PDF, "a.pdf"), 403)
    assert_problem(client.get(url), 401)
    assert client.get(url, headers=enterprise).get_json()["state"] == "received"


def test_bad_input_is_refused_field_by_field_and_nothing_is_written(ctx, client, penalised):
    _, record, enterprise = penalised
    before = objections(ctx)
    cases = {
        "target": body("record:abc"),
        "reasons": {**body(f"record:{record['id']}"), "reasons": "x" * 4001},
        "contact": {**body(f"record:{record['id']}"), "contact": "x" * 201},
        "field": {**body(f"record:{record['id']}"), "field": "F" * 65},
        "value_claimed": {**body(f"record:{record['id']}"), "value_claimed": "x" * 2001},
    }
    for name, data in cases.items():
        response = client.post(BASE, json=data, headers=enterprise)
        assert name in assert_problem(response, 422)["errors"], name
    missing = client.post(BASE, json={"target": f"record:{record['id']}"}, headers=enterprise)
    assert {"reasons", "contact"} <= set(assert_problem(missing, 422)["errors"])
    unknown_field = file(client, enterprise, f"record:{record['id']}", field="NO_SUCH")
    assert "field" in assert_problem(unknown_field, 422)["errors"]
    absent = file(client, enterprise, "record:999999")
    assert_problem(absent, 404)
    assert objections(ctx) == before


def test_steps_out_of_order_unknown_or_stale_are_refused(ctx, client, auth, penalised):
    _, record, enterprise = penalised
    created = filed(client, enterprise, f"record:{record['id']}")
    regulator = auth("regulator")
    assert_problem(step(client, regulator, created["id"], "uphold", action="revoke"), 409)
    assert_problem(step(client, regulator, created["id"], "fly"), 404, "step-not-found")
    assert_problem(step(client, regulator, created["id"], "receive"), 404, "step-not-found")
    stale = step(client, regulator, created["id"], "accept", expected_version=99)
    assert_problem(stale, 409, "objection-changed")
    bad = step(client, regulator, created["id"], "uphold", action="fly", reason="x" * 4001)
    assert {"action", "reason"} <= set(assert_problem(bad, 422)["errors"])
    refused = step(client, regulator, created["id"], "refuse", refusal_reason="bored")
    assert "refusal_reason" in assert_problem(refused, 422)["errors"]
    assert (
        client.get(f"{BASE}/{created['id']}", headers=regulator).get_json()["version"]
        == (created["version"])
    )
    done = took(
        client, regulator, created["id"], "refuse", refusal_reason="repeat", reason="重复提出"
    )
    assert done["state"] == "refused" and [d["kind"] for d in done["documents"]] == ["refusal"]


def test_evidence_is_judged_by_content_and_read_by_the_parties_only(ctx, client, auth, penalised):
    _, record, enterprise = penalised
    created = filed(client, enterprise, f"record:{record['id']}")
    stored = upload(client, enterprise, created["id"], PDF, "原决定书.pdf")
    assert stored.status_code == 201, stored.get_json()
    evidence = stored.get_json()
    assert evidence["content_type"] == "application/pdf" and evidence["size"] == len(PDF)
    assert_problem(upload(client, enterprise, created["id"], EXE, "原决定书.pdf"), 422)
    empty = client.post(
        f"{BASE}/{created['id']}/evidence",
        data={},
        content_type="multipart/form-data",
        headers=enterprise,
    )
    assert "file" in assert_problem(empty, 422)["errors"]
    assert evidence_rows(ctx) == 1

    url = f"{BASE}/{created['id']}/evidence/{evidence['id']}"
    for reader in (enterprise, auth("regulator")):
        download = client.get(url, headers=reader)
        assert download.status_code == 200 and download.get_data() == PDF
    stranger = auth("enterprise", uscc=create_entity(ctx)["identifier"])
    assert_problem(client.get(url, headers=stranger), 403)
    assert_problem(client.get(f"{BASE}/{created['id']}/evidence/999999", headers=enterprise), 404)
    detail = client.get(f"{BASE}/{created['id']}", headers=enterprise).get_json()
    assert [e["id"] for e in detail["evidence"]] == [evidence["id"]]


# --- the whole path and the mark --------------------------------------------------------------


def test_accept_extend_uphold_corrects_the_record_and_the_mark_comes_and_goes(
    ctx, client, clock, auth, penalised
):
    on(clock, D("2026-11-25"))
    _, record, enterprise = penalised
    regulator = auth("regulator")
    record_url = f"/api/v1/records/{record['id']}"
    assert mark(client.get(record_url, headers=regulator).get_json()) == (False, None)

    created = filed(
        client,
        enterprise,
        f"record:{record['id']}",
        field="CF_NR",
        value_claimed="罚款人民币三万元",
    )
    assert mark(client.get(record_url, headers=enterprise).get_json()) == (False, None)
    accepted = took(client, regulator, created["id"], "accept", expected_version=created["version"])
    assert accepted["marked"] is True and accepted["decision_due"] == "2026-12-04"
    assert mark(client.get(record_url, headers=enterprise).get_json()) == (True, created["id"])
    assert mark(client.get(record_url, headers=regulator).get_json()) == (True, created["id"])
    records = client.get(
        f"/api/v1/entities/{accepted['entity']['identifier']}/records", headers=regulator
    ).get_json()["items"]
    assert [mark(r) for r in records if r["id"] == record["id"]] == [(True, created["id"])]

    extended = took(client, regulator, created["id"], "extend", reason="需原处罚机关核实")
    assert extended["decision_due"] == "2026-12-15" and extended["extended_on"] == "2026-11-25"
    assert_problem(step(client, regulator, created["id"], "extend", reason="再次延期"), 409)
    upheld = took(
        client,
        regulator,
        created["id"],
        "uphold",
        action="correct",
        reason="原决定书载明罚款三万元",
    )
    assert upheld["state"] == "upheld" and upheld["marked"] is False
    assert upheld["correction"]["to"] == "罚款人民币三万元"
    assert upheld["allowed_steps"] == []

    now = client.get(record_url, headers=enterprise).get_json()
    assert now["revision"] == 2 and now["fields"]["CF_NR"] == "罚款人民币三万元"
    assert mark(now) == (False, None)
    assert [r["revision"] for r in now["revisions"]] == [1, 2]

    kinds = {d["kind"]: d for d in upheld["documents"]}
    assert list(kinds) == ["acceptance", "extension", "result"]
    result = kinds["result"]
    html = client.get(f"{BASE}/{created['id']}/documents/{result['id']}", headers=enterprise)
    assert html.status_code == 200 and html.mimetype == "text/html"
    assert "行政复议" in html.get_data(as_text=True)
    assert "style-src 'sha256-" in html.headers["Content-Security-Policy"]
    pdf = client.get(f"{BASE}/{created['id']}/documents/{result['id']}.pdf", headers=regulator)
    assert pdf.status_code == 200 and pdf.get_data().startswith(b"%PDF")
    stranger = auth("enterprise", uscc=create_entity(ctx)["identifier"])
    assert_problem(
        client.get(f"{BASE}/{created['id']}/documents/{result['id']}", headers=stranger), 403
    )
    other = filed(client, enterprise, f"record:{record['id']}", field="CF_NR_FK")
    assert_problem(
        client.get(f"{BASE}/{other['id']}/documents/{result['id']}", headers=enterprise), 404
    )


def test_the_mark_on_the_public_entry_the_feed_and_credit_checks(ctx, client, clock, auth):
    owner, record, case = listed(ctx)
    enterprise = auth("enterprise", uscc=owner["identifier"])
    regulator, checker = auth("regulator"), auth("checker")
    entry_url = f"{LIST}/{case['id']}"
    assert mark(client.get(entry_url).get_json()) == (False, None)
    on_listing = filed(client, enterprise, f"listing:{case['id']}", field="grounds")
    on_record = filed(client, enterprise, f"record:{record['id']}")
    took(client, regulator, on_listing["id"], "accept")
    took(client, regulator, on_record["id"], "accept")

    assert mark(client.get(entry_url).get_json()) == (True, on_listing["id"])
    found = client.get(LIST, query_string={"uscc": owner["identifier"]}).get_json()["items"]
    assert [mark(e) for e in found] == [(True, on_listing["id"])]
    downloaded = client.get(f"{LIST}/export.json").get_json()
    assert [mark(e) for e in downloaded if e["id"] == case["id"]] == [(True, on_listing["id"])]
    cases = client.get(f"/api/v1/dishonesty-cases/{case['id']}", headers=regulator).get_json()
    assert mark(cases) == (True, on_listing["id"])
    feed = client.get(f"{LIST}/changes").get_json()["items"]
    marked = [c for c in feed if c["entry_id"] == case["id"] and c["kind"] == "marked"]
    assert [(c["reason"], c["reason_text"]) for c in marked] == [
        ("objection", "异议已受理，异议处理中")
    ]
    notices = client.get("/list/notices")  # a mark is in the feed, but it is no notice
    assert notices.status_code == 200 and "异议已受理" not in notices.get_data(as_text=True)
    entry = client.get(f"/list/{case['id']}")
    assert "异议处理中" in entry.get_data(as_text=True)

    single = client.get(
        f"{CHECKS}/{owner['identifier']}", query_string={"purpose": "awards"}, headers=checker
    ).get_json()
    assert mark(single["listing"]) == (True, on_listing["id"])
    assert [mark(r) for r in single["dishonest_records"]] == [(True, on_record["id"])]
    other = create_entity(ctx)["identifier"]
    batch = client.post(
        CHECKS,
        json={"purpose": "awards", "identifiers": [other, owner["identifier"]]},
        headers=checker,
    ).get_json()["items"]
    assert batch[0]["listing"] is None and batch[0]["dishonest_records"] == []
    assert mark(batch[1]["listing"]) == (True, on_listing["id"])
    assert [mark(r) for r in batch[1]["dishonest_records"]] == [(True, on_record["id"])]

    took(client, regulator, on_listing["id"], "not_uphold", reason="列入事实清楚")
    took(client, regulator, on_record["id"], "not_uphold", reason="登记无误")
    assert mark(client.get(entry_url).get_json()) == (False, None)
    after = client.get(
        f"{CHECKS}/{owner['identifier']}", query_string={"purpose": "awards"}, headers=checker
    ).get_json()
    assert mark(after["listing"]) == (False, None)
    assert [mark(r) for r in after["dishonest_records"]] == [(False, None)]
    kinds = [c["kind"] for c in client.get(f"{LIST}/changes").get_json()["items"]]
    assert kinds.count("marked") == 1 and kinds.count("unmarked") == 1
    # the marks move nothing on or off the list: the statistics count the publication only
    movements = statistics.list_movements(ctx)
    assert sum(m.added for m in movements.by_month) == 1 and movements.removed == 0
