"""The date of a procedural step: a listing case's steps, a record's revocation, a repair
review. Pure.

A step is dated by the officer, for the day it was really taken; deadlines, terms and the
public list's change feed count from that date, so it must lie where the procedure allows:
not after today, and not before the act it follows. A mistyped date (9999-12-31,
0001-01-01) is refused here instead of being published.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from credit_service.errors import InvalidInput


def ensure_step_date(on: date, *, today: date, follows: Mapping[str, date | None]) -> None:
    """Refuse a step dated after ``today`` or before the latest of the acts it follows
    (``follows``: each earlier act by name, None for those not taken).

    :raises InvalidInput: naming the field ``on`` (answered 422).
    """
    if on > today:
        raise InvalidInput("step-date-in-future", errors={"on": ["step-date-in-future"]})
    latest = latest_act(follows)
    if latest and on < latest[1]:
        act, day = latest
        raise InvalidInput(
            "step-date-before-previous",
            errors={"on": [{"code": "date-before", "day": day.isoformat()}]},
            day=day,
            act=act,
        )


def latest_act(follows: Mapping[str, date | None]) -> tuple[str, date] | None:
    """The latest of the acts taken (name and date), or None when none was."""
    taken = [(day, name) for name, day in follows.items() if day is not None]
    if not taken:
        return None
    day, name = max(taken)
    return name, day
