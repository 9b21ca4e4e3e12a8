"""The calendar rules (``catalogs/calendar.yaml``, decision D14): how late a provisional
deadline can turn out once its year's holiday notice is out, and from which day of the
year the service warns that next year's holiday file is missing.

A working-day deadline that reaches into a year with no holiday data is computed on
weekends and the fixed-date holidays only, and marked provisional. The notice for that
year can only add days off (the lunar holidays, the days joined to them), each taking at
most one working day from the count, or make-up working days, which bring the deadline
earlier. So the deadline cannot fall later than the same count with
``provisional_margin_workdays`` more working days: the margin is the longest run of
holidays in the last ten years' notices (the file says where it comes from; a test checks
it against the chinese-calendar data). Once that latest day has passed, the deadline has
passed on any calendar the notice could bring.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from marshmallow import Schema, ValidationError, fields

from credit_service.rules_files import load_rules_file, read_by, workdays
from credit_service.workdays import WorkdayCalendar


class MonthDay(fields.String):
    """A day of the year, ``MM-DD`` (``11-01``), loaded as (month, day)."""

    def _deserialize(self, value, attr, data, **kwargs):  # type: ignore[no-untyped-def]
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            month, day = (int(part) for part in text.split("-"))
            date(2000, month, day)  # a leap year: 02-29 is a day of some years
        except ValueError as exc:
            raise ValidationError("Must be a day of the year, MM-DD, e.g. 11-01.") from exc
        return month, day


class CalendarRulesSchema(Schema):
    provisional_margin_workdays = workdays(
        "provisional_margin_workdays",
        "dishonesty/window.py",
        "procedures/supplements.py",
        minimum=0,
    )
    next_year_warning_from = MonthDay(
        required=True, metadata=read_by("warn_from", "calendar_rules.py")
    )


@dataclass(frozen=True)
class CalendarRules:
    provisional_margin_workdays: int
    warn_from: tuple[int, int]  # (month, day)


def load_calendar_rules(path: Path) -> CalendarRules:
    """Load and validate calendar.yaml.

    :raises CatalogError: naming the file and the key.
    """
    data = load_rules_file(path, CalendarRulesSchema())
    return CalendarRules(
        provisional_margin_workdays=data["provisional_margin_workdays"],
        warn_from=data["next_year_warning_from"],
    )


def missing_holiday_years(
    calendar: WorkdayCalendar, rules: CalendarRules, today: date
) -> list[int]:
    """The years whose holidays the deadlines need and the calendar does not know: this
    year, and from the warning day on, next year (its notice usually comes out in November
    or December; until its file is added, every deadline that crosses the year end is
    provisional)."""
    years = [today.year]
    if (today.month, today.day) >= rules.warn_from:
        years.append(today.year + 1)
    return [year for year in years if not calendar.is_known_year(year)]
