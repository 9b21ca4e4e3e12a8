"""Working-day clocks of procedures: a deadline that stops while the party is asked for
something and runs again when it arrives, and the overdue / due-soon flags of a
deadline. Pure: the calendar and the days are parameters.

A repair application pauses for supplementary materials (D10); an objection will pause
and be extended the same way. A procedure keeps its clock in its own columns (when the
running phase started, how many working days it has, what was left at a pause) and
computes them here.
"""

from __future__ import annotations

from datetime import date

from credit_service.workdays import Deadline, WorkdayCalendar


def remaining_workdays(calendar: WorkdayCalendar, paused: date, due: date) -> int:
    """Working days left when the clock stops on ``paused`` (the pause day is not used)."""
    return calendar.remaining_workdays(paused, due)


def resumed_workdays(remaining: int) -> int:
    """A resumed clock always leaves the officer at least one working day."""
    return max(remaining, 1)


def resumed_due(calendar: WorkdayCalendar, resumed: date, remaining: int) -> Deadline:
    """The new due date once the clock runs again on ``resumed`` with ``remaining`` days."""
    return calendar.add_workdays(resumed, resumed_workdays(remaining))


def due_flags(
    due: date | None, today: date, calendar: WorkdayCalendar, soon_workdays: int
) -> tuple[bool, bool]:
    """(overdue, due soon) for a deadline: soon = within the given working days."""
    if due is None:
        return False, False
    if due < today:
        return True, False
    if due == today:
        return False, True
    left, _ = calendar.workdays_between(today, due)
    return False, left <= soon_workdays
