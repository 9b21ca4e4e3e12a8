"""Published figures about how promptly credit-repair applications are handled, against
the legal deadlines (D10): per month of decision and per district, how many applications
were decided, how many got their acceptance step and their decision in time, and the
median number of working days they took.

Only counts and medians leave this module (never an applicant or an application), so
every figure may be shown to anyone. A deadline is judged against the due date stored
with the application, which already leaves out the time the clock stood still while the
applicant supplied materials; the days taken leave that time out the same way, so the
median measures the office, not the applicant.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from credit_service.context import Context
from credit_service.procedures.turnaround import read_pauses, workdays_taken
from credit_service.repair.models import RepairApplication
from credit_service.repair.procedure import REPAIR
from credit_service.reporting import MONTHS, Month, last_months, region_codes

# Every state an application reaches by a decision; a revoked repair was granted first.
DECIDED_STATES = ("not_accepted", "granted", "refused", "revoked")


@dataclass(frozen=True)
class Handled:
    """One decided application, reduced to what the figures need (no applicant)."""

    month: str
    region_code: str
    acceptance_in_time: bool  # accepted, or refused acceptance, by its due day
    decision_in_time: bool | None  # decided by its due day; None: never accepted
    workdays: int  # from submission to decision, pauses for materials left out


@dataclass(frozen=True)
class Turnaround:
    """How the applications decided within one month or one district were handled."""

    key: str  # the month label (2026-01) or the region code
    decided: int
    acceptance_in_time: int
    reviewed: int  # accepted and then granted or refused: those with a decision deadline
    decision_in_time: int
    median_workdays: float | None  # None when nothing was decided


@dataclass(frozen=True)
class RepairTurnaround:
    """Repair turnaround over the last months, by month of decision and by district."""

    as_of: date
    since: date
    by_month: tuple[Turnaround, ...]
    by_region: tuple[Turnaround, ...]
    total: Turnaround


def repair_turnaround(
    ctx: Context, as_of: date | None = None, *, months: int = MONTHS
) -> RepairTurnaround:
    """The applications decided from the first day of the oldest month through ``as_of``
    (default: today), measured against their acceptance and decision deadlines."""
    as_of = as_of or ctx.today()
    period = last_months(as_of, months)
    since = period[0].first_day
    window = (
        RepairApplication.state.in_(DECIDED_STATES),
        RepairApplication.decided_on >= since,
        RepairApplication.decided_on <= as_of,
    )
    with ctx.read_session_factory() as session:
        applications = session.execute(
            select(
                RepairApplication.id,
                RepairApplication.region_code,
                RepairApplication.submitted_on,
                RepairApplication.acceptance_due,
                RepairApplication.accepted_on,
                RepairApplication.decision_due,
                RepairApplication.decided_on,
            ).where(*window)
        ).all()
        pauses = read_pauses(session, REPAIR.name, RepairApplication, *window)
    handled = [
        Handled(
            month=str(Month.of(a.decided_on)),
            region_code=a.region_code,
            acceptance_in_time=(a.accepted_on or a.decided_on) <= a.acceptance_due,
            decision_in_time=a.decided_on <= a.decision_due if a.accepted_on else None,
            workdays=workdays_taken(ctx.calendar, a.submitted_on, a.decided_on, pauses[a.id]),
        )
        for a in applications
    ]
    return RepairTurnaround(
        as_of=as_of,
        since=since,
        by_month=tuple(_summary(str(m), [h for h in handled if h.month == str(m)]) for m in period),
        by_region=tuple(
            _summary(code, [h for h in handled if h.region_code == code])
            for code in region_codes(ctx)
        ),
        total=_summary("", handled),
    )


def _summary(key: str, handled: Sequence[Handled]) -> Turnaround:
    reviewed = [h for h in handled if h.decision_in_time is not None]
    return Turnaround(
        key=key,
        decided=len(handled),
        acceptance_in_time=sum(h.acceptance_in_time for h in handled),
        reviewed=len(reviewed),
        decision_in_time=sum(bool(h.decision_in_time) for h in reviewed),
        median_workdays=statistics.median(h.workdays for h in handled) if handled else None,
    )
