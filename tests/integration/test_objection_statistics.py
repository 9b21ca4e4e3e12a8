"""The published objection figures against a real database (SQLite and PostgreSQL), on
objections filed and decided through the objection services with the clock moved: each
act counted in its own month and district, every outcome, and the decisions on time or
late against their deadlines (an extension, a pause for materials, the due day itself)
with the median working days from receipt to decision."""

from __future__ import annotations

from datetime import date

from credit_service.dishonesty import statistics as list_statistics
from credit_service.objections import services
from credit_service.objections.statistics import ObjectionFigures
from tests.factories import CITY, LANGXI, XUANZHOU, create_entity, file_penalty
from tests.integration.test_repair import CITY_REGULATOR, enterprise_of, listed, on

D = date.fromisoformat
AS_OF = D("2026-11-25")


def objection_on(ctx, clock, day: date, region: str) -> int:
    """An enterprise's objection to its own penalty record, received on ``day``."""
    return objection_by(ctx, clock, day, create_entity(ctx, region_code=region))


def objection_by(ctx, clock, day: date, owner: dict) -> int:
    """``owner``'s objection to a penalty record of its own, received on ``day``."""
    on(clock, day)
    record = file_penalty(ctx, owner["identifier"], CF_JDRQ="2026-03-15")
    view, _ = services.file_objection(
        ctx,
        enterprise_of(ctx, owner),
        target=f"record:{record['id']}",
        field="CF_NR",
        value_claimed="罚款人民币三万元",
        reasons="处罚内容登记有误，与原决定书不一致",
        contact="经办人 0563-0000000",
    )
    return view["id"]


def steps(ctx, clock, objection_id: int, *taken: tuple[str, str, dict]) -> dict:
    """Take ``(day, step, details)`` in order, each on its own day."""
    view: dict = {}
    for day, name, details in taken:
        on(clock, D(day))
        view = services.take_step(
            ctx, CITY_REGULATOR, objection_id, name, reason="经核查", details=details
        )
    return view


def counts(row: ObjectionFigures) -> dict[str, int]:
    names = ("received", "accepted", "refused", "upheld", "partly_upheld", "not_upheld")
    return {name: getattr(row, name) for name in names} | {
        "on_time": row.on_time,
        "late": row.late,
    }


def test_objections_are_counted_by_month_and_district_against_their_deadlines(ctx, clock):
    # Received in October, accepted in November, still open: two months, no decision.
    waiting = objection_on(ctx, clock, D("2026-10-30"), XUANZHOU)
    steps(ctx, clock, waiting, ("2026-11-02", "accept", {}))

    # Accepted 11-03 (decision due 11-12), extended once (due 11-23), upheld on the day.
    extended = objection_on(ctx, clock, D("2026-11-02"), XUANZHOU)
    upheld = steps(
        ctx,
        clock,
        extended,
        ("2026-11-03", "accept", {}),
        ("2026-11-05", "extend", {}),
        ("2026-11-23", "uphold", {}),
    )
    assert upheld["decision_due"] == D("2026-11-23") and upheld["state"] == "upheld"

    # Refused on 11-09: the acceptance was due 11-05.
    refused = objection_on(ctx, clock, D("2026-11-02"), LANGXI)
    steps(ctx, clock, refused, ("2026-11-09", "refuse", {"refusal_reason": "out_of_scope"}))

    # Accepted in time (11-04), decided on 11-16: the decision was due 11-13.
    late = objection_on(ctx, clock, D("2026-11-02"), LANGXI)
    steps(ctx, clock, late, ("2026-11-04", "accept", {}), ("2026-11-16", "not_uphold", {}))

    # Accepted at once, paused from 11-03 to 11-10 for materials: due 11-18, decided 11-12.
    paused = objection_on(ctx, clock, D("2026-11-02"), XUANZHOU)
    partly = steps(
        ctx,
        clock,
        paused,
        ("2026-11-02", "accept", {}),
        ("2026-11-03", "request_supplement", {}),
        ("2026-11-10", "supplement_received", {}),
        ("2026-11-12", "partly_uphold", {"action": "none"}),
    )
    assert partly["decision_due"] == D("2026-11-18")

    figures = services.objection_statistics(ctx, AS_OF)

    assert figures.as_of == AS_OF and figures.since == D("2025-12-01")
    months = {row.key: row for row in figures.by_month}
    assert list(months) == ["2025-12", *(f"2026-{m:02d}" for m in range(1, 12))]
    assert counts(months["2026-10"]) == {
        "received": 1,
        "accepted": 0,
        "refused": 0,
        "upheld": 0,
        "partly_upheld": 0,
        "not_upheld": 0,
        "on_time": 0,
        "late": 0,
    }
    assert months["2026-10"].median_workdays is None  # nothing decided: no median
    november = months["2026-11"]
    assert counts(november) == {
        "received": 4,
        "accepted": 4,
        "refused": 1,
        "upheld": 1,
        "partly_upheld": 1,
        "not_upheld": 1,
        "on_time": 2,
        "late": 2,
    }
    assert november.decided == 4
    # working days from receipt: upheld 15, refused 5, late 10, paused 8 - 5 = 3
    assert november.median_workdays == 7.5

    regions = {row.key: row for row in figures.by_region}
    assert list(regions)[0] == CITY and len(regions) == 1 + len(ctx.catalogs.regions)
    assert counts(regions[XUANZHOU]) == {
        "received": 3,
        "accepted": 3,
        "refused": 0,
        "upheld": 1,
        "partly_upheld": 1,
        "not_upheld": 0,
        "on_time": 2,
        "late": 0,
    }
    assert regions[XUANZHOU].median_workdays == 9  # of 3 and 15
    assert (regions[LANGXI].on_time, regions[LANGXI].late) == (0, 2)
    assert regions[LANGXI].median_workdays == 7.5  # of 5 and 10
    assert regions[CITY].received == 0 and regions[CITY].median_workdays is None
    assert counts(figures.total) == counts(november) | {"received": 5}

    # A year on, everything has left the period (2027-01 to 2027-12).
    later = services.objection_statistics(ctx, D("2027-12-01"))
    assert sum(row.received for row in later.by_month) == 0
    assert later.total.decided == 0 and later.total.median_workdays is None


def test_no_objections_no_figures(ctx):
    figures = services.objection_statistics(ctx, AS_OF)
    assert figures.total.received == 0 and figures.total.median_workdays is None
    assert all(row.decided == 0 for row in figures.by_region)


def test_a_listing_objection_counts_on_both_sides_of_the_page(ctx, clock):
    """The mark's feed rows (marked, unmarked) are no additions or removals of the list;
    the upheld objection's removal is one, with its reason."""
    on(clock, AS_OF)
    owner, _, case = listed(ctx)
    view, _ = services.file_objection(
        ctx,
        enterprise_of(ctx, owner),
        target=f"listing:{case['id']}",
        reasons="列入所依据的事实认定错误",
        contact="经办人 0563-0000000",
    )
    services.take_step(ctx, CITY_REGULATOR, view["id"], "accept", reason="经核查")
    marked = list_statistics.list_movements(ctx, AS_OF)
    assert (marked.added, marked.removed, marked.on_list) == (1, 0, 1)
    services.take_step(ctx, CITY_REGULATOR, view["id"], "uphold", reason="事实认定错误")

    movements = list_statistics.list_movements(ctx, AS_OF)
    assert (movements.added, movements.removed, movements.on_list) == (1, 1, 0)
    assert movements.by_month[-1].removed["objection_upheld"] == 1
    assert counts(services.objection_statistics(ctx, AS_OF).total)["upheld"] == 1
