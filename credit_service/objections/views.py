"""Reading objections: one with its deadlines, history, documents and evidence (the
party and the officers), the enterprise's own or the officers' queue by the nearest
deadline, and the mark 异议处理中 of the targets other areas show."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any

from sqlalchemy import Connection, Integer, Select, and_, or_, select
from sqlalchemy.orm import Session, sessionmaker

from credit_service.access import Actor
from credit_service.bulk import keys_in, keys_value
from credit_service.context import Context
from credit_service.entities import services as entity_services
from credit_service.entities.models import Entity
from credit_service.errors import Forbidden, NotFound
from credit_service.held_connections import read_rows
from credit_service.objections.deadlines import CLOCK
from credit_service.objections.models import OPEN_STATES, Objection, ObjectionEvidence
from credit_service.objections.procedure import OBJECTION, in_scope
from credit_service.procedures import deadlines, documents, engine, evidence, supplements
from credit_service.procedures.evidence import EvidenceTable
from credit_service.procedures.models import ProcedureDocument

OFFICERS = ("admin", "regulator")
EVIDENCE = EvidenceTable(ObjectionEvidence, "objection_id", "objection.evidence", "objection")


def get_objection(ctx: Context, actor: Actor, objection_id: int) -> dict[str, Any]:
    with ctx.read_session_factory() as session:
        return objection_view(session, ctx, readable(session, actor, objection_id))


def get_document(
    ctx: Context, actor: Actor, objection_id: int, document_id: int
) -> ProcedureDocument:
    """A notice of the objection (acceptance, refusal, extension, result), for those who
    may read the objection: the enterprise that filed it and the officers of its region.
    A notice to a natural person names them in full: each read is audited (D12).

    :raises NotFound: no such document of this objection. :raises Forbidden:
    """
    with ctx.session_factory.begin() as session:
        objection = readable(session, actor, objection_id)
        document = session.get(ProcedureDocument, document_id)
        if (
            document is None
            or document.procedure != OBJECTION.name
            or document.subject_id != objection.id
        ):
            raise NotFound("document-not-found", id=document_id)
        party = session.get(Entity, objection.entity_id)
        documents.audit_personal_read(
            session, ctx, actor, document, party, object_type="objection_document"
        )
        return document


def readable(session: Session, actor: Actor, objection_id: int) -> Objection:
    """An objection its filing enterprise or an officer in its region may read (a
    viewer or checker may not: it holds the party's reasons and contact).

    :raises NotFound, Forbidden:
    """
    objection = session.get(Objection, objection_id)
    if objection is None:
        raise NotFound(OBJECTION.not_found, id=objection_id)
    if actor.role not in (*OFFICERS, "enterprise"):
        raise Forbidden("objection-readers-only")
    in_scope(session, actor, objection)
    if actor.role == "enterprise" and actor.username != objection.filed_by:
        raise Forbidden("not-objector")
    return objection


def list_objections(
    ctx: Context, actor: Actor, *, state: str | None = None, region: str | None = None
) -> list[dict[str, Any]]:
    """An enterprise's own objections, or the officers' queue (open ones unless a state
    is asked for) sorted by the nearest deadline, overdue first.

    :raises Forbidden: a role that reads no objections, or a region out of scope.
    """
    if actor.role not in (*OFFICERS, "enterprise"):
        raise Forbidden("objection-readers-only")
    with ctx.read_session_factory() as session:
        query = select(Objection)
        if actor.role == "enterprise":
            query = query.where(Objection.filed_by == actor.username)
        else:
            regions = entity_services.scope_regions(ctx, actor, region)
            if regions is not None:
                query = query.where(Objection.region_code.in_(regions))
            query = query.where(
                Objection.state == state if state else Objection.state.in_(OPEN_STATES)
            )
        rows = session.execute(query).scalars().all()
        views = [objection_view(session, ctx, o, with_history=False) for o in rows]
    return sorted(views, key=lambda v: (v["current_due"] or date.max, v["id"]))


def objection_view(
    session: Session, ctx: Context, o: Objection, *, with_history: bool = True
) -> dict[str, Any]:
    today = ctx.today()
    due = CLOCK.current_due(o)
    overdue, soon = deadlines.due_flags(
        due, today, ctx.calendar, ctx.objection_rules.due_soon_workdays
    )
    view = {
        "id": o.id,
        **engine.standing(session, OBJECTION, o, with_history=with_history, today=today),
        "target": f"{o.target_type}:{o.target_id}",
        "field": o.field or None,
        "value_shown": o.value_shown,
        "value_claimed": o.value_claimed,
        "entity": entity_services.entity_summary(session.get(Entity, o.entity_id)),
        "reasons": o.reasons,
        "contact": o.contact,
        "channel": o.channel,
        "applicant_name": o.applicant_name,
        "filed_by": o.filed_by,
        "platform": o.platform,
        "platform_ref": o.platform_ref,
        "received_on": o.received_on,
        "acceptance_due": o.acceptance_due,
        "accepted_on": o.accepted_on,
        "decision_due": o.decision_due,
        "due_provisional": o.due_provisional,
        "extended_on": o.extended_on,
        "extension_reason": o.extension_reason,
        "paused_on": o.paused_on,
        "paused_remaining": o.paused_remaining,
        "supplement_due_on": supplements.waiting(o),
        "supplement_overdue": supplements.overdue(o, today),
        "current_due": due,
        "overdue": overdue,
        "due_today": due == today,
        "due_soon": soon,
        "marked": is_marking(o),
        "refusal_reason": o.refusal_reason,
        "decided_on": o.decided_on,
        "decision_reasons": o.decision_reasons,
        "correction": o.correction,
    }
    if with_history:
        view["documents"] = documents.issued(session, OBJECTION.name, o.id)
        view["evidence"] = evidence.listed(session, EVIDENCE, o.id)
        view["earlier"] = earlier_on_target(session, o)
    return view


def earlier_on_target(session: Session, o: Objection) -> list[dict[str, Any]]:
    """The target's earlier objections to the same field and how they ended: what an
    officer weighs before refusing a repeat with no new facts."""
    rows = session.execute(
        select(Objection.id, Objection.state, Objection.decided_on)
        .where(
            Objection.target_type == o.target_type,
            Objection.target_id == o.target_id,
            Objection.field == o.field,
            Objection.id != o.id,
        )
        .order_by(Objection.id)
    ).all()
    return [{"id": i, "state": s, "decided_on": d} for i, s, d in rows]


def is_marking(o: Objection) -> bool:
    """Whether the objection marks its target 异议处理中: accepted and still open."""
    return o.accepted_on is not None and o.state in OPEN_STATES


def open_marks(session: Session, kind: str, ids: Iterable[int]) -> dict[int, int]:
    """The targets of ``kind`` among ``ids`` that carry 异议处理中, each with the id of the
    objection that marks it (one query, for a list page or a batch credit check)."""
    marks = marks_of(session, {kind: ids})
    return {target_id: objection_id for (_, target_id), objection_id in marks.items()}


def marks_of(
    source: Session | Connection | sessionmaker[Session], wanted: Mapping[str, Iterable[int]]
) -> dict[tuple[str, int], int]:
    """``open_marks`` for targets of several kinds at once ({kind: ids}), in one query on
    a session, a Core connection, or a session factory's thread connection straight
    through its driver (``read_rows``: a single credit check's): the reader the other
    areas use through ``credit_service.objection_marks`` (a credit check reads records
    and listings)."""
    kinds = {kind: list(dict.fromkeys(ids)) for kind, ids in wanted.items()}
    kinds = {kind: ids for kind, ids in kinds.items() if ids}
    if not kinds:
        return {}
    dialect = _dialect(source)
    statement = _marks_statement(tuple(sorted(kinds)), dialect)
    values = {f"ids_{kind}": keys_value(dialect, ids) for kind, ids in kinds.items()}
    if isinstance(source, sessionmaker):
        rows: Iterable[Any] = read_rows(source, statement, values)
    else:
        rows = source.execute(statement(), values)
    return {(kind, target_id): objection_id for kind, target_id, objection_id in rows}


# An objection marks its target from its acceptance until it is decided or closed (D19).
MARKING = (
    Objection.accepted_on.is_not(None),
    or_(*(Objection.state == state for state in OPEN_STATES)),  # not IN: no list to expand
)


def every_mark(source: Session | Connection, kind: str) -> dict[int, int]:
    """Every target of ``kind`` that carries the mark now, with the id of the objection
    marking it (the oldest, if several are open): the open objections that were
    accepted, a handful at any time, read whole where many pages of one version of the
    list ask (``dishonesty.public``)."""
    marks: dict[int, int] = {}
    for target_id, objection_id in source.execute(_every_select(kind)):
        marks.setdefault(target_id, objection_id)  # several open: the oldest, in every worker
    return marks


@functools.cache
def _every_select(kind: str) -> Select:
    return (
        select(Objection.target_id, Objection.id)
        .where(
            Objection.target_type == kind,
            *MARKING,
        )
        .order_by(Objection.id)
    )


def _dialect(source: Session | Connection | sessionmaker[Session]) -> str:
    if isinstance(source, sessionmaker):
        return str(source.kw["bind"].dialect.name)
    if isinstance(source, Session):
        return source.get_bind().dialect.name
    return source.dialect.name


@functools.cache
def _marks_statement(kinds: tuple[str, ...], dialect: str) -> Callable[[], Select]:
    """``marks_of``'s query for a set of kinds, built once per dialect (building the
    expression cost a credit check more than running it), each kind's ids in one
    parameter (``keys_in``: no IN list to expand, so the driver runs it as it is)."""

    def statement() -> Select:
        return _marks_select(kinds, dialect)

    return statement


@functools.cache
def _marks_select(kinds: tuple[str, ...], dialect: str) -> Select:
    return select(Objection.target_type, Objection.target_id, Objection.id).where(
        or_(
            *(
                and_(
                    Objection.target_type == kind,
                    keys_in(dialect, Objection.target_id, name=f"ids_{kind}", item_type=Integer),
                )
                for kind in kinds
            )
        ),
        *MARKING,
    )


def due_on(
    ctx: Context, actor: Actor, today: date
) -> tuple[tuple[dict[str, Any], ...], tuple[dict[str, Any], ...]]:
    """The queue's objections overdue and due soon on ``today`` (the console dashboard)."""
    overdue, soon = [], []
    for objection in list_objections(ctx, actor):
        late, near = deadlines.due_flags(
            objection["current_due"], today, ctx.calendar, ctx.objection_rules.due_soon_workdays
        )
        if late:
            overdue.append(objection)
        elif near:
            soon.append(objection)
    return tuple(overdue), tuple(soon)


def supplements_late(ctx: Context, actor: Actor, today: date) -> tuple[dict[str, Any], ...]:
    """The queue's objections whose asked-for materials are late on ``today`` (the
    regulators' digest): the officer may close them."""
    objections = list_objections(ctx, actor)
    return tuple(o for o in objections if supplements.late(o["supplement_due_on"], today))
