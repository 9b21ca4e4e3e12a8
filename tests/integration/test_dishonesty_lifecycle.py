"""Severe-dishonesty listing cases against a real database (SQLite and PostgreSQL): the
lawful procedure with the clock (D4–D6), the documents and their numbers, publication and
the public list, expiry, revocation (D11), order, scope and provisional deadlines (D14)."""

from __future__ import annotations

import hashlib
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from credit_service.access import SYSTEM, Actor
from credit_service.clock import local_noon
from credit_service.config import PROJECT_ROOT
from credit_service.dishonesty import checks, public, public_changes, public_search, services
from credit_service.errors import Conflict, Forbidden, InvalidInput
from credit_service.holidays import load_holiday_file
from credit_service.procedures.models import ProcedureDocument
from credit_service.records import services as record_services
from credit_service.sync import outbox
from credit_service.sync.models import OutboxEvent
from credit_service.tiers import services as tier_services
from credit_service.tiers.models import TierAssignment
from credit_service.web.i18n import translate
from credit_service.workdays import WorkdayCalendar
from tests.factories import (
    CITY,
    LANGXI,
    WRITTEN_WAIVER,
    XUANZHOU,
    create_entity,
    file_penalty,
    step_papers,
)

try:  # optional: only to read the PDF's text
    import pypdf
except ImportError:  # pragma: no cover - pypdf is in requirements-dev.txt
    pypdf = None

TODAY = date(2026, 11, 25)  # Wednesday, the fixtures' start
HEAVIER = ["罚款", "责令停产停业"]
REASON = "当事人故意假冒他人专利，受到责令停产停业的较重行政处罚"
CITY_REGULATOR = Actor(role="regulator", username="r-city", region_code=CITY, city_code=CITY)
XUANZHOU_REGULATOR = Actor(
    role="regulator", username="r-xuanzhou", region_code=XUANZHOU, city_code=CITY
)
LANGXI_REGULATOR = Actor(role="regulator", username="r-langxi", region_code=LANGXI, city_code=CITY)
NOTICE_NO = re.compile(r"宣市监信告〔(\d{4})〕(\d+)号")
DECISION_NO = re.compile(r"宣市监信列〔(\d{4})〕(\d+)号")
FIXTURE_2027 = PROJECT_ROOT / "tests" / "fixtures" / "holidays" / "2027.yaml"


class Boom(Exception):
    """Raised inside a transaction to roll it back."""


# --- helpers ----------------------------------------------------------------------------------


def on(clock, day: date) -> None:
    clock.set(local_noon(day))


def heavier_penalty(ctx, **entity) -> tuple[dict, dict]:
    owner = create_entity(ctx, **entity)
    return owner, file_penalty(ctx, owner["identifier"], CF_CFLB=HEAVIER)


def propose(ctx, owner: dict, *records: dict, actor: Actor = CITY_REGULATOR) -> dict:
    return services.propose(
        ctx, actor, entity=owner["identifier"], record_ids=[r["id"] for r in records], reason=REASON
    )


def step(ctx, case: dict, name: str, actor: Actor = CITY_REGULATOR, **kwargs) -> dict:
    return services.advance(ctx, actor, case["id"], name, **kwargs)


def decided_case(ctx, **entity) -> tuple[dict, dict, dict]:
    """A case proposed, served, waived and decided today."""
    owner, record = heavier_penalty(ctx, **entity)
    case = propose(ctx, owner, record)
    step(ctx, case, "serve_notice")
    step(ctx, case, "waive", reason="当事人书面放弃陈述、申辩", documents=WRITTEN_WAIVER)
    return owner, record, step(ctx, case, "decide_list")


def published_case(ctx, **entity) -> tuple[dict, dict, dict]:
    owner, record, case = decided_case(ctx, **entity)
    return owner, record, step(ctx, case, "publish")


def tier_of(ctx, entity_id: int) -> tuple[str, str] | None:
    with ctx.session_factory() as session:
        found = session.get(TierAssignment, entity_id)
        return (found.tier, found.rule_id) if found else None


def documents_of(ctx, case_id: int) -> list[ProcedureDocument]:
    with ctx.session_factory() as session:
        return list(
            session.execute(
                select(ProcedureDocument)
                .where(
                    ProcedureDocument.procedure == "listing",
                    ProcedureDocument.subject_id == case_id,
                )
                .order_by(ProcedureDocument.id)
            ).scalars()
        )


def outbox_count(ctx, event_type: str, case_id: int) -> int:
    with ctx.session_factory() as session:
        return session.execute(
            select(func.count())
            .select_from(OutboxEvent)
            .where(OutboxEvent.event_type == event_type, OutboxEvent.aggregate_id == str(case_id))
        ).scalar_one()


def feed_for(ctx, case_id: int) -> list[dict]:
    return [c for c in public_changes.changes(ctx)["items"] if c["entry_id"] == case_id]


