"""Chinese working-day calendar and month/year period arithmetic for legal deadlines (D14, D15)."""

from __future__ import annotations

import calendar as _gregorian
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import chinese_calendar

from credit_service.holidays import (
    ONE_DAY,
    HolidayYear,
    holiday_files,
    is_weekend,
    load_holiday_file,
    year_files,
)

# Statutory holidays on a fixed Gregorian date (New Year; Labour Day May 1-2; National Day
# Oct 1-3). In a year without a published notice they are the only holidays we can know:
# the lunar ones (Spring Festival, Qingming, Dragon Boat, Mid-Autumn) and the make-up days
# are set by the State Council each year.
PROVISIONAL_FIXED_HOLIDAYS: tuple[tuple[int, int], ...] = (
    (1, 1),
    (5, 1),
    (5, 2),
    (10, 1),
    (10, 2),
    (10, 3),
)

_PERIOD_RE = re.compile(r"P(?:([0-9]+)Y)?(?:([0-9]+)M)?")


def _package_years() -> range:
    """The years chinese_calendar has data for, by the same rule it uses to refuse others."""
    years = {day.year for day in chinese_calendar.holidays}
    return range(min(years), max(years) + 1)


_PACKAGE_YEARS = _package_years()


def _require_date(day: object) -> date:
    """Refuse datetimes: they compare unequal to dates and would poison caches and loops."""
    if isinstance(day, datetime) or not isinstance(day, date):
        raise TypeError(f"expected a datetime.date, got {type(day).__name__}")
    return day


# --------------------------------------------------------------------------- data types


@dataclass(frozen=True)
class Deadline:
    """A computed deadline; ``provisional`` means it must be recomputed once the notice is out."""

    due: date
    provisional: bool  # True if any year consulted had no published calendar

    def in_time(self, day: date) -> bool:
        """Whether an act on ``day`` meets the deadline: the due day itself is still in time."""
        return day <= self.due


