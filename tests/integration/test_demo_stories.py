"""The demo stories `make run` plays: a year of listings, repairs, objections and
inspections through the services, the demo accounts, and nothing played twice."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import date

from sqlalchemy import select

from credit_service.access import SYSTEM, Actor
from credit_service.audit import sealing, verification
from credit_service.auth.models import User
from credit_service.demo import listings, repairs, stories
from credit_service.demo import seed as demo_seed
from credit_service.dishonesty import rules as list_rules
from credit_service.dishonesty.models import DishonestyCase
from credit_service.entities.models import Entity
from credit_service.inspections import publication
from credit_service.inspections import services as inspection_services
from credit_service.inspections.models import InspectionItem, InspectionPlan
from credit_service.objections import services as objection_services
from credit_service.objections.models import STATES, Objection, ObjectionEvidence
from credit_service.procedures.models import ProcedureDocument, ProcedureStep
from credit_service.records import trustworthy
from credit_service.records.models import CreditRecord
from credit_service.repair import services as repair_services
from credit_service.repair.models import STATES as REPAIR_STATES
from credit_service.repair.models import RepairApplication
from credit_service.tiers import services as tier_services
from tests.factories import CITY

DOCUMENT_NO = re.compile(r"(.+)〔(\d{4})〕(\d+)号")
REGULATOR = Actor(
    role="regulator", username=demo_seed.DEMO_REGULATOR, region_code=CITY, city_code=CITY
)


def test_the_stories_leave_a_city_after_a_year_of_use(ctx):
    tier_services.apply_rule_set(ctx, SYSTEM)
    demo_seed.seed(ctx, SYSTEM, entities=60, seed=7)

    accounts = stories.seed_stories(ctx, REGULATOR)

    assert set(accounts) == {stories.DEMO_ADMIN, stories.DEMO_ENTERPRISE}
    with ctx.read_session_factory() as session:
        cases = Counter(
            (c.state, c.removal_reason) for c in session.execute(select(DishonestyCase)).scalars()
        )
        applications = Counter(
            a.state for a in session.execute(select(RepairApplication)).scalars()
        )
        plans = session.execute(select(InspectionPlan)).scalars().all()
    assert cases == {
        ("published", None): stories.LISTINGS - 1,
        ("removed", "expired"): 1,
        ("removed", "repaired"): 1,
        **{(state, None): 1 for state, _, _ in listings.IN_HAND},
    }
    assert {state for state, _ in cases} == set(list_rules.STATES)  # every state present
    assert applications == {"granted": 1, "submitted": 1, "accepted": 1} | {
        state: 1 for state, _ in repairs.RECORD_STORIES
    }
    assert set(applications) == set(REPAIR_STATES)
    _every_act_on_a_working_day(ctx)
    _numbers_increase_with_their_dates(ctx)
    assert len(plans) == 1
    _inspection_results_public_within_their_deadline(ctx)
    # the trustworthy list has something to show (honours filed by the seed's importer)
    assert trustworthy.search(ctx, trustworthy.Filters(), limit=5).items
    queue = repair_services.list_applications(ctx, REGULATOR)
    assert sorted(a["state"] for a in queue) == ["accepted", "submitted", "supplement_requested"]

    # the demo enterprise's listing is more than a year old: it may ask for removal now
    with ctx.read_session_factory() as session:
        uscc = session.execute(
            select(User.uscc).where(User.username == stories.DEMO_ENTERPRISE)
        ).scalar_one()
        case_id = session.execute(
            select(DishonestyCase.id)
            .join(Entity, Entity.id == DishonestyCase.entity_id)
            .where(Entity.identifier == uscc, DishonestyCase.state == "published")
        ).scalar_one()
    clerk = Actor(role="enterprise", username=stories.DEMO_ENTERPRISE, uscc=uscc, city_code=CITY)
    eligibility = repair_services.check_eligibility(ctx, clerk, f"listing:{case_id}")
    assert eligibility["eligible"], eligibility["conditions"]
    _objections_in_every_state(ctx, uscc)
    sealing.seal_log(ctx)
    assert verification.verify_log(ctx).ok

    assert stories.seed_stories(ctx, REGULATOR) is None  # played once only


def _every_act_on_a_working_day(ctx) -> None:  # type: ignore[no-untyped-def]
    """Every step of every procedure (proposals, notices, decisions, publications,
    removals, repairs, objections, inspections) is dated a working day, and so is every
    document: no decision on a weekend or in the Spring Festival."""
    with ctx.read_session_factory() as session:
        steps = session.execute(
            select(ProcedureStep.procedure, ProcedureStep.step, ProcedureStep.effective_on)
        ).all()
        created = session.execute(select(ProcedureDocument.created_at)).scalars().all()
        issued = [at.astimezone(ctx.tz).date() for at in created] + list(
            issued_on(session).values()
        )
        cases = session.execute(select(DishonestyCase)).scalars().all()
    assert {procedure for procedure, _, _ in steps} >= {"listing", "repair", "objection"}
    off = [(p, s, d) for p, s, d in steps if not ctx.calendar.is_workday(d)]
    assert off == []
    assert all(ctx.calendar.is_workday(day) for day in issued)
    for case in cases:
        for day in (case.notice_served_on, case.decided_on, case.published_on, case.removed_on):
            assert day is None or ctx.calendar.is_workday(day), (case.id, day)


def issued_on(session) -> dict[int, date]:  # type: ignore[no-untyped-def]
    """Each document's date: the date of the step that issued it (the day it bears)."""
    steps = session.execute(select(ProcedureStep.effective_on, ProcedureStep.details)).all()
    return {
        paper["document_id"]: day
        for day, details in steps
        for paper in (details or {}).get("issued", ())
    }


