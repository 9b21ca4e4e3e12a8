"""What a procedure is, as data: its steps and the hooks the engine calls.

A definition says, for each step, the states it may follow, the state it leads to, who
may take it, whether an officer takes it by hand or only another act causes it (the
expiry of a term, a granted repair, a revoked penalty), the paper it cannot be taken
without, the documents it issues, what else a row must be for the step to fit it now
(``fits``: a paused row is closed only from its own phase, once late) and its own effect
on the row. The engine does the rest the same way for every procedure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from credit_service.access import Actor
    from credit_service.context import Context

OFFICERS = frozenset({"admin", "regulator"})


@dataclass
class Move:
    """One step being taken: what a step's effect reads and writes. ``details`` is kept
    with the step (JSON): the papers received, the documents issued, the step's facts."""

    session: Session
    ctx: Context
    actor: Actor
    row: Any
    step: str
    on: date
    reason: str
    details: dict[str, Any]
    consequence: bool = False


def _no_effect(move: Move) -> None:
    """A step that only moves the state (its date and reason are in its history)."""


@dataclass(frozen=True)
class Step:
    """One step of a procedure."""

    follows: frozenset[str]
    leads_to: str | Callable[[Any], str]
    effect: Callable[[Move], None] = _no_effect
    roles: frozenset[str] = OFFICERS
    by_hand: bool = True
    by_consequence: bool = False
    paper_required: str | None = None  # the error code when the step has no paper
    issues: tuple[str, ...] = ()  # the kinds of document it issues
    audited: tuple[str, ...] = ()  # the keys of its details its audit row repeats
    # Beyond its state, whether the step fits a row on a day (None: any row it follows).
    # It only chooses the steps a view offers; the effect refuses a row that does not fit.
    fits: Callable[[Any, date], bool] | None = None

    def offered(self, row: Any, today: date) -> bool:
        return self.fits is None or self.fits(row, today)

    def state_after(self, row: Any) -> str:
        return self.leads_to(row) if callable(self.leads_to) else self.leads_to


@dataclass(frozen=True)
class Procedure:
    """A legal procedure run by the engine.

    ``model`` is its row (with ``id``, ``state``, ``version``, ``updated_at``);
    ``region_of`` the region that scopes who may act on it; ``scope``, where the party
    acts too (an applicant), checks the actor's access instead of the region alone;
    ``acts`` its dated acts so far, which a step dated by hand may not precede;
    ``refresh`` recomputes its provisional deadlines (D14), returning how many became
    final; ``provisional`` selects the rows that still have one.
    """

    name: str
    audit_prefix: str
    object_type: str
    model: type
    steps: Mapping[str, Step]
    acts: Callable[[Context, Any], Mapping[str, date | None]]
    region_of: Callable[[Session, Any], str | None] = lambda session, row: row.region_code
    scope: Callable[[Session, Actor, Any], None] | None = None
    refresh: Callable[[Context, Any], int] | None = None
    provisional: Callable[[], Any] | None = None
    not_found: str = "not-found"
    out_of_order: str = "step-out-of-order"
    states: tuple[str, ...] = field(default=())

    def allowed_steps(self, state: str, role: str | None = None) -> list[str]:
        """The steps taken by hand from ``state`` (by ``role``, when given), in procedure
        order."""
        return [
            name
            for name, step in self.steps.items()
            if step.by_hand and state in step.follows and (role is None or role in step.roles)
        ]

    def steps_now(self, row: Any, today: date) -> list[str]:
        """The steps taken by hand that fit ``row`` on ``today`` (what its view offers)."""
        return [
            name for name in self.allowed_steps(row.state) if self.steps[name].offered(row, today)
        ]

    def hand_steps(self) -> tuple[str, ...]:
        """Every step an officer may take by hand, in procedure order."""
        return tuple(name for name, step in self.steps.items() if step.by_hand)

    def papers_required(self) -> dict[str, str]:
        """The steps that cannot be taken without a paper, with the error code."""
        return {name: s.paper_required for name, s in self.steps.items() if s.paper_required}

    def may_follow(self, state: str, step: str) -> bool:
        known = self.steps.get(step)
        return known is not None and state in known.follows
