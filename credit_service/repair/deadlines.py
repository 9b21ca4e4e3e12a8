"""The review clock of a repair application (D10, D14): acceptance and then decision due
in working days, stopped while the applicant supplies materials and run again with the
days that were left, recomputed once a provisional year's holiday file exists, and the
hourly overdue / due-soon flags of the review queue (the procedures' ``PhaseClock``)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement

from credit_service.context import Context
from credit_service.procedures.deadlines import PhaseClock
from credit_service.repair import rules
from credit_service.repair.models import RepairApplication

CLOCK = PhaseClock(RepairApplication, accepting="submitted", deciding="accepted")
RUNNING = CLOCK.running  # the states whose deadline is running


def start_acceptance(ctx: Context, a: RepairApplication, submitted: date) -> None:
    CLOCK.start(ctx.calendar, a, "acceptance", submitted, ctx.repair_rules.acceptance_workdays)


def start_decision(ctx: Context, a: RepairApplication, accepted: date) -> None:
    days = rules.decision_workdays(ctx.repair_rules, a.target_type)
    CLOCK.start(ctx.calendar, a, "decision", accepted, days)


def pause(ctx: Context, a: RepairApplication, on: date) -> None:
    CLOCK.pause(ctx.calendar, a, on)


def resumed_state(a: RepairApplication) -> str:
    return CLOCK.resumed_state(a)


def resume(ctx: Context, a: RepairApplication, on: date) -> None:
    CLOCK.resume(ctx.calendar, a, on)


def refresh(ctx: Context, a: RepairApplication) -> int:
    return CLOCK.refresh(ctx.calendar, a)


def provisional() -> ColumnElement[bool]:
    return CLOCK.provisional()


def current_due(a: RepairApplication) -> date | None:
    return CLOCK.current_due(a)


def flag_deadlines(ctx: Context) -> dict[str, int]:
    """Mark open applications overdue or due soon (the hourly job)."""
    with ctx.session_factory.begin() as session:
        return CLOCK.flag(session, ctx.calendar, ctx.today(), ctx.repair_rules.due_soon_workdays)