def _numbers_increase_with_their_dates(ctx) -> None:  # type: ignore[no-untyped-def]
    """Within each yearly sequence (宣市监信列〔2026〕…), a later number is never dated
    earlier: the decisions are numbered in the order they were made."""
    with ctx.read_session_factory() as session:
        documents = session.execute(select(ProcedureDocument.id, ProcedureDocument.number)).all()
        dated = issued_on(session)
    sequences: dict[tuple[str, str], list[tuple[int, date]]] = defaultdict(list)
    for document_id, number in documents:
        prefix, year, n = DOCUMENT_NO.fullmatch(number).groups()
        sequences[(prefix, year)].append((int(n), dated[document_id]))
    assert {prefix for prefix, _ in sequences} >= {"宣市监信告", "宣市监信列", "宣市监信移"}
    for key, numbered in sequences.items():
        numbered.sort()
        assert [n for n, _ in numbered] == list(range(1, len(numbered) + 1)), key
        dates = [day for _, day in numbered]
        assert dates == sorted(dates), (key, numbered)
        assert all(str(day.year) == key[1] for day in dates), key


def _objections_in_every_state(ctx, demo_uscc: str) -> None:
    """Every state of an objection, each act on a working day; the demo enterprise's own
    accepted and marking its record; one brought in person with its scan; one upheld
    that corrected a field by a new revision."""
    with ctx.read_session_factory() as session:
        objections = session.execute(select(Objection).order_by(Objection.id)).scalars().all()
        acts = session.execute(
            select(ProcedureStep.effective_on).where(ProcedureStep.procedure == "objection")
        ).scalars()
        assert all(ctx.calendar.is_workday(day) for day in acts)
        evidence = Counter(
            e.objection_id for e in session.execute(select(ObjectionEvidence)).scalars()
        )
        by_state = {o.state: o for o in objections}
        assert set(by_state) == set(STATES)
        assert len(objections) == len(STATES)

        upheld = by_state["upheld"]
        assert upheld.correction["action"] == "correct" and upheld.correction["field"] == "CF_NR"
        record = session.get(CreditRecord, upheld.target_id)
        assert record.revision == 2 and record.fields["CF_NR"] == upheld.value_claimed

        in_person = [o for o in objections if o.channel == "office"]
        assert len(in_person) == 1 and evidence[in_person[0].id] == 1
        assert in_person[0].accepted_on is not None

        demo = by_state["accepted"]
        owner = session.get(Entity, demo.entity_id)
        assert owner.identifier == demo_uscc and demo.filed_by == stories.DEMO_ENTERPRISE
        assert demo.target_type == "listing" and evidence[demo.id] == 1
    marks = objection_services.open_marks_for(ctx, "listing", [demo.target_id])
    assert marks == {demo.target_id: demo.id}  # 异议处理中
    assert by_state["not_upheld"].extended_on is not None
    figures = objection_services.objection_statistics(ctx).total  # all within the deadlines
    assert (figures.received, figures.decided, figures.late) == (len(STATES), 4, 0)


def _inspection_results_public_within_their_deadline(ctx) -> None:  # type: ignore[no-untyped-def]
    """一公开 (D20): the demo plan's results went public the working day after their
    inspection (the last one waits for tonight's job), a natural person among them masked."""
    with ctx.read_session_factory() as session:
        recorded = (
            session.execute(select(InspectionItem).where(InspectionItem.outcome.is_not(None)))
            .scalars()
            .all()
        )
    assert len(recorded) == stories.INSPECTED
    published = [i for i in recorded if i.published_on is not None]
    assert len(published) == stories.INSPECTED - 1
    for item in published:
        assert item.published_on <= publication.due(ctx, item).due
        assert ctx.calendar.is_workday(item.published_on)
    assert inspection_services.overdue(ctx, REGULATOR) == []
    shown = inspection_services.search_results(ctx, inspection_services.ResultFilters()).items
    assert len(shown) == stories.INSPECTED - 1
    people = [r for r in shown if r["kind"] == "natural_person"]
    assert people and all("*" in r["name"] and r["uscc"] is None for r in people)
