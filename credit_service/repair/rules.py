"""Repair rules: eligibility condition by condition, the review deadlines, evidence checks.

Pure: facts, rules, calendar and today are parameters.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from credit_service.repair.definitions import RepairRules
from credit_service.workdays import Deadline, WorkdayCalendar, period_passed_on

ONE_DAY = timedelta(days=1)
MAGIC = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)
EXTENSIONS = {  # the extensions a name may carry for each type (compared in lower case)
    "application/pdf": frozenset({"pdf"}),
    "image/jpeg": frozenset({"jpg", "jpeg"}),
    "image/png": frozenset({"png"}),
}
SAFE_NAME = re.compile(r"[^/\\\x00-\x1f\x7f]{1,200}")


@dataclass(frozen=True)
class TargetFacts:
    """The record or listing an applicant wants repaired."""

    kind: str  # record | listing
    in_force: bool
    repairable: bool
    decided_on: date
    minimum_passes_on: date | None
    restriction_until: date | None = None


@dataclass(frozen=True)
class ApplicantFacts:
    """The entity's history that bears on repair."""

    heavier_penalties_on: tuple[date, ...] = ()
    last_repair_completed_on: date | None = None


@dataclass(frozen=True)
class Condition:
    """One condition of repair, named by its code (its words live in web/locales): met,
    not met, or to declare in the application. One not met says why as a field error
    (``refusal``: ``{"code": ..., **params}``), with the date it passes on if time
    passes it; the refusals of an application are its target's field errors."""

    code: str
    state: str  # met | not_met | to_declare
    passes_on: date | None = None
    refusal: dict[str, Any] | None = None


def _condition(
    code: str, refusal: dict[str, Any] | None, passes_on: date | None = None
) -> Condition:
    return Condition(code, "not_met" if refusal else "met", passes_on, refusal)


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    conditions: tuple[Condition, ...]
    earliest: date | None
    materials: tuple[str, ...] = field(default=())

    @property
    def refusals(self) -> list[dict[str, Any]]:
        """Why the repair cannot be granted: the unmet conditions' field errors."""
        return [c.refusal for c in self.conditions if c.refusal]


def eligibility(
    target: TargetFacts, applicant: ApplicantFacts, rules: RepairRules, today: date
) -> Eligibility:
    """Each condition with its state and, for conditions that pass with time, the date."""
    conditions = (
        _in_force(target),
        _repairable(target),
        _minimum(target, today),
        Condition("obligations_performed", "to_declare"),
        _no_new_penalty(target, applicant),
        _cooldown(applicant, rules, today),
        _no_restriction(target, today),
    )
    unmet = [c for c in conditions if c.state == "not_met"]
    earliest = None
    if unmet and all(c.passes_on for c in unmet):
        earliest = max(c.passes_on for c in unmet if c.passes_on)
    return Eligibility(not unmet, conditions, earliest, rules.materials[target.kind])


def _in_force(target: TargetFacts) -> Condition:
    return _condition("in_publicity", None if target.in_force else {"code": "not-in-publicity"})


def _repairable(target: TargetFacts) -> Condition:
    return _condition("repairable", None if target.repairable else {"code": "not-repairable"})


def _minimum(target: TargetFacts, today: date) -> Condition:
    passes = target.minimum_passes_on
    if passes is None:  # never published, or not repairable: the period never ends
        return _condition("minimum_period", {"code": "minimum-period-endless"})
    if today >= passes:
        return _condition("minimum_period", None, passes)
    refusal = {"code": "minimum-period-running", "passes_on": passes.isoformat()}
    return _condition("minimum_period", refusal, passes)


def _no_new_penalty(target: TargetFacts, applicant: ApplicantFacts) -> Condition:
    later = [d for d in applicant.heavier_penalties_on if d > target.decided_on]
    if not later:
        return _condition("no_new_heavier_penalty", None)
    refusal = {"code": "heavier-penalty-since", "penalty_on": max(later).isoformat()}
    return _condition("no_new_heavier_penalty", refusal)


def _cooldown(applicant: ApplicantFacts, rules: RepairRules, today: date) -> Condition:
    last = applicant.last_repair_completed_on
    if last is None:
        return _condition("cooldown", None)
    passes = period_passed_on(last, rules.cooldown_months)
    if today >= passes:
        return _condition("cooldown", None, passes)
    refusal = {"code": "repair-cooldown-running", "passes_on": passes.isoformat()}
    return _condition("cooldown", refusal, passes)


def _no_restriction(target: TargetFacts, today: date) -> Condition:
    until = target.restriction_until
    if until is None or until < today:
        return _condition("no_restriction_running", None)
    passes = until + ONE_DAY
    refusal = {"code": "restriction-running", "passes_on": passes.isoformat()}
    return _condition("no_restriction_running", refusal, passes)


def acceptance_due(rules: RepairRules, calendar: WorkdayCalendar, submitted: date) -> Deadline:
    return calendar.add_workdays(submitted, rules.acceptance_workdays)


def decision_due(
    rules: RepairRules, calendar: WorkdayCalendar, accepted: date, kind: str
) -> Deadline:
    return calendar.add_workdays(accepted, decision_workdays(rules, kind))


def decision_workdays(rules: RepairRules, kind: str) -> int:
    """Working days to decide: longer for an early removal from the list (D7)."""
    return rules.listing_decision_workdays if kind == "listing" else rules.decision_workdays


def sniff(head: bytes) -> str | None:
    """The file's type by its first bytes: the content decides, the name never makes a
    file acceptable (see ``extension_error`` for the name's part)."""
    return next((kind for magic, kind in MAGIC if head.startswith(magic)), None)


def extension(name: str) -> str | None:
    """The name's extension in lower case (after the last dot), or None without one."""
    _, dot, ext = name.rpartition(".")
    return ext.lower() if dot and ext else None


def extension_error(name: str, kind: str) -> dict[str, str] | None:
    """Why a name's extension disagrees with the content's type, as a field error, or
    None.

    A PDF renamed ``.exe`` is refused: whoever opens the stored file by its name would
    get another program than the reviewer saw. A name without an extension is judged by
    its content alone.
    """
    ext = extension(name)
    if ext is None or ext in EXTENSIONS.get(kind, frozenset()):
        return None
    expected = "/".join(f".{e}" for e in sorted(EXTENSIONS.get(kind, ())))
    return {"code": "extension-mismatch", "extension": f".{ext}", "expected": expected}


def accepted_extensions(kinds: frozenset[str]) -> str:
    """The extensions of the accepted types, for the refusal of another type (PDF/PNG)."""
    return "/".join(sorted(e.upper() for kind in kinds for e in EXTENSIONS.get(kind, ())))


def plain_name(name: str) -> bool:
    """Whether an uploaded file name may be kept: no path, no control character."""
    return bool(SAFE_NAME.fullmatch(name or "")) and name not in {".", ".."} and ".." not in name


def restriction_end(fields: Sequence[dict], restricting: frozenset[str]) -> date | None:
    """The latest validity end (CF_YXQ) of penalties with a restricting type."""
    ends = [
        date.fromisoformat(f["CF_YXQ"])
        for f in fields
        if set(f.get("CF_CFLB") or ()) & restricting and f.get("CF_YXQ")
    ]
    return max(ends) if ends else None
