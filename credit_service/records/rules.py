"""Record rules: validate fields against the item, derive severity and publicity dates.

Pure functions: the caller passes the item, the publicity rules, the calendar and dates.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson

from credit_service import bounds, identifiers
from credit_service.catalogs.definitions import (
    CONDUCT_END_FIELD,
    PENALTY_TYPES_FIELD,
    CatalogItem,
    FieldSpec,
    PublicityRules,
)
from credit_service.errors import InvalidInput
from credit_service.workdays import (
    WorkdayCalendar,
    add_months,
    parse_period,
    period_end,
    period_passed_on,
)

DEFAULT_MAX_LENGTH = {"string": 500, "text": 10_000}
TRUE_WORDS = {"true", "1", "y", "yes", "是"}
FALSE_WORDS = {"false", "0", "n", "no", "否"}
LIST_SEPARATORS = re.compile(r"[;；、,，]")
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d")


class FieldError(ValueError):
    """One field's value is wrong: ``entry`` is its field error, a code or
    ``{"code": ..., **params}``."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.entry: str | dict[str, Any] = {"code": code, **params} if params else code

    @classmethod
    def of(cls, entry: str | dict[str, Any]) -> FieldError:
        """The error for a field error built elsewhere (bounds, identifiers)."""
        return cls(entry) if isinstance(entry, str) else cls(**entry)


def validate_fields(item: CatalogItem, raw: Mapping[str, Any], today: date) -> dict[str, Any]:
    """Check ``raw`` against the item's field list and return JSON-ready values; dates
    lie in the domain range as of ``today`` (credit_service/bounds.py).

    :raises InvalidInput: with ``errors`` keyed ``fields.<name>``.
    """
    specs = item.field_map
    errors: dict[str, list[Any]] = {}
    values: dict[str, Any] = {}
    for name, value in raw.items():
        spec = specs.get(name)
        if spec is None:
            errors[f"fields.{name}"] = [{"code": "unknown-item-field", "item_code": item.code}]
        elif not _is_blank(value):
            try:
                values[name] = _CONVERTERS[spec.type](spec, value)
                _check_date_range(item, spec, values[name], today)
            except FieldError as exc:
                errors[f"fields.{name}"] = [exc.entry]
    for spec in item.required_fields:
        key = f"fields.{spec.name}"  # a value given but invalid already has its error
        if spec.name not in values and key not in errors and _is_required(spec, values):
            errors[key] = [{"code": "field-required", "label": spec.label}]
    if errors:
        raise InvalidInput("record-fields-invalid", errors=errors, item_code=item.code)
    return values


def _check_date_range(item: CatalogItem, spec: FieldSpec, value: Any, today: date) -> None:
    """A date field within the domain range; the record's decision date is the date of
    the act itself, so it cannot lie after today."""
    if spec.type != "date":
        return
    past_only = spec.name == item.envelope.decision_date
    problem = bounds.date_error(date.fromisoformat(value), today, past_only=past_only)
    if problem:
        raise FieldError.of(problem)


def _is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value or value.isspace()
    return isinstance(value, list) and not value


def _is_required(spec: FieldSpec, values: Mapping[str, Any]) -> bool:
    if spec.required:
        return True
    if not spec.required_if:
        return False
    present = values.get(spec.required_if["field"])
    present_set = set(present) if isinstance(present, list) else {present}
    return bool(present_set & set(spec.required_if["contains"]))


def convert_value(spec: FieldSpec, value: Any) -> Any:
    """Convert one raw value (JSON or CSV text) to its stored form, or raise FieldError."""
    converter = _CONVERTERS[spec.type]
    return converter(spec, value)


def _to_text(spec: FieldSpec, value: Any) -> str:
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise FieldError("not-text")
    text = str(value).strip()
    limit = spec.max_length or DEFAULT_MAX_LENGTH.get(spec.type, 500)
    if len(text) > limit:
        raise FieldError("length-at-most", max=limit)
    return _check_format(spec, text)


def _check_format(spec: FieldSpec, text: str) -> str:
    if not spec.format:
        return text
    if spec.format.startswith("regex:"):
        if not re.fullmatch(spec.format[len("regex:") :], text):
            raise FieldError("pattern-mismatch", pattern=spec.format[len("regex:") :])
        return text
    try:
        return identifiers.normalize(spec.format, text)
    except identifiers.InvalidIdentifier as exc:
        raise FieldError.of(exc.field_error) from exc


