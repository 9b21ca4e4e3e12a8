"""The calendar rules (D14): the margin a provisional deadline can move by, checked against
ten years of the State Council's notices, and the warning that a year's file is missing."""

from __future__ import annotations

from datetime import date, timedelta

import chinese_calendar
import pytest
import yaml

from credit_service.calendar_rules import (
    CalendarRules,
    load_calendar_rules,
    missing_holiday_years,
)
from credit_service.config import PROJECT_ROOT
from credit_service.errors import CatalogError
from credit_service.holidays import load_holiday_file
from credit_service.workdays import WorkdayCalendar

RULES = load_calendar_rules(PROJECT_ROOT / "catalogs" / "calendar.yaml")
FIXTURE_2027 = PROJECT_ROOT / "tests" / "fixtures" / "holidays" / "2027.yaml"
PACKAGE = WorkdayCalendar(None)
NO_NOTICE = WorkdayCalendar.from_years([], use_package=False)  # every year provisional
ONE_DAY = timedelta(days=1)


def holiday_runs(first_year: int, last_year: int) -> list[tuple[date, date]]:
    """Runs of consecutive days off in the notices of those years (chinese_calendar)."""
    days = sorted(d for d in chinese_calendar.holidays if first_year <= d.year <= last_year)
    runs: list[tuple[date, date]] = []
    for day in days:
        if runs and runs[-1][1] + ONE_DAY == day:
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def test_the_margin_is_the_longest_run_of_holidays_in_the_last_ten_notices():
    last = max(chinese_calendar.holidays).year
    longest = max(holiday_runs(last - 9, last), key=lambda run: (run[1] - run[0]).days)
    assert longest == (date(2020, 1, 24), date(2020, 2, 2))  # as calendar.yaml says
    assert RULES.provisional_margin_workdays == (longest[1] - longest[0]).days + 1 == 10


@pytest.mark.parametrize("workdays", [3, 5, 10, 15, 20])
def test_no_notice_of_the_last_ten_years_moved_a_deadline_past_its_latest_day(workdays):
    """Every deadline that started in 2017-2026, computed as if no notice were out, and
    then with the notice the State Council did publish: the real one never falls after
    the latest day the margin gives."""
    start, late = date(2016, 12, 31), []
    while start < date(2026, 11, 30):
        real = PACKAGE.add_workdays(start, workdays).due
        latest = NO_NOTICE.latest_due(start, workdays, RULES.provisional_margin_workdays)
        if real > latest:
            late.append((start, real, latest))
        start += ONE_DAY
    assert late == []


def test_a_window_across_the_year_end_can_end_two_weeks_later_at_most():
    """The issue's case: a notice served 2026-12-28 with 2027 unknown."""
    assert PACKAGE.add_workdays(date(2026, 12, 28), 5).due == date(2027, 1, 5)
    assert PACKAGE.latest_due(date(2026, 12, 28), 5, 10) == date(2027, 1, 19)
    with_2027 = WorkdayCalendar.from_years([load_holiday_file(FIXTURE_2027)])
    assert with_2027.latest_due(date(2026, 12, 28), 5, 10) == date(2027, 1, 5)


@pytest.mark.parametrize(
    ("today", "missing"),
    [
        (date(2026, 10, 31), []),  # before the warning day: 2026 is known
        (date(2026, 11, 1), [2027]),  # from 1 November: next year's file is missing
        (date(2026, 12, 31), [2027]),
        (date(2027, 3, 1), [2027]),  # a year that began without its file
        (date(2027, 11, 1), [2027, 2028]),
    ],
)
def test_the_years_whose_file_is_missing(today, missing):
    assert missing_holiday_years(PACKAGE, RULES, today) == missing


def test_no_warning_once_the_file_is_there():
    with_2027 = WorkdayCalendar.from_years([load_holiday_file(FIXTURE_2027)])
    assert missing_holiday_years(with_2027, RULES, date(2026, 11, 25)) == []
    assert missing_holiday_years(with_2027, CalendarRules(10, (12, 1)), date(2026, 11, 30)) == []


@pytest.mark.parametrize("value", ["13-01", "11-31", "1101", "Nov 1"])
def test_the_warning_day_must_be_a_day_of_the_year(tmp_path, value):
    path = tmp_path / "calendar.yaml"
    path.write_text(
        yaml.safe_dump({"provisional_margin_workdays": 10, "next_year_warning_from": value}),
        encoding="utf-8",
    )
    with pytest.raises(CatalogError, match="next_year_warning_from"):
        load_calendar_rules(path)
