"""The review clock of a repair application (D10, D14): acceptance and then decision due
in working days, stopped while the applicant supplies materials and run again with the
days that were left, recomputed once a provisional year's holiday file exists, and the
hourly overdue / due-soon flags of the review queue."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, select, update

from credit_service.context import Context
from credit_service.procedures import deadlines
from credit_service.repair import rules
from credit_service.repair.models import RepairApplication

RUNNING = ("submitted", "accepted")  # the states whose deadline is running


def start_acceptance(ctx: Context, a: RepairApplication, submitted: date) -> None:
    due = rules.acceptance_due(ctx.repair_rules, ctx.calendar, submitted)
    a.acceptance_due, a.due_provisional = due.due, due.provisional
    a.clock_from, a.clock_workdays = submitted, ctx.repair_rules.acceptance_workdays


def start_decision(ctx: Context, a: RepairApplication, accepted: date) -> None:
    due = rules.decision_due(ctx.repair_rules, ctx.calendar, accepted, a.target_type)
    a.decision_due, a.due_provisional = due.due, due.provisional
    a.clock_from = accepted
    a.clock_workdays = rules.decision_workdays(ctx.repair_rules, a.target_type)


def pause(ctx: Context, a: RepairApplication, on: date) -> None:
    """Stop the running phase's clock on ``on``, keeping the working days it had left."""
    phase, due = ("decision", a.decision_due) if a.accepted_on else ("acceptance", a.acceptance_due)
    a.paused_phase, a.paused_on = phase, on
    a.paused_remaining = deadlines.remaining_workdays(ctx.calendar, on, due) if due else 0


def resumed_state(a: RepairApplication) -> str:
    """The state a paused application returns to: the phase it was paused in."""
    return "accepted" if a.paused_phase == "decision" else "submitted"


def resume(ctx: Context, a: RepairApplication, on: date) -> None:
    """Run the paused phase's clock again from ``on`` with the days it had left."""
    remaining = a.paused_remaining or 0
    due = deadlines.resumed_due(ctx.calendar, on, remaining)
    a.clock_from, a.clock_workdays = on, deadlines.resumed_workdays(remaining)
    if a.paused_phase == "decision":
        a.decision_due = due.due
    else:
        a.acceptance_due = due.due
    a.due_provisional = due.provisional
    a.paused_on = a.paused_remaining = a.paused_phase = None


def refresh(ctx: Context, a: RepairApplication) -> int:
    """Recompute a running provisional deadline (D14) from the phase's own clock, so a
    resumed pause keeps the days it had left; 1 when it became final."""
    if not a.due_provisional or a.state not in RUNNING:
        return 0
    due = ctx.calendar.add_workdays(a.clock_from, a.clock_workdays)
    if a.state == "submitted":
        a.acceptance_due = due.due
    else:
        a.decision_due = due.due
    a.due_provisional = due.provisional
    return int(not due.provisional)


def provisional() -> ColumnElement[bool]:
    """The applications whose running deadline is still provisional."""
    return RepairApplication.due_provisional & RepairApplication.state.in_(RUNNING)


def current_due(a: RepairApplication) -> date | None:
    if a.state == "submitted":
        return a.acceptance_due
    if a.state == "accepted":
        return a.decision_due
    return None


def flag_deadlines(ctx: Context) -> dict[str, int]:
    """Mark open applications overdue or due soon (the hourly job)."""
    today = ctx.today()
    counts = {"overdue": 0, "due_soon": 0}
    with ctx.session_factory.begin() as session:
        for a in session.execute(
            select(RepairApplication).where(RepairApplication.state.in_(RUNNING))
        ).scalars():
            overdue, soon = deadlines.due_flags(
                current_due(a), today, ctx.calendar, ctx.repair_rules.due_soon_workdays
            )
            a.overdue, a.due_soon = overdue, soon
            counts["overdue"] += overdue
            counts["due_soon"] += soon
        # a paused or closed application has no running deadline: clear old flags
        session.execute(
            update(RepairApplication)
            .where(
                RepairApplication.state.not_in(RUNNING),
                RepairApplication.overdue | RepairApplication.due_soon,
            )
            .values(overdue=False, due_soon=False)
        )
    return counts