def _to_date(spec: FieldSpec, value: Any) -> str:
    if isinstance(value, datetime):
        raise FieldError("date-with-time")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        text = value.strip()
        if len(text) == 10 and text[4] == "-":
            try:
                return date.fromisoformat(text).isoformat()
            except ValueError:
                pass
        for fmt in DATE_FORMATS:
            try:
                return datetime.strptime(text, fmt).date().isoformat()
            except ValueError:
                continue
    raise FieldError("not-a-date")


def _to_decimal(spec: FieldSpec, value: Any) -> str:
    if isinstance(value, bool):
        raise FieldError("not-a-number")
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation as exc:
        raise FieldError("not-a-number") from exc
    if not number.is_finite():
        raise FieldError("not-finite")
    _check_bounds(spec, number)
    return format(number.normalize(), "f")


def _to_integer(spec: FieldSpec, value: Any) -> int:
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise FieldError("not-whole-number")
    try:
        number = int(value) if isinstance(value, float) else int(str(value).strip())
    except ValueError as exc:
        raise FieldError("not-whole-number") from exc
    _check_bounds(spec, Decimal(number))
    return number


def _check_bounds(spec: FieldSpec, number: Decimal) -> None:
    """The catalog's own bounds, and the domain range of every figure (before any
    arithmetic: normalising 1e999999999 overflows)."""
    problem = bounds.figure_error(number)
    if problem:
        raise FieldError.of(problem)
    if spec.min is not None and number < Decimal(spec.min):
        raise FieldError("below-minimum", min=spec.min)
    if spec.max is not None and number > Decimal(spec.max):
        raise FieldError("above-maximum", max=spec.max)


