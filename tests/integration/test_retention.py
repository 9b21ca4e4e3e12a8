"""Retention (docs/retention.md): what is past retention is reported first, ids only, and
purged only after the grace period, through the areas' services, with the tiers, the
platforms and the audit trail following."""

from __future__ import annotations

import io
import json
import shutil
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from credit_service.access import SYSTEM, Actor
from credit_service.audit import sealing
from credit_service.audit.models import AuditEvent
from credit_service.clock import SHANGHAI, local_noon
from credit_service.config import PROJECT_ROOT
from credit_service.dishonesty import services as dishonesty
from credit_service.entities.models import Entity
from credit_service.jobs.models import JobRun
from credit_service.objections import services as objection_services
from credit_service.objections.models import Objection, ObjectionEvidence
from credit_service.procedures import evidence as evidence_files
from credit_service.records import services as record_services
from credit_service.records.exchange import record_key
from credit_service.records.models import CreditRecord, CreditRecordRevision
from credit_service.retention import reports
from credit_service.retention import services as retention
from credit_service.retention.plan import plan_for
from credit_service.sync.models import OutboxEvent
from credit_service.tiers import services as tier_services
from credit_service.tiers.models import TierAssignment, TierChange
from credit_service.web.pages.wording import stored_words
from schedulers.__main__ import run_job
from schedulers.jobs import JOBS
from tests.factories import (
    CITY,
    create_entity,
    create_person,
    file_award,
    file_penalty,
)
from tests.pages.test_operations_pages import get_page

D = date.fromisoformat
DAY = timedelta(days=1)
ADMIN = Actor(role="admin", username="retention-admin", via="cli")
REGULATOR = Actor(role="regulator", username="r-retention", region_code=CITY, city_code=CITY)
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
HEAVIER = ["罚款", "责令停产停业"]


def at(clock, day: date) -> None:
    clock.set(local_noon(day))


def due(ctx, day: date) -> dict[str, list[int]]:
    with ctx.read_session_factory() as session:
        return plan_for(session, ctx, day).due


def exists(ctx, model, row_id: int) -> bool:
    with ctx.session_factory() as session:
        return session.get(model, row_id) is not None


def report_on(ctx, clock, day: date) -> dict:
    at(clock, day)
    retention.report(ctx, ADMIN)
    return json.loads((reports.folder(ctx) / f"{day}.json").read_text(encoding="utf-8"))


def audit_rows(ctx, action: str) -> list[AuditEvent]:
    with ctx.session_factory() as session:
        query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        return list(session.execute(query).scalars())


def a_penalty(ctx, owner: dict, decided: str = "2026-03-15", **fields) -> tuple[dict, date]:
    record = file_penalty(ctx, owner["identifier"], CF_JDRQ=decided, **fields)
    return record, record["retention_end"]


# --- the day a record's retention ends ---------------------------------------------------------


def test_a_record_is_past_retention_only_the_day_after_its_retention_end(ctx, clock):
    record, end = a_penalty(ctx, create_entity(ctx))
    assert end == D("2031-03-15")  # 5 years from the decision (D16), its publicity long over

    listed = {day: report_on(ctx, clock, day) for day in (end - DAY, end, end + DAY)}

    ids = {day: r["past_retention"]["records"]["ids"] for day, r in listed.items()}
    assert record["id"] not in ids[end - DAY]
    assert record["id"] not in ids[end]
    assert record["id"] in ids[end + DAY]
    assert listed[end + DAY]["purge_enabled"] is False
    assert exists(ctx, CreditRecord, record["id"])  # a report deletes nothing


