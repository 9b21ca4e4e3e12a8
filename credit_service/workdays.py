"""Chinese working-day calendar and month/year period arithmetic for legal deadlines (D14, D15)."""

from __future__ import annotations

import calendar as _gregorian
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import chinese_calendar
import yaml

from credit_service.errors import CatalogError

ONE_DAY = timedelta(days=1)

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
_YEAR_FILE_RE = re.compile(r"[0-9]{4}")
_DATE_TEXT_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TOP_KEYS = frozenset({"year", "source_notice", "holidays", "makeup_workdays"})
_SINGLE_DAY_KEYS = frozenset({"date", "name"})
_RANGE_KEYS = frozenset({"from", "to", "name"})


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


def _is_weekend(day: date) -> bool:
    return day.weekday() >= 5


# --------------------------------------------------------------------------- data types


@dataclass(frozen=True)
class Deadline:
    """A computed deadline; ``provisional`` means it must be recomputed once the notice is out."""

    due: date
    provisional: bool  # True if any year consulted had no published calendar

    def in_time(self, day: date) -> bool:
        """Whether an act on ``day`` meets the deadline: the due day itself is still in time."""
        return day <= self.due


@dataclass(frozen=True)
class HolidayYear:
    """One year's State Council holiday notice, as the operator transcribed it."""

    year: int
    source_notice: str
    holidays: frozenset[date] = field(default_factory=frozenset)
    makeup_workdays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        # The file loader reports these per entry; this guards years built in code.
        outside = {d for d in self.holidays | self.makeup_workdays if d.year != self.year}
        if outside:
            raise ValueError(f"{self.year}: dates outside the year: {sorted(outside)}")
        weekdays = {d for d in self.makeup_workdays if not _is_weekend(d)}
        if weekdays:
            raise ValueError(f"{self.year}: make-up workdays not on a weekend: {sorted(weekdays)}")
        both = self.holidays & self.makeup_workdays
        if both:
            raise ValueError(f"{self.year}: both holiday and make-up workday: {sorted(both)}")

    def is_workday(self, day: date) -> bool:
        """Mon-Fri unless declared a holiday; Sat/Sun only if declared a make-up workday."""
        if day in self.holidays:
            return False
        return day in self.makeup_workdays or not _is_weekend(day)


# --------------------------------------------------------------------------- data files


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys, which PyYAML would silently collapse."""


def _construct_unique_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    mapping = loader.construct_mapping(node, deep=True)
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping",
                node.start_mark,
                f"found duplicate key {key!r}",
                key_node.start_mark,
            )
        seen.add(key)
    return mapping


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping
)


class _FileErrors:
    """Builds CatalogErrors that name the holiday file and, when known, the entry."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __call__(self, message: str, entry: str | None = None) -> CatalogError:
        where = f"{self.path}: {entry}: " if entry else f"{self.path}: "
        return CatalogError(where + message, file=str(self.path), entry=entry)


def _read_yaml(path: Path, fail: _FileErrors) -> dict[str, Any]:
    try:
        loader = _StrictLoader(path.read_text(encoding="utf-8"))
        try:
            document = loader.get_single_data()
        finally:
            loader.dispose()
    except (OSError, ValueError, yaml.YAMLError) as exc:  # ValueError: e.g. 2027-02-30
        raise fail(f"cannot read holiday file: {exc}") from exc
    if not isinstance(document, dict):
        raise fail("a holiday file must be a mapping with year, source_notice, holidays, ...")
    return document


def _check_keys(
    found: Iterable[Any], allowed: frozenset[str], fail: _FileErrors, entry: str | None = None
) -> None:
    unknown = sorted(map(str, set(found) - allowed))
    if unknown:
        raise fail(f"unknown key(s) {', '.join(unknown)}; allowed: {sorted(allowed)}", entry)


def _parse_date(value: Any, year: int, fail: _FileErrors, entry: str) -> date:
    """A YAML date (or a quoted YYYY-MM-DD) that lies inside the file's year."""
    if isinstance(value, str) and _DATE_TEXT_RE.fullmatch(value):
        try:
            value = date.fromisoformat(value)
        except ValueError as exc:
            raise fail(f"invalid date {value!r}", entry) from exc
    if isinstance(value, datetime) or not isinstance(value, date):
        raise fail(f"expected a date YYYY-MM-DD, got {value!r}", entry)
    if value.year != year:
        raise fail(f"date {value} is not in {year}", entry)
    return value


