"""Reading listing cases: one case with its history and documents, the cases of a
region or an entity, and a generated document."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from credit_service import objection_marks
from credit_service.access import Actor
from credit_service.context import Context
from credit_service.dishonesty.models import DishonestyCase
from credit_service.dishonesty.procedure import LISTING
from credit_service.dishonesty.window import statement_latest
from credit_service.entities import services as entity_services
from credit_service.entities.models import Entity
from credit_service.entities.rules import masked_identity
from credit_service.errors import Forbidden, NotFound
from credit_service.procedures import documents, engine
from credit_service.procedures.models import ProcedureDocument


def get_case(ctx: Context, actor: Actor, case_id: int) -> dict[str, Any]:
    with ctx.read_session_factory() as session:
        case = session.get(DishonestyCase, case_id)
        if case is None:
            raise NotFound("case-not-found", id=case_id)
        actor.ensure_region(case.region_code)
        return case_view(session, ctx, case)


def list_cases(
    ctx: Context,
    actor: Actor,
    *,
    state: str | None = None,
    entity: str | None = None,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """Cases in the caller's region (or of one entity in it), newest first.

    :raises NotFound, Forbidden: an entity unknown or outside the caller's region.
    """
    regions = entity_services.scope_regions(ctx, actor, None)
    with ctx.read_session_factory() as session:
        query = select(DishonestyCase).order_by(DishonestyCase.id.desc()).limit(limit)
        if regions is not None:
            query = query.where(DishonestyCase.region_code.in_(regions))
        if entity is not None:
            owner = entity_services.entity_in_scope(session, actor, entity)
            query = query.where(DishonestyCase.entity_id == owner.id)
        if state:
            query = query.where(DishonestyCase.state == state)
        cases = session.execute(query).scalars().all()
        marks = objection_marks.of_kind(
            ctx, session, "listing", [c.id for c in cases if c.published_on is not None]
        )
        return [case_view(session, ctx, c, with_history=False, marks=marks) for c in cases]


def case_view(
    session: Session,
    ctx: Context,
    case: DishonestyCase,
    *,
    with_history: bool = True,
    marks: Mapping[int, int] | None = None,
) -> dict[str, Any]:
    """A case as the console and the API show it, with the mark 异议处理中 of its list
    entry (``marks``: read for a whole page by the caller; else read here, only for a
    case that was published: an objection names a published entry)."""
    entity = session.get(Entity, case.entity_id)
    if marks is None:
        published = case.published_on is not None
        marks = objection_marks.of_kind(ctx, session, "listing", [case.id] if published else [])
    view = {
        "id": case.id,
        **engine.standing(session, LISTING, case, with_history=with_history),
        "entity": {**masked_identity(entity), "region_code": entity.region_code},
        "grounds": case.grounds,
        "record_ids": case.record_ids,
        "domain": case.domain,
        "proposal_reason": case.proposal_reason,
        "notice_no": case.notice_no,
        "notice_served_on": case.notice_served_on,
        "statement_deadline": case.statement_deadline,
        "statement_deadline_provisional": case.statement_deadline_provisional,
        "statement_deadline_latest": statement_latest(ctx, case)
        if case.statement_deadline_provisional and case.notice_served_on
        else None,
        "statement_waived": case.statement_waived,
        "statement_received_on": case.statement_received_on,
        "decision_no": case.decision_no,
        "decided_on": case.decided_on,
        "publication_deadline": case.publication_deadline,
        "publication_deadline_provisional": case.publication_deadline_provisional,
        "published_on": case.published_on,
        "term_ends_on": case.term_ends_on,
        "removed_on": case.removed_on,
        "removal_reason": case.removal_reason,
        "removal_note": case.removal_note,
        "measures": case.measures,
        **objection_marks.fields(marks.get(case.id)),
    }
    if with_history:
        view["documents"] = documents.issued(session, LISTING.name, case.id)
    return view


def get_document(ctx: Context, actor: Actor, document_id: int) -> ProcedureDocument:
    """A generated document (readers of the case's region). A notice or decision to a
    natural person names them in full: only roles that may see unmasked personal data
    read it, and each such read is audited (D12).

    :raises NotFound, Forbidden:
    """
    with ctx.session_factory.begin() as session:
        document = session.get(ProcedureDocument, document_id)
        if document is None or document.procedure != LISTING.name:
            raise NotFound("document-not-found", id=document_id)
        case = session.get(DishonestyCase, document.subject_id)
        actor.ensure_region(case.region_code)
        party = session.get(Entity, case.entity_id)
        if party.is_natural_person and actor.role not in entity_services.UNMASK_ROLES:
            raise Forbidden("unmask-forbidden")
        documents.audit_personal_read(
            session, ctx, actor, document, party, object_type="dishonesty_document"
        )
        return document