def test_a_purge_takes_only_what_a_report_listed_the_grace_period_before(ctx, clock):
    record, end = a_penalty(ctx, create_entity(ctx))
    at(clock, end + DAY)
    assert retention.purge(ctx, ADMIN)["code"] == "retention-no-report"
    for day in (end - DAY, end, end + DAY):
        report_on(ctx, clock, day)

    at(clock, end + 7 * DAY)  # the newest report 7 days old is the one of ``end``
    first = retention.purge(ctx, ADMIN)
    assert (first["code"], first["report"], first["purged_records"]) == (
        "retention-purge-done",
        str(end),
        0,
    )
    assert exists(ctx, CreditRecord, record["id"])

    at(clock, end + 8 * DAY)
    second = retention.purge(ctx, ADMIN)
    assert (second["report"], second["purged_records"]) == (str(end + DAY), 1)
    assert not exists(ctx, CreditRecord, record["id"])


def test_a_record_corrected_to_a_later_retention_since_its_report_stays(ctx, clock):
    owner = create_entity(ctx)
    record, end = a_penalty(ctx, owner)
    report_on(ctx, clock, end + DAY)
    at(clock, end + 8 * DAY)
    # the decision was three months later than entered: its 5 years end later (D16)
    fields = {**record["fields"], "CF_JDRQ": "2026-06-15"}
    with ctx.session_factory.begin() as session:
        row = session.get(CreditRecord, record["id"])
        record_services.correct_in(session, ctx, SYSTEM, row, fields=fields, reason="更正日期")

    assert retention.purge(ctx, ADMIN)["purged_records"] == 0
    assert exists(ctx, CreditRecord, record["id"])


def test_the_purge_is_off_by_default_and_the_nightly_job_only_reports(ctx, clock, client, auth):
    record, end = a_penalty(ctx, create_entity(ctx))
    assert ctx.settings.retention_purge is False
    spec = next(j for j in JOBS if j.id == "retention.run")
    assert (spec.trigger, spec.trigger_args) == ("cron", {"hour": 3, "minute": 30})

    for day in (end + DAY, end + 9 * DAY):
        clock.set(datetime.combine(day, datetime.min.time(), SHANGHAI) + timedelta(hours=3.5))
        assert run_job(ctx, spec) == "succeeded"
    assert exists(ctx, CreditRecord, record["id"])
    with ctx.session_factory() as session:
        detail = (
            session.execute(
                select(JobRun.detail).where(JobRun.job_id == spec.id).order_by(JobRun.id.desc())
            )
            .scalars()
            .first()
        )
    assert json.loads(detail)["code"] == "retention-report-written"
    words = stored_words(detail)
    assert words and "本次只生成报告" in words and "{" not in words

    ctx.settings = ctx.settings.replace(sync_platforms_file=ctx.settings.data_dir / "none.yaml")
    page = get_page(client, "/console/sync", auth("admin"))
    assert "报告并删除保存期满的信息" in page and "本次只生成报告" in page
    assert "retention-report-written" not in page

    ctx.settings = ctx.settings.replace(retention_purge=True)
    at(clock, end + 10 * DAY)
    done = retention.nightly(ctx, SYSTEM)
    assert (done["code"], done["purged_records"]) == ("retention-purge-done", 1)
    assert "已按" in stored_words(json.dumps(done))
    assert not exists(ctx, CreditRecord, record["id"])


# --- what a purge carries with it -------------------------------------------------------------


@pytest.fixture
def ten_year_rules(ctx, tmp_path):  # type: ignore[no-untyped-def]
    """catalogs/ copied, with the trustworthy tier barred by a dishonest record of the last
    10 years (not 3): a record past retention (5 years) still holds an entity back."""
    catalogs = tmp_path / "catalogs"
    shutil.copytree(PROJECT_ROOT / "catalogs", catalogs)
    path = catalogs / "tiers.yaml"
    text = path.read_text(encoding="utf-8")
    old = "no_record_within: {category: dishonest, period: P3Y}"
    assert old in text
    path.write_text(text.replace(old, old.replace("P3Y", "P10Y")), "utf-8")
    ctx.settings = ctx.settings.replace(catalogs_dir=catalogs)
    return tier_services.apply_rule_set(ctx, SYSTEM)


