"""Working-day calendar and period arithmetic (D14, D15).

Package facts the 2026 expectations rely on (chinesecalendar 1.11.0, checked by hand):
  New Year       Thu 2026-01-01 .. Fri 01-02 off; Sun 01-04 is a make-up working day.
  Spring Festival Sun 2026-02-15 .. Mon 02-23 off; Sat 02-14 and Sat 02-28 are working days.
  Qingming       Mon 2026-04-06 off.
  Labour Day     Fri 2026-05-01 .. Tue 05-05 off; Sat 05-09 is a working day.
  Dragon Boat    Fri 2026-06-19 off.
  Mid-Autumn     Fri 2026-09-25 off; Sun 09-20 is a working day.
  National Day   Thu 2026-10-01 .. Wed 10-07 off (Thu 10-08 is a normal working day);
                 Sat 10-10 is a working day.
The 2027 fixture (tests/fixtures/holidays/2027.yaml) is a made-up sample: New Year 01-01..03,
Spring Festival Fri 02-05 .. Thu 02-11, Labour Day 05-01..05, National Day 10-01..07, and
make-up days Sun 01-31, Sat 02-20, Sat 05-08, Sat 09-25, Sat 10-09.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from credit_service import workdays
from credit_service.errors import CatalogError
from credit_service.holidays import HolidayYear, load_holiday_file
from credit_service.workdays import (
    PROVISIONAL_FIXED_HOLIDAYS,
    Deadline,
    WorkdayCalendar,
    add_months,
    parse_period,
    period_end,
    period_passed_on,
)

FIXTURE_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "holidays"
PACKAGE = WorkdayCalendar()
WITH_2027 = WorkdayCalendar(FIXTURE_DIR)
D = date.fromisoformat


# --------------------------------------------------------------------------- working days


@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        # Weekends: Fri + 1 skips Sat/Sun; the event day never counts, even a Saturday.
        ("2026-03-06", 1, "2026-03-09"),
        ("2026-03-06", 5, "2026-03-13"),
        ("2026-03-07", 1, "2026-03-09"),
        # Spring Festival: 02-14 Sat (make-up) is day 1, 02-15..02-23 off, 02-24..27 days 2-5.
        ("2026-02-13", 1, "2026-02-14"),
        ("2026-02-13", 5, "2026-02-27"),
        # Thu 02-12: Fri 02-13 (1), Sat 02-14 make-up (2), then Tue 02-24 (3).
        ("2026-02-12", 3, "2026-02-24"),
        # The second Spring Festival make-up Saturday counts as a working day.
        ("2026-02-27", 1, "2026-02-28"),
        # Mid-Autumn: Sun 09-20 is a make-up day; Fri 09-25 is off, so Thu 09-24 + 1 is Mon.
        ("2026-09-19", 1, "2026-09-20"),
        ("2026-09-24", 1, "2026-09-28"),
        # National Day: 10-01..10-07 off; Thu 10-08 (1), Fri 10-09 (2), Sat 10-10 make-up (3),
        # Sun 10-11 off, Mon 10-12 (4).
        ("2026-09-30", 1, "2026-10-08"),
        ("2026-09-30", 3, "2026-10-10"),
        ("2026-09-30", 4, "2026-10-12"),
        # New Year: 01-01..02 off, Sat 01-03 off, Sun 01-04 is a make-up working day.
        ("2025-12-31", 1, "2026-01-04"),
        # Entirely inside 2026, far from holidays.
        ("2026-12-28", 3, "2026-12-31"),
    ],
)
def test_add_workdays_in_package_years(start: str, n: int, due: str) -> None:
    assert PACKAGE.add_workdays(D(start), n) == Deadline(D(due), provisional=False)


@pytest.mark.parametrize(
    ("start", "n", "provisional_due", "fixture_due"),
    [
        # 12-29, 12-30, 12-31 (3); Fri 2027-01-01 is New Year either way; Mon 01-04 (4), 01-05 (5).
        ("2026-12-28", 5, "2027-01-05", "2027-01-05"),
        # Without the notice Spring Festival cannot be known: Fri 02-05 (1), Mon 02-08 (2).
        # The sample has 02-05..02-11 off: Fri 02-12 (1), Mon 02-15 (2).
        ("2027-02-04", 2, "2027-02-08", "2027-02-15"),
        # Provisional: weekdays of January give 23 after 12-28; 02-01..02-05 (28), 02-08, 02-09.
        # Sample: Sun 01-31 make-up (24), 02-01..02-04 (28), holiday, 02-12 (29), 02-15 (30).
        ("2026-12-28", 30, "2027-02-09", "2027-02-15"),
        # Fixed-date holidays are known even without a notice: Fri 2027-10-01 is off.
        ("2027-09-30", 1, "2027-10-04", "2027-10-08"),
        ("2027-04-30", 1, "2027-05-03", "2027-05-06"),
    ],
)
def test_unknown_year_is_provisional_until_its_file_arrives(
    start: str, n: int, provisional_due: str, fixture_due: str
) -> None:
    assert PACKAGE.add_workdays(D(start), n) == Deadline(D(provisional_due), provisional=True)
    assert WITH_2027.add_workdays(D(start), n) == Deadline(D(fixture_due), provisional=False)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2026-10-01", (False, False)),  # National Day
        ("2026-10-08", (True, False)),  # first day back
        ("2026-02-14", (True, False)),  # make-up Saturday
        ("2026-03-07", (False, False)),  # ordinary Saturday
        ("2027-01-01", (False, True)),  # fixed holiday, no notice
        ("2027-05-02", (False, True)),
        ("2027-10-01", (False, True)),
        ("2027-02-08", (True, True)),  # really Spring Festival, but nobody knows yet
        ("2027-02-20", (False, True)),  # a Saturday; its make-up status is unknown
        ("2003-06-02", (True, True)),  # before the package's range
    ],
)
def test_is_workday_certain(day: str, expected: tuple[bool, bool]) -> None:
    assert PACKAGE.is_workday_certain(D(day)) == expected
    assert PACKAGE.is_workday(D(day)) is expected[0]


def test_provisional_fixed_holidays_are_the_gregorian_statutory_days() -> None:
    assert PROVISIONAL_FIXED_HOLIDAYS == ((1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3))


def test_deadline_day_itself_is_in_time() -> None:
    # A notice served Fri 2026-03-06 with 5 working days to reply: due Fri 2026-03-13.
    # A reply on 03-13 is in time; one on Sat 03-14 is late.
    deadline = PACKAGE.add_workdays(D("2026-03-06"), 5)
    assert deadline.due == D("2026-03-13")
    assert deadline.in_time(D("2026-03-13"))
    assert deadline.in_time(D("2026-03-07"))
    assert not deadline.in_time(D("2026-03-14"))


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2026-02-13", "2026-02-27", (5, False)),
        ("2026-09-30", "2026-10-10", (3, False)),
        ("2026-09-30", "2026-10-07", (0, False)),  # only holidays in between
        ("2026-02-13", "2026-02-13", (0, False)),  # empty interval
        ("2026-02-27", "2026-02-13", (0, False)),  # end before start
        ("2026-12-28", "2027-01-05", (5, True)),
    ],
)
def test_workdays_between(start: str, end: str, expected: tuple[int, bool]) -> None:
    assert PACKAGE.workdays_between(D(start), D(end)) == expected
    assert PACKAGE.remaining_workdays(D(start), D(end)) == expected[0]


def test_paused_deadline_resumes_with_remaining_days() -> None:
    # 10 working days from Fri 2026-09-18: Sun 09-20 (1), 09-21..24 (5), 09-28..30 (8),
    # Thu 10-08 (9), Fri 10-09 (10).
    deadline = PACKAGE.add_workdays(D("2026-09-18"), 10)
    assert deadline.due == D("2026-10-09")
    # Paused after 2026-09-23: left are 09-24, 09-28, 09-29, 09-30, 10-08, 10-09.
    remaining = PACKAGE.remaining_workdays(D("2026-09-23"), deadline.due)
    assert remaining == 6
    # Resumed after Mon 10-12: 10-13..16 (4), Mon 10-19 (5), Tue 10-20 (6).
    assert PACKAGE.add_workdays(D("2026-10-12"), remaining).due == D("2026-10-20")


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        ("2026-10-01", "2026-10-08"),
        ("2026-02-14", "2026-02-14"),  # a make-up Saturday is itself a working day
        ("2026-03-07", "2026-03-09"),
        ("2026-03-09", "2026-03-09"),
    ],
)
def test_next_workday(day: str, expected: str) -> None:
    assert PACKAGE.next_workday(D(day)) == D(expected)


@pytest.mark.parametrize("n", [0, -1, True])
def test_add_workdays_needs_a_positive_count(n: int) -> None:
    with pytest.raises(ValueError, match="positive"):
        PACKAGE.add_workdays(D("2026-03-06"), n)


def test_datetimes_are_refused() -> None:
    with pytest.raises(TypeError, match=r"datetime\.date"):
        PACKAGE.add_workdays(datetime(2026, 3, 6, 9, 0), 1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"datetime\.date"):
        add_months(datetime(2026, 3, 6, 9, 0), 1)


def test_package_is_asked_once_per_day(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[date] = []
    real = workdays.chinese_calendar.is_workday

    def counting(day: date) -> bool:
        calls.append(day)
        return real(day)

    monkeypatch.setattr(workdays.chinese_calendar, "is_workday", counting)
    calendar = WorkdayCalendar()
    first = calendar.add_workdays(D("2026-09-18"), 30)
    asked = len(calls)
    assert calendar.add_workdays(D("2026-09-18"), 30) == first
    assert len(calls) == asked == len(set(calls))


# --------------------------------------------------------------------------- known years


def test_known_years() -> None:
    assert PACKAGE.known_years() == list(range(2004, 2027))
    assert not PACKAGE.is_known_year(2027)
    assert WITH_2027.known_years() == list(range(2004, 2028))
    assert WITH_2027.is_known_year(2027)
    assert WorkdayCalendar(FIXTURE_DIR, use_package=False).known_years() == [2027]


def test_missing_dir_and_other_files_are_ignored(tmp_path: Path) -> None:
    assert WorkdayCalendar(tmp_path / "absent").known_years() == PACKAGE.known_years()
    (tmp_path / "README.yaml").write_text("not: a holiday file\n", encoding="utf-8")
    assert WorkdayCalendar(tmp_path, use_package=False).known_years() == []


def test_without_package_2026_is_provisional() -> None:
    calendar = WorkdayCalendar(use_package=False)
    # The provisional rule does not know Spring Festival: Mon 2026-02-16 counts.
    assert calendar.add_workdays(D("2026-02-13"), 1) == Deadline(D("2026-02-16"), True)


def test_data_file_overrides_package_for_its_year() -> None:
    correction = HolidayYear(
        year=2026,
        source_notice="operator correction (test)",
        holidays=frozenset({D("2026-03-11")}),  # an ordinary Wednesday
        makeup_workdays=frozenset({D("2026-03-14")}),  # an ordinary Saturday
    )
    calendar = WorkdayCalendar.from_years([correction])
    assert calendar.is_workday_certain(D("2026-03-11")) == (False, False)
    assert calendar.is_workday(D("2026-03-14"))
    # Tue 03-10 + 2: Wed 03-11 off, Thu 03-12 (1), Fri 03-13 (2).
    assert calendar.add_workdays(D("2026-03-10"), 2) == Deadline(D("2026-03-13"), False)
    # The file replaces the package's whole year: its absent National Day is a workday.
    assert calendar.is_workday(D("2026-10-01"))
    assert PACKAGE.is_workday(D("2026-03-11"))


def test_data_file_in_dir_overrides_package(tmp_path: Path) -> None:
    (tmp_path / "2026.yaml").write_text(
        "year: 2026\nsource_notice: correction\n"
        "holidays:\n  - {date: 2026-03-11, name: test}\nmakeup_workdays: []\n",
        encoding="utf-8",
    )
    assert not WorkdayCalendar(tmp_path).is_workday(D("2026-03-11"))


def test_from_years_refuses_two_calendars_for_one_year() -> None:
    year = HolidayYear(2027, "x", frozenset(), frozenset())
    with pytest.raises(ValueError, match="2027"):
        WorkdayCalendar.from_years([year, year])


@pytest.mark.parametrize(
    ("holidays", "makeup", "message"),
    [
        ({"2026-12-31"}, set(), "outside the year"),
        (set(), {"2027-02-17"}, "not on a weekend"),
        ({"2027-02-20"}, {"2027-02-20"}, "both holiday and make-up"),
    ],
)
def test_holiday_year_checks_its_invariants(
    holidays: set[str], makeup: set[str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        HolidayYear(2027, "x", frozenset(map(D, holidays)), frozenset(map(D, makeup)))


# --------------------------------------------------------------------------- data files


def test_fixture_file_loads() -> None:
    year = load_holiday_file(FIXTURE_DIR / "2027.yaml")
    assert year.year == 2027
    assert "非官方" in year.source_notice
    assert {D("2027-02-05"), D("2027-02-11"), D("2027-10-07")} <= year.holidays
    assert D("2027-02-12") not in year.holidays
    assert year.makeup_workdays == frozenset(
        map(D, ["2027-01-31", "2027-02-20", "2027-05-08", "2027-09-25", "2027-10-09"])
    )
    assert all(day.weekday() >= 5 for day in year.makeup_workdays)


def test_quoted_dates_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "2027.yaml"
    path.write_text(
        "year: 2027\nsource_notice: n\nholidays:\n  - {date: '2027-01-01', name: 元旦}\n"
        "makeup_workdays: []\n",
        encoding="utf-8",
    )
    assert load_holiday_file(path).holidays == frozenset({D("2027-01-01")})


GOOD_HEAD = "year: 2027\nsource_notice: 样例通知\n"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "year: 2028\nsource_notice: n\nholidays: []\nmakeup_workdays: []\n",
            "does not match the file name",
            id="year-mismatch",
        ),
        pytest.param(
            GOOD_HEAD + "holidays: []\nmakeup_workdays:\n  - {date: 2027-02-17, name: 调休}\n",
            "makeup_workdays[0] {date: 2027-02-17, name: 调休}: make-up workday 2027-02-17 is a "
            "Wednesday",
            id="makeup-on-weekday",
        ),
        pytest.param(
            GOOD_HEAD + "holiday: []\nholidays: []\nmakeup_workdays: []\n",
            "unknown key(s) holiday",
            id="unknown-top-key",
        ),
        pytest.param(
            GOOD_HEAD + "holidays:\n  - {date: 2027-01-01, name: 元旦}\n"
            "  - {date: 2027-06-09, name: 端午节, note: x}\nmakeup_workdays: []\n",
            "holidays[1] {date: 2027-06-09, name: 端午节, note: x}: unknown key(s) note",
            id="unknown-entry-key",
        ),
        pytest.param(
            GOOD_HEAD + "holidays:\n  - {from: 2027-02-05, to: 2027-02-11, name: 春节}\n"
            "makeup_workdays:\n  - {date: 2027-02-06, name: 调休}\n",
            "2027-02-06 is already listed by holidays[0]",
            id="holiday-and-makeup",
        ),
        pytest.param(
            GOOD_HEAD + "holidays:\n  - {from: 2027-02-05, to: 2027-02-11, name: 春节}\n"
            "  - {from: 2027-02-11, to: 2027-02-12, name: 春节}\nmakeup_workdays: []\n",
            "holidays[1] {from: 2027-02-11, to: 2027-02-12, name: 春节}: 2027-02-11 is "
            "already listed",
            id="overlapping-holidays",
        ),
        pytest.param(
            GOOD_HEAD + "holidays:\n  - {date: 2026-12-31, name: 元旦}\nmakeup_workdays: []\n",
            "date 2026-12-31 is not in 2027",
            id="date-outside-year",
        ),
        pytest.param(
            GOOD_HEAD + "holidays:\n  - {from: 2027-02-11, to: 2027-02-05, name: 春节}\n"
            "makeup_workdays: []\n",
            "from 2027-02-11 is after to 2027-02-05",
            id="from-after-to",
        ),
        pytest.param(
            GOOD_HEAD + "holidays:\n  - {date: 2027-02-30, name: x}\nmakeup_workdays: []\n",
            "cannot read",
            id="impossible-date",
        ),
        pytest.param(
            GOOD_HEAD + "holidays:\n  - {date: 2027-01-01 09:00:00, name: x}\n"
            "makeup_workdays: []\n",
            "expected a date",
            id="datetime-not-date",
        ),
        pytest.param(
            GOOD_HEAD + "holidays:\n  - {date: 2027-01-01}\nmakeup_workdays: []\n",
            "holidays[0] {date: 2027-01-01}: missing key(s) name",
            id="entry-without-name",
        ),
        pytest.param(
            "year: 2027\nholidays: []\nmakeup_workdays: []\n",
            "missing key(s) source_notice",
            id="no-source-notice",
        ),
        pytest.param(
            "year: '2027'\nsource_notice: n\nholidays: []\nmakeup_workdays: []\n",
            "year must be an integer",
            id="year-as-text",
        ),
        pytest.param(
            GOOD_HEAD + "holidays: []\nholidays: []\nmakeup_workdays: []\n",
            "duplicate key 'holidays'",
            id="duplicate-key",
        ),
        pytest.param(
            GOOD_HEAD + "holidays: {date: 2027-01-01}\nmakeup_workdays: []\n",
            "holidays must be a list",
            id="section-not-list",
        ),
        pytest.param("- 2027\n", "must be a mapping", id="not-a-mapping"),
        pytest.param("year: [2027\n", "cannot read", id="yaml-syntax"),
    ],
)
def test_bad_holiday_file(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "2027.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CatalogError) as caught:
        load_holiday_file(path)
    assert caught.value.code == "catalog-invalid"
    assert caught.value.params["file"] == str(path)
    assert message in caught.value.params["problem"]
    with pytest.raises(CatalogError):
        WorkdayCalendar(tmp_path)


def test_file_name_must_be_the_year(tmp_path: Path) -> None:
    path = tmp_path / "holidays-2027.yaml"
    path.write_text(GOOD_HEAD + "holidays: []\nmakeup_workdays: []\n", encoding="utf-8")
    with pytest.raises(CatalogError, match=r"expected 2027\.yaml"):
        load_holiday_file(path)


def test_missing_file_is_a_catalog_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match=r"2031\.yaml"):
        load_holiday_file(tmp_path / "2031.yaml")


# --------------------------------------------------------------------------- periods (D15)


@pytest.mark.parametrize(
    ("text", "months"),
    [("P3M", 3), ("P6M", 6), ("P1Y", 12), ("P3Y", 36), ("P1Y6M", 18), ("P18M", 18)],
)
def test_parse_period(text: str, months: int) -> None:
    assert parse_period(text) == months


@pytest.mark.parametrize(
    "text",
    [
        "P3D", "PT1H", "3M", "", "P", "P1W", "P1Y2D", "P1M1Y", "p3m", " P3M", "P3M\n",
        "P-1M", "P0M", "P0Y0M", "P1.5Y", "P\uff13M", "P1YT1H", 3, None,
    ],
)  # fmt: skip
def test_parse_period_rejects(text: object) -> None:
    with pytest.raises(ValueError):
        parse_period(text)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        ("2024-02-29", 12, "2025-02-28"),  # no Feb 29 in 2025: clamp
        ("2024-02-29", 48, "2028-02-29"),
        ("2026-01-31", 1, "2026-02-28"),
        ("2024-01-31", 1, "2024-02-29"),
        ("2026-03-31", 1, "2026-04-30"),
        ("2026-03-15", 3, "2026-06-15"),
        ("2025-12-31", 6, "2026-06-30"),
        ("2025-11-30", 3, "2026-02-28"),
        ("2026-03-31", -1, "2026-02-28"),
        ("2026-03-15", 0, "2026-03-15"),
    ],
)
def test_add_months(day: str, months: int, expected: str) -> None:
    assert add_months(D(day), months) == D(expected)


PERIOD_TABLE = [
    ("2024-02-29", "P1Y", "2025-02-28"),
    ("2026-01-31", "P1M", "2026-02-28"),
    ("2026-03-15", "P3M", "2026-06-15"),
    ("2025-12-31", "P6M", "2026-06-30"),
    ("2025-08-31", "P1Y6M", "2027-02-28"),
    ("2026-03-15", 3, "2026-06-15"),
    # The last day is a holiday, but without roll_forward the period does not move.
    ("2025-10-01", "P1Y", "2026-10-01"),
]


@pytest.mark.parametrize(("event", "period", "end"), PERIOD_TABLE)
def test_period_end(event: str, period: str | int, end: str) -> None:
    assert period_end(D(event), period) == D(end)


@pytest.mark.parametrize(("event", "period", "end"), PERIOD_TABLE)
def test_period_passed_on_is_the_day_after_the_end(event: str, period: str | int, end: str) -> None:
    # Published through the end day; "has passed" (e.g. removal allowed) from the next day.
    assert period_passed_on(D(event), period) == D(end) + timedelta(days=1)


@pytest.mark.parametrize(
    ("event", "period", "end"),
    [
        # Ends Thu 2026-10-01 (National Day, off through 10-07): rolls to Thu 10-08.
        ("2025-10-01", "P1Y", "2026-10-08"),
        # Ends on an ordinary Saturday: rolls to Monday.
        ("2025-03-14", "P1Y", "2026-03-16"),
        # Ends on a make-up Saturday, which is a working day: stays.
        ("2025-02-14", "P1Y", "2026-02-14"),
        # Ends on a working day: stays.
        ("2026-03-15", "P3M", "2026-06-15"),
    ],
)
def test_period_end_roll_forward(event: str, period: str, end: str) -> None:
    assert period_end(D(event), period, roll_forward=True, calendar=PACKAGE) == D(end)
    passed = period_passed_on(D(event), period, roll_forward=True, calendar=PACKAGE)
    assert passed == D(end) + timedelta(days=1)


def test_roll_forward_needs_a_calendar() -> None:
    with pytest.raises(ValueError, match="WorkdayCalendar"):
        period_end(D("2025-10-01"), "P1Y", roll_forward=True)


@pytest.mark.parametrize("period", [0, -3, True, "P0M"])
def test_period_end_rejects_empty_periods(period: str | int) -> None:
    with pytest.raises(ValueError):
        period_end(D("2026-03-15"), period)


# --------------------------------------------------------------------------- properties


@pytest.mark.parametrize("calendar", [PACKAGE, WITH_2027], ids=["package", "with-2027"])
@given(
    start=st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 12, 31)),
    n=st.integers(min_value=1, max_value=30),
)
def test_add_workdays_lands_on_the_nth_working_day(
    calendar: WorkdayCalendar, start: date, n: int
) -> None:
    deadline = calendar.add_workdays(start, n)
    assert deadline.due > start
    assert calendar.is_workday(deadline.due)
    assert calendar.workdays_between(start, deadline.due) == (n, deadline.provisional)
    assert calendar.remaining_workdays(start, deadline.due) == n