class WorkdayCalendar:
    """Working days (D14): data files first, then chinese_calendar, else a provisional rule."""

    def __init__(self, holidays_dir: Path | None = None, *, use_package: bool = True) -> None:
        # taken before reading, so a file changed meanwhile is read again next time
        self.source = holiday_files(holidays_dir)
        self._init([load_holiday_file(p) for p in year_files(holidays_dir)], use_package)

    @classmethod
    def from_years(
        cls, years: Iterable[HolidayYear], *, use_package: bool = True
    ) -> WorkdayCalendar:
        """A calendar from years built in code (tests, or files loaded elsewhere)."""
        calendar = cls.__new__(cls)
        calendar.source = None
        calendar._init(list(years), use_package)
        return calendar

    def _init(self, years: list[HolidayYear], use_package: bool) -> None:
        self._years: dict[int, HolidayYear] = {}
        for holiday_year in years:
            if holiday_year.year in self._years:
                raise ValueError(f"two holiday calendars for {holiday_year.year}")
            self._years[holiday_year.year] = holiday_year
        self._use_package = use_package
        # Per-day answers; bounded by the distinct days asked about, and dies with the
        # instance (unlike lru_cache on a method, which would keep every instance alive).
        self._cache: dict[date, tuple[bool, bool]] = {}

    def is_known_year(self, year: int) -> bool:
        """Whether the year's official arrangement is known (file or package)."""
        return year in self._years or (self._use_package and year in _PACKAGE_YEARS)

    def known_years(self) -> list[int]:
        package = set(_PACKAGE_YEARS) if self._use_package else set()
        return sorted(package | set(self._years))

    def is_workday(self, day: date) -> bool:
        """Whether ``day`` is a working day; unknown years use the provisional rule."""
        return self.is_workday_certain(day)[0]

    def is_workday_certain(self, day: date) -> tuple[bool, bool]:
        """``(is_workday, provisional)``; provisional when the year has no published calendar."""
        answer = self._cache.get(day)
        if answer is None:
            answer = self._cache[day] = self._decide(_require_date(day))
        return answer

    def _decide(self, day: date) -> tuple[bool, bool]:
        # A data file wins over the package: it is how an operator corrects a wrong year.
        if day.year in self._years:
            return self._years[day.year].is_workday(day), False
        if self._use_package and day.year in _PACKAGE_YEARS:
            return chinese_calendar.is_workday(day), False
        fixed_holiday = (day.month, day.day) in PROVISIONAL_FIXED_HOLIDAYS
        return not is_weekend(day) and not fixed_holiday, True

    def add_workdays(self, start: date, n: int) -> Deadline:
        """The n-th working day after ``start``: the event day itself never counts."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"n must be a positive number of working days, got {n!r}")
        day, counted, provisional = start, 0, False
        while counted < n:
            day += ONE_DAY
            workday, unsure = self.is_workday_certain(day)
            counted += workday
            provisional |= unsure
        return Deadline(day, provisional)

    def latest_due(self, start: date, n: int, margin: int) -> date:
        """The latest day the n-th working day after ``start`` can turn out to be once the
        missing years' notices are out: with ``margin`` more working days where the count
        is provisional (a notice's days off each take at most one; its make-up days only
        bring the deadline earlier). A deadline on known years is its own latest day."""
        deadline = self.add_workdays(start, n)
        if not deadline.provisional or margin == 0:
            return deadline.due
        return self.add_workdays(start, n + margin).due

    def workdays_between(self, start: date, end: date) -> tuple[int, bool]:
        """Working days in ``(start, end]`` and whether any was provisional; 0 if end <= start."""
        answers = [
            self.is_workday_certain(start + ONE_DAY * offset)
            for offset in range(1, (end - start).days + 1)
        ]
        return sum(workday for workday, _ in answers), any(unsure for _, unsure in answers)

    def remaining_workdays(self, start: date, due: date) -> int:
        """Working days left after ``start`` up to and including ``due``: to resume a pause."""
        return self.workdays_between(start, due)[0]

    def next_workday(self, day: date) -> date:
        """``day`` itself if it is a working day, else the first working day after it."""
        while not self.is_workday(day):
            day += ONE_DAY
        return day


# --------------------------------------------------------------------------- periods (D15)


def parse_period(text: str) -> int:
    """Months in an ISO 8601 period of whole years/months ('P3M', 'P1Y6M'); others rejected."""
    match = _PERIOD_RE.fullmatch(text) if isinstance(text, str) else None
    if match is None or (match.group(1) is None and match.group(2) is None):
        raise ValueError(f"not a period in whole years/months (e.g. P3M, P1Y6M): {text!r}")
    months = int(match.group(1) or 0) * 12 + int(match.group(2) or 0)
    if months == 0:
        raise ValueError(f"a legal period cannot be empty: {text!r}")
    return months


def add_months(day: date, months: int) -> date:
    """Same day-of-month ``months`` later, clamped to month end (Civil Code Art. 202)."""
    _require_date(day)
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = _gregorian.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def _period_months(period: str | int) -> int:
    if isinstance(period, str):
        return parse_period(period)
    if isinstance(period, bool) or not isinstance(period, int) or period < 1:
        raise ValueError(f"a period must be an ISO 8601 string or a month count > 0: {period!r}")
    return period


def period_end(
    event: date,
    period: str | int,
    *,
    roll_forward: bool = False,
    calendar: WorkdayCalendar | None = None,
) -> date:
    """Last day included in a period counted from the day after ``event`` (D15).

    ``roll_forward`` applies Civil Code Art. 203: a last day that is not a working day
    moves to the next working day. Off unless the caller's rule asks for it (D15).
    """
    end = add_months(event, _period_months(period))
    if not roll_forward:
        return end
    if calendar is None:
        raise ValueError("roll_forward needs a WorkdayCalendar to know the holidays")
    return calendar.next_workday(end)


def period_passed_on(
    event: date,
    period: str | int,
    *,
    roll_forward: bool = False,
    calendar: WorkdayCalendar | None = None,
) -> date:
    """First day on which the period has passed: the period's last day is still inside it."""
    return period_end(event, period, roll_forward=roll_forward, calendar=calendar) + ONE_DAY