def _to_boolean(spec: FieldSpec, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise FieldError("not-boolean")


def _to_enum(spec: FieldSpec, value: Any) -> str:
    text = str(value).strip()
    if text not in (spec.values or ()):
        raise FieldError("not-one-of", allowed=", ".join(spec.values or ()))
    return text


def _split(value: Any) -> list[str]:
    if isinstance(value, str):
        parts = LIST_SEPARATORS.split(value)
    elif isinstance(value, list):
        parts = value
    else:
        raise FieldError("not-a-list")
    if not all(isinstance(p, str | int) and not isinstance(p, bool) for p in parts):
        raise FieldError("not-a-text-list")
    return list(dict.fromkeys(str(p).strip() for p in parts if str(p).strip()))


def _to_enum_list(spec: FieldSpec, value: Any) -> list[str]:
    """Members in the catalog's order: the same set written in any order is the same value."""
    items = _split(value)
    wrong = [v for v in items if v not in (spec.values or ())]
    if wrong:
        raise FieldError(
            "values-not-allowed", values=", ".join(wrong), allowed=", ".join(spec.values or ())
        )
    order = {v: n for n, v in enumerate(spec.values or ())}
    return sorted(items, key=order.__getitem__)


def _to_string_list(spec: FieldSpec, value: Any) -> list[str]:
    return [
        _to_text(FieldSpec(spec.name, spec.label, "string", format=spec.format), v)
        for v in _split(value)
    ]


_CONVERTERS = {
    "string": _to_text,
    "text": _to_text,
    "date": _to_date,
    "decimal": _to_decimal,
    "integer": _to_integer,
    "boolean": _to_boolean,
    "enum": _to_enum,
    "enum_list": _to_enum_list,
    "string_list": _to_string_list,
}


@dataclass(frozen=True)
class Envelope:
    """The identity of a record: who decided, which document, on which date."""

    source_authority: str
    source_ref: str
    decision_date: date


def envelope_of(item: CatalogItem, values: Mapping[str, Any]) -> Envelope:
    """Read the envelope fields the item names (they are required, so present)."""
    return Envelope(
        source_authority=str(values[item.envelope.source_authority]),
        source_ref=str(values[item.envelope.source_ref]),
        decision_date=date.fromisoformat(values[item.envelope.decision_date]),
    )


def penalty_types(values: Mapping[str, Any]) -> frozenset[str]:
    return frozenset(values.get(PENALTY_TYPES_FIELD) or ())


def severity_of(item: CatalogItem, values: Mapping[str, Any], rules: PublicityRules) -> str | None:
    """The record's severity: the item's, or for ``by_penalty`` items derived from the
    penalty (warning or criticism only: minor; heavy type or heavier penalty: severe)."""
    if item.severity != "by_penalty":
        return item.severity
    types = penalty_types(values)
    if types <= rules.never_published_penalty_types | rules.minor_penalty_types:
        return "minor"
    if types & rules.heavy_penalty_types or values.get("heavier_penalty") is True:
        return "severe"
    return "general"


def is_heavier_penalty(item: CatalogItem, values: Mapping[str, Any], rules: PublicityRules) -> bool:
    """Whether the record is a heavier administrative penalty (D4 condition 1)."""
    if item.heavier_penalty:
        return True
    if item.record_type != "penalty":
        return False
    return bool(penalty_types(values) & rules.heavy_penalty_types) or (
        values.get("heavier_penalty") is True
    )


@dataclass(frozen=True)
class PublicityDates:
    """When a record stops being public, when repair may be asked, how long it is kept,
    and which day the retention counts from (``conduct_end_date`` or ``decision_date``)."""

    publicity_end: date | None
    repair_from: date | None
    retention_end: date
    early_stop_allowed: bool
    retention_from: str = "decision_date"


def retention_start(values: Mapping[str, Any], decision_date: date) -> tuple[str, date]:
    """Where a record's retention counts from (D16: kept at most 5 years from the end of
    the conduct): the conduct's end where the record has it, else the decision date."""
    ended = values.get(CONDUCT_END_FIELD)
    if ended:
        return CONDUCT_END_FIELD, date.fromisoformat(ended)
    return "decision_date", decision_date


def publicity_dates(
    item: CatalogItem,
    severity: str | None,
    values: Mapping[str, Any],
    decision_date: date,
    rules: PublicityRules,
    calendar: WorkdayCalendar,
) -> PublicityDates:
    """Derive the publicity dates from the item and the bands in force on the decision date.

    Periods count from the day after the decision (D15); the record is public through
    ``publicity_end``; repair may be asked from ``repair_from`` (the day after the
    minimum period ends). ``publicity_end`` is None for a record never published.
    """
    lo, hi = _period_months(item, severity, decision_date, rules)
    roll = {"roll_forward": rules.roll_forward_past_holidays, "calendar": calendar}
    never = item.disclosure != "public" or (
        item.record_type == "penalty"
        and penalty_types(values) <= rules.never_published_penalty_types
    )
    retention_months = (
        parse_period(item.retention) if item.retention else (rules.default_retention_months)
    )
    retention_from, start = retention_start(values, decision_date)
    retention_end = add_months(start, retention_months)
    if hi is None and item.category != "dishonest" and not never:
        hi = retention_months  # D16: an item with no period is kept at most the retention
    publicity_end = None if never or hi is None else period_end(decision_date, hi, **roll)
    early_stop = item.repairable and not (penalty_types(values) & rules.no_early_stop_penalty_types)
    repair_from = None
    if early_stop and publicity_end is not None:
        repair_from = period_passed_on(decision_date, lo, **roll) if lo else decision_date
    if publicity_end is not None and publicity_end > retention_end:
        retention_end = publicity_end
    return PublicityDates(publicity_end, repair_from, retention_end, early_stop, retention_from)


def _period_months(
    item: CatalogItem, severity: str | None, decision_date: date, rules: PublicityRules
) -> tuple[int | None, int | None]:
    if item.has_publicity:
        return item.publicity_months()
    if severity in ("minor", "general", "severe"):
        return rules.bands_for(decision_date).bands[severity]
    return None, None


def effective_status(status: str, publicity_end: date | None, today: date) -> str:
    """An active record whose publicity ended yesterday or earlier reads as expired."""
    if status == "active" and publicity_end is not None and publicity_end < today:
        return "expired"
    return status


_CANONICAL_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def canonical_fields(values: Mapping[str, Any]) -> str:
    """The stored JSON text of a record's fields: sorted keys, so equal content is equal text.

    By orjson, whose text for validated fields is the standard library's to the byte (a
    unit test compares them: stored hashes rest on it) in a quarter of its time; what
    orjson refuses (a whole number past 64 bits) the standard library writes."""
    try:
        return orjson.dumps(values, option=orjson.OPT_SORT_KEYS).decode()
    except orjson.JSONEncodeError:
        return _CANONICAL_JSON.encode(values)


def content_hash(item_code: str, fields_json: str) -> str:
    """Digest of a record's content: filing the same content twice is recognised by it."""
    return hashlib.sha256(f"{item_code}\n{fields_json}".encode()).hexdigest()
