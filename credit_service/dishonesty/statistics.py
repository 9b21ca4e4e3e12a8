"""Published figures about the severe-dishonesty list: how many entries came on and went
off it month by month and district by district, why they went off, and how many are on
it now (the transparency page and the home page).

Only counts leave this module, never a name, an identifier or a case, so every figure
may be shown to anyone. Months are calendar months in the office's time zone: the dates
in the change feed are already local days, so a month is a range of dates. The database
only groups by day (the same SQL on SQLite and PostgreSQL, whose month functions differ)
and the days are put into months here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, func, or_, select

from credit_service.context import Context
from credit_service.dishonesty.definitions import REMOVAL_REASONS
from credit_service.dishonesty.models import DishonestyCase, ListChange
from credit_service.reporting import MONTHS, Month, last_months, region_codes

# The feed rows that move an entry on or off the list; the others (marked / unmarked:
# the mark 异议处理中 of an objection, D19) change nothing the figures count.
MOVEMENTS = ("added", "removed")


@dataclass(frozen=True)
class Movement:
    """Additions to and removals from the list within one month or one district."""

    key: str  # the month label (2026-01) or the region code
    added: int
    removed: dict[str, int]  # every removal reason (REMOVAL_REASONS order) -> count

    @property
    def removed_total(self) -> int:
        return sum(self.removed.values())


@dataclass(frozen=True)
class ListMovements:
    """The list's additions and removals over the last months, by month and by district,
    and the entries on the list on ``as_of`` by district."""

    as_of: date
    since: date  # the first day counted
    by_month: tuple[Movement, ...]
    by_region: tuple[Movement, ...]
    on_list_by_region: dict[str, int]

    @property
    def on_list(self) -> int:
        return sum(self.on_list_by_region.values())

    @property
    def added(self) -> int:
        return sum(m.added for m in self.by_month)

    @property
    def removed(self) -> int:
        return sum(m.removed_total for m in self.by_month)


def list_movements(
    ctx: Context, as_of: date | None = None, *, months: int = MONTHS
) -> ListMovements:
    """Additions (publications, and restorations after a revoked repair) and removals by
    reason, per month and per district, from the first day of the oldest month through
    ``as_of`` (default: today), read from the public change feed."""
    as_of = as_of or ctx.today()
    period = last_months(as_of, months)
    since = period[0].first_day
    regions = region_codes(ctx)
    with ctx.read_session_factory() as session:
        changes = session.execute(
            select(
                ListChange.effective_on,
                DishonestyCase.region_code,
                ListChange.kind,
                ListChange.reason,
                func.count(),
            )
            .join(DishonestyCase, DishonestyCase.id == ListChange.case_id)
            .where(
                ListChange.effective_on >= since,
                ListChange.effective_on <= as_of,
                ListChange.kind.in_(MOVEMENTS),
            )
            .group_by(
                ListChange.effective_on,
                DishonestyCase.region_code,
                ListChange.kind,
                ListChange.reason,
            )
        ).all()
        on_list = dict(
            session.execute(
                select(DishonestyCase.region_code, func.count())
                .where(on_list_on(as_of))
                .group_by(DishonestyCase.region_code)
            ).all()
        )
    return ListMovements(
        as_of=as_of,
        since=since,
        by_month=_movements([str(m) for m in period], changes, lambda month, _: month),
        by_region=_movements(regions, changes, lambda _, region: region),
        on_list_by_region={code: on_list.get(code, 0) for code in regions},
    )


def on_list_on(as_of: date) -> Any:
    """SQL condition: the case was on the public list on ``as_of``.

    The same as ``public.in_force`` for today, and also right for a past day: a case
    removed after that day was on the list then. A listing restored after a revoked
    repair counts from its restoration (its publication date restarts then).
    """
    return and_(
        DishonestyCase.state.in_(("published", "removed")),
        DishonestyCase.published_on <= as_of,
        DishonestyCase.term_ends_on >= as_of,
        or_(DishonestyCase.removed_on.is_(None), DishonestyCase.removed_on > as_of),
    )


def _movements(
    keys: list[str],
    changes: Iterable[Any],
    key_of: Callable[[str, str], str],
) -> tuple[Movement, ...]:
    """Count the per-day aggregate rows into one Movement per key (a month label, or a
    region code); ``key_of(month label, region code)`` says which key a row belongs to."""
    added = dict.fromkeys(keys, 0)
    removed = {key: dict.fromkeys(REMOVAL_REASONS, 0) for key in keys}
    for day, region, kind, reason, count in changes:
        key = key_of(str(Month.of(day)), region)
        if kind == "added":
            added[key] += count
        elif kind == "removed":
            removed[key][reason] += count
        # marked / unmarked (异议处理中) move nothing on or off the list
    return tuple(Movement(key, added[key], removed[key]) for key in keys)
