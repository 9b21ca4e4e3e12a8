"""The one place "now" comes from: services take a Clock, tests pass a FixedClock."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    """What every time-dependent rule asks for the current instant."""

    def now(self) -> datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that stands still until a test moves it."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def set(self, instant: datetime) -> None:
        self._now = instant.astimezone(UTC)

    def advance(self, **delta: float) -> None:
        self._now += timedelta(**delta)


def local_today(clock: Clock, tz: ZoneInfo = SHANGHAI) -> date:
    """Today's date where the office is: deadlines count in local (Beijing) days."""
    return clock.now().astimezone(tz).date()


def local_noon(day: date, tz: ZoneInfo = SHANGHAI) -> datetime:
    """Noon of ``day`` in the office's zone, in UTC: a convenient instant for tests."""
    return datetime(day.year, day.month, day.day, 12, tzinfo=tz).astimezone(UTC)