def test_a_purged_record_takes_its_revisions_and_the_tier_and_platforms_follow(
    ctx, clock, ten_year_rules
):
    owner = create_entity(ctx)
    record, end = a_penalty(ctx, owner)
    fields = {**record["fields"], "CF_NR": "罚款人民币四万元"}
    with ctx.session_factory.begin() as session:
        row = session.get(CreditRecord, record["id"])
        record_services.correct_in(session, ctx, SYSTEM, row, fields=fields, reason="更正金额")
    at(clock, end)
    file_award(ctx, owner["identifier"], decision_date=str(end - DAY))
    report_on(ctx, clock, end + DAY)
    at(clock, end + 8 * DAY)
    tier_services.recompute_tiers(ctx, SYSTEM, cause="nightly: time passed")
    with ctx.session_factory() as session:
        assert session.get(TierAssignment, owner["id"]).tier == "B"  # the old fine bars A

    assert retention.purge(ctx, ADMIN)["purged_records"] == 1

    with ctx.session_factory() as session:
        revisions = session.execute(
            select(CreditRecordRevision).where(CreditRecordRevision.record_id == record["id"])
        ).all()
        assert revisions == []
        assert session.get(TierAssignment, owner["id"]).tier == "A"
        last = (
            session.execute(
                select(TierChange)
                .where(TierChange.entity_id == owner["id"])
                .order_by(TierChange.id)
            )
            .scalars()
            .all()[-1]
        )
        assert (last.new_tier, last.cause) == ("A", f"record {record['id']} purged")
        event = session.execute(
            select(OutboxEvent).where(OutboxEvent.event_type == "record.purged")
        ).scalar_one()
    assert (event.subject, event.aggregate_id) == (owner["identifier"], str(record["id"]))
    authority, ref = record["source_authority"], record["source_ref"]
    assert event.payload == {
        "record_id": record["id"],
        "record_key": record_key(authority, ref),
        "retention_end": str(end),
    }
    [purged] = audit_rows(ctx, "record.purge")
    assert purged.details == {
        "count": 1,
        "ids": [record["id"]],
        "retention_day": str(end + 8 * DAY),
    }
    assert purged.actor == ADMIN.username


def test_a_record_something_rests_on_is_held_and_reported_so(ctx, clock):
    owner = create_entity(ctx)
    record, end = a_penalty(ctx, owner, CF_CFLB=HEAVIER)
    dishonesty.propose(
        ctx, REGULATOR, entity=owner["identifier"], record_ids=[record["id"]], reason="拟列入"
    )

    report = report_on(ctx, clock, end + DAY)
    at(clock, end + 8 * DAY)
    done = retention.purge(ctx, ADMIN)

    assert record["id"] not in report["past_retention"]["records"]["ids"]
    assert report["held_records"]["listing"]["ids"] == [record["id"]]
    assert done["purged_records"] == 0 and exists(ctx, CreditRecord, record["id"])


# --- natural persons ---------------------------------------------------------------------------


def test_a_natural_person_with_nothing_left_goes_and_one_with_a_kept_record_stays(
    ctx, clock, ten_year_rules
):
    gone = create_person(ctx)
    old, end = a_penalty(ctx, gone)
    kept = create_person(ctx)
    kept_old, _ = a_penalty(ctx, kept)
    kept_young, _ = a_penalty(ctx, kept, decided="2026-11-20")
    bare = create_person(ctx)  # registered on 2026-11-25, nothing ever filed
    organisation = create_entity(ctx)
    a_penalty(ctx, organisation)

    report = report_on(ctx, clock, end + DAY)
    at(clock, end + 8 * DAY)
    done = retention.purge(ctx, ADMIN)

    listed = report["past_retention"]["entities"]["ids"]
    assert gone["id"] in listed
    assert kept["id"] not in listed and bare["id"] not in listed
    assert organisation["id"] not in listed  # an organisation is no personal data
    assert done["purged_entities"] == 1 and done["purged_records"] == 3
    assert not exists(ctx, Entity, gone["id"]) and not exists(ctx, CreditRecord, old["id"])
    assert exists(ctx, Entity, kept["id"]) and exists(ctx, CreditRecord, kept_young["id"])
    assert not exists(ctx, CreditRecord, kept_old["id"])
    with ctx.session_factory() as session:
        assert session.get(TierAssignment, gone["id"]) is None
        changes = select(TierChange).where(TierChange.entity_id == gone["id"])
        assert session.execute(changes).all() == []
    [purged] = audit_rows(ctx, "entity.purge")
    assert purged.details == {"count": 1, "ids": [gone["id"]]}

    # a person never filed against goes once its entry is 5 years unchanged
    assert bare["id"] not in due(ctx, D("2031-11-25"))["entities"]
    assert bare["id"] in due(ctx, D("2031-11-26"))["entities"]


