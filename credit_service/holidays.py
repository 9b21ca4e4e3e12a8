"""The State Council's holiday notices as the operator transcribes them, one ``YYYY.yaml``
a year: reading and strictly validating a file (a typo here moves legal deadlines) and
listing a folder's year files. The working-day calendar (workdays.py) is built from them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

from credit_service.errors import CatalogError

ONE_DAY = timedelta(days=1)

YEAR_FILE_RE = re.compile(r"[0-9]{4}")
_DATE_TEXT_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TOP_KEYS = frozenset({"year", "source_notice", "holidays", "makeup_workdays"})
_SINGLE_DAY_KEYS = frozenset({"date", "name"})
_RANGE_KEYS = frozenset({"from", "to", "name"})


def is_weekend(day: date) -> bool:
    return day.weekday() >= 5


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
        weekdays = {d for d in self.makeup_workdays if not is_weekend(d)}
        if weekdays:
            raise ValueError(f"{self.year}: make-up workdays not on a weekend: {sorted(weekdays)}")
        both = self.holidays & self.makeup_workdays
        if both:
            raise ValueError(f"{self.year}: both holiday and make-up workday: {sorted(both)}")

    def is_workday(self, day: date) -> bool:
        """Mon-Fri unless declared a holiday; Sat/Sun only if declared a make-up workday."""
        if day in self.holidays:
            return False
        return day in self.makeup_workdays or not is_weekend(day)


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
        return CatalogError.in_file(self.path, f"{entry}: {message}" if entry else message)


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
            if section == "makeup_workdays" and not is_weekend(day):
                raise fail(f"make-up workday {day} is a {day:%A}, not a Saturday/Sunday", entry)
            seen[day] = entry
            days.add(day)
    return frozenset(days)


def _file_year(path: Path, document: dict[str, Any], fail: _FileErrors) -> int:
    year = document["year"]
    if isinstance(year, bool) or not isinstance(year, int):
        raise fail(f"year must be an integer, got {year!r}")
    if not YEAR_FILE_RE.fullmatch(path.stem) or path.stem != str(year):
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


def year_files(holidays_dir: Path | None) -> list[Path]:
    """The ``YYYY.yaml`` files of a holidays folder, by name (none if there is no folder)."""
    if holidays_dir is None or not Path(holidays_dir).is_dir():
        return []
    return [p for p in sorted(Path(holidays_dir).glob("*.yaml")) if YEAR_FILE_RE.fullmatch(p.stem)]


def holiday_files(holidays_dir: Path | None) -> tuple[tuple[str, int, int], ...]:
    """The year files of a holidays folder as (name, size, modification time in ns): what
    a calendar was read from, to tell whether the folder changed since."""
    return tuple(
        (path.name, stat.st_size, stat.st_mtime_ns)
        for path, stat in ((path, path.stat()) for path in year_files(holidays_dir))
    )
