"""What the documents say (issue #20), on both databases: the 告知书 names the office's
address and contact, how and where to file a statement and defence and by when, in
Chinese; every decision names the review bodies with their time limits; every path that
takes a listing down issues a numbered 移出决定书; and no document writes an ISO date."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from credit_service.access import SYSTEM
from credit_service.dishonesty import services as dishonesty
from credit_service.holidays import load_holiday_file
from credit_service.objections import services as objections
from credit_service.procedures.documents import chinese_date
from credit_service.procedures.models import ProcedureDocument
from credit_service.records import services as record_services
from credit_service.repair import services as repair
from credit_service.workdays import WorkdayCalendar
from tests.integration.test_repair import (
    CITY_REGULATOR,
    FIXTURE_2027,
    PDF,
    application,
    enterprise_of,
    listed,
    on,
    review,
)

D = date.fromisoformat
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
REMOVAL_NO = re.compile(r"宣市监信移〔(\d{4})〕(\d+)号")


def documents(ctx, procedure: str | None = None, subject_id: int | None = None, kind=None):
    with ctx.session_factory() as session:
        query = select(ProcedureDocument).order_by(ProcedureDocument.id)
        if procedure:
            query = query.where(ProcedureDocument.procedure == procedure)
        if subject_id is not None:
            query = query.where(ProcedureDocument.subject_id == subject_id)
        if kind:
            query = query.where(ProcedureDocument.kind == kind)
        return list(session.execute(query).scalars())


def text(document: ProcedureDocument) -> str:
    """The document's words without its markup (the printable HTML's body)."""
    return re.sub(r"<[^>]+>", "", document.html.split("<body>", 1)[1])


@pytest.fixture(autouse=True)
def no_iso_dates(ctx):  # type: ignore[no-untyped-def]
    """After each test: no document it issued writes a date the ISO way."""
    yield
    for document in documents(ctx):
        assert not ISO_DATE.search(text(document)), (document.kind, text(document))


def the_removal(ctx, case_id: int) -> ProcedureDocument:
    """The listing's one 移出决定书, named by its removal step."""
    (removal,) = documents(ctx, "listing", case_id, "removal")
    assert REMOVAL_NO.fullmatch(removal.number), removal.number
    assert removal.number in text(removal)
    assert "移出严重失信主体名单决定书" in text(removal)
    shown = dishonesty.get_case(ctx, SYSTEM, case_id)
    (step,) = [s for s in shown["steps"] if s["step"] == "remove"]
    assert step["details"]["issued"] == [
        {"kind": "removal", "number": removal.number, "document_id": removal.id}
    ]
    return removal


def names_review_rights(ctx, words: str) -> None:
    office = ctx.list_rules.office
    assert f"{office.reconsideration.days}日内向{office.reconsideration.body}申请行政复议" in words
    assert f"{office.litigation.months}个月内向{office.litigation.body}提起行政诉讼" in words


def names_contact(ctx, words: str) -> None:
    office = ctx.list_rules.office
    for fact in (office.address, office.phone, office.hours, office.department):
        assert fact in words


def test_the_notice_says_where_how_and_by_when_to_file_a_defence(ctx, clock):
    owner, _, case = listed(ctx)
    (notice,) = documents(ctx, "listing", case["id"], "notice")
    words = text(notice)
    names_contact(ctx, words)
    deadline = chinese_date(case["statement_deadline"])
    assert case["statement_deadline"] == D("2026-12-02")  # 5 working days after Wed 11-25
    assert "2026年12月2日" == deadline
    assert "自本告知书送达之次日起5个工作日" in words
    assert f"陈述、申辩意见应当于{deadline}（含当日）前提出" in words
    assert "书面形式邮寄或者送交本机关" in words and "当面陈述、申辩" in words


def test_the_listing_decision_names_both_review_bodies_and_their_limits(ctx, clock):
    _, _, case = listed(ctx)
    (decision,) = documents(ctx, "listing", case["id"], "decision")
    words = text(decision)
    names_review_rights(ctx, words)
    names_contact(ctx, words)
    assert (
        f"公示期自{chinese_date(case['decided_on'])}起至{chinese_date(case['term_ends_on'])}止"
        in (words)
    )


def test_the_expiry_job_issues_the_removal_decision(ctx, clock):
    _, _, case = listed(ctx)
    on(clock, case["term_ends_on"] + timedelta(days=1))
    assert dishonesty.expire_listings(ctx, SYSTEM) == 1
    words = text(the_removal(ctx, case["id"]))
    assert f"公示期已于{chinese_date(case['term_ends_on'])}届满" in words
    names_review_rights(ctx, words)
    names_contact(ctx, words)


def test_a_revoked_penalty_issues_the_removal_decision(ctx, clock):
    _, record, case = listed(ctx)
    on(clock, D("2027-02-01"))
    record_services.revoke_record(ctx, CITY_REGULATOR, record["id"], reason="复议决定撤销原处罚")
    words = text(the_removal(ctx, case["id"]))
    assert "行政处罚决定已被依法撤销" in words and "自2027年2月1日起" in words


def test_a_correction_by_hand_issues_the_removal_decision(ctx, clock):
    _, _, case = listed(ctx)
    on(clock, D("2026-12-01"))
    dishonesty.advance(
        ctx,
        CITY_REGULATOR,
        case["id"],
        "remove",
        reason="主体认定有误，予以更正",
        removal_reason="corrected",
    )
    words = text(the_removal(ctx, case["id"]))
    assert "（主体认定有误，予以更正）" in words and "自2026年12月1日起" in words


def test_an_upheld_objection_issues_the_removal_decision(ctx, clock):
    owner, _, case = listed(ctx)
    enterprise = enterprise_of(ctx, owner)
    objection, _ = objections.file_objection(
        ctx,
        enterprise,
        target=f"listing:{case['id']}",
        reasons="列入所依据的事实认定错误",
        contact="王五 13900000001",
    )
    for name in ("accept", "uphold"):
        objections.take_step(ctx, CITY_REGULATOR, objection["id"], name, reason="经核查属实")
    assert "异议，经核查成立" in text(the_removal(ctx, case["id"]))
    for notice in documents(ctx, "objection", objection["id"]):
        names_contact(ctx, text(notice))
    (result,) = documents(ctx, "objection", objection["id"], "result")
    names_review_rights(ctx, text(result))


def test_a_granted_repair_issues_the_removal_decision(ctx, clock):
    ctx.calendar = WorkdayCalendar.from_years([load_holiday_file(FIXTURE_2027)])
    owner, _, case = listed(ctx)
    enterprise = enterprise_of(ctx, owner)
    on(clock, D("2027-11-26"))
    applied, _ = repair.apply(
        ctx, enterprise, idempotency_key="k-doc", **application(f"listing:{case['id']}")
    )
    repair.add_evidence(ctx, enterprise, applied["id"], filename="凭证.pdf", stream=io.BytesIO(PDF))
    review(ctx, applied["id"], "accept")
    review(ctx, applied["id"], "grant", reason="材料真实完整，符合提前移出条件")
    words = text(the_removal(ctx, case["id"]))
    assert "经审核符合提前移出严重失信主体名单的条件" in words
    assert "自2027年11月26日起" in words and "申请" + str(applied["id"]) not in words
