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

# The removal reason an officer may give by hand with the ``remove`` step: correcting a
# listing obtained wrongly. Every other reason belongs to a path that does more than the
# step would (lifts the measures on the right day, keeps the repair or the revoked penalty
# in the same transaction), so the manual step names that path instead.
MANUAL_REMOVAL_REASONS = ("corrected",)
REMOVAL_PATHS = {
    "expired": (
        "the daily expiry job (dishonesty.expire, or flask dishonesty expire) removes it "
        "the day after its term ends; 公示期届满由每日到期任务自动移出"
    ),
    "repaired": (
        "granting a credit repair application (/api/v1/repair-applications) removes it; "
        "信用修复提前移出须经修复申请批准"
    ),
    "revoked": (
        "recording the revocation of the penalty (POST /api/v1/records/{id}/revocation) "
        "removes it; 处罚决定被撤销须通过撤销信用记录办理"
    ),
}


def manual_removal_refusal(removal_reason: str | None) -> str | None:
    """Why the manual ``remove`` step may not use this reason (naming the path that
    removes a listing for it), or None when it may."""
    if removal_reason in MANUAL_REMOVAL_REASONS:
        return None
    if removal_reason in REMOVAL_PATHS:
        path = REMOVAL_PATHS[removal_reason]
        return f"removal_reason '{removal_reason}' is not taken by hand: {path}"
    return (
        f"removal_reason must be one of {', '.join(MANUAL_REMOVAL_REASONS)} "
        "(a listing obtained wrongly); 手动移出仅限列入错误予以更正"
    )


# Papers received on a step (the party's statement and defence, a written waiver): what
# each records, and the steps that cannot be taken without one. A decision inside the
# statement window rests on the party's written waiver (书面放弃陈述申辩), so ``waive``
# must name the paper it rests on.
PAPERS_PER_STEP = 10
PAPER_TITLE_CHARS = (2, 200)
PAPER_REFERENCE_CHARS = 100
PAPERS_REQUIRED = {
    "waive": (
        "a written waiver must be recorded: the party's signed paper giving up the "
        "statement and defence; 须登记当事人书面放弃陈述、申辩的材料"
    ),
}


@dataclass(frozen=True)
class Paper:
    """A paper received from the party, as a step records it."""

    title: str
    reference: str | None = None
    received_on: date | None = None


def paper_errors(papers: Sequence[Paper], today: date) -> dict[int, dict[str, list[str]]]:
    """What is wrong with each paper, by its position (as a schema reports a list); empty
    when all are fine. A paper cannot have been received after today."""
    low, high = PAPER_TITLE_CHARS
    errors: dict[int, dict[str, list[str]]] = {}
    for index, paper in enumerate(papers):
        found: dict[str, list[str]] = {}
        if not low <= len(paper.title.strip()) <= high:
            found["title"] = [f"between {low} and {high} characters; 材料名称{low}至{high}个字"]
        if paper.reference and len(paper.reference) > PAPER_REFERENCE_CHARS:
            found["reference"] = [f"at most {PAPER_REFERENCE_CHARS} characters"]
        if paper.received_on and paper.received_on > today:
            found["received_on"] = ["in the future; 收到日期不能晚于今天"]
        if found:
            errors[index] = found
    return errors


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


def statement_latest(
    rules: ListRules, calendar: WorkdayCalendar, served_on: date, margin: int
) -> date:
    """The latest day the statement window can end on once the notices of the years it
    reaches are out (its own end day when those years are known, D14)."""
    return calendar.latest_due(served_on, rules.statement_window_workdays, margin)


def publication_deadline(rules: ListRules, calendar: WorkdayCalendar, decided_on: date) -> Deadline:
    return calendar.add_workdays(decided_on, rules.publication_deadline_workdays)


def term_end(rules: ListRules, decided_on: date) -> date:
    """The last day of publication: the term counts from the decision date (D6, D15)."""
    return period_end(decided_on, rules.term_months)


def window_closed(*, waived: bool, deadline: date | None, on: date) -> bool:
    """Whether a decision may be recorded on ``on``: the party waived in writing, or the
    window's last day has passed (the deadline day itself is still in time)."""
    return waived or (deadline is not None and on > deadline)
