"""Published figures about objections (D19): per month and per district, how many were
received, accepted, refused, upheld, partly upheld and not upheld, how many of those
decided were decided within their deadlines, and the median number of working days
from receipt to decision.

Only counts and medians leave this module (never an objector, a target or an
objection), so every figure may be shown to anyone. Each figure is counted in the month
of its own act: a receipt in the month it came in, an acceptance in the month it was
accepted, a decision (a refusal is one too) in the month it was taken. A decision is
on time when every deadline it faced was kept: the acceptance (or refusal) by the
acceptance deadline, and, once accepted, the decision by the decision deadline — both
as stored with the objection, so an extension and the pauses for the party's materials
are already in them. The days taken leave those pauses out the same way.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import or_, select

from credit_service.context import Context
from credit_service.objections.models import OUTCOMES, Objection
from credit_service.objections.procedure import OBJECTION
from credit_service.procedures.turnaround import read_pauses, workdays_taken
from credit_service.reporting import MONTHS, Month, last_months, region_codes

DECISIONS = ("refused", *OUTCOMES)  # every state an objection closes in
COUNTS = ("received", "accepted", *DECISIONS)


@dataclass(frozen=True)
class _Acts:
    """One objection reduced to what the figures need: its region and dated acts."""

    region_code: str
    received: Month | None  # None: outside the period
    accepted: Month | None
    decided: Month | None
    state: str
    on_time: bool
    workdays: int


@dataclass(frozen=True)
class ObjectionFigures:
    """The objections of one month or one district."""

    key: str  # the month label (2026-01) or the region code
    received: int
    accepted: int
    refused: int
    upheld: int
    partly_upheld: int
    not_upheld: int
    on_time: int  # decided (or refused) within every deadline it faced
    late: int
    median_workdays: float | None  # from receipt to decision; None when nothing was decided

    @property
    def decided(self) -> int:
        return self.on_time + self.late


@dataclass(frozen=True)
class ObjectionStatistics:
    """Objections over the last months, by month of each act and by district."""

    as_of: date
    since: date
    by_month: tuple[ObjectionFigures, ...]
    by_region: tuple[ObjectionFigures, ...]
    total: ObjectionFigures


def objection_statistics(
    ctx: Context, as_of: date | None = None, *, months: int = MONTHS
) -> ObjectionStatistics:
    """The objections received, accepted or decided from the first day of the oldest
    month through ``as_of`` (default: today), with the decisions measured against their
    deadlines."""
    as_of = as_of or ctx.today()
    period = last_months(as_of, months)
    since = period[0].first_day

    def within(day: Any) -> Any:
        return (day >= since) & (day <= as_of)

    window = (
        or_(
            within(Objection.received_on),
            within(Objection.accepted_on),
            within(Objection.decided_on),
        ),
    )
    with ctx.read_session_factory() as session:
        rows = session.execute(
            select(
                Objection.id,
                Objection.region_code,
                Objection.state,
                Objection.received_on,
                Objection.acceptance_due,
                Objection.accepted_on,
                Objection.decision_due,
                Objection.decided_on,
            ).where(*window)
        ).all()
        pauses = read_pauses(session, OBJECTION.name, Objection, *window)

    def month(day: date | None) -> Month | None:
        return Month.of(day) if day is not None and since <= day <= as_of else None

    acts = [
        _Acts(
            region_code=o.region_code,
            received=month(o.received_on),
            accepted=month(o.accepted_on),
            decided=month(o.decided_on) if o.state in DECISIONS else None,
            state=o.state,
            on_time=_on_time(o),
            workdays=(
                workdays_taken(ctx.calendar, o.received_on, o.decided_on, pauses[o.id])
                if o.decided_on
                else 0
            ),
        )
        for o in rows
    ]
    return ObjectionStatistics(
        as_of=as_of,
        since=since,
        by_month=tuple(_figures(str(m), acts, month=m) for m in period),
        by_region=tuple(_figures(code, acts, region=code) for code in region_codes(ctx)),
        total=_figures("", acts),
    )


def _on_time(o: Any) -> bool:
    """Every deadline the objection faced was kept (see the module's doc)."""
    if o.decided_on is None:
        return False
    answered = o.accepted_on or o.decided_on
    accepted_in_time = o.acceptance_due is None or answered <= o.acceptance_due
    if o.accepted_on is None:
        return accepted_in_time
    return accepted_in_time and (o.decision_due is None or o.decided_on <= o.decision_due)


def _figures(
    key: str, acts: Sequence[_Acts], *, month: Month | None = None, region: str | None = None
) -> ObjectionFigures:
    """The figures of one month (each act counted in its own month), one district, or
    all (neither given)."""

    def counted(a: _Acts, act: Month | None) -> bool:
        return (
            act is not None
            and (month is None or act == month)
            and (region is None or a.region_code == region)
        )

    decided = [a for a in acts if counted(a, a.decided)]
    by_state = {state: sum(a.state == state for a in decided) for state in DECISIONS}
    on_time = sum(a.on_time for a in decided)
    return ObjectionFigures(
        key=key,
        received=sum(counted(a, a.received) for a in acts),
        accepted=sum(counted(a, a.accepted) for a in acts),
        refused=by_state["refused"],
        upheld=by_state["upheld"],
        partly_upheld=by_state["partly_upheld"],
        not_upheld=by_state["not_upheld"],
        on_time=on_time,
        late=len(decided) - on_time,
        median_workdays=statistics.median(a.workdays for a in decided) if decided else None,
    )
