"""The published statistics against a real database (SQLite and PostgreSQL), on data made
through the services with the clock moved: list additions and removals by month (a month
boundary, the year end, every removal reason) and by district, the entries on the list on
a given day, and repair turnaround against the legal deadlines across a weekend, the
National Day holiday, a make-up working day and a pause for materials."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from credit_service.access import SYSTEM, Actor
from credit_service.auth import services as auth_services
from credit_service.clock import local_noon
from credit_service.dishonesty import services as dishonesty
from credit_service.dishonesty import statistics as list_statistics
from credit_service.records import services as record_services
from credit_service.repair import services as repair
from credit_service.repair import statistics as repair_statistics
from credit_service.reporting import Month, last_months
from tests.factories import CITY, LANGXI, XUANZHOU, create_entity, file_penalty, step_papers

D = date.fromisoformat
TODAY = D("2026-11-25")  # the fixtures' start
NINGGUO = "341881"
HEAVIER = ["罚款", "责令停产停业"]
REGULATOR = Actor(role="regulator", username="r-stats", region_code=CITY, city_code=CITY)
NO_REMOVALS = {"expired": 0, "repaired": 0, "revoked": 0, "corrected": 0, "objection_upheld": 0}


def on(clock, day: date) -> None:
    clock.set(local_noon(day))


def listed_on(ctx, clock, day: date, region: str) -> tuple[dict, dict, dict]:
    """An entity listed and published on ``day`` (notice waived, decided the same day) on
    a heavier penalty decided a month before."""
    on(clock, day)
    owner = create_entity(ctx, region_code=region)
    record = file_penalty(
        ctx,
        owner["identifier"],
        CF_CFLB=HEAVIER,
        CF_JDRQ=(day - timedelta(days=30)).isoformat(),
    )
    case = dishonesty.propose(
        ctx, REGULATOR, entity=owner["identifier"], record_ids=[record["id"]], reason="拟列入"
    )
    for step in ("serve_notice", "waive", "decide_list", "publish"):
        case = dishonesty.advance(ctx, REGULATOR, case["id"], step, **step_papers(step))
    return owner, record, case


def enterprise_of(ctx, owner: dict) -> Actor:
    username = f"stats-{owner['identifier'][-8:]}"
    auth_services.create_user(
        ctx,
        SYSTEM,
        username=username,
        display_name=username,
        role="enterprise",
        uscc=owner["identifier"],
    )
    return Actor(role="enterprise", username=username, uscc=owner["identifier"], city_code=CITY)


def apply(ctx, clock, owner: dict, target: str, day: date) -> tuple[Actor, int]:
    on(clock, day)
    enterprise = enterprise_of(ctx, owner)
    view, _ = repair.apply(
        ctx,
        enterprise,
        target=target,
        reason="已纠正失信行为，申请信用修复",
        measures_taken="已缴纳罚款并完成整改",
        obligations_performed=True,
        commitment_version=ctx.repair_rules.commitment_version,
        contact="李四 13900000000",
    )
    return enterprise, view["id"]


def review(ctx, clock, app_id: int, step: str, day: date) -> dict:
    on(clock, day)
    return repair.review(ctx, REGULATOR, app_id, step, reason="依法审核")


def record_application(ctx, clock, region: str, submitted: date, penalty: str = "2026-03-15"):
    """An application to repair a general penalty (a fine only, repairable after three
    months) of a new entity of ``region``."""
    on(clock, submitted)
    owner = create_entity(ctx, region_code=region)
    record = file_penalty(ctx, owner["identifier"], CF_JDRQ=penalty)
    return apply(ctx, clock, owner, f"record:{record['id']}", submitted)


# --- months -----------------------------------------------------------------------------------


def test_the_last_twelve_months_cross_the_year_end_and_include_the_current_one():
    months = last_months(D("2026-01-15"))
    assert [str(m) for m in months[:2]] == ["2025-02", "2025-03"]
    assert [str(m) for m in months[-2:]] == ["2025-12", "2026-01"]
    assert len(months) == 12 and months[0].first_day == D("2025-02-01")
    assert Month.of(D("2026-01-01")).previous() == Month(2025, 12)


# --- the list ---------------------------------------------------------------------------------


@pytest.fixture
def list_history(ctx, clock) -> dict[str, dict]:
    """Six listings made in order of time, with a removal for each reason:

    expired   宁国市  published 2022-12-31, term over 2025-12-31, removed 2026-01-01
    repaired  宣州区  published 2025-01-06, repair granted 2026-01-30
    revoked   郎溪县  published 2025-06-02, penalty revoked 2026-03-10
    corrected 宣州区  published 2025-11-28 (a Friday), corrected 2025-12-01 (the Monday)
    december  郎溪县  published 2025-12-31, still listed
    january   宣州区  published 2026-01-05, still listed
    """
    cases = {}
    cases["expired"] = listed_on(ctx, clock, D("2022-12-31"), NINGGUO)
    cases["repaired"] = listed_on(ctx, clock, D("2025-01-06"), XUANZHOU)
    cases["revoked"] = listed_on(ctx, clock, D("2025-06-02"), LANGXI)
    cases["corrected"] = listed_on(ctx, clock, D("2025-11-28"), XUANZHOU)
    on(clock, D("2025-12-01"))
    dishonesty.advance(
        ctx,
        REGULATOR,
        cases["corrected"][2]["id"],
        "remove",
        reason="列入主体认定有误，予以更正",
        removal_reason="corrected",
    )
    cases["december"] = listed_on(ctx, clock, D("2025-12-31"), LANGXI)
    on(clock, D("2026-01-02"))
    assert dishonesty.expire_listings(ctx, SYSTEM) == 1
    cases["january"] = listed_on(ctx, clock, D("2026-01-05"), XUANZHOU)
    owner, _, case = cases["repaired"]
    _, app_id = apply(ctx, clock, owner, f"listing:{case['id']}", D("2026-01-07"))
    review(ctx, clock, app_id, "accept", D("2026-01-09"))
    review(ctx, clock, app_id, "grant", D("2026-01-30"))
    on(clock, D("2026-03-10"))
    record_services.revoke_record(
        ctx, REGULATOR, cases["revoked"][1]["id"], reason="复议决定撤销原处罚"
    )
    on(clock, TODAY)
    return cases


def test_additions_and_removals_by_month_with_every_reason(ctx, list_history):
    figures = list_statistics.list_movements(ctx)  # as of today, 2026-11-25
    assert figures.as_of == TODAY and figures.since == D("2025-12-01")
    by_month = {m.key: m for m in figures.by_month}
    assert list(by_month)[0] == "2025-12" and list(by_month)[-1] == "2026-11"
    assert len(by_month) == 12
    # published 2025-11-28: before the period; its removal on 2025-12-01 is inside it
    assert (by_month["2025-12"].added, by_month["2025-12"].removed) == (
        1,
        {**NO_REMOVALS, "corrected": 1},
    )
    # the last day of 2025 and the first of 2026 fall into their own years
    assert (by_month["2026-01"].added, by_month["2026-01"].removed) == (
        1,
        {**NO_REMOVALS, "expired": 1, "repaired": 1},
    )
    assert by_month["2026-03"].removed == {**NO_REMOVALS, "revoked": 1}
    quiet = [k for k in by_month if k not in ("2025-12", "2026-01", "2026-03")]
    assert all(by_month[k].added == by_month[k].removed_total == 0 for k in quiet)
    assert (figures.added, figures.removed) == (2, 4)


def test_additions_removals_and_entries_on_the_list_by_district(ctx, list_history):
    figures = list_statistics.list_movements(ctx, TODAY)
    by_region = {m.key: m for m in figures.by_region}
    assert list(by_region) == [
        CITY,
        XUANZHOU,
        LANGXI,
        "341823",
        "341824",
        "341825",
        NINGGUO,
        "341882",
    ]
    assert (by_region[XUANZHOU].added, by_region[XUANZHOU].removed) == (
        1,
        {**NO_REMOVALS, "repaired": 1, "corrected": 1},
    )
    assert (by_region[LANGXI].added, by_region[LANGXI].removed) == (
        1,
        {**NO_REMOVALS, "revoked": 1},
    )
    assert (by_region[NINGGUO].added, by_region[NINGGUO].removed) == (
        0,
        {**NO_REMOVALS, "expired": 1},
    )
    assert by_region[CITY].added == by_region[CITY].removed_total == 0
    assert sum(m.added for m in figures.by_region) == figures.added
    assert sum(m.removed_total for m in figures.by_region) == figures.removed
    assert figures.on_list_by_region[XUANZHOU] == figures.on_list_by_region[LANGXI] == 1
    assert figures.on_list == 2  # the December and January listings


def test_a_past_day_counts_what_was_on_the_list_then_and_nothing_after(ctx, list_history):
    figures = list_statistics.list_movements(ctx, D("2026-01-04"))
    assert figures.since == D("2025-02-01")
    by_month = {m.key: m for m in figures.by_month}
    assert by_month["2025-06"].added == by_month["2025-11"].added == 1
    assert by_month["2025-12"].added == 1
    assert by_month["2025-12"].removed["corrected"] == 1
    assert by_month["2026-01"].added == 0  # the January listing came on the 5th
    assert by_month["2026-01"].removed == {**NO_REMOVALS, "expired": 1}
    assert (figures.added, figures.removed) == (3, 2)
    # December's, and the two taken down later (repaired, revoked); not the expired one
    assert figures.on_list == 3
    assert figures.on_list_by_region == {
        **dict.fromkeys(figures.on_list_by_region, 0),
        XUANZHOU: 1,
        LANGXI: 2,
    }


def test_an_empty_list_has_every_month_and_district_at_zero(ctx):
    figures = list_statistics.list_movements(ctx)
    assert len(figures.by_month) == 12 and len(figures.by_region) == 8
    assert (figures.added, figures.removed, figures.on_list) == (0, 0, 0)


# --- repair turnaround ------------------------------------------------------------------------


@pytest.fixture
def repairs(ctx, clock) -> dict[str, int]:
    """Decided applications (and one still open), made in order of time:

    year_end   市本级  submitted Mon 2025-12-29, accepted 12-30, granted Wed 12-31 (later
               revoked: still a decision of December); 2 working days
    january    宣州区  submitted Tue 2025-12-30, not accepted Mon 2026-01-05, its due day
               (12-31, Sun 01-04 a make-up day, 01-05); 3 working days
    on_time    宣州区  submitted Wed 2026-09-30, accepted Sat 10-10 (a make-up day, due
               that day), granted Fri 10-23 (due that day); 13 working days
    late       宣州区  submitted Wed 2026-09-30, accepted Mon 10-12 (due 10-10), refused
               Tue 10-27 (due Mon 10-26, the weekend between); 15 working days
    refused    郎溪县  submitted Mon 2026-11-02, not accepted Thu 11-05 (due that day)
    paused     郎溪县  submitted Mon 2026-11-02, materials requested Tue 11-03 and
               supplied Tue 11-10, accepted Thu 11-12 (due then, not 11-05), granted Fri
               11-20; 14 working days less the 5 of the pause
    open       郎溪县  submitted 2026-11-20, not decided
    """
    ids = {}
    _, ids["year_end"] = record_application(ctx, clock, CITY, D("2025-12-29"), "2025-08-01")
    review(ctx, clock, ids["year_end"], "accept", D("2025-12-30"))
    review(ctx, clock, ids["year_end"], "grant", D("2025-12-31"))
    _, ids["january"] = record_application(ctx, clock, XUANZHOU, D("2025-12-30"), "2025-08-01")
    review(ctx, clock, ids["january"], "not_accept", D("2026-01-05"))
    review(ctx, clock, ids["year_end"], "revoke", D("2026-02-10"))
    _, ids["on_time"] = record_application(ctx, clock, XUANZHOU, D("2026-09-30"))
    _, ids["late"] = record_application(ctx, clock, XUANZHOU, D("2026-09-30"))
    accepted = review(ctx, clock, ids["on_time"], "accept", D("2026-10-10"))
    assert accepted["acceptance_due"] == D("2026-10-10")
    assert accepted["decision_due"] == D("2026-10-23")
    accepted = review(ctx, clock, ids["late"], "accept", D("2026-10-12"))
    assert accepted["decision_due"] == D("2026-10-26")
    review(ctx, clock, ids["on_time"], "grant", D("2026-10-23"))
    review(ctx, clock, ids["late"], "refuse", D("2026-10-27"))
    _, ids["refused"] = record_application(ctx, clock, LANGXI, D("2026-11-02"))
    applicant, ids["paused"] = record_application(ctx, clock, LANGXI, D("2026-11-02"))
    review(ctx, clock, ids["paused"], "request_supplement", D("2026-11-03"))
    review(ctx, clock, ids["refused"], "not_accept", D("2026-11-05"))
    on(clock, D("2026-11-10"))
    resumed = repair.supplement_received(ctx, applicant, ids["paused"])
    assert resumed["acceptance_due"] == D("2026-11-12")
    review(ctx, clock, ids["paused"], "accept", D("2026-11-12"))
    review(ctx, clock, ids["paused"], "grant", D("2026-11-20"))
    _, ids["open"] = record_application(ctx, clock, LANGXI, D("2026-11-20"))
    on(clock, TODAY)
    return ids


def figures(turnaround, key: str):  # type: ignore[no-untyped-def]
    rows = {r.key: r for r in (*turnaround.by_month, *turnaround.by_region)}
    r = rows[key]
    return (
        r.decided,
        r.acceptance_in_time,
        r.reviewed,
        r.decision_in_time,
        r.median_workdays,
    )


def test_turnaround_by_month_against_the_deadlines(ctx, repairs):
    turnaround = repair_statistics.repair_turnaround(ctx)
    assert turnaround.as_of == TODAY and turnaround.since == D("2025-12-01")
    # decided, accepted in time, reviewed, decided in time, median working days
    assert figures(turnaround, "2025-12") == (1, 1, 1, 1, 2)
    assert figures(turnaround, "2026-01") == (1, 1, 0, 0, 3)
    assert figures(turnaround, "2026-10") == (2, 1, 2, 1, 14)  # 13 and 15 days
    assert figures(turnaround, "2026-11") == (2, 2, 1, 1, 6)  # 3 and 9 days
    assert figures(turnaround, "2026-02") == (0, 0, 0, 0, None)
    total = turnaround.total
    assert (total.decided, total.acceptance_in_time, total.reviewed) == (6, 5, 4)
    assert total.decision_in_time == 3
    assert total.median_workdays == 6  # of 2, 3, 3, 9, 13, 15


def test_turnaround_by_district(ctx, repairs):
    turnaround = repair_statistics.repair_turnaround(ctx, TODAY)
    assert figures(turnaround, CITY) == (1, 1, 1, 1, 2)
    assert figures(turnaround, XUANZHOU) == (3, 2, 2, 1, 13)  # 3, 13 and 15 days
    assert figures(turnaround, LANGXI) == (2, 2, 1, 1, 6)  # 3 and 9 days
    assert figures(turnaround, NINGGUO) == (0, 0, 0, 0, None)
    assert sum(r.decided for r in turnaround.by_region) == turnaround.total.decided


def test_turnaround_counts_only_what_was_decided_by_the_day(ctx, repairs):
    turnaround = repair_statistics.repair_turnaround(ctx, D("2026-10-26"))
    assert turnaround.since == D("2025-11-01")
    assert figures(turnaround, "2026-10") == (1, 1, 1, 1, 13)  # the late one came on the 27th
    assert [r.key for r in turnaround.by_month][-1] == "2026-10"
    assert turnaround.total.decided == 3
    january = repair_statistics.repair_turnaround(ctx, D("2026-01-31"))
    assert [r.key for r in january.by_month][:2] == ["2025-02", "2025-03"]
    assert figures(january, "2025-12") == (1, 1, 1, 1, 2)
    assert january.total.decided == 2
