"""Credit checks for other departments through the Flask test client (both databases): a
listed entity per purpose, CNIPA findings and their measures term (D9), unknown purposes
and entities, batches with per-item results, the audit of every check, and who may ask."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from credit_service.access import SYSTEM, Actor
from credit_service.audit.models import AuditEvent
from credit_service.clock import local_noon
from credit_service.dishonesty import services
from credit_service.identifiers import patent_check_char
from credit_service.records import services as record_services
from tests.factories import (
    CITY,
    LANGXI,
    XUANZHOU,
    create_entity,
    create_person,
    file_penalty,
    step_papers,
)

CHECKS = "/api/v1/credit-checks"
HEAVIER = ["罚款", "责令停产停业"]
REGULATOR = Actor(role="regulator", username="r-checks", region_code=CITY, city_code=CITY)
FINDING_ITEM = "PAT-DIS-ABNORMAL-APPLICATION"
PATENT_DIGITS = "202310123456"
PATENT_NO = f"{PATENT_DIGITS}.{patent_check_char(PATENT_DIGITS)}"

# What a published listing means for each purpose (measures.yaml, dishonesty.yaml measures).
LISTED = {
    "government_procurement": ("not_eligible", {"list_procurement_restriction"}),
    "awards": ("not_eligible", {"list_no_honours"}),
    "fiscal_funding": ("strict_review", {"list_fiscal_strict_review"}),
    "licensing": ("strict_review", {"list_licensing_strict_review"}),
    "fee_reduction": ("no_restriction", set()),
    "priority_examination": ("no_restriction", set()),
    "demo_enterprise_selection": ("no_restriction", set()),
}
# What an active CNIPA abnormal-application finding means for each purpose.
FINDING = {
    "fiscal_funding": ("strict_review", {"strict_review_fiscal_projects"}),
    "fee_reduction": ("strict_review", {"strict_review_fee_reduction"}),
    "priority_examination": ("strict_review", {"strict_review_priority_exam"}),
    "awards": ("not_eligible", {"no_awards"}),
    "demo_enterprise_selection": ("not_eligible", {"no_demo_enterprise"}),
    "government_procurement": ("no_restriction", set()),
    "licensing": ("no_restriction", set()),
}


# --- helpers ----------------------------------------------------------------------------------


def listed_entity(ctx, **overrides) -> tuple[dict, dict]:
    """An entity on the published list (proposed, served, waived, decided, published today)."""
    owner = create_entity(ctx, **overrides)
    return owner, publish_listing(
        ctx, owner, file_penalty(ctx, owner["identifier"], CF_CFLB=HEAVIER)
    )


def publish_listing(ctx, owner: dict, record: dict) -> dict:
    case = services.propose(
        ctx, REGULATOR, entity=owner["identifier"], record_ids=[record["id"]], reason="依法拟列入"
    )
    for step in ("serve_notice", "waive", "decide_list", "publish"):
        case = services.advance(ctx, REGULATOR, case["id"], step, **step_papers(step))
    return case


def file_finding(ctx, owner: dict, decided_on: date, n: int = 1) -> dict:
    view, _ = record_services.file_record(
        ctx,
        SYSTEM,
        entity=owner["identifier"],
        item_code=FINDING_ITEM,
        fields={
            "document_no": f"国知认〔{decided_on.year}〕{owner['id']}-{n}号",
            "decision_date": decided_on.isoformat(),
            "authority_code": "国家知识产权局",
            "conduct_facts": "批量提交非正常专利申请",
            "basis_text": "国知发保字〔2022〕8号第六条",
            "application_numbers": [PATENT_NO],
        },
    )
    return view


def check(client, headers, identifier: str, purpose: str):  # type: ignore[no-untyped-def]
    return client.get(f"{CHECKS}/{identifier}", query_string={"purpose": purpose}, headers=headers)


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return response.get_json()


def audited_checks(ctx) -> list[AuditEvent]:
    with ctx.session_factory() as session:
        return list(
            session.execute(
                select(AuditEvent)
                .where(AuditEvent.action == "credit.check")
                .order_by(AuditEvent.seq)
            ).scalars()
        )


@pytest.fixture
def checker(auth):  # type: ignore[no-untyped-def]
    return auth("checker")


@pytest.fixture
def listed(ctx):  # type: ignore[no-untyped-def]
    return listed_entity(ctx)


# --- a listed entity, per purpose -----------------------------------------------------------


@pytest.mark.parametrize("purpose", list(LISTED))
def test_a_listed_entity_for_each_purpose(client, checker, listed, purpose):
    owner, case = listed
    body = ok(check(client, checker, owner["identifier"], purpose))
    conclusion, codes = LISTED[purpose]
    assert body["found"] is True and body["listed"] is True
    assert body["purpose"] == purpose and body["purpose_name"]
    assert body["checked_on"] == "2026-11-25"
    assert body["entity"]["identifier"] == owner["identifier"]
    assert body["listing"]["decision_no"] == case["decision_no"]
    assert body["listing"]["term_ends_on"] == "2029-11-25"
    assert body["listing"]["grounds"] == ["intentional_infringement"]
    assert [r["item_code"] for r in body["dishonest_records"]] == ["PAT-PEN-COUNTERFEIT"]
    assert body["conclusion"] == conclusion
    assert {m["code"] for m in body["measures"]} == codes
    for measure in body["measures"]:
        assert measure["effect"] == conclusion
        assert measure["until"] == "2029-11-25"
        assert measure["name"] and "《" in measure["basis"]
        assert case["decision_no"] in measure["source"]


def test_government_procurement_and_fiscal_funding(client, checker, listed):
    owner, _ = listed
    procurement = ok(check(client, checker, owner["identifier"], "government_procurement"))
    fiscal = ok(check(client, checker, owner["identifier"], "fiscal_funding"))
    assert procurement["conclusion"] == "not_eligible"
    assert fiscal["conclusion"] == "strict_review"


def test_a_clean_entity_has_no_restriction(ctx, client, checker):
    clean = create_entity(ctx)
    for purpose in LISTED:
        body = ok(check(client, checker, clean["identifier"], purpose))
        assert body["found"] is True and body["listed"] is False
        assert body["listing"] is None
        assert body["dishonest_records"] == [] and body["measures"] == []
        assert body["conclusion"] == "no_restriction"


def test_an_ordinary_fine_is_a_dishonest_record_without_measures(ctx, client, checker):
    fined = create_entity(ctx)
    file_penalty(ctx, fined["identifier"])
    body = ok(check(client, checker, fined["identifier"], "government_procurement"))
    assert body["listed"] is False
    assert len(body["dishonest_records"]) == 1
    assert body["conclusion"] == "no_restriction"


def test_a_removed_listing_no_longer_restricts(ctx, client, checker, listed):
    owner, case = listed
    record_services.revoke_record(ctx, SYSTEM, case["record_ids"][0], reason="复议撤销原处罚决定")
    body = ok(check(client, checker, owner["identifier"], "government_procurement"))
    assert body["listed"] is False and body["conclusion"] == "no_restriction"
    assert body["dishonest_records"] == []


def test_an_entity_listed_again_shows_its_case_in_force_and_each_record_once(
    ctx, client, checker, listed
):
    """Two cases, the first removed, and three records (one revoked): the check reads them
    in one query, a row per case and record, and reports each record once, in filing order."""
    owner, first = listed
    record_services.revoke_record(ctx, SYSTEM, first["record_ids"][0], reason="复议撤销原处罚决定")
    records = [file_penalty(ctx, owner["identifier"], CF_CFLB=HEAVIER) for _ in range(2)]
    again = publish_listing(ctx, owner, records[1])

    body = ok(check(client, checker, owner["identifier"], "government_procurement"))

    assert body["listed"] is True and body["conclusion"] == "not_eligible"
    assert body["listing"]["decision_no"] == again["decision_no"] != first["decision_no"]
    assert [r["source_ref"] for r in body["dishonest_records"]] == [
        r["source_ref"] for r in records
    ]


def test_a_natural_person_is_checked_with_masked_identity(ctx, client, checker):
    person = create_person(ctx, name="欧阳明华")
    body = ok(check(client, checker, person["identifier"], "awards"))
    assert body["entity"]["name"] == "欧阳**"
    assert body["entity"]["identifier"] != person["identifier"]
    assert "*" in body["entity"]["identifier"]


# --- CNIPA findings: the measures term (D9) ---------------------------------------------------


@pytest.mark.parametrize("purpose", list(FINDING))
def test_an_active_cnipa_finding_for_each_purpose(ctx, client, checker, purpose):
    owner = create_entity(ctx)
    file_finding(ctx, owner, date(2026, 3, 1))
    body = ok(check(client, checker, owner["identifier"], purpose))
    conclusion, codes = FINDING[purpose]
    assert body["listed"] is False
    assert [r["item_code"] for r in body["dishonest_records"]] == [FINDING_ITEM]
    assert body["conclusion"] == conclusion
    assert {m["code"] for m in body["measures"]} == codes
    # one year from identification
    assert {m["until"] for m in body["measures"]} <= {"2027-03-01"}


def test_a_second_finding_within_the_term_extends_it(ctx, client, checker):
    owner = create_entity(ctx)
    file_finding(ctx, owner, date(2026, 3, 1), 1)
    file_finding(ctx, owner, date(2026, 9, 1), 2)
    body = ok(check(client, checker, owner["identifier"], "fee_reduction"))
    assert body["conclusion"] == "strict_review"
    assert len(body["dishonest_records"]) == 2
    assert {m["until"] for m in body["measures"]} == {"2027-09-01"}


def test_a_chain_of_findings_is_capped_at_three_years_from_the_first(ctx, client, checker):
    """Each finding falls inside the term the one before set, so the chain never breaks;
    only the last is still in publicity, but the cap counts from the first (2024-01-10)."""
    owner = create_entity(ctx)
    for n, day in enumerate(
        (date(2024, 1, 10), date(2024, 12, 10), date(2025, 11, 10), date(2026, 10, 10)), 1
    ):
        file_finding(ctx, owner, day, n)
    body = ok(check(client, checker, owner["identifier"], "awards"))
    assert [r["decision_date"] for r in body["dishonest_records"]] == ["2026-10-10"]
    assert body["conclusion"] == "not_eligible"
    assert {m["until"] for m in body["measures"]} == {"2027-01-10"}


def test_a_finding_after_the_term_ended_starts_a_new_term(ctx, client, checker):
    owner = create_entity(ctx)
    file_finding(ctx, owner, date(2024, 1, 10), 1)
    file_finding(ctx, owner, date(2026, 10, 10), 2)
    body = ok(check(client, checker, owner["identifier"], "awards"))
    assert {m["until"] for m in body["measures"]} == {"2027-10-10"}


def test_measures_end_with_their_term(ctx, clock, client, auth):
    owner = create_entity(ctx)
    file_finding(ctx, owner, date(2026, 3, 1))
    clock.set(local_noon(date(2027, 3, 1)))  # the last day: tokens made now, not expired
    last_day = ok(check(client, auth("checker"), owner["identifier"], "awards"))
    assert last_day["conclusion"] == "not_eligible"
    clock.set(local_noon(date(2027, 3, 2)))
    body = ok(check(client, auth("checker"), owner["identifier"], "awards"))
    assert body["conclusion"] == "no_restriction" and body["measures"] == []


# --- refusals -------------------------------------------------------------------------------


def test_an_unknown_purpose_is_422(client, checker, listed):
    owner, _ = listed
    response = check(client, checker, owner["identifier"], "mortgage")
    assert response.status_code == 422
    body = response.get_json()
    assert body["code"] == "purpose-unknown"
    (error,) = body["errors"]["purpose"]
    assert error.startswith("应为以下之一：") and "awards" in error  # the choices, in words
    missing = client.get(f"{CHECKS}/{owner['identifier']}", headers=checker)
    assert missing.status_code == 422


def test_an_unknown_entity_is_404(client, checker):
    assert check(client, checker, "91341802MA0000000X", "awards").status_code == 404


def test_an_enterprise_token_is_403(ctx, client, auth, listed):
    owner, _ = listed
    own = auth("enterprise", uscc=owner["identifier"])
    assert check(client, own, owner["identifier"], "awards").status_code == 403
    batch = client.post(
        CHECKS, json={"purpose": "awards", "identifiers": [owner["identifier"]]}, headers=own
    )
    assert batch.status_code == 403


def test_anonymous_is_401(client, listed):
    owner, _ = listed
    assert check(client, {}, owner["identifier"], "awards").status_code == 401
    batch = client.post(CHECKS, json={"purpose": "awards", "identifiers": [owner["identifier"]]})
    assert batch.status_code == 401


def test_regulators_may_check_too(client, auth, listed):
    owner, _ = listed
    body = ok(check(client, auth("regulator"), owner["identifier"], "government_procurement"))
    assert body["conclusion"] == "not_eligible"


def test_a_county_regulator_checks_only_its_county(ctx, client, auth):
    langxi = create_entity(ctx, region_code=LANGXI)
    county = auth("regulator", region=XUANZHOU)
    assert check(client, county, langxi["identifier"], "awards").status_code == 403


# --- batches ----------------------------------------------------------------------------------


def test_a_batch_reports_each_identifier(ctx, client, checker, listed):
    owner, _ = listed
    clean = create_entity(ctx)
    unknown = "91341802MA0000000X"
    body = ok(
        client.post(
            CHECKS,
            json={
                "purpose": "government_procurement",
                "identifiers": [owner["identifier"], unknown, clean["identifier"].lower()],
            },
            headers=checker,
        )
    )
    first, second, third = body["items"]
    assert first["identifier"] == owner["identifier"] and first["found"] is True
    assert first["conclusion"] == "not_eligible" and first["listed"] is True
    assert second == {"identifier": unknown, "found": False, "error": "entity-not-found"}
    assert third["found"] is True and third["conclusion"] == "no_restriction"
    assert third["entity"]["identifier"] == clean["identifier"]


def test_a_county_regulators_batch_reports_other_counties_as_out_of_region(ctx, client, auth):
    mine, _ = listed_entity(ctx, region_code=XUANZHOU)
    theirs, _ = listed_entity(ctx, region_code=LANGXI)
    county = auth("regulator", region=XUANZHOU)
    body = ok(
        client.post(
            CHECKS,
            json={
                "purpose": "fiscal_funding",
                "identifiers": [mine["identifier"], theirs["identifier"], "91341802MA0000000X"],
            },
            headers=county,
        )
    )
    first, second, third = body["items"]
    assert first["found"] is True and first["conclusion"] == "strict_review"
    assert second["found"] is False and second["error"] == "outside-region"
    assert "entity" not in second and "conclusion" not in second
    assert third["found"] is False and third["error"] == "entity-not-found"


def test_a_batch_of_1001_identifiers_is_422(client, checker):
    identifiers = [f"91341802MA{n:07d}X" for n in range(1001)]
    response = client.post(
        CHECKS, json={"purpose": "awards", "identifiers": identifiers}, headers=checker
    )
    assert response.status_code == 422
    assert (
        client.post(
            CHECKS, json={"purpose": "awards", "identifiers": []}, headers=checker
        ).status_code
        == 422
    )


def test_a_batch_with_an_unknown_purpose_is_422(client, checker, listed):
    owner, _ = listed
    response = client.post(
        CHECKS, json={"purpose": "mortgage", "identifiers": [owner["identifier"]]}, headers=checker
    )
    assert response.status_code == 422 and response.get_json()["code"] == "purpose-unknown"


# --- audit --------------------------------------------------------------------------------------


def test_every_check_is_audited_with_its_purpose(ctx, client, checker, listed):
    owner, _ = listed
    clean = create_entity(ctx)
    before = len(audited_checks(ctx))
    ok(check(client, checker, owner["identifier"], "government_procurement"))
    ok(check(client, checker, owner["identifier"], "fiscal_funding"))
    ok(
        client.post(
            CHECKS,
            json={"purpose": "awards", "identifiers": [owner["identifier"], clean["identifier"]]},
            headers=checker,
        )
    )
    events = audited_checks(ctx)[before:]
    assert [(e.object_id, e.details["purpose"]) for e in events] == [
        (str(owner["id"]), "government_procurement"),
        (str(owner["id"]), "fiscal_funding"),
        (str(owner["id"]), "awards"),
        (str(clean["id"]), "awards"),
    ]
    assert [e.details["conclusion"] for e in events] == [
        "not_eligible",
        "strict_review",
        "not_eligible",
        "no_restriction",
    ]
    assert {e.role for e in events} == {"checker"}
    assert all(e.object_type == "entity" and e.outcome == "success" for e in events)