def searched_ids(ctx, **filters) -> list[int]:
    """The entries in force a search finds (a name or USCC search also finds the removed
    ones of the last year, ``status: removed``: those are ``removed_ids``)."""
    found = public_search.search(ctx, public.Filters(**filters)).items
    return [e["id"] for e in found if e["status"] == "listed"]


def removed_ids(ctx, **filters) -> list[int]:
    found = public_search.search(ctx, public.Filters(**filters)).items
    return [e["id"] for e in found if e["status"] == "removed"]


def sequence_number(pattern: re.Pattern[str], number: str) -> tuple[int, int]:
    match = pattern.fullmatch(number)
    assert match, number
    return int(match.group(1)), int(match.group(2))


@pytest.fixture
def tiers(ctx):  # type: ignore[no-untyped-def]
    return tier_services.apply_rule_set(ctx, SYSTEM)


@pytest.fixture
def no_2027_calendar(ctx):  # type: ignore[no-untyped-def]
    """Only chinese_calendar's years (to 2026): every day of 2027 is provisional."""
    ctx.calendar = WorkdayCalendar.from_years([])
    return ctx.calendar


# --- the full lifecycle -----------------------------------------------------------------------


def test_the_full_lifecycle_from_proposal_to_expiry(ctx, clock, tiers):
    owner, record = heavier_penalty(ctx)
    assert record["heavier_penalty"] is True
    assert tier_of(ctx, owner["id"]) == ("D", "severe-record")

    case = propose(ctx, owner, record)
    assert case["state"] == "proposed"
    assert case["grounds"] == ["intentional_infringement"]
    assert case["domain"] == "patent" and case["version"] == 1
    assert case["allowed_steps"] == ["serve_notice", "decide_not_list", "withdraw"]

    # the notice: numbered, stored as HTML with its hash, and as a PDF
    served = step(ctx, case, "serve_notice")
    assert served["state"] == "notice_served"
    assert sequence_number(NOTICE_NO, served["notice_no"])[0] == 2026
    assert served["notice_served_on"] == TODAY
    assert served["statement_deadline"] == date(2026, 12, 2)  # Thu Fri Mon Tue Wed
    assert served["statement_deadline_provisional"] is False
    (notice,) = documents_of(ctx, case["id"])
    assert (notice.kind, notice.number) == ("notice", served["notice_no"])
    assert notice.sha256 == hashlib.sha256(notice.html.encode("utf-8")).hexdigest()
    assert owner["name"] in notice.html and served["notice_no"] in notice.html
    assert "<script" not in notice.html.lower()
    pdf = Path(notice.pdf_path)
    assert pdf.is_file()
    content = pdf.read_bytes()
    assert content.startswith(b"%PDF")
    assert notice.pdf_sha256 == hashlib.sha256(content).hexdigest()
    if pypdf is not None:
        text = "".join(page.extract_text() for page in pypdf.PdfReader(str(pdf)).pages)
        assert owner["name"] in text

    # inside the window (the deadline day included) no decision may be recorded
    for day in (TODAY, date(2026, 12, 2)):
        on(clock, day)
        with pytest.raises(InvalidInput) as refused:
            step(ctx, case, "decide_list")
        assert refused.value.code == "statement-window-open"
        assert "on" in refused.value.errors

    on(clock, date(2026, 12, 3))
    decided = step(ctx, case, "decide_list")
    assert decided["state"] == "decided_list"
    assert sequence_number(DECISION_NO, decided["decision_no"])[0] == 2026
    assert decided["decided_on"] == date(2026, 12, 3)
    assert decided["term_ends_on"] == date(2029, 12, 3)
    assert decided["publication_deadline"] == date(2026, 12, 31)
    assert decided["publication_deadline_provisional"] is False
    assert decided["measures"] == list(ctx.list_rules.measures)
    assert [d.kind for d in documents_of(ctx, case["id"])] == ["notice", "decision"]
    assert searched_ids(ctx, uscc=owner["identifier"]) == []  # decided is not yet published

    on(clock, date(2026, 12, 4))
    published = step(ctx, case, "publish")
    assert published["state"] == "published" and published["published_on"] == date(2026, 12, 4)
    assert published["allowed_steps"] == ["remove"]
    assert published["version"] == 4
    assert searched_ids(ctx, uscc=owner["identifier"]) == [case["id"]]
    entry = public.get_entry(ctx, case["id"])
    assert entry["name"] == owner["name"] and entry["uscc"] == owner["identifier"]
    assert entry["decision_no"] == decided["decision_no"]
    assert entry["penalty_refs"] == [record["source_ref"]]
    assert case["id"] in [e["id"] for e in public.download_rows(ctx, public.Filters())]
    assert [(c["kind"], c["reason"]) for c in feed_for(ctx, case["id"])] == [("added", None)]
    assert tier_of(ctx, owner["id"]) == ("D", "severe-list")
    assert outbox_count(ctx, "listing.published", case["id"]) == 1

    # the last day of the term it is still shown; the next day it is gone, job or not
    on(clock, date(2029, 12, 3))
    assert public.get_entry(ctx, case["id"])["term_ends_on"] == date(2029, 12, 3)
    assert searched_ids(ctx, uscc=owner["identifier"]) == [case["id"]]
    on(clock, date(2029, 12, 4))
    gone = public.get_entry(ctx, case["id"])  # its address says so for a year (D22)
    assert (gone["status"], gone["removal_reason"]) == ("removed", "expired")
    assert gone["removed_on"] == date(2029, 12, 4) and "grounds" not in gone
    assert searched_ids(ctx, uscc=owner["identifier"]) == []
    assert removed_ids(ctx, uscc=owner["identifier"]) == [case["id"]]
    assert case["id"] not in [e["id"] for e in public.download_rows(ctx, public.Filters())]

    assert services.expire_listings(ctx, SYSTEM) == 1
    removed = services.get_case(ctx, SYSTEM, case["id"])
    assert removed["state"] == "removed"
    assert removed["removal_reason"] == "expired"
    assert removed["removed_on"] == date(2029, 12, 4)
    assert removed["removal_note"] == "公示期届满移出"
    assert removed["version"] == 5
    changes = feed_for(ctx, case["id"])
    assert [(c["kind"], c["reason"]) for c in changes] == [("added", None), ("removed", "expired")]
    assert changes[-1]["reason_text"] == "公示期届满移出"
    assert changes[-1]["effective_on"] == date(2029, 12, 4)
    # the penalty's own publicity ended 2029-03-15: nothing keeps the entity in D
    assert tier_of(ctx, owner["id"]) == ("B", "default")
    assert outbox_count(ctx, "listing.removed", case["id"]) == 1

    assert services.expire_listings(ctx, SYSTEM) == 0
    assert outbox_count(ctx, "listing.removed", case["id"]) == 1
    assert len(feed_for(ctx, case["id"])) == 2


