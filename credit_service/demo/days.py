"""The demo's days: every act of the stories falls on a working day of the office's
calendar (ctx.calendar), as a real office's acts do (no decision on a Sunday, none in
the Spring Festival), and each act is played on its own day through the services."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

from credit_service.clock import FixedClock, local_noon
from credit_service.context import Context

DAY = timedelta(days=1)


def on(ctx: Context, day: date) -> Context:
    """The same services, on another day (a clock standing at noon of ``day``)."""
    return dataclasses.replace(ctx, clock=FixedClock(local_noon(day)))


def working_days(ctx: Context, until: date, count: int) -> list[date]:
    """The ``count`` working days up to ``until`` (included when it is one), oldest first."""
    days: list[date] = []
    day = until
    while len(days) < count:
        if ctx.calendar.is_workday(day):
            days.append(day)
        day -= DAY
    return days[::-1]


def workday_on_or_before(ctx: Context, day: date) -> date:
    """``day`` if the office works then, else the working day before it."""
    return working_days(ctx, day, 1)[0]


def workdays_before(ctx: Context, day: date, n: int) -> date:
    """The working day ``n`` working days before ``day``."""
    return working_days(ctx, day - DAY, n)[0]


def workdays_after(ctx: Context, day: date, n: int) -> date:
    """The working day ``n`` working days after ``day``."""
    return ctx.calendar.add_workdays(day, n).due