def _entry_days(raw: Any, year: int, fail: _FileErrors, entry: str) -> list[date]:
    """The days one entry covers: ``{date, name}`` or ``{from, to, name}``."""
    if not isinstance(raw, dict):
        raise fail(f"expected a mapping like {{date: ..., name: ...}}, got {raw!r}", entry)
    keys = _SINGLE_DAY_KEYS if "date" in raw else _RANGE_KEYS
    _check_keys(raw, keys, fail, entry)
    missing = sorted(keys - set(raw))
    if missing:
        raise fail(f"missing key(s) {', '.join(missing)}", entry)
    if not isinstance(raw["name"], str) or not raw["name"].strip():
        raise fail("name must be a non-empty string", entry)
    if "date" in raw:
        return [_parse_date(raw["date"], year, fail, entry)]
    first = _parse_date(raw["from"], year, fail, entry)
    last = _parse_date(raw["to"], year, fail, entry)
    if first > last:
        raise fail(f"from {first} is after to {last}", entry)
    return [first + ONE_DAY * i for i in range((last - first).days + 1)]


def _describe(section: str, index: int, raw: Any) -> str:
    """How an error names an entry: its position and its text, e.g. holidays[2] {date: ...}."""
    if isinstance(raw, dict):
        raw = "{" + ", ".join(f"{key}: {value}" for key, value in raw.items()) + "}"
    return f"{section}[{index}] {raw}"


def _section_days(
    document: dict[str, Any], section: str, year: int, fail: _FileErrors, seen: dict[date, str]
) -> frozenset[date]:
    """All days of one list; ``seen`` maps each day already claimed to the entry claiming it."""
    entries = document[section]
    if not isinstance(entries, list):
        raise fail(f"{section} must be a list of entries")
    days: set[date] = set()
    for index, raw in enumerate(entries):
        entry = _describe(section, index, raw)
        for day in _entry_days(raw, year, fail, entry):
            if day in seen:
                raise fail(f"{day} is already listed by {seen[day]}", entry)
            if section == "makeup_workdays" and not _is_weekend(day):
                raise fail(f"make-up workday {day} is a {day:%A}, not a Saturday/Sunday", entry)
            seen[day] = entry
            days.add(day)
    return frozenset(days)


def _file_year(path: Path, document: dict[str, Any], fail: _FileErrors) -> int:
    year = document["year"]
    if isinstance(year, bool) or not isinstance(year, int):
        raise fail(f"year must be an integer, got {year!r}")
    if not _YEAR_FILE_RE.fullmatch(path.stem) or path.stem != str(year):
        raise fail(f"year {year} does not match the file name (expected {year}.yaml)")
    return year


def load_holiday_file(path: Path) -> HolidayYear:
    """Parse and strictly validate one ``YYYY.yaml`` file: a typo here moves legal deadlines."""
    path = Path(path)
    fail = _FileErrors(path)
    document = _read_yaml(path, fail)
    _check_keys(document, _TOP_KEYS, fail)
    missing = sorted(_TOP_KEYS - set(document))
    if missing:
        raise fail(f"missing key(s) {', '.join(missing)}")
    year = _file_year(path, document, fail)
    notice = document["source_notice"]
    if not isinstance(notice, str) or not notice.strip():
        raise fail("source_notice must name the State Council notice")
    seen: dict[date, str] = {}
    holidays = _section_days(document, "holidays", year, fail, seen)
    makeup = _section_days(document, "makeup_workdays", year, fail, seen)
    return HolidayYear(year, notice.strip(), holidays, makeup)


# --------------------------------------------------------------------------- calendar


def holiday_files(holidays_dir: Path | None) -> tuple[tuple[str, int, int], ...]:
    """The year files of a holidays folder as (name, size, modification time in ns): what
    a calendar was read from, to tell whether the folder changed since."""
    if holidays_dir is None or not Path(holidays_dir).is_dir():
        return ()
    found = []
    for path in sorted(Path(holidays_dir).glob("*.yaml")):
        if _YEAR_FILE_RE.fullmatch(path.stem):
            stat = path.stat()
            found.append((path.name, stat.st_size, stat.st_mtime_ns))
    return tuple(found)


class WorkdayCalendar:
    """Working days (D14): data files first, then chinese_calendar, else a provisional rule."""

    def __init__(self, holidays_dir: Path | None = None, *, use_package: bool = True) -> None:
        # taken before reading, so a file changed meanwhile is read again next time
        self.source = holiday_files(holidays_dir)
        files: list[HolidayYear] = []
        if holidays_dir is not None and Path(holidays_dir).is_dir():
            paths = sorted(Path(holidays_dir).glob("*.yaml"))
            files = [load_holiday_file(p) for p in paths if _YEAR_FILE_RE.fullmatch(p.stem)]
        self._init(files, use_package)

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
        return not _is_weekend(day) and not fixed_holiday, True

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
