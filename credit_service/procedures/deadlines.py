"""Working-day clocks of procedures: a deadline that stops while the party is asked for
something and runs again when it arrives, and the overdue / due-soon flags of a
deadline. The calendar and the days are parameters.

A repair application (D10) and an objection (D19) run the same two-phase clock: a
deadline to accept, then a deadline to decide, each paused while the party supplies
materials. Each keeps it in the same columns (``acceptance_due``, ``decision_due``,
``accepted_on``, ``clock_from`` + ``clock_workdays`` for the running phase,
``due_provisional``, ``paused_on`` / ``paused_remaining`` / ``paused_phase``, and the
queue's ``overdue`` / ``due_soon`` flags); ``PhaseClock`` computes them. While paused, the
party's own day to supply the materials runs instead (procedures/supplements.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from credit_service.procedures import supplements
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


@dataclass(frozen=True)
class PhaseClock:
    """The two-phase clock of a procedure's ``model``: ``accepting`` is the state in which
    the acceptance deadline runs, ``deciding`` the one in which the decision's runs."""

    model: type
    accepting: str
    deciding: str

    @property
    def running(self) -> tuple[str, str]:
        return (self.accepting, self.deciding)

    def start(self, calendar: WorkdayCalendar, row: Any, phase: str, on: date, days: int) -> None:
        """Start ``phase`` (acceptance or decision) on ``on`` with ``days`` working days."""
        due = calendar.add_workdays(on, days)
        setattr(row, f"{phase}_due", due.due)
        row.due_provisional = due.provisional
        row.clock_from, row.clock_workdays = on, days

    def extend(self, calendar: WorkdayCalendar, row: Any, days: int) -> None:
        """Give the running decision phase ``days`` more working days."""
        row.clock_workdays += days
        due = calendar.add_workdays(row.clock_from, row.clock_workdays)
        row.decision_due, row.due_provisional = due.due, due.provisional

    def pause(self, calendar: WorkdayCalendar, row: Any, on: date) -> None:
        """Stop the running phase's clock on ``on``, keeping the working days it had left."""
        phase = "decision" if row.accepted_on else "acceptance"
        due = getattr(row, f"{phase}_due")
        row.paused_phase, row.paused_on = phase, on
        row.paused_remaining = remaining_workdays(calendar, on, due) if due else 0

    def resumed_state(self, row: Any) -> str:
        """The state a paused row returns to: the phase it was paused in."""
        return self.deciding if row.paused_phase == "decision" else self.accepting

    def resume(self, calendar: WorkdayCalendar, row: Any, on: date) -> None:
        """Run the paused phase's clock again from ``on`` with the days it had left; the
        party's day for the materials is over."""
        remaining = row.paused_remaining or 0
        due = resumed_due(calendar, on, remaining)
        row.clock_from, row.clock_workdays = on, resumed_workdays(remaining)
        setattr(row, f"{row.paused_phase or 'acceptance'}_due", due.due)
        row.due_provisional = due.provisional
        row.paused_on = row.paused_remaining = row.paused_phase = None
        supplements.clear(row)

    def refresh(self, calendar: WorkdayCalendar, row: Any) -> int:
        """Recompute a running provisional deadline (D14) from the phase's own clock, so a
        resumed pause keeps the days it had left, and a paused row's day for the party's
        materials; 1 when it became final."""
        if row.state == supplements.PAUSED:
            return supplements.refresh(calendar, row)
        if not row.due_provisional or row.state not in self.running:
            return 0
        due = calendar.add_workdays(row.clock_from, row.clock_workdays)
        if row.state == self.accepting:
            row.acceptance_due = due.due
        else:
            row.decision_due = due.due
        row.due_provisional = due.provisional
        return int(not due.provisional)

    def provisional(self) -> ColumnElement[bool]:
        """The rows whose running deadline (or the party's day, paused) is provisional."""
        states = (*self.running, supplements.PAUSED)
        return self.model.due_provisional & self.model.state.in_(states)

    def current_due(self, row: Any) -> date | None:
        if row.state == self.accepting:
            return row.acceptance_due
        if row.state == self.deciding:
            return row.decision_due
        return None

    def flag(
        self, session: Session, calendar: WorkdayCalendar, today: date, soon_workdays: int
    ) -> dict[str, int]:
        """Mark the running rows overdue or due soon (an hourly job) and clear the flags of
        the rest (paused or closed: no running deadline)."""
        model = self.model
        counts = {"overdue": 0, "due_soon": 0}
        for row in session.execute(select(model).where(model.state.in_(self.running))).scalars():
            overdue, soon = due_flags(self.current_due(row), today, calendar, soon_workdays)
            row.overdue, row.due_soon = overdue, soon
            counts["overdue"] += overdue
            counts["due_soon"] += soon
        session.execute(
            update(model)
            .where(model.state.not_in(self.running), model.overdue | model.due_soon)
            .values(overdue=False, due_soon=False)
        )
        return counts
