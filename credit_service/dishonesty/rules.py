"""Listing rules: the case state machine, the listing grounds, deadlines and terms. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from credit_service.dishonesty.definitions import ListRules
from credit_service.workdays import Deadline, WorkdayCalendar, period_end

# step -> (states it may follow, state it leads to)
STEPS: dict[str, tuple[frozenset[str], str]] = {
    "serve_notice": (frozenset({"proposed"}), "notice_served"),
    "receive_statement": (frozenset({"notice_served"}), "statement_received"),
    "waive": (frozenset({"notice_served", "statement_received"}), "window_closed"),
    "close_window": (frozenset({"notice_served", "statement_received"}), "window_closed"),
    "decide_list": (
        frozenset({"notice_served", "statement_received", "window_closed"}),
        "decided_list",
    ),
    "decide_not_list": (
        frozenset({"proposed", "notice_served", "statement_received", "window_closed"}),
        "decided_not_list",
    ),
    "publish": (frozenset({"decided_list"}), "published"),
    "remove": (frozenset({"published"}), "removed"),
    "withdraw": (
        frozenset(
            {"proposed", "notice_served", "statement_received", "window_closed", "decided_list"}
        ),
        "withdrawn",
    ),
}
STATES = (
    "proposed",
    "notice_served",
    "statement_received",
    "window_closed",
    "decided_list",
    "decided_not_list",
    "published",
    "removed",
    "withdrawn",
)


def allowed_steps(state: str) -> list[str]:
    """The steps that may follow ``state``, in procedure order."""
    return [step for step, (before, _) in STEPS.items() if state in before]


def next_state(state: str, step: str) -> str | None:
    """The state after ``step``, or None if the step is out of order."""
    before, after = STEPS[step]
    return after if state in before else None


@dataclass(frozen=True)
class GroundRecord:
    """What the grounds test needs to know about a record a proposal rests on."""

    id: int
    heavier_penalty: bool
    listing_grounds: tuple[str, ...]
    status: str
    entity_id: int


def missing_conditions(records: Sequence[GroundRecord], entity_id: int) -> list[str]:
    """Why the records cannot ground a listing (D4); empty when they can.

    A listing needs a heavier administrative penalty for one of the IP grounds (the same
    decision); a revoked record grounds nothing, and every record must be about the
    proposed entity.
    """
    problems = []
    usable = [r for r in records if r.status != "revoked"]
    if any(r.entity_id != entity_id for r in records):
        problems.append("a record is about another entity; 记录不属于该主体")
    if not any(r.heavier_penalty for r in usable):
        problems.append(
            "no heavier administrative penalty (较重行政处罚) among the records; 缺少较重行政处罚"
        )
    if not any(r.listing_grounds for r in usable):
        problems.append(
            "no IP listing ground (intentional infringement, abnormal or bad-faith "
            "application, serious illegal agency); 缺少知识产权领域列入情形"
        )
    if not problems and not any(r.heavier_penalty and r.listing_grounds for r in usable):
        # Order 44 lists a party whose IP violation drew the heavier penalty: both
        # conditions must be met by the same decision, not by two unrelated ones.
        problems.append(
            "no single record is both a heavier penalty and an IP ground; "
            "较重行政处罚须针对知识产权领域违法行为作出"
        )
    return problems


def grounds_of(records: Sequence[GroundRecord]) -> list[str]:
    return sorted({g for r in records if r.status != "revoked" for g in r.listing_grounds})


def statement_deadline(rules: ListRules, calendar: WorkdayCalendar, served_on: date) -> Deadline:
    """The last day of the statement and defence window (counting from the day after)."""
    return calendar.add_workdays(served_on, rules.statement_window_workdays)


def publication_deadline(rules: ListRules, calendar: WorkdayCalendar, decided_on: date) -> Deadline:
    return calendar.add_workdays(decided_on, rules.publication_deadline_workdays)


def term_end(rules: ListRules, decided_on: date) -> date:
    """The last day of publication: the term counts from the decision date (D6, D15)."""
    return period_end(decided_on, rules.term_months)


def window_closed(*, waived: bool, deadline: date | None, on: date) -> bool:
    """Whether a decision may be recorded on ``on``: the party waived in writing, or the
    window's last day has passed (the deadline day itself is still in time)."""
    return waived or (deadline is not None and on > deadline)
