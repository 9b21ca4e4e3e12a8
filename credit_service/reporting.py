"""What published figures are cut by: calendar months (the last twelve) and the city's
districts. Shared by the list's and the repairs' statistics."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from credit_service.context import Context

MONTHS = 12  # the period every published series covers: the last twelve months


@dataclass(frozen=True)
class Month:
    """A calendar month; ``str(month)`` is its label, e.g. 2026-01."""

    year: int
    month: int

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    def previous(self) -> Month:
        return Month(self.year - 1, 12) if self.month == 1 else Month(self.year, self.month - 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


def last_months(as_of: date, count: int = MONTHS) -> tuple[Month, ...]:
    """The ``count`` months ending with the month of ``as_of`` (that one included, though
    it is not over yet), oldest first: the period a published series covers."""
    months = [Month.of(as_of)]
    while len(months) < count:
        months.append(months[-1].previous())
    return tuple(reversed(months))


def region_codes(ctx: Context) -> list[str]:
    """The districts figures are given for: the city itself (entities registered at
    city level), then its districts and counties in the order of the regions file."""
    return [ctx.catalogs.city.code, *(r.code for r in ctx.catalogs.regions)]
