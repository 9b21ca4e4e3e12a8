"""How long a decided procedure took, in working days, for the published turnaround
figures of every procedure with the two-phase clock (repair D10, objections D19).

The days run from the day after the procedure opened up to its decision, less the days
the clock stood still while the party supplied materials (from the day after the
request up to the day they arrived), as the deadlines count them: the figure measures
the office, not the party.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from credit_service.procedures.models import ProcedureStep
from credit_service.workdays import WorkdayCalendar

PAUSE_STEPS = ("request_supplement", "supplement_received")

Pauses = dict[int, list[tuple[date, date]]]


def read_pauses(session: Session, procedure: str, model: Any, *window: Any) -> Pauses:
    """The pauses for materials of the ``model`` rows matching ``window`` (SQL conditions
    on the model), by row id: (requested on, received on)."""
    steps = session.execute(
        select(ProcedureStep.subject_id, ProcedureStep.step, ProcedureStep.effective_on)
        .join(model, model.id == ProcedureStep.subject_id)
        .where(
            *window,
            ProcedureStep.procedure == procedure,
            ProcedureStep.step.in_(PAUSE_STEPS),
        )
        .order_by(ProcedureStep.subject_id, ProcedureStep.id)
    ).all()
    return pause_spans(steps)


def pause_spans(steps: Iterable[tuple[int, str, date]]) -> Pauses:
    """Each row's pauses from its steps in order. A decided row has none still open: no
    decision can be taken while one is."""
    pauses: Pauses = defaultdict(list)
    requested: dict[int, date] = {}
    for subject_id, step, on in steps:
        if step == "request_supplement":
            requested[subject_id] = on
        elif subject_id in requested:
            pauses[subject_id].append((requested.pop(subject_id), on))
    return pauses


def workdays_taken(
    calendar: WorkdayCalendar,
    opened: date,
    decided: date,
    pauses: Sequence[tuple[date, date]],
) -> int:
    """Working days after ``opened`` up to ``decided``, less those after each request for
    materials up to the day they were reported supplied: the clock ran again only from
    the next day, as the deadlines count."""
    taken = calendar.workdays_between(opened, decided)[0]
    return taken - sum(calendar.workdays_between(start, end)[0] for start, end in pauses)