def test_after_expiry_a_credit_check_no_longer_reports_the_listing(ctx, clock):
    owner, _, case = published_case(ctx)
    checker = Actor(role="checker", username="c-procurement", city_code=CITY)

    def procurement() -> dict:
        return checks.credit_check(ctx, checker, owner["identifier"], "government_procurement")

    on(clock, case["term_ends_on"])  # the last day: still listed, still not eligible
    last_day = procurement()
    assert last_day["listed"] is True and last_day["conclusion"] == "not_eligible"
    assert last_day["listing"]["decision_no"] == case["decision_no"]

    on(clock, case["term_ends_on"] + timedelta(days=1))  # before the job has run
    for when in ("before the job", "after the job"):
        after = procurement()
        assert after["listed"] is False and after["listing"] is None, when
        assert after["measures"] == [] and after["conclusion"] == "no_restriction", when
        assert after["dishonest_records"] == [], when  # the penalty's publicity ended too
        if when == "before the job":
            assert services.expire_listings(ctx, SYSTEM) == 1


def test_expiry_removes_only_listings_whose_term_has_ended(ctx, clock):
    _, _, first = published_case(ctx)
    on(clock, date(2027, 3, 1))
    ctx.calendar = WorkdayCalendar.from_years([load_holiday_file(FIXTURE_2027)])
    _, _, second = published_case(ctx)
    on(clock, date(2029, 11, 26))  # first's term ended 2029-11-25; second's runs to 2030
    assert services.expire_listings(ctx, SYSTEM) == 1
    assert services.get_case(ctx, SYSTEM, first["id"])["state"] == "removed"
    assert services.get_case(ctx, SYSTEM, second["id"])["state"] == "published"
    assert searched_ids(ctx) == [second["id"]]


def test_flask_dishonesty_expire_removes_what_is_due_and_says_how_many(app, ctx, clock):
    _, _, case = published_case(ctx)
    runner = app.test_cli_runner()
    last_day = case["term_ends_on"]
    on(clock, last_day)  # the last day of the term: nothing is due
    assert runner.invoke(args=["dishonesty", "expire"]).output == "0 listings removed: term ended\n"
    assert services.get_case(ctx, SYSTEM, case["id"])["state"] == "published"
    on(clock, last_day + timedelta(days=33))  # a month late (the scheduler was down)
    result = runner.invoke(args=["dishonesty", "expire"])
    assert result.exit_code == 0 and result.output == "1 listings removed: term ended\n"
    removed = services.get_case(ctx, SYSTEM, case["id"])
    assert (removed["state"], removed["removed_on"]) == ("removed", last_day + timedelta(days=1))


# --- document numbers -------------------------------------------------------------------------


