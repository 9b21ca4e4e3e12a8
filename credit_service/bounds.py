"""The domain range of every id, date and figure the service accepts (docs/security.md).

A value outside them is refused as invalid input naming the field, before it reaches the
database (whose integer columns are 32-bit) or date arithmetic (which overflows past
year 9999): out-of-range input is the caller's mistake, never a 500.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

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


def date_problem(value: date, today: date, *, past_only: bool = False) -> str | None:
    """Why ``value`` is out of range, or None. ``past_only``: the date of an act (a
    decision, a finding), which cannot lie after today."""
    latest = today if past_only else latest_date(today)
    if value < EARLIEST_DATE:
        return f"must not be before {EARLIEST_DATE.isoformat()}"
    if value > latest:
        return "must not be after today" if past_only else f"must not be after {latest}"
    return None


def figure_problem(number: Decimal) -> str | None:
    """Why a finite number is out of range, or None: at most ``LARGEST_FIGURE`` either way
    and ``FRACTION_DIGITS`` after the point, so it never overflows decimal arithmetic nor
    fills a row with digits."""
    if number.copy_abs() > LARGEST_FIGURE:
        return f"must be between -{LARGEST_FIGURE:,} and {LARGEST_FIGURE:,}"
    if number != number.quantize(_SMALLEST_STEP):
        return f"at most {FRACTION_DIGITS} digits after the decimal point"
    return None
