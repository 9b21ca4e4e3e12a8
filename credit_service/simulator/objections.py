"""The objections the simulated platform forwards to the city, the answers it hears back
(``objection.marked`` / ``objection.cleared`` / ``objection.decided``, matched by its own
reference) and whether each came in time (D19): accepted or refused within 3 working days
of the platform's receipt, decided within 7 working days of acceptance (14 when the
city extended it). Working days are the service's calendar (credit_service.workdays),
the holiday files of catalogs/holidays included. The platform knows nothing of a pause
for the party's supplement (it is not exchanged), so such an objection may show late
here though in time in the city.

Not thread-safe by itself: the platform state calls it under its lock.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from credit_service.config import PROJECT_ROOT
from credit_service.workdays import WorkdayCalendar

ACCEPTANCE_WORKDAYS = 3
DECISION_WORKDAYS = 7
EXTENSION_WORKDAYS = 7
ANSWERS = ("objection.marked", "objection.cleared", "objection.decided")
FORWARD_FIELDS = (
    "platform_ref",
    "target_type",
    "source_authority",
    "source_ref",
    "case_id",
    "field",
    "value_claimed",
    "reasons",
    "contact",
    "received_on",
)


class ForwardedObjections:
    """The platform's objections forwarded to the city, by its own reference."""

    def __init__(self, calendar: WorkdayCalendar | None = None) -> None:
        self.calendar = calendar or WorkdayCalendar(PROJECT_ROOT / "catalogs" / "holidays")
        self.by_ref: dict[str, dict[str, Any]] = {}

    def forward(self, item: dict[str, Any], today: date) -> dict[str, Any]:
        """Keep a forwarded objection; returns the pull change that carries it (kind
        ``objection``). Forwarding the same reference again sends it again (the city
        must file it once) without forgetting its answers."""
        change = {k: item[k] for k in FORWARD_FIELDS if k in item}
        change.setdefault("received_on", today.isoformat())
        ref = str(change.get("platform_ref", ""))
        kept = self.by_ref.setdefault(ref, {"forward": change, "answers": []})
        kept["forward"] = change
        return {"kind": "objection", **change}

    def hear(self, event: dict[str, Any]) -> None:
        """An answer from the city: kept with the objection its reference names."""
        payload = event.get("payload") or {}
        kept = self.by_ref.get(str(payload.get("platform_ref")))
        if event.get("event_type") in ANSWERS and kept is not None:
            kept["answers"].append({"event_type": event["event_type"], **payload})

    def report(self, today: date | None = None) -> list[dict[str, Any]]:
        """Each forwarded objection with its answers, its deadlines and ``late``: what
        came after its deadline (acceptance, decision), or — given ``today`` — what is
        still missing after it."""
        return [self._checked(kept, today) for kept in self.by_ref.values()]

    def counts(self) -> dict[str, int]:
        """For reconciliation: forwarded, and answered (refused or decided)."""
        answered = sum(1 for kept in self.by_ref.values() if _final(kept["answers"]))
        return {"forwarded": len(self.by_ref), "answered": answered}

    def _checked(self, kept: dict[str, Any], today: date | None) -> dict[str, Any]:
        forward, answers = kept["forward"], kept["answers"]
        received = date.fromisoformat(forward["received_on"])
        acceptance_due = self.calendar.add_workdays(received, ACCEPTANCE_WORKDAYS).due
        final = _final(answers)
        marked = next((a for a in answers if a["event_type"] == "objection.marked"), None)
        accepted_on = _day(marked, "on") or _day(final, "accepted_on")
        refused = final is not None and final.get("outcome") == "refused"
        answered_on = _day(final, "decided_on") if refused else accepted_on
        decision_due = None
        if accepted_on is not None:
            extended = final is not None and final.get("extended_on")
            workdays = DECISION_WORKDAYS + (EXTENSION_WORKDAYS if extended else 0)
            decision_due = self.calendar.add_workdays(accepted_on, workdays).due
        overdue = {
            "acceptance": _after(answered_on, acceptance_due, today),
            "decision": decision_due is not None
            and _after(_day(final, "decided_on"), decision_due, today),
        }
        return {
            **forward,
            "answers": answers,
            "acceptance_due": acceptance_due.isoformat(),
            "accepted_on": accepted_on.isoformat() if accepted_on else None,
            "decision_due": decision_due.isoformat() if decision_due else None,
            "outcome": final.get("outcome") if final else None,
            "late": [name for name, late in overdue.items() if late],
        }


def _final(answers: list[dict[str, Any]]) -> dict[str, Any] | None:
    return next((a for a in answers if a["event_type"] == "objection.decided"), None)


def _day(answer: dict[str, Any] | None, key: str) -> date | None:
    value = (answer or {}).get(key)
    return date.fromisoformat(str(value)) if value else None


def _after(done: date | None, due: date, today: date | None) -> bool:
    """Late: done after the due day (which is itself in time), or not done and past it."""
    if done is not None:
        return done > due
    return today is not None and today > due