def test_decision_numbers_follow_one_yearly_sequence(ctx, clock, no_2027_calendar):
    _, _, first = decided_case(ctx)
    _, _, second = decided_case(ctx)
    year, n = sequence_number(DECISION_NO, first["decision_no"])
    assert sequence_number(DECISION_NO, second["decision_no"]) == (year, n + 1) == (2026, n + 1)
    assert sequence_number(NOTICE_NO, second["notice_no"])[1] == (
        sequence_number(NOTICE_NO, first["notice_no"])[1] + 1
    )

    # a case served in 2026 and decided in 2027 takes the first number of 2027
    owner, record = heavier_penalty(ctx)
    case = propose(ctx, owner, record)
    step(ctx, case, "serve_notice")
    step(ctx, case, "waive", documents=WRITTEN_WAIVER)
    on(clock, date(2027, 1, 4))
    later = step(ctx, case, "decide_list")
    assert later["decision_no"] == "宣市监信列〔2027〕1号"
    assert later["publication_deadline_provisional"] is True
    assert sequence_number(DECISION_NO, decided_case(ctx)[2]["decision_no"]) == (2027, 2)


# --- waiver, not listing, grounds ---------------------------------------------------------------


def test_a_written_waiver_allows_an_immediate_decision(ctx):
    owner, record = heavier_penalty(ctx)
    case = propose(ctx, owner, record)
    step(ctx, case, "serve_notice")
    waived = step(
        ctx, case, "waive", reason="当事人书面放弃陈述、申辩权利", documents=WRITTEN_WAIVER
    )
    assert waived["state"] == "window_closed" and waived["statement_waived"] is True
    decided = step(ctx, case, "decide_list")
    assert decided["state"] == "decided_list" and decided["decided_on"] == TODAY
    assert [s["step"] for s in decided["steps"]] == [
        "propose",
        "serve_notice",
        "waive",
        "decide_list",
    ]
    assert decided["steps"][2]["reason"] == "当事人书面放弃陈述、申辩权利"


def test_over_http_a_waiver_without_the_written_waiver_is_422_and_changes_nothing(
    ctx, client, auth
):
    owner, record = heavier_penalty(ctx)
    case = propose(ctx, owner, record)
    served = step(ctx, case, "serve_notice")
    regulator = auth("regulator")
    url = f"/api/v1/dishonesty-cases/{case['id']}/steps/waive"

    spoken = client.post(url, json={"reason": "当事人电话表示放弃"}, headers=regulator)
    assert spoken.status_code == 422 and spoken.mimetype == "application/problem+json"
    body = spoken.get_json()
    assert list(body["errors"]) == ["documents"]
    (message,) = body["errors"]["documents"]
    assert message == translate("error.written-waiver-missing")  # Chinese, unless English
    english = client.post(
        url, json={"reason": "当事人电话表示放弃"}, headers={**regulator, "Accept-Language": "en"}
    )
    words = english.get_json()["errors"]["documents"]
    assert words == [translate("error.written-waiver-missing", "en")]
    after = services.get_case(ctx, SYSTEM, case["id"])
    assert (after["state"], after["version"]) == ("notice_served", served["version"])
    assert after["statement_waived"] is False
    assert [s["step"] for s in after["steps"]] == ["propose", "serve_notice"]

    untitled = client.post(url, json={"documents": [{"title": "书"}]}, headers=regulator)
    assert untitled.status_code == 422 and "documents" in untitled.get_json()["errors"]
    tomorrow = TODAY + timedelta(days=1)
    future = client.post(
        url,
        json={"documents": [{"title": "放弃陈述申辩权利声明书", "received_on": str(tomorrow)}]},
        headers=regulator,
    )
    assert future.status_code == 422
    assert list(future.get_json()["errors"]["documents"]["0"]) == ["received_on"]
    assert services.get_case(ctx, SYSTEM, case["id"])["version"] == served["version"]

    paper = {"title": "放弃陈述申辩权利声明书", "reference": "宣市监收〔2026〕7号"}
    waived = client.post(
        url,
        json={"reason": "当事人书面放弃", "documents": [{**paper, "received_on": str(TODAY)}]},
        headers=regulator,
    )
    assert waived.status_code == 200 and waived.get_json()["state"] == "window_closed"
    recorded = {**paper, "received_on": str(TODAY)}
    assert waived.get_json()["steps"][-1]["details"] == {"documents": [recorded]}
    shown = client.get(f"/api/v1/dishonesty-cases/{case['id']}", headers=auth("viewer"))
    assert shown.get_json()["steps"][-1]["details"]["documents"] == [recorded]


