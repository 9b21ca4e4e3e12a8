"""Credit reports (D21): who may request one, what it states, its signature, key
rotation, an altered byte, and the holder's comparison with today."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from credit_service.web import create_app
from tests.factories import LANGXI, create_entity, file_penalty

PROBLEM = "application/problem+json"
URL = "/api/v1/credit-reports"


def _issue(client, headers, **body):  # type: ignore[no-untyped-def]
    return client.post(URL, json=body, headers=headers)


@pytest.fixture
def owner(ctx):  # type: ignore[no-untyped-def]
    entity = create_entity(ctx)
    file_penalty(ctx, entity["identifier"])
    return entity


def test_enterprise_issues_its_own_report(client, auth, owner):  # type: ignore[no-untyped-def]
    headers = auth("enterprise", uscc=owner["identifier"])
    response = _issue(client, headers)
    assert response.status_code == 201, response.json
    report = response.json
    assert report["number"].startswith("XCXY-2026-")
    assert report["requester_kind"] == "subject"
    assert len(report["holder_code"]) == 8
    content = report["content"]
    assert content["entity"]["identifier"] == owner["identifier"]
    assert content["records"][0]["item_name"] and content["records"][0]["legal_basis"]
    assert "tier" not in str(content).lower()
    again = client.get(f"{URL}/{report['number']}", headers=headers)
    assert again.status_code == 200 and again.json["content"] == content
    pdf = client.get(f"{URL}/{report['number']}.pdf", headers=headers)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"


def test_enterprise_may_not_report_on_another(client, auth, owner, ctx):  # type: ignore[no-untyped-def]
    other = create_entity(ctx)
    response = _issue(
        client, auth("enterprise", uscc=owner["identifier"]), identifier=other["identifier"]
    )
    assert response.status_code == 403 and response.mimetype == PROBLEM


@pytest.mark.parametrize("role", ["checker", "regulator", "viewer"])
def test_checkers_issue_for_a_purpose(client, auth, owner, role):  # type: ignore[no-untyped-def]
    headers = auth(role)
    refused = _issue(client, headers, identifier=owner["identifier"])
    assert refused.status_code == 422 and refused.mimetype == PROBLEM
    response = _issue(
        client, headers, identifier=owner["identifier"], purpose="government_procurement"
    )
    assert response.status_code == 201, response.json
    assert response.json["requester_kind"] == "checker"
    assert response.json["content"]["purpose_name"] == "政府采购"


@pytest.mark.parametrize("role", ["admin", "auditor", "sync"])
def test_other_roles_are_refused(client, auth, owner, role):  # type: ignore[no-untyped-def]
    response = _issue(client, auth(role), identifier=owner["identifier"], purpose="awards")
    assert response.status_code == 403 and response.mimetype == PROBLEM


def test_anonymous_is_refused(client, owner):  # type: ignore[no-untyped-def]
    assert _issue(client, {}, identifier=owner["identifier"], purpose="awards").status_code == 401


def verification(number: str) -> str:
    return f"/api/v1/public/credit-reports/{number}/verification"


@pytest.fixture
def issued(client, auth, owner):  # type: ignore[no-untyped-def]
    headers = auth("enterprise", uscc=owner["identifier"])
    return headers, _issue(client, headers).json


def test_anyone_verifies_a_number_and_the_holder_sees_the_changes(client, issued, ctx, owner):  # type: ignore[no-untyped-def]
    _, report = issued
    plain = client.get(verification(report["number"]))
    assert plain.status_code == 200 and plain.json["authentic"] is True
    assert plain.json["changes"] is None and "content" not in plain.json
    assert owner["name"] not in plain.get_data(as_text=True)
    wrong = client.get(verification(report["number"]), query_string={"code": "AAAAAAAA"})
    assert wrong.json["code_accepted"] is False and wrong.json["changes"] is None
    held = client.get(verification(report["number"]), query_string={"code": report["holder_code"]})
    assert held.json["code_accepted"] is True and held.json["unchanged"] is True
    record = file_penalty(ctx, owner["identifier"])
    changed = client.get(
        verification(report["number"]), query_string={"code": report["holder_code"]}
    )
    assert changed.json["unchanged"] is False
    assert [(c["kind"], c["ref"]) for c in changed.json["changes"]] == [
        ("record_added", record["source_ref"])
    ]
    missing = client.get(verification("XCXY-2026-999999"))
    assert missing.status_code == 404 and missing.mimetype == PROBLEM


def test_the_requester_and_officers_of_the_region_read_a_report(client, auth, issued, ctx):  # type: ignore[no-untyped-def]
    _, report = issued
    url = f"{URL}/{report['number']}"
    for headers in (auth("regulator"), auth("viewer"), auth("admin")):
        response = client.get(url, headers=headers)
        assert response.status_code == 200 and response.json["holder_code"] is None
    for headers in (
        auth("regulator", region=LANGXI),
        auth("checker"),
        auth("enterprise", uscc=create_entity(ctx)["identifier"]),
    ):
        response = client.get(url, headers=headers)
        assert response.status_code == 404 and response.mimetype == PROBLEM


def test_the_pdf_holds_the_number_chinese_words_and_a_qr_code(client, issued):  # type: ignore[no-untyped-def]
    headers, report = issued
    response = client.get(f"{URL}/{report['number']}.pdf", headers=headers)
    reader = PdfReader(io.BytesIO(response.data))
    words = "".join(page.extract_text() for page in reader.pages)
    assert report["number"] in words and report["holder_code"] in words
    assert "知识产权信用报告" in words and "公示期内的失信信息" in words
    assert report["key_id"] in words
    # the QR code: a grid of filled squares (hundreds of rectangles) on the first page
    stream = reader.pages[0].get_contents().get_data().decode("latin-1")
    assert len(re.findall(r" re\b", stream)) > 200


def test_the_verify_page_shows_authentic_and_with_the_code_unchanged(client, issued):  # type: ignore[no-untyped-def]
    _, report = issued
    page = client.get(f"/verify/{report['number']}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "真实有效" in html
    token = re.search(r'name="csrf_token" value="([^"]*)"', html).group(1)
    shown = client.post(
        f"/verify/{report['number']}", data={"csrf_token": token, "code": report["holder_code"]}
    )
    assert "真实有效，内容未变化" in shown.get_data(as_text=True)
    wrong = client.post(f"/verify/{report['number']}", data={"csrf_token": token, "code": "X"})
    assert "核验码不正确" in wrong.get_data(as_text=True)
    assert client.get("/verify/XCXY-2026-999999").status_code == 404


def test_the_public_verification_is_rate_limited(ctx, issued):  # type: ignore[no-untyped-def]
    _, report = issued
    ctx.settings = ctx.settings.replace(ratelimit_public="2 per minute")
    application = create_app(context=ctx)
    application.testing = True
    limited = application.test_client()
    answers = [limited.get(verification(report["number"])).status_code for _ in range(3)]
    assert answers == [200, 200, 429]


def test_issuance_counts_by_month_on_the_public_statistics(client, issued):  # type: ignore[no-untyped-def]
    html = client.get("/statistics").get_data(as_text=True)
    assert 'href="/statistics/report-monthly.csv"' in html and "信用报告出具情况" in html
    body = client.get("/statistics/report-monthly.json").json
    assert {"key": "2026-11", "issued": 1} in body["rows"]
    csv = client.get("/statistics/report-monthly.csv").get_data(as_text=True)
    assert csv.startswith("\ufeff") and "出具报告数" in csv


def test_the_console_page_issues_a_report_for_a_purpose(client, auth, owner):  # type: ignore[no-untyped-def]
    headers = {**auth("checker"), "Accept": "text/html"}
    form = {"identifier": owner["identifier"], "purpose": ""}
    refused = client.post("/console/credit-reports", data=form, headers=headers)
    assert refused.status_code == 422
    assert "核查单位申请信用报告须说明查询用途" in refused.get_data(as_text=True)
    done = client.post(
        "/console/credit-reports", data={**form, "purpose": "awards"}, headers=headers
    )
    assert done.status_code == 303
    html = client.get(done.headers["Location"], headers=headers).get_data(as_text=True)
    number = re.search(r"XCXY-2026-\d{6}", html).group(0)
    assert "核验码" in html and owner["name"] in html
    pdf = client.get(f"/console/credit-reports/{number}.pdf", headers=headers)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