def test_a_report_names_no_one(ctx, clock):
    person = create_person(ctx, name="欧阳明华")
    record, end = a_penalty(ctx, person)

    report = report_on(ctx, clock, end + DAY)

    text = (reports.folder(ctx) / f"{end + DAY}.json").read_text(encoding="utf-8")
    assert report["past_retention"]["entities"]["ids"] == [person["id"]]
    assert report["past_retention"]["records"]["ids"] == [record["id"]]
    for personal in (person["identifier"], "欧阳明华", person["identifier"][-4:], "欧阳"):
        assert personal not in text
    [audited] = audit_rows(ctx, "retention.report")
    assert audited.details["entities"] == 1 and "ids" not in audited.details


def test_a_closed_objections_evidence_goes_with_its_record_and_the_person_stays(ctx, clock):
    person = create_person(ctx)
    record, end = a_penalty(ctx, person)
    filed, _ = objection_services.file_objection(
        ctx,
        REGULATOR,
        target=f"record:{record['id']}",
        reasons="该处罚决定书文号登记有误",
        contact="王五 13900000001",
        applicant_name="欧阳明华",
    )
    objection_services.add_evidence(
        ctx, REGULATOR, filed["id"], filename="申请书.pdf", stream=io.BytesIO(PDF)
    )
    objection_services.take_step(
        ctx,
        REGULATOR,
        filed["id"],
        "refuse",
        reason="重复提出",
        details={"refusal_reason": "repeat"},
    )
    with ctx.session_factory() as session:
        stored = session.execute(
            select(ObjectionEvidence).where(ObjectionEvidence.objection_id == filed["id"])
        ).scalar_one()
    path = evidence_files.folder(ctx) / stored.stored_name
    assert path.exists()

    report = report_on(ctx, clock, end + DAY)
    at(clock, end + 8 * DAY)
    done = retention.purge(ctx, ADMIN)

    assert report["past_retention"]["objection_evidence"]["ids"] == [stored.id]
    assert person["id"] not in report["past_retention"]["entities"]["ids"]  # its objection
    assert (done["purged_objection_evidence"], done["purged_records"]) == (1, 1)
    assert not exists(ctx, ObjectionEvidence, stored.id) and not path.exists()
    assert exists(ctx, Objection, filed["id"]) and exists(ctx, Entity, person["id"])
    [purged] = audit_rows(ctx, "objection.evidence.purge")
    assert purged.details == {"count": 1, "evidence_ids": [stored.id]}


# --- the audit trail keeps its own rule --------------------------------------------------------


def test_the_report_says_what_the_audit_purge_will_delete(ctx, clock):
    start = clock.now()
    clock.set(start - timedelta(days=400))
    with ctx.session_factory.begin() as session:
        for _ in range(3):
            sealing.append(session, actor=SYSTEM, action="test.act", now=clock.now())
    clock.set(start)
    sealing.seal_log(ctx)

    report = report_on(ctx, clock, start.astimezone(SHANGHAI).date())

    planned = report["audit_trail"]
    assert planned["rows"] >= 3 and planned["retention_days"] == 365
    assert sealing.purge_log(ctx, SYSTEM) == planned["rows"]
