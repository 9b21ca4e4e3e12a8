"""The console's aggregates against a real database (SQLite and PostgreSQL): tiers by
district and industry, the list pipeline by state, the deadlines passed or near as of a
given day, each limited to the caller's region."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from credit_service import worklist
from credit_service.access import SYSTEM, Actor
from credit_service.auth import services as auth_services
from credit_service.dishonesty import pipeline, rules
from credit_service.dishonesty import services as dishonesty
from credit_service.errors import Forbidden
from credit_service.repair import services as repair_services
from credit_service.tiers import reports as tier_reports
from credit_service.tiers import services as tier_services
from credit_service.tiers import statistics
from credit_service.tiers.definitions import TIER_CODES
from tests.factories import CITY, LANGXI, XUANZHOU, create_entity, file_penalty, step_papers

TODAY = date(2026, 11, 25)  # Wednesday, the fixtures' start
HEAVIER = ["罚款", "责令停产停业"]
CITY_REGULATOR = Actor(role="regulator", username="r-city", region_code=CITY, city_code=CITY)
LANGXI_VIEWER = Actor(role="viewer", username="v-langxi", region_code=LANGXI, city_code=CITY)
XUANZHOU_VIEWER = Actor(role="viewer", username="v-xuanzhou", region_code=XUANZHOU, city_code=CITY)
DISTRICTS = ("341802", "341821", "341823", "341824", "341825", "341881", "341882")


@pytest.fixture
def tiers(ctx):  # type: ignore[no-untyped-def]
    return tier_services.apply_rule_set(ctx, SYSTEM)


def case_for(ctx, region: str = XUANZHOU, *steps: str) -> dict:
    """A case on a heavier penalty of a new entity, taken through ``steps`` today."""
    owner = create_entity(ctx, region_code=region)
    record = file_penalty(ctx, owner["identifier"], CF_CFLB=HEAVIER)
    case = dishonesty.propose(
        ctx, CITY_REGULATOR, entity=owner["identifier"], record_ids=[record["id"]], reason="拟列入"
    )
    for step in steps:
        case = dishonesty.advance(ctx, CITY_REGULATOR, case["id"], step, **step_papers(step))
    return case


def counts(rows: tuple[statistics.TierCounts, ...]) -> dict[str | None, dict[str, int]]:
    return {row.key: {t: n for t, n in row.counts.items() if n} for row in rows}


# --- tiers ------------------------------------------------------------------------------------


def test_tiers_are_counted_by_district_and_industry_within_the_callers_region(ctx, tiers):
    punished = create_entity(ctx, region_code=XUANZHOU, industry="C")
    file_penalty(ctx, punished["identifier"], CF_CFLB=HEAVIER)  # severe: D
    create_entity(ctx, region_code=XUANZHOU, industry="C")
    create_entity(ctx, region_code=LANGXI, industry="F")
    create_entity(ctx, region_code=LANGXI, industry=None)

    city = statistics.tier_distribution(ctx, CITY_REGULATOR)
    assert [row.key for row in city.by_region] == list(DISTRICTS)  # empty ones too
    assert counts(city.by_region)[XUANZHOU] == {"B": 1, "D": 1}
    assert counts(city.by_region)[LANGXI] == {"B": 2}
    assert counts(city.by_region)["341823"] == {}
    assert counts(city.by_industry) == {"C": {"B": 1, "D": 1}, "F": {"B": 1}, None: {"B": 1}}
    assert [row.key for row in city.by_industry] == ["C", "F", None]  # unrecorded last
    assert city.totals == {"A": 0, "B": 3, "C": 0, "D": 1} and city.total == 4
    assert list(city.totals) == list(TIER_CODES)
    summary = tier_reports.summary(ctx, CITY_REGULATOR)
    assert summary["counts"] == city.totals and summary["total"] == city.total

    county = statistics.tier_distribution(ctx, LANGXI_VIEWER)
    assert [row.key for row in county.by_region] == [LANGXI]
    assert counts(county.by_industry) == {"F": {"B": 1}, None: {"B": 1}}
    assert county.total == 2 and county.totals["D"] == 0


def test_entities_registered_at_city_level_show_as_the_city(ctx, tiers):
    create_entity(ctx, region_code=CITY)
    city = statistics.tier_distribution(ctx, CITY_REGULATOR)
    assert [row.key for row in city.by_region] == [CITY, *DISTRICTS]
    assert city.by_region[0].total == 1


def test_nothing_is_counted_before_a_rule_set_is_applied(ctx):
    create_entity(ctx)
    empty = statistics.tier_distribution(ctx, CITY_REGULATOR)
    assert empty.total == 0 and empty.by_industry == ()
    assert all(row.total == 0 for row in empty.by_region)


# --- the list pipeline ------------------------------------------------------------------------


def test_cases_are_counted_by_state_in_the_callers_region(ctx, tiers):
    case_for(ctx)
    case_for(ctx, XUANZHOU, "serve_notice")
    case_for(ctx, XUANZHOU, "serve_notice", "waive", "decide_list", "publish")
    case_for(ctx, LANGXI, "withdraw")

    city = worklist.pipeline(ctx, CITY_REGULATOR)
    assert list(city.by_state) == list(rules.STATES)
    assert {s: n for s, n in city.by_state.items() if n} == {
        "proposed": 1,
        "notice_served": 1,
        "published": 1,
        "withdrawn": 1,
    }
    assert city.in_procedure == 2 and city.as_of == TODAY

    county = worklist.pipeline(ctx, LANGXI_VIEWER)
    assert {s: n for s, n in county.by_state.items() if n} == {"withdrawn": 1}
    assert county.in_procedure == 0


def test_a_statement_window_passed_shows_from_the_day_after_its_deadline(ctx, tiers):
    served = case_for(ctx, XUANZHOU, "serve_notice")
    assert served["statement_deadline"] == date(2026, 12, 2)

    on_deadline = worklist.pipeline(ctx, CITY_REGULATOR, today=date(2026, 12, 2))
    assert on_deadline.statement_passed == () and on_deadline.overdue == 0
    after = worklist.pipeline(ctx, CITY_REGULATOR, today=date(2026, 12, 3))
    (due,) = after.statement_passed
    assert due.case["id"] == served["id"] and due.case["entity"]["region_code"] == XUANZHOU
    assert (due.deadline.kind, due.deadline.due, due.deadline.passed) == (
        "statement",
        date(2026, 12, 2),
        True,
    )
    assert after.overdue == 1
    assert worklist.pipeline(ctx, LANGXI_VIEWER, today=date(2026, 12, 3)).statement_passed == ()


def test_a_decision_not_published_in_time_is_overdue(ctx, tiers):
    decided = case_for(ctx, XUANZHOU, "serve_notice", "waive", "decide_list")
    deadline = decided["publication_deadline"]
    assert worklist.pipeline(ctx, CITY_REGULATOR, today=deadline).publication_overdue == ()
    day_after = deadline + timedelta(days=1)
    late = worklist.pipeline(ctx, CITY_REGULATOR, today=day_after)
    assert [d.case["id"] for d in late.publication_overdue] == [decided["id"]]
    assert late.statement_passed == ()  # waived: no window to wait for
    assert worklist.pipeline(ctx, XUANZHOU_VIEWER, today=day_after).overdue == 1
    assert worklist.pipeline(ctx, LANGXI_VIEWER, today=day_after).overdue == 0


def test_repair_applications_are_overdue_or_due_soon_as_of_the_day_asked(ctx, tiers):
    owner = create_entity(ctx, region_code=XUANZHOU)
    record = file_penalty(ctx, owner["identifier"], CF_JDRQ="2026-03-15")  # repairable now
    username = f"ent-{owner['identifier'][-8:]}"
    auth_services.create_user(
        ctx,
        SYSTEM,
        username=username,
        display_name=username,
        role="enterprise",
        uscc=owner["identifier"],
    )
    enterprise = Actor(role="enterprise", username=username, uscc=owner["identifier"])
    application, _ = repair_services.apply(
        ctx,
        enterprise,
        target=f"record:{record['id']}",
        reason="已全面纠正失信行为，申请信用修复",
        measures_taken="已缴纳全部罚款，下架涉案产品并开展合规培训",
        obligations_performed=True,
        commitment_version="2026-1",
        contact="李四 13900000000",
    )
    assert application["acceptance_due"] == date(2026, 11, 30)  # 3 working days

    def ids(items: tuple[dict, ...]) -> list[int]:
        return [a["id"] for a in items]

    quiet = worklist.pipeline(ctx, CITY_REGULATOR, today=TODAY)
    assert ids(quiet.repairs_overdue) == ids(quiet.repairs_due_soon) == []
    near = worklist.pipeline(ctx, CITY_REGULATOR, today=date(2026, 11, 27))  # Friday
    assert ids(near.repairs_due_soon) == [application["id"]] and near.overdue == 0
    late = worklist.pipeline(ctx, CITY_REGULATOR, today=date(2026, 12, 1))
    assert ids(late.repairs_overdue) == [application["id"]] and late.repairs_due_soon == ()
    assert late.overdue == 1
    assert worklist.pipeline(ctx, LANGXI_VIEWER, today=date(2026, 12, 1)).repairs_overdue == ()


# --- deadlines and steps of one case ----------------------------------------------------------


def test_each_next_step_says_when_it_may_be_taken(ctx, tiers):
    proposed = case_for(ctx)
    assert pipeline.running_deadline(proposed, TODAY) is None
    assert pipeline.step_timing(proposed, "serve_notice") == pipeline.StepTiming()

    served = dishonesty.advance(ctx, CITY_REGULATOR, proposed["id"], "serve_notice")
    window_end = date(2026, 12, 2)
    assert pipeline.running_deadline(served, TODAY) == pipeline.RunningDeadline(
        "statement", window_end, False, passed=False
    )
    assert pipeline.step_timing(served, "waive").due == window_end
    assert pipeline.step_timing(served, "receive_statement").due == window_end
    assert pipeline.step_timing(served, "decide_list").earliest == date(2026, 12, 3)
    assert pipeline.step_timing(served, "withdraw") == pipeline.StepTiming()

    waived = dishonesty.advance(
        ctx, CITY_REGULATOR, proposed["id"], "waive", **step_papers("waive")
    )
    assert pipeline.step_timing(waived, "decide_list") == pipeline.StepTiming()  # at once
    decided = dishonesty.advance(ctx, CITY_REGULATOR, proposed["id"], "decide_list")
    timing = pipeline.step_timing(decided, "publish")
    assert timing.due == decided["publication_deadline"] and timing.earliest is None
    assert pipeline.running_deadline(decided, TODAY).kind == "publication"


def test_a_step_just_taken_is_recognised_as_taken(ctx, tiers):
    case = case_for(ctx, XUANZHOU, "serve_notice")
    shown = dishonesty.get_case(ctx, CITY_REGULATOR, case["id"])
    assert pipeline.already_taken(shown, "serve_notice")
    assert not pipeline.already_taken(shown, "waive")
    assert not pipeline.already_taken({"steps": []}, "serve_notice")


def test_an_entitys_cases_are_listed_newest_first_within_the_region(ctx, tiers):
    owner = create_entity(ctx, region_code=XUANZHOU)
    first = file_penalty(ctx, owner["identifier"], CF_CFLB=HEAVIER)
    second = file_penalty(ctx, owner["identifier"], CF_CFLB=HEAVIER)
    ids = [
        dishonesty.propose(
            ctx, CITY_REGULATOR, entity=owner["identifier"], record_ids=[r["id"]], reason="拟列入"
        )["id"]
        for r in (first, second)
    ]
    case_for(ctx)  # another entity's
    listed = dishonesty.list_cases(ctx, XUANZHOU_VIEWER, entity=owner["identifier"])
    assert [c["id"] for c in listed] == ids[::-1]
    with pytest.raises(Forbidden):
        dishonesty.list_cases(ctx, LANGXI_VIEWER, entity=owner["identifier"])