def test_a_statement_is_recorded_with_its_papers_or_without(ctx):
    owner, record = heavier_penalty(ctx)
    case = propose(ctx, owner, record)
    step(ctx, case, "serve_notice")
    papers = [
        {"title": "陈述申辩书", "reference": "宣市监收〔2026〕8号", "received_on": TODAY},
        {"title": "专利实施许可合同复印件"},
    ]
    received = step(ctx, case, "receive_statement", reason="当事人提交陈述申辩", documents=papers)
    assert received["state"] == "statement_received"
    assert received["steps"][-1]["details"]["documents"] == [
        {"title": "陈述申辩书", "reference": "宣市监收〔2026〕8号", "received_on": "2026-11-25"},
        {"title": "专利实施许可合同复印件", "reference": None, "received_on": None},
    ]

    other, other_record = heavier_penalty(ctx)
    bare = propose(ctx, other, other_record)
    step(ctx, bare, "serve_notice")
    assert step(ctx, bare, "receive_statement")["steps"][-1]["details"] == {}
    with pytest.raises(InvalidInput) as too_many:
        step(ctx, bare, "waive", documents=[{"title": "声明书"}] * 11)
    assert list(too_many.value.errors) == ["documents"]


def test_a_step_names_the_document_it_issued(ctx, client, auth):
    _, _, case = decided_case(ctx)
    shown = client.get(f"/api/v1/dishonesty-cases/{case['id']}", headers=auth("viewer"))
    view = shown.get_json()
    by_step = {s["step"]: s["details"] for s in view["steps"]}
    documents = {d["kind"]: d for d in view["documents"]}
    notice, decision = documents["notice"], documents["decision"]
    assert by_step["serve_notice"]["issued"] == [
        {"kind": "notice", "number": view["notice_no"], "document_id": notice["id"]}
    ]
    assert notice["number"] == view["notice_no"]
    assert by_step["decide_list"]["issued"] == [
        {"kind": "decision", "number": view["decision_no"], "document_id": decision["id"]}
    ]
    assert "issued" not in by_step["waive"] and "issued" not in by_step["propose"]


def test_not_listing_needs_a_reason(ctx, clock):
    owner, record = heavier_penalty(ctx)
    case = propose(ctx, owner, record)
    step(ctx, case, "serve_notice")
    on(clock, date(2026, 11, 27))
    step(ctx, case, "receive_statement", reason="当事人提交书面申辩及证据")
    with pytest.raises(InvalidInput) as refused:
        step(ctx, case, "decide_not_list")
    assert "reason" in refused.value.errors

    why = "当事人证明不存在主观故意，依法不予列入"
    decided = step(ctx, case, "decide_not_list", reason=why)
    assert decided["state"] == "decided_not_list"
    assert decided["allowed_steps"] == []
    assert decided["decided_on"] == date(2026, 11, 27)
    assert decided["decision_no"] is None
    assert decided["steps"][-1]["reason"] == why
    assert searched_ids(ctx, uscc=owner["identifier"]) == []
    assert feed_for(ctx, case["id"]) == []


def test_a_proposal_without_a_heavier_penalty_names_the_missing_condition(ctx):
    owner = create_entity(ctx)
    fine = file_penalty(ctx, owner["identifier"])  # a fine only
    assert fine["heavier_penalty"] is False
    with pytest.raises(InvalidInput) as refused:
        propose(ctx, owner, fine)
    assert refused.value.code == "listing-grounds-missing"
    assert refused.value.errors["record_ids"] == ["no-heavier-penalty"]


def test_the_heavier_penalty_field_also_grounds_a_proposal(ctx):
    owner = create_entity(ctx)
    record = file_penalty(ctx, owner["identifier"], heavier_penalty="是")
    assert record["heavier_penalty"] is True
    assert propose(ctx, owner, record)["state"] == "proposed"


def test_a_proposal_on_another_entitys_or_unknown_records_is_refused(ctx):
    owner, record = heavier_penalty(ctx)
    other, theirs = heavier_penalty(ctx)
    with pytest.raises(InvalidInput) as refused:
        propose(ctx, owner, record, theirs)
    assert "record-of-another-entity" in refused.value.errors["record_ids"]
    with pytest.raises(InvalidInput) as unknown:
        propose(ctx, owner, record, {"id": 999_999_999})
    assert "record-not-found" in unknown.value.errors["record_ids"]


# --- revocation (D11) -------------------------------------------------------------------------


def test_revoking_the_penalty_takes_a_published_listing_down_at_once(ctx, clock, tiers):
    owner, record, case = published_case(ctx)
    assert searched_ids(ctx, uscc=owner["identifier"]) == [case["id"]]
    on(clock, date(2027, 2, 1))

    record_services.revoke_record(ctx, CITY_REGULATOR, record["id"], reason="复议决定撤销原处罚")

    removed = services.get_case(ctx, SYSTEM, case["id"])
    assert removed["state"] == "removed"
    assert removed["removal_reason"] == "revoked"
    assert removed["removed_on"] == date(2027, 2, 1)
    assert searched_ids(ctx, uscc=owner["identifier"]) == []
    assert removed_ids(ctx, uscc=owner["identifier"]) == [case["id"]]
    assert public.get_entry(ctx, case["id"])["status"] == "removed"
    assert [(c["kind"], c["reason"]) for c in feed_for(ctx, case["id"])] == [
        ("added", None),
        ("removed", "revoked"),
    ]
    assert outbox_count(ctx, "listing.removed", case["id"]) == 1
    assert tier_of(ctx, owner["id"]) == ("B", "default")


