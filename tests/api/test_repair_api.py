"""Credit repair through HTTP (both databases): eligibility, applications with an
Idempotency-Key, evidence uploads judged by content with their limits (nothing stored
when refused), who may download evidence, the review endpoints, the regulator's queue and
the enterprise's own view."""

from __future__ import annotations

import hashlib
import io
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from credit_service.clock import local_noon
from credit_service.repair.models import RepairApplication, RepairEvidence
from tests import pdfs
from tests.factories import LANGXI, create_entity, file_penalty

D = date.fromisoformat
BASE = "/api/v1/repair-applications"
PDF = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
    b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
)
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64
MIB = 1024 * 1024


# --- helpers ----------------------------------------------------------------------------------


def on(clock, day: date) -> None:
    clock.set(local_noon(day))


def body(target: str) -> dict:
    return {
        "target": target,
        "reason": "已全面纠正失信行为，申请信用修复",
        "measures_taken": "已缴纳全部罚款并下架涉案产品",
        "obligations_performed": True,
        "commitment_version": "2026-1",
        "contact": "李四 13900000000",
    }


@pytest.fixture
def penalised(ctx, auth):  # type: ignore[no-untyped-def]
    """An entity with a general penalty (repairable since 2026-06-16) and its account."""
    owner = create_entity(ctx)
    record = file_penalty(ctx, owner["identifier"])
    return owner, record, auth("enterprise", uscc=owner["identifier"])


def submit(client, headers: dict, target: str, key: str | None = None):  # type: ignore[no-untyped-def]
    extra = {"Idempotency-Key": key} if key else {}
    return client.post(BASE, json=body(target), headers={**headers, **extra})


