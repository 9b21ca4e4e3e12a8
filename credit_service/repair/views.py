"""Reading repair applications: one application with its deadlines, history and
evidence (the applicant and the reviewers), and the enterprise's own applications or
the regulators' review queue by the nearest deadline."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from credit_service.access import Actor
from credit_service.context import Context
from credit_service.entities import services as entity_services
from credit_service.entities.models import Entity
from credit_service.errors import Forbidden, NotFound
from credit_service.procedures import deadlines, engine, evidence, supplements
from credit_service.procedures.evidence import EvidenceTable
from credit_service.repair.deadlines import current_due
from credit_service.repair.models import OPEN_STATES, RepairApplication, RepairEvidence
from credit_service.repair.procedure import REPAIR, in_scope

EVIDENCE = EvidenceTable(RepairEvidence, "application_id", "repair.evidence", REPAIR.object_type)


def get_application(ctx: Context, actor: Actor, application_id: int) -> dict[str, Any]:
    with ctx.read_session_factory() as session:
        application = readable(session, actor, application_id)
        return application_view(session, ctx, application)


def readable(session: Session, actor: Actor, application_id: int) -> RepairApplication:
    """An application its applicant or a reviewer in its region may read.

    :raises NotFound, Forbidden:
    """
    application = session.get(RepairApplication, application_id)
    if application is None:
        raise NotFound(REPAIR.not_found, id=application_id)
    in_scope(session, actor, application)
    if actor.role == "enterprise" and actor.username != application.applicant:
        raise Forbidden("not-applicant")
    return application


def list_applications(ctx: Context, actor: Actor) -> list[dict[str, Any]]:
    """An enterprise's own applications, or the regulator's review queue sorted by the
    nearest deadline (overdue first)."""
    with ctx.read_session_factory() as session:
        query = select(RepairApplication)
        if actor.role == "enterprise":
            query = query.where(RepairApplication.applicant == actor.username)
        else:
            regions = entity_services.scope_regions(ctx, actor, None)
            query = query.where(RepairApplication.state.in_(OPEN_STATES))
            if regions is not None:
                query = query.where(RepairApplication.region_code.in_(regions))
        rows = session.execute(query).scalars().all()
        views = [application_view(session, ctx, a, with_history=False) for a in rows]
    return sorted(views, key=lambda v: (v["current_due"] or date.max, v["id"]))


def application_view(
    session: Session, ctx: Context, a: RepairApplication, *, with_history: bool = True
) -> dict[str, Any]:
    today = ctx.today()
    due = current_due(a)
    overdue, soon = deadlines.due_flags(
        due, today, ctx.calendar, ctx.repair_rules.due_soon_workdays
    )
    view = {
        "id": a.id,
        **engine.standing(session, REPAIR, a, with_history=with_history, today=today),
        "target": f"{a.target_type}:{a.target_id}",
        "entity": entity_services.entity_summary(session.get(Entity, a.entity_id)),
        "reason": a.reason,
        "measures_taken": a.measures_taken,
        "contact": a.contact,
        "commitment_version": a.commitment_version,
        "commitment_text": a.commitment_text,
        "committed_at": a.committed_at,
        "applicant": a.applicant,
        "submitted_on": a.submitted_on,
        "acceptance_due": a.acceptance_due,
        "accepted_on": a.accepted_on,
        "decision_due": a.decision_due,
        "due_provisional": a.due_provisional,
        "paused_on": a.paused_on,
        "paused_remaining": a.paused_remaining,
        "supplement_due_on": supplements.waiting(a),
        "supplement_overdue": supplements.overdue(a, today),
        "current_due": due,
        "overdue": overdue,
        "due_today": due == today,
        "due_soon": soon,
        "decided_on": a.decided_on,
        "decision_reasons": a.decision_reasons,
        "revoked_on": a.revoked_on,
    }
    if with_history:
        view["evidence"] = evidence.listed(session, EVIDENCE, a.id)
    return view


def due_on(
    ctx: Context, actor: Actor, today: date
) -> tuple[tuple[dict[str, Any], ...], tuple[dict[str, Any], ...]]:
    """The review queue's applications overdue and due soon on ``today`` (the queue's own
    flags are as of the real today; these are recomputed for the day asked)."""
    overdue, soon = [], []
    for application in list_applications(ctx, actor):
        late, near = deadlines.due_flags(
            application["current_due"], today, ctx.calendar, ctx.repair_rules.due_soon_workdays
        )
        if late:
            overdue.append(application)
        elif near:
            soon.append(application)
    return tuple(overdue), tuple(soon)


def supplements_late(ctx: Context, actor: Actor, today: date) -> tuple[dict[str, Any], ...]:
    """The review queue's applications whose asked-for materials are late on ``today``
    (the regulators' digest): the reviewer may close them."""
    applications = list_applications(ctx, actor)
    return tuple(a for a in applications if supplements.late(a["supplement_due_on"], today))