def test_revocation_and_removal_share_one_transaction(ctx, monkeypatch):
    owner, record, case = published_case(ctx)

    def fail(*args, **kwargs):
        raise Boom

    monkeypatch.setattr(outbox, "write", fail)  # at the commit: after the listing came down
    with pytest.raises(Boom):
        record_services.revoke_record(ctx, CITY_REGULATOR, record["id"], reason="复议撤销处罚")

    assert services.get_case(ctx, SYSTEM, case["id"])["state"] == "published"
    assert searched_ids(ctx, uscc=owner["identifier"]) == [case["id"]]
    assert len(feed_for(ctx, case["id"])) == 1


def test_revoking_the_penalty_withdraws_a_case_in_progress(ctx):
    owner, record = heavier_penalty(ctx)
    case = propose(ctx, owner, record)
    step(ctx, case, "serve_notice")

    record_services.revoke_record(ctx, CITY_REGULATOR, record["id"], reason="复议撤销处罚决定")

    withdrawn = services.get_case(ctx, SYSTEM, case["id"])
    assert withdrawn["state"] == "withdrawn"
    assert "撤销" in withdrawn["removal_note"]
    assert withdrawn["steps"][-1]["step"] == "withdraw"
    assert feed_for(ctx, case["id"]) == []


# --- removal by hand: corrections only -----------------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "path"),
    [
        ("expired", "removal-path-expired"),
        ("repaired", "removal-path-repaired"),
        ("revoked", "removal-path-revoked"),
        (None, "removal-reason-manual"),
    ],
)
def test_the_remove_step_refuses_the_reasons_other_paths_own(ctx, reason, path):
    owner, _, case = published_case(ctx)
    details = {} if reason is None else {"removal_reason": reason}
    with pytest.raises(InvalidInput) as refused:
        step(ctx, case, "remove", reason="依法移出", **details)
    assert refused.value.code == "removal-reason-not-allowed"
    assert list(refused.value.errors) == ["removal_reason"]
    (refusal,) = refused.value.errors["removal_reason"]
    assert refusal["code"] == path
    still = services.get_case(ctx, SYSTEM, case["id"])
    assert (still["state"], still["version"]) == ("published", case["version"])
    assert searched_ids(ctx, uscc=owner["identifier"]) == [case["id"]]
    assert len(feed_for(ctx, case["id"])) == 1


def test_a_correction_needs_a_reason_and_takes_the_listing_down(ctx, clock, tiers):
    owner, _, case = published_case(ctx)
    with pytest.raises(InvalidInput) as bare:
        step(ctx, case, "remove", reason="  ", removal_reason="corrected")
    assert list(bare.value.errors) == ["reason"]
    assert services.get_case(ctx, SYSTEM, case["id"])["state"] == "published"

    on(clock, date(2026, 12, 1))
    removed = step(ctx, case, "remove", reason="主体认定有误，予以更正", removal_reason="corrected")
    assert (removed["state"], removed["removal_reason"]) == ("removed", "corrected")
    assert removed["removed_on"] == date(2026, 12, 1)
    assert removed["removal_note"] == "主体认定有误，予以更正"
    assert searched_ids(ctx, uscc=owner["identifier"]) == []
    assert removed_ids(ctx, uscc=owner["identifier"]) == [case["id"]]
    assert [(c["kind"], c["reason"]) for c in feed_for(ctx, case["id"])][-1] == (
        "removed",
        "corrected",
    )
    assert outbox_count(ctx, "listing.removed", case["id"]) == 1


def test_over_http_a_removal_reason_of_another_path_is_422_naming_it(ctx, client, auth):
    _, _, case = published_case(ctx)
    regulator = {**auth("regulator"), "Accept-Language": "en"}
    url = f"/api/v1/dishonesty-cases/{case['id']}/steps/remove"

    revoked = client.post(
        url, json={"removal_reason": "revoked", "reason": "撤销"}, headers=regulator
    )
    assert revoked.status_code == 422 and revoked.mimetype == "application/problem+json"
    body = revoked.get_json()
    assert body["code"] == "removal-reason-not-allowed"
    assert "/revocation" in body["errors"]["removal_reason"][0]
    unknown = client.post(url, json={"removal_reason": "x"}, headers=regulator)
    assert unknown.status_code == 422 and "removal_reason" in unknown.get_json()["errors"]
    no_reason = client.post(url, json={"removal_reason": "corrected"}, headers=regulator)
    assert no_reason.status_code == 422 and list(no_reason.get_json()["errors"]) == ["reason"]
    assert services.get_case(ctx, SYSTEM, case["id"])["state"] == "published"

    corrected = client.post(
        url, json={"removal_reason": "corrected", "reason": "列入有误，予以更正"}, headers=regulator
    )
    assert corrected.status_code == 200, corrected.get_json()
    assert corrected.get_json()["removal_reason"] == "corrected"