def submitted(client, headers: dict, target: str) -> dict:  # type: ignore[no-untyped-def]
    response = submit(client, headers, target)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def upload(client, headers: dict, app_id: int, content: bytes, name: str):  # type: ignore[no-untyped-def]
    return client.post(
        f"{BASE}/{app_id}/evidence",
        data={"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
        headers=headers,
    )


def evidence_files(ctx) -> set[str]:
    folder = ctx.settings.data_dir / "evidence"
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


def evidence_rows(ctx, app_id: int) -> int:
    with ctx.session_factory() as session:
        return session.execute(
            select(func.count())
            .select_from(RepairEvidence)
            .where(RepairEvidence.application_id == app_id)
        ).scalar_one()


def applications_of(ctx, target_id: int) -> int:
    with ctx.session_factory() as session:
        return session.execute(
            select(func.count())
            .select_from(RepairApplication)
            .where(RepairApplication.target_id == target_id)
        ).scalar_one()


def step(client, headers: dict, app_id: int, name: str, **data):  # type: ignore[no-untyped-def]
    return client.post(f"{BASE}/{app_id}/review/{name}", json=data, headers=headers)


# --- eligibility and applications -------------------------------------------------------------


def test_eligibility_lists_each_condition_the_materials_and_the_commitment(client, penalised):
    _, record, enterprise = penalised
    response = client.get(
        "/api/v1/repair-eligibility",
        query_string={"target": f"record:{record['id']}"},
        headers=enterprise,
    )
    assert response.status_code == 200, response.get_json()
    result = response.get_json()
    assert result["eligible"] is True and result["earliest"] is None
    states = {c["code"]: (c["state"], c["passes_on"]) for c in result["conditions"]}
    assert states["minimum_period"] == ("met", "2026-06-16")
    assert states["obligations_performed"] == ("to_declare", None)
    assert set(states) == {
        "in_publicity",
        "repairable",
        "minimum_period",
        "obligations_performed",
        "no_new_heavier_penalty",
        "cooldown",
        "no_restriction_running",
    }
    assert "信用承诺书" in result["materials"]
    assert result["commitment"]["version"] == "2026-1"

    bad = client.get(
        "/api/v1/repair-eligibility", query_string={"target": "record:abc"}, headers=enterprise
    )
    assert bad.status_code == 422 and "target" in bad.get_json()["errors"]
    anonymous = client.get(
        "/api/v1/repair-eligibility", query_string={"target": f"record:{record['id']}"}
    )
    assert anonymous.status_code == 401


def test_eligibility_of_another_entitys_record_is_refused(ctx, client, auth, penalised):
    _, record, _ = penalised
    stranger = auth("enterprise", uscc=create_entity(ctx)["identifier"])
    response = client.get(
        "/api/v1/repair-eligibility",
        query_string={"target": f"record:{record['id']}"},
        headers=stranger,
    )
    assert response.status_code in (403, 404)
    assert submit(client, stranger, f"record:{record['id']}").status_code in (403, 404)


def test_an_application_with_an_idempotency_key_is_made_once(ctx, client, penalised):
    _, record, enterprise = penalised
    target = f"record:{record['id']}"
    first = submit(client, enterprise, target, key="double-click-1")
    assert first.status_code == 201, first.get_json()
    created = first.get_json()
    assert created["state"] == "submitted" and created["target"] == target
    assert created["acceptance_due"] == "2026-11-30"
    assert created["commitment_version"] == "2026-1" and created["commitment_text"]
    assert created["committed_at"]

    again = submit(client, enterprise, target, key="double-click-1")
    assert again.status_code == 200
    assert again.get_json()["id"] == created["id"]
    assert applications_of(ctx, record["id"]) == 1

    conflict = submit(client, enterprise, target, key="another-key")
    assert conflict.status_code == 409
    problem = conflict.get_json()
    assert problem["code"] == "application-open"
    assert problem["application_id"] == created["id"]
    assert conflict.mimetype == "application/problem+json"

    too_long = submit(client, enterprise, target, key="k" * 101)
    assert too_long.status_code == 422 and "Idempotency-Key" in too_long.get_json()["errors"]


def test_an_ineligible_application_is_422_with_the_earliest_date(ctx, client, clock, auth):
    owner = create_entity(ctx)
    record = file_penalty(ctx, owner["identifier"], CF_JDRQ="2026-09-10")
    enterprise = auth("enterprise", uscc=owner["identifier"])
    response = submit(client, enterprise, f"record:{record['id']}")
    assert response.status_code == 422
    problem = response.get_json()
    assert problem["code"] == "not-eligible"
    assert problem["errors"]["target"] == [
        {"code": "minimum-period-running", "passes_on": "2026-12-11"}
    ]
    assert problem["earliest"] == "2026-12-11"
    assert applications_of(ctx, record["id"]) == 0


def test_a_penalty_with_closure_cannot_be_repaired_early(ctx, client, auth):
    """D8: an order to close (责令关闭) is among the penalties whose publicity cannot stop
    early, as suspension, restriction, grade lowering and licence revocation are."""
    owner = create_entity(ctx)
    record = file_penalty(
        ctx, owner["identifier"], CF_CFLB=["罚款", "责令关闭"], CF_JDRQ="2025-06-01"
    )
    enterprise = auth("enterprise", uscc=owner["identifier"])
    response = submit(client, enterprise, f"record:{record['id']}")
    assert response.status_code == 422, response.get_json()
    assert response.get_json()["code"] == "not-eligible"
    assert applications_of(ctx, record["id"]) == 0
    assert record["early_stop_allowed"] is False and record["repair_from"] is None


def test_only_an_enterprise_applies(client, auth, penalised):
    _, record, _ = penalised
    response = submit(client, auth("regulator"), f"record:{record['id']}")
    assert response.status_code == 403
    assert submit(client, {}, f"record:{record['id']}").status_code == 401


# --- evidence -----------------------------------------------------------------------------------


def test_evidence_is_judged_by_content_and_stored_under_a_generated_name(ctx, client, penalised):
    _, record, enterprise = penalised
    app = submitted(client, enterprise, f"record:{record['id']}")

    response = upload(client, enterprise, app["id"], PDF, "证明材料.pdf")
    assert response.status_code == 201, response.get_json()
    evidence = response.get_json()
    assert evidence["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert evidence["content_type"] == "application/pdf" and evidence["size"] == len(PDF)
    assert evidence["original_name"] == "证明材料.pdf"
    (stored,) = evidence_files(ctx)
    assert stored != "证明材料.pdf" and "." not in stored and len(stored) >= 32
    assert (ctx.settings.data_dir / "evidence" / stored).read_bytes() == PDF

    nameless = upload(client, enterprise, app["id"], PDF + b"%2", "缴款凭证")
    assert nameless.status_code == 201  # no extension: the content alone decides
    assert nameless.get_json()["content_type"] == "application/pdf"
    image = upload(client, enterprise, app["id"], PNG, "SCAN.PNG")
    assert image.status_code == 201 and image.get_json()["content_type"] == "image/png"
    assert len(evidence_files(ctx)) == 3 and evidence_rows(ctx, app["id"]) == 3

    shown = client.get(f"{BASE}/{app['id']}", headers=enterprise).get_json()
    names = [e["original_name"] for e in shown["evidence"]]
    assert names == ["证明材料.pdf", "缴款凭证", "SCAN.PNG"]
    assert all(stored not in str(e) for e in shown["evidence"])


@pytest.mark.parametrize(
    ("content", "name", "codes", "slug", "expected"),
    [
        (EXE, "x.pdf", (422,), "file-type", None),
        (PDF, "x.exe", (422,), "file-name-mismatch", ".pdf"),
        (PDF, "scan.png", (422,), "file-name-mismatch", ".pdf"),
        (PNG, "scan.pdf.jpg", (422,), "file-name-mismatch", ".png"),
        (b"<html><script>alert(1)</script>", "page.pdf", (422,), "file-type", None),
        (b"", "empty.pdf", (422,), "file-type", None),
        (PDF, "../../evil.pdf", (422,), "bad-file-name", None),
        (PDF, "..\\..\\evil.pdf", (422,), "bad-file-name", None),
        (PDF, "evil\x01.pdf", (422,), "bad-file-name", None),
        (b"%PDF-1.4\n" + b"0" * (11 * MIB), "big.pdf", (413, 422), None, None),
    ],
    ids=[
        "exe",
        "pdf-named-exe",
        "pdf-named-png",
        "png-named-jpg",
        "html",
        "empty",
        "traversal",
        "backslashes",
        "control",
        "11MiB",
    ],
)
def test_a_refused_file_stores_nothing(
    ctx, client, penalised, content, name, codes, slug, expected
):
    _, record, enterprise = penalised
    app = submitted(client, enterprise, f"record:{record['id']}")
    before = evidence_files(ctx)

    response = upload(client, enterprise, app["id"], content, name)

    assert response.status_code in codes
    assert response.mimetype == "application/problem+json"
    if slug:
        assert response.get_json()["code"] == slug
    if slug == "file-name-mismatch":
        (error,) = response.get_json()["errors"]["file"]
        assert error["code"] == "extension-mismatch"
        assert (error["extension"], error["expected"]) == (f".{name.rsplit('.')[-1]}", expected)
    assert evidence_rows(ctx, app["id"]) == 0
    assert evidence_files(ctx) == before


@pytest.mark.parametrize(
    ("content", "code", "problem"),
    [
        (pdfs.SCRIPT_ON_OPEN, "pdf-active-content",
         {"code": "pdf-active-name", "name": "/JavaScript"}),
        (pdfs.ESCAPED_SCRIPT, "pdf-active-content",
         {"code": "pdf-active-name", "name": "/JavaScript"}),
        (pdfs.SCRIPT_IN_OBJECT_STREAM, "pdf-active-content",
         {"code": "pdf-active-name", "name": "/JavaScript"}),
        (pdfs.pdf(pdfs.CATALOG, b"<< /N 1 /First 4 /Filter /LZWDecode >>\nstream\nx\nendstream"),
         "pdf-unreadable", {"code": "pdf-filter-unsupported", "filter": "/LZWDecode"}),
    ],
    ids=["open-action", "escaped-names", "object-stream", "unreadable"],
)  # fmt: skip
def test_a_pdf_with_active_content_is_refused_on_its_file_field(
    ctx, client, penalised, content, code, problem
):
    _, record, enterprise = penalised
    app = submitted(client, enterprise, f"record:{record['id']}")
    before = evidence_files(ctx)

    response = upload(client, enterprise, app["id"], content, "证明.pdf")

    assert response.status_code == 422, response.get_json()
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["code"] == code
    assert body["errors"]["file"] == [problem]
    assert evidence_rows(ctx, app["id"]) == 0
    assert evidence_files(ctx) == before


def test_a_pdf_that_opens_at_a_page_is_accepted(client, penalised):
    _, record, enterprise = penalised
    app = submitted(client, enterprise, f"record:{record['id']}")
    for content in (pdfs.CLEAN, pdfs.OPENS_AT_A_PAGE):
        response = upload(client, enterprise, app["id"], content, "证明.pdf")
        assert response.status_code == 201, response.get_json()


def test_a_file_of_exactly_the_limit_is_accepted(ctx, client, penalised):
    _, record, enterprise = penalised
    app = submitted(client, enterprise, f"record:{record['id']}")
    content = b"%PDF-1.7\n" + b"0" * (ctx.repair_rules.max_bytes - 9)
    assert len(content) == 10 * MIB
    response = upload(client, enterprise, app["id"], content, "limit.pdf")
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["size"] == 10 * MIB
    one_more = upload(client, enterprise, app["id"], content + b"0", "over.pdf")
    assert one_more.status_code in (413, 422)
    assert evidence_rows(ctx, app["id"]) == 1


def test_at_most_ten_files(ctx, client, penalised):
    _, record, enterprise = penalised
    app = submitted(client, enterprise, f"record:{record['id']}")
    for n in range(10):
        assert upload(client, enterprise, app["id"], PDF, f"材料{n}.pdf").status_code == 201
    before = evidence_files(ctx)
    eleventh = upload(client, enterprise, app["id"], PDF, "材料10.pdf")
    assert eleventh.status_code == 422
    assert eleventh.get_json()["code"] == "too-many-files"
    assert evidence_rows(ctx, app["id"]) == 10
    assert evidence_files(ctx) == before


def test_upload_needs_the_file_part_and_the_applicant(ctx, client, auth, penalised):
    owner, record, enterprise = penalised
    app = submitted(client, enterprise, f"record:{record['id']}")
    missing = client.post(
        f"{BASE}/{app['id']}/evidence",
        data={"other": (io.BytesIO(PDF), "x.pdf")},
        content_type="multipart/form-data",
        headers=enterprise,
    )
    assert missing.status_code == 422 and "file" in missing.get_json()["errors"]
    stranger = auth("enterprise", uscc=create_entity(ctx)["identifier"])
    assert upload(client, stranger, app["id"], PDF, "x.pdf").status_code in (403, 404)
    colleague = auth("enterprise", uscc=owner["identifier"])  # same entity, not the applicant
    assert upload(client, colleague, app["id"], PDF, "x.pdf").status_code == 403
    assert upload(client, auth("regulator"), app["id"], PDF, "x.pdf").status_code == 403
    assert evidence_rows(ctx, app["id"]) == 0


def test_evidence_is_downloadable_only_by_the_applicant_and_the_reviewers(
    ctx, client, auth, penalised
):
    owner, record, enterprise = penalised
    app = submitted(client, enterprise, f"record:{record['id']}")
    evidence = upload(client, enterprise, app["id"], PDF, "证明材料.pdf").get_json()
    url = f"{BASE}/{app['id']}/evidence/{evidence['id']}"

    mine = client.get(url, headers=enterprise)
    assert mine.status_code == 200
    assert mine.data == PDF and mine.mimetype == "application/pdf"
    assert mine.headers["Content-Disposition"].startswith("attachment")
    assert mine.headers["X-Content-Type-Options"] == "nosniff"
    reviewer = client.get(url, headers=auth("regulator"))
    assert reviewer.status_code == 200 and reviewer.data == PDF

    stranger = auth("enterprise", uscc=create_entity(ctx)["identifier"])
    assert client.get(url, headers=stranger).status_code in (403, 404)
    colleague = auth("enterprise", uscc=owner["identifier"])
    assert client.get(url, headers=colleague).status_code in (403, 404)
    assert client.get(url, headers=auth("regulator", region=LANGXI)).status_code == 403
    assert client.get(url, headers=auth("viewer")).status_code == 403  # reads, does not review
    assert client.get(url).status_code == 401
    assert (
        client.get(f"{BASE}/{app['id']}/evidence/999999999", headers=enterprise).status_code == 404
    )


def test_no_public_route_serves_evidence(ctx, client, penalised):
    _, record, enterprise = penalised
    app = submitted(client, enterprise, f"record:{record['id']}")
    upload(client, enterprise, app["id"], PDF, "证明材料.pdf")
    (stored,) = evidence_files(ctx)
    folder = (ctx.settings.data_dir / "evidence").resolve()
    assert not folder.is_relative_to(Path(client.application.static_folder).resolve())
    for path in (
        f"/static/{stored}",
        f"/static/evidence/{stored}",
        f"/static/../data/evidence/{stored}",
        f"/evidence/{stored}",
        f"/data/evidence/{stored}",
        f"/list/{stored}",
    ):
        response = client.get(path)
        assert response.status_code in (401, 404), path
        assert PDF not in response.data
    page = client.get("/list")
    assert page.status_code == 200
    assert stored.encode() not in page.data and "证明材料".encode() not in page.data
    assert client.get(f"{BASE}/{app['id']}").status_code == 401


# --- review, queue, views -----------------------------------------------------------------------


def test_review_through_http(ctx, client, auth, penalised):
    _, record, enterprise = penalised
    app = submitted(client, enterprise, f"record:{record['id']}")
    regulator = auth("regulator")

    forbidden = step(client, enterprise, app["id"], "accept")
    assert forbidden.status_code == 403
    assert forbidden.get_json()["code"] == "role-forbidden"
    assert step(client, auth("viewer"), app["id"], "accept").status_code == 403
    assert step(client, auth("regulator", region=LANGXI), app["id"], "accept").status_code == 403

    accepted = step(client, regulator, app["id"], "accept", expected_version=1)
    assert accepted.status_code == 200, accepted.get_json()
    assert accepted.get_json()["state"] == "accepted"
    assert accepted.get_json()["decision_due"] == "2026-12-09"

    stale = step(client, regulator, app["id"], "grant", reason="准予修复", expected_version=1)
    assert stale.status_code == 409
    assert stale.get_json()["code"] == "application-changed"
    assert stale.get_json()["version"] == 2
    no_reason = step(client, regulator, app["id"], "refuse")
    assert no_reason.status_code == 422 and "reason" in no_reason.get_json()["errors"]
    assert step(client, regulator, app["id"], "approve").status_code == 404

    granted = step(client, regulator, app["id"], "grant", reason="准予修复", expected_version=2)
    assert granted.status_code == 200
    assert granted.get_json()["state"] == "granted"
    shown = client.get(f"/api/v1/records/{record['id']}", headers=regulator).get_json()
    assert shown["status"] == "repaired"


def test_supplement_through_http(ctx, client, clock, auth, penalised):
    _, record, enterprise = penalised
    app = submitted(client, enterprise, f"record:{record['id']}")
    regulator = auth("regulator")
    step(client, regulator, app["id"], "accept")
    on(clock, D("2026-11-30"))
    paused = step(client, regulator, app["id"], "request_supplement", reason="请补充缴款凭证")
    assert paused.status_code == 200
    assert (paused.get_json()["paused_remaining"], paused.get_json()["current_due"]) == (7, None)
    url = f"{BASE}/{app['id']}/supplement-received"
    assert client.post(url, headers=regulator).status_code == 403
    on(clock, D("2026-12-11"))
    resumed = client.post(url, headers=enterprise)
    assert resumed.status_code == 200, resumed.get_json()
    assert resumed.get_json()["current_due"] == "2026-12-22"
    assert client.post(url, headers=enterprise).status_code == 409


def test_the_queue_is_sorted_by_the_nearest_deadline(ctx, client, clock, auth):
    regulator = auth("regulator")
    ids = []
    for day in ("2026-11-27", "2026-11-25", "2026-11-26"):
        on(clock, D(day))
        owner = create_entity(ctx)
        record = file_penalty(ctx, owner["identifier"])
        enterprise = auth("enterprise", uscc=owner["identifier"])
        ids.append(submitted(client, enterprise, f"record:{record['id']}")["id"])
    later, earliest, middle = ids

    on(clock, D("2026-12-01"))
    response = client.get(BASE, headers=regulator)
    assert response.status_code == 200
    queue = [a for a in response.get_json() if a["id"] in ids]
    assert [a["id"] for a in queue] == [earliest, middle, later]
    assert [a["current_due"] for a in queue] == ["2026-11-30", "2026-12-01", "2026-12-02"]
    assert [(a["overdue"], a["due_today"], a["due_soon"]) for a in queue] == [
        (True, False, False),
        (False, True, True),
        (False, False, True),
    ]
    county = client.get(BASE, headers=auth("regulator", region=LANGXI)).get_json()
    assert not {a["id"] for a in county} & set(ids)


def test_the_enterprise_sees_its_applications_with_deadlines_and_reasons(
    ctx, client, auth, penalised
):
    _, record, enterprise = penalised
    app = submitted(client, enterprise, f"record:{record['id']}")
    regulator = auth("regulator")
    why = "申请材料与处罚决定书载明的当事人不一致"
    assert step(client, regulator, app["id"], "not_accept", reason=why).status_code == 200

    mine = client.get(BASE, headers=enterprise)
    assert mine.status_code == 200
    (shown,) = mine.get_json()
    assert shown["id"] == app["id"] and shown["state"] == "not_accepted"
    assert shown["acceptance_due"] == "2026-11-30"
    assert shown["decision_reasons"] == why and shown["decided_on"] == "2026-11-25"
    detail = client.get(f"{BASE}/{app['id']}", headers=enterprise).get_json()
    assert [s["step"] for s in detail["steps"]] == ["submit", "not_accept"]
    assert detail["steps"][-1]["reason"] == why

    other = auth("enterprise", uscc=create_entity(ctx)["identifier"])
    assert client.get(BASE, headers=other).get_json() == []
    assert client.get(f"{BASE}/{app['id']}", headers=other).status_code in (403, 404)
