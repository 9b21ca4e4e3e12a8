"""Repair rules: eligibility condition by condition, the review deadlines, evidence checks.

Pure: facts, rules, calendar and today are parameters.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

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
    code: str
    label: str
    state: str  # met | not_met | to_declare
    passes_on: date | None = None
    detail: str = ""


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    conditions: tuple[Condition, ...]
    earliest: date | None
    materials: tuple[str, ...] = field(default=())


def eligibility(
    target: TargetFacts, applicant: ApplicantFacts, rules: RepairRules, today: date
) -> Eligibility:
    """Each condition with its state and, for conditions that pass with time, the date."""
    conditions = (
        _in_force(target),
        _repairable(target),
        _minimum(target, today),
        Condition(
            "obligations_performed",
            "已履行相关义务并消除不良影响",
            "to_declare",
            detail="在申请中声明并提交证明材料",
        ),
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
    label = "该信息仍在公示期内" if target.kind == "record" else "该主体仍在名单公示期内"
    return Condition("in_publicity", label, "met" if target.in_force else "not_met")


def _repairable(target: TargetFacts) -> Condition:
    return Condition(
        "repairable",
        "该信息可以修复（无法律、政策禁止修复或提前停止公示的情形）",
        "met" if target.repairable else "not_met",
    )


def _minimum(target: TargetFacts, today: date) -> Condition:
    passes = target.minimum_passes_on
    met = passes is not None and today >= passes
    return Condition(
        "minimum_period", "已满最短公示期", "met" if met else "not_met", passes_on=passes
    )


def _no_new_penalty(target: TargetFacts, applicant: ApplicantFacts) -> Condition:
    later = [d for d in applicant.heavier_penalties_on if d > target.decided_on]
    return Condition(
        "no_new_heavier_penalty",
        "此后未再受到较重行政处罚",
        "not_met" if later else "met",
        detail=f"{max(later)} 受到较重行政处罚" if later else "",
    )


def _cooldown(applicant: ApplicantFacts, rules: RepairRules, today: date) -> Condition:
    last = applicant.last_repair_completed_on
    passes = period_passed_on(last, rules.cooldown_months) if last else None
    met = passes is None or today >= passes
    return Condition(
        "cooldown", "距上次信用修复已满1年", "met" if met else "not_met", passes_on=passes
    )


def _no_restriction(target: TargetFacts, today: date) -> Condition:
    until = target.restriction_until
    running = until is not None and until >= today
    return Condition(
        "no_restriction_running",
        "无正在执行的法定限制期",
        "not_met" if running else "met",
        passes_on=until + ONE_DAY if running and until else None,
    )


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
    file acceptable (see ``extension_problem`` for the name's part)."""
    return next((kind for magic, kind in MAGIC if head.startswith(magic)), None)


def extension(name: str) -> str | None:
    """The name's extension in lower case (after the last dot), or None without one."""
    _, dot, ext = name.rpartition(".")
    return ext.lower() if dot and ext else None


def extension_problem(name: str, kind: str) -> str | None:
    """Why a name's extension disagrees with the content's type, or None.

    A PDF renamed ``.exe`` is refused: whoever opens the stored file by its name would
    get another program than the reviewer saw. A name without an extension is judged by
    its content alone.
    """
    ext = extension(name)
    if ext is None or ext in EXTENSIONS.get(kind, frozenset()):
        return None
    allowed = "/".join(f".{e}" for e in sorted(EXTENSIONS.get(kind, ())))
    return (
        f"the file name ends in '.{ext}' but its content is {kind} ({allowed}): the name "
        f"does not match the content; 文件扩展名与文件内容不符"
    )


def name_problem(name: str) -> str | None:
    """Why an uploaded file name is refused (paths, control characters), or None."""
    if not SAFE_NAME.fullmatch(name or "") or name in {".", ".."} or ".." in name:
        return "the file name must be a plain name without paths; 文件名不得包含路径"
    return None


def restriction_end(fields: Sequence[dict], restricting: frozenset[str]) -> date | None:
    """The latest validity end (CF_YXQ) of penalties with a restricting type."""
    ends = [
        date.fromisoformat(f["CF_YXQ"])
        for f in fields
        if set(f.get("CF_CFLB") or ()) & restricting and f.get("CF_YXQ")
    ]
    return max(ends) if ends else None
