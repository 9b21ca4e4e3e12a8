"""The domain range of every id, date and figure the service accepts (docs/security.md).

A value outside them is refused as invalid input naming the field, before it reaches the
database (whose integer columns are 32-bit) or date arithmetic (which overflows past
year 9999): out-of-range input is the caller's mistake, never a 500.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from credit_service.workdays import add_months

MAX_ID = 2**31 - 1  # ids and sequence numbers are 32-bit integer columns (INTEGER on PostgreSQL)
EARLIEST_DATE = date(1949, 10, 1)  # no act of the law this service applies is older
FUTURE_YEARS = 100  # a deadline or an expiry lies at most this far ahead of today
LARGEST_FIGURE = Decimal(10) ** 15  # in a record's number fields (fines are in 10,000 CNY)
FRACTION_DIGITS = 6  # of those numbers: 10⁻⁶ of 10,000 CNY is one fen
_SMALLEST_STEP = Decimal(1).scaleb(-FRACTION_DIGITS)


def id_in_range(value: object) -> bool:
    """Whether ``value`` is an int that can be the id of a row (0 reads as "before the first")."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_ID


def latest_date(today: date) -> date:
    """The last day a date may name: today plus ``FUTURE_YEARS``."""
    return add_months(today, 12 * FUTURE_YEARS)


def date_error(value: date, today: date, *, past_only: bool = False) -> dict[str, Any] | None:
    """Why ``value`` is out of range, as a field error (``{"code": ..., **params}``), or
    None. ``past_only``: the date of an act (a decision, a finding), which cannot lie
    after today."""
    latest = today if past_only else latest_date(today)
    if value < EARLIEST_DATE:
        return {"code": "date-too-early", "earliest": EARLIEST_DATE.isoformat()}
    if value > latest:
        if past_only:
            return {"code": "date-in-future"}
        return {"code": "date-too-late", "latest": latest.isoformat()}
    return None


def date_problem(value: date, today: date, *, past_only: bool = False) -> str | None:
    """TRANSITION (#16): ``date_error`` in English, for the caller not yet converted
    (web/api/common.py); it goes when it calls ``date_error``."""
    error = date_error(value, today, past_only=past_only)
    if error is None:
        return None
    if error["code"] == "date-too-early":
        return f"must not be before {error['earliest']}"
    return "must not be after today" if past_only else f"must not be after {error['latest']}"


def figure_error(number: Decimal) -> dict[str, Any] | None:
    """Why a finite number is out of range, as a field error, or None: at most
    ``LARGEST_FIGURE`` either way and ``FRACTION_DIGITS`` after the point, so it never
    overflows decimal arithmetic nor fills a row with digits."""
    if number.copy_abs() > LARGEST_FIGURE:
        return {"code": "figure-out-of-range", "largest": int(LARGEST_FIGURE)}
    if number != number.quantize(_SMALLEST_STEP):
        return {"code": "too-many-decimals", "digits": FRACTION_DIGITS}
    return None