# --- order, concurrency, scope ------------------------------------------------------------------


def test_a_step_out_of_order_names_the_allowed_steps(ctx):
    owner, record = heavier_penalty(ctx)
    case = propose(ctx, owner, record)
    with pytest.raises(Conflict) as refused:
        step(ctx, case, "publish")
    assert refused.value.code == "step-out-of-order"
    assert refused.value.extensions["state"] == "proposed"
    assert refused.value.extensions["allowed_steps"] == [
        "serve_notice",
        "decide_not_list",
        "withdraw",
    ]
    with pytest.raises(Conflict) as unknown:
        step(ctx, case, "approve")
    assert unknown.value.extensions["allowed_steps"] == refused.value.extensions["allowed_steps"]
    assert services.get_case(ctx, SYSTEM, case["id"])["version"] == 1


def test_a_published_listing_only_comes_down(ctx):
    _, _, case = published_case(ctx)
    for name in ("decide_list", "publish", "withdraw", "serve_notice"):
        with pytest.raises(Conflict) as refused:
            step(ctx, case, name)
        assert refused.value.extensions["allowed_steps"] == ["remove"]


def test_the_same_step_sent_twice_is_taken_once(ctx):
    """Two officers see version 1 and both serve the notice: the row lock serialises them
    and the second finds the state moved on — one notice, one number, one version step."""
    owner, record = heavier_penalty(ctx)
    case = propose(ctx, owner, record)
    seen_by_both = services.get_case(ctx, SYSTEM, case["id"])
    assert seen_by_both["version"] == 1

    first = step(ctx, seen_by_both, "serve_notice")
    with pytest.raises(Conflict) as second:
        step(ctx, seen_by_both, "serve_notice", actor=XUANZHOU_REGULATOR)

    assert first["version"] == 2
    assert second.value.extensions["state"] == "notice_served"
    after = services.get_case(ctx, SYSTEM, case["id"])
    assert after["version"] == 2 and after["notice_no"] == first["notice_no"]
    assert [d.kind for d in documents_of(ctx, case["id"])] == ["notice"]
    assert [s["step"] for s in after["steps"]] == ["propose", "serve_notice"]


def test_each_step_increments_the_version_once(ctx):
    owner, record = heavier_penalty(ctx)
    case = propose(ctx, owner, record)
    versions = [case["version"]]
    for name in ("serve_notice", "waive", "decide_list", "publish"):
        versions.append(step(ctx, case, name, **step_papers(name))["version"])
    assert versions == [1, 2, 3, 4, 5]


def test_a_county_regulator_cannot_act_on_another_countys_case(ctx):
    owner, record = heavier_penalty(ctx, region_code=XUANZHOU)
    with pytest.raises(Forbidden):
        propose(ctx, owner, record, actor=LANGXI_REGULATOR)
    case = propose(ctx, owner, record, actor=XUANZHOU_REGULATOR)
    with pytest.raises(Forbidden):
        step(ctx, case, "serve_notice", actor=LANGXI_REGULATOR)
    with pytest.raises(Forbidden):
        services.get_case(ctx, LANGXI_REGULATOR, case["id"])
    assert case["id"] not in [c["id"] for c in services.list_cases(ctx, LANGXI_REGULATOR)]
    assert step(ctx, case, "serve_notice", actor=XUANZHOU_REGULATOR)["version"] == 2


# --- provisional deadlines (D14) ----------------------------------------------------------------


def test_a_provisional_window_closes_once_its_latest_day_has_passed(ctx, clock, no_2027_calendar):
    """D14 without a dead end: served 2026-12-28 with no 2027 file, the window ends
    2027-01-05 provisionally; 2027's notice can move that to 2027-01-19 at the latest
    (10 working days more, calendar.yaml), so a decision waits until 2027-01-20, and no
    longer for someone to add the file."""
    on(clock, date(2026, 12, 28))
    owner, record = heavier_penalty(ctx)
    case = propose(ctx, owner, record)
    served = step(ctx, case, "serve_notice")
    assert served["statement_deadline"] == date(2027, 1, 5)
    assert served["statement_deadline_provisional"] is True
    assert served["statement_deadline_latest"] == date(2027, 1, 19)

    for day in (date(2027, 1, 6), date(2027, 1, 19)):
        on(clock, day)
        for name in ("close_window", "decide_list"):
            with pytest.raises(Conflict) as refused:
                step(ctx, case, name)
            assert refused.value.code == "provisional-deadline"
            assert refused.value.extensions == {
                "deadline": date(2027, 1, 5),
                "year": 2027,
                "latest_deadline": "2027-01-19",
                "decidable_from": "2027-01-20",
            }

    on(clock, date(2027, 1, 20))
    decided = step(ctx, case, "decide_list")
    assert decided["state"] == "decided_list" and decided["decided_on"] == date(2027, 1, 20)
    assert decided["statement_deadline_provisional"] is True  # still unknown, and passed


