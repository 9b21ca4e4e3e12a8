"""The list procedure as the console watches it: how many cases stand at each state, which
legal deadline each case runs against and which deadlines have passed (the console's work
list across procedures is ``credit_service/worklist.py``).

Everything is counted within the caller's region and as of a day that is a parameter
(default today), so the dashboard, a report for a past day and the tests all agree. The
deadlines are the ones the services stored; nothing here changes a case.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from credit_service.access import Actor
from credit_service.context import Context
from credit_service.dishonesty import rules
from credit_service.dishonesty.models import DishonestyCase
from credit_service.dishonesty.procedure import LISTING
from credit_service.dishonesty.views import case_view
from credit_service.entities import services as entity_services
from credit_service.entities.models import Entity

ONE_DAY = timedelta(days=1)
# A case is still in procedure while it may be withdrawn: proposed up to decided, not yet
# published, refused or closed.
IN_PROCEDURE = tuple(s for s in rules.STATES if LISTING.may_follow(s, "withdraw"))
WINDOW_STATES = ("notice_served", "statement_received")  # the statement window runs
STATEMENT_STEPS = ("receive_statement", "waive")  # taken within the window
AFTER_WINDOW_STEPS = ("close_window", "decide_list")  # from the day after it, unless waived


@dataclass(frozen=True)
class RunningDeadline:
    """The legal deadline a case runs against now: the end of the statement window
    (``statement``) or the last day to publish a decided listing (``publication``)."""

    kind: str
    due: date
    provisional: bool
    passed: bool


def running_deadline(case: Mapping[str, Any], today: date) -> RunningDeadline | None:
    """The deadline of a case view (``case_view``) on ``today``; None in a state that has
    none (proposed, window closed, and every final state)."""
    if case["state"] in WINDOW_STATES and case["statement_deadline"]:
        due, provisional, kind = (
            case["statement_deadline"],
            case["statement_deadline_provisional"],
            "statement",
        )
    elif case["state"] == "decided_list" and case["publication_deadline"]:
        due, provisional, kind = (
            case["publication_deadline"],
            case["publication_deadline_provisional"],
            "publication",
        )
    else:
        return None
    return RunningDeadline(kind, due, provisional, passed=due < today)


@dataclass(frozen=True)
class StepTiming:
    """When a step may be taken: by ``due``, or not before ``earliest`` (both may be None:
    the step has no legal deadline). ``certain_from``: for a provisional window, the day
    from which the step may be taken whatever the year's holiday notice says (D14)."""

    due: date | None = None
    earliest: date | None = None
    provisional: bool = False
    certain_from: date | None = None


def step_timing(case: Mapping[str, Any], step: str) -> StepTiming:
    """The timing of one of a case's next steps, so its form can say it: a statement or
    waiver within the window, a decision from the day after the window (unless waived,
    D5), publication within its deadline."""
    window_end = case["statement_deadline"]
    if step in STATEMENT_STEPS and window_end:
        return StepTiming(due=window_end, provisional=case["statement_deadline_provisional"])
    if step in AFTER_WINDOW_STEPS and window_end and not case["statement_waived"]:
        latest = case["statement_deadline_latest"]
        return StepTiming(
            earliest=window_end + ONE_DAY,
            provisional=case["statement_deadline_provisional"],
            certain_from=latest + ONE_DAY if latest else None,
        )
    if step == "publish":
        return StepTiming(
            due=case["publication_deadline"], provisional=case["publication_deadline_provisional"]
        )
    return StepTiming()


def opens_on(timing: StepTiming, today: date) -> date | None:
    """The day a step not yet allowed opens, None when it may be taken today: a decision
    inside the statement window opens the day after it; for a provisional window, the day
    it has passed whatever the year's holiday notice says (D14)."""
    opens = (timing.certain_from or timing.earliest) if timing.provisional else timing.earliest
    return opens if opens is not None and today < opens else None


def already_taken(case: Mapping[str, Any], step: str) -> bool:
    """Whether ``step`` is the last step the case took: a second identical submission (a
    double click, a resent form) is then done already rather than out of order."""
    steps = case.get("steps") or []
    return bool(steps) and steps[-1]["step"] == step


@dataclass(frozen=True)
class CaseDue:
    case: dict[str, Any]  # case_view without history
    deadline: RunningDeadline


@dataclass(frozen=True)
class ListingWork:
    """The listing cases in a region: how many in each state, and those whose deadline
    has passed."""

    by_state: dict[str, int]  # every state, in procedure order
    statement_passed: tuple[CaseDue, ...]  # window over, the case still waits in it
    publication_overdue: tuple[CaseDue, ...]  # decided, not published in time
    due_today: tuple[CaseDue, ...] = ()  # either deadline falls on the day


def listing_work(ctx: Context, actor: Actor, today: date) -> ListingWork:
    """Cases by state and the deadlines passed, in the caller's region, on ``today``."""
    regions = entity_services.scope_regions(ctx, actor, None)
    counts = select(DishonestyCase.state, func.count()).group_by(DishonestyCase.state)
    running = (
        select(DishonestyCase, Entity)
        .join(Entity, Entity.id == DishonestyCase.entity_id)
        .where(DishonestyCase.state.in_((*WINDOW_STATES, "decided_list")))
        .order_by(DishonestyCase.id)
    )
    if regions is not None:
        counts = counts.where(DishonestyCase.region_code.in_(regions))
        running = running.where(DishonestyCase.region_code.in_(regions))
    with ctx.read_session_factory() as session:
        by_state = dict(session.execute(counts).all())
        views = [
            case_view(session, ctx, case, with_history=False)
            for case, _ in session.execute(running).all()
        ]
    due = [CaseDue(view, deadline) for view in views if (deadline := running_deadline(view, today))]
    passed = [d for d in due if d.deadline.passed]
    return ListingWork(
        by_state={state: by_state.get(state, 0) for state in rules.STATES},
        statement_passed=tuple(d for d in passed if d.deadline.kind == "statement"),
        publication_overdue=tuple(d for d in passed if d.deadline.kind == "publication"),
        due_today=tuple(d for d in due if d.deadline.due == today),
    )