def test_over_http_a_provisional_window_says_from_when_a_decision_may_be_recorded(
    ctx, clock, client, auth, no_2027_calendar
):
    on(clock, date(2026, 12, 28))
    owner, record = heavier_penalty(ctx)
    case = propose(ctx, owner, record)
    regulator = {**auth("regulator"), "Accept-Language": "en"}
    url = f"/api/v1/dishonesty-cases/{case['id']}/steps"
    served = client.post(f"{url}/serve_notice", json={}, headers=regulator).get_json()
    assert served["statement_deadline_latest"] == "2027-01-19"

    on(clock, date(2027, 1, 6))
    refused = client.post(f"{url}/decide_list", json={}, headers=regulator)
    assert refused.status_code == 409
    problem = refused.get_json()
    assert problem["code"] == "provisional-deadline"
    assert problem["decidable_from"] == "2027-01-20"
    assert "2027-01-19" in problem["detail"] and "catalogs/holidays/2027.yaml" in problem["detail"]

    on(clock, date(2027, 1, 20))
    decided = client.post(f"{url}/decide_list", json={}, headers=regulator)
    assert decided.status_code == 200, decided.get_json()


def test_a_written_waiver_decides_inside_a_provisional_window(ctx, clock, no_2027_calendar):
    on(clock, date(2026, 12, 28))
    owner, record = heavier_penalty(ctx)
    case = propose(ctx, owner, record)
    step(ctx, case, "serve_notice")
    on(clock, date(2027, 1, 6))
    step(ctx, case, "waive", reason="当事人书面放弃陈述、申辩", documents=WRITTEN_WAIVER)
    decided = step(ctx, case, "decide_list")
    assert decided["state"] == "decided_list" and decided["decided_on"] == date(2027, 1, 6)


def test_once_the_years_calendar_exists_the_window_can_close(ctx, clock, no_2027_calendar):
    on(clock, date(2026, 12, 28))
    owner, record = heavier_penalty(ctx)
    case = propose(ctx, owner, record)
    assert step(ctx, case, "serve_notice")["statement_deadline_provisional"] is True

    ctx.calendar = WorkdayCalendar.from_years([load_holiday_file(FIXTURE_2027)])
    on(clock, date(2027, 1, 5))  # the recomputed deadline day: still in time
    with pytest.raises(InvalidInput):
        step(ctx, case, "close_window")
    on(clock, date(2027, 1, 6))
    closed = step(ctx, case, "close_window")
    assert closed["state"] == "window_closed"
    assert closed["statement_deadline"] == date(2027, 1, 5)
    assert closed["statement_deadline_provisional"] is False


def test_a_decision_cannot_be_dated_before_the_notice_was_served(ctx, clock):
    owner, record = heavier_penalty(ctx)
    case = propose(ctx, owner, record)
    step(ctx, case, "serve_notice")
    with pytest.raises(InvalidInput):
        step(ctx, case, "waive", on=date(2026, 11, 24), documents=WRITTEN_WAIVER)
    step(ctx, case, "waive", documents=WRITTEN_WAIVER)
    with pytest.raises(InvalidInput) as refused:
        step(ctx, case, "decide_list", on=date(2026, 11, 24))
    assert "on" in refused.value.errors
    assert step(ctx, case, "decide_list", on=TODAY)["decided_on"] == TODAY


# --- the HTTP face of the procedure -------------------------------------------------------------


def test_over_http_out_of_order_is_409_and_an_early_decision_422(ctx, client, auth):
    owner, record = heavier_penalty(ctx)
    case = propose(ctx, owner, record)
    regulator = auth("regulator")
    url = f"/api/v1/dishonesty-cases/{case['id']}/steps"

    early = client.post(f"{url}/publish", json={}, headers=regulator)
    assert early.status_code == 409
    body = early.get_json()
    assert body["code"] == "step-out-of-order"
    assert body["allowed_steps"] == ["serve_notice", "decide_not_list", "withdraw"]

    assert client.post(f"{url}/serve_notice", json={}, headers=regulator).status_code == 200
    inside = client.post(f"{url}/decide_list", json={}, headers=regulator)
    assert inside.status_code == 422
    assert inside.get_json()["code"] == "statement-window-open"
    county = auth("regulator", region=LANGXI)
    assert client.post(f"{url}/waive", json={}, headers=county).status_code == 403


def test_one_penalty_cannot_ground_two_open_cases(ctx):
    owner, record = heavier_penalty(ctx)
    propose(ctx, owner, record)
    with pytest.raises(Conflict):
        propose(ctx, owner, record)
