"""What a credit report states (D21), read through the other areas' models and services:
identity; dishonest records in their publicity period and trustworthy records, each with
its catalog item and legal basis; list status with dates; repair and objection history;
the measures that apply for the purpose. Never the tier (D1).

The same function builds a report's content at issue and again for a verification's
comparison, so "what changed" compares like with like.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from credit_service import objection_marks
from credit_service.catalogs import services as catalog_services
from credit_service.catalogs.definitions import citations
from credit_service.context import Context
from credit_service.dishonesty import services as dishonesty_services
from credit_service.dishonesty.models import DishonestyCase
from credit_service.entities.models import Entity
from credit_service.entities.rules import masked_identity
from credit_service.objections import services as objection_services
from credit_service.objections.models import Objection
from credit_service.records.models import CreditRecord
from credit_service.repair.models import RepairApplication
from credit_service.reports.rules import SCHEMA

LISTED_STATES = ("published", "removed", "expired")


def build(
    session: Session,
    ctx: Context,
    entity: Entity,
    *,
    purpose: str | None,
    masked: bool,
    today: date,
) -> dict[str, Any]:
    """The facts a report states about ``entity`` on ``today`` (no number, no requester:
    the issue adds those)."""
    records = _records(session, entity.id, today)
    listings = _listings(session, entity.id)
    marks = objection_marks.read(
        ctx,
        session,
        {"record": [r.id for r in records], "listing": [c.id for c in listings]},
    )
    items = catalog_services.item_definitions(session, ctx, {r.catalog_item_id for r in records})
    check = dishonesty_services.assessment(ctx, session.connection(), entity.identifier, purpose)
    identity = (
        masked_identity(entity)
        if masked
        else {
            "identifier": entity.identifier,
            "name": entity.name,
        }
    )
    return {
        "schema": SCHEMA,
        "entity": {
            **identity,
            "kind": entity.kind,
            "region_code": entity.region_code,
            "region": ctx.catalogs.region_name(entity.region_code),
        },
        "purpose": purpose,
        "purpose_name": ctx.catalogs.purposes.get(purpose or ""),
        "records": [
            _record(r, items[r.catalog_item_id], marks)
            for r in records
            if r.category != "trustworthy"
        ],
        "trustworthy": [
            _record(r, items[r.catalog_item_id], marks)
            for r in records
            if r.category == "trustworthy"
        ],
        "listings": [_listing(ctx, c, today, marks) for c in listings],
        "repairs": [_repair(a) for a in _repairs(session, entity.id)],
        "objections": [_objection(o) for o in _objections(session, entity.id)],
        "measures": [_iso(m) for m in (check or {}).get("measures", [])],
        "conclusion": (check or {}).get("conclusion") if purpose else None,
    }


def _records(session: Session, entity_id: int, today: date) -> list[CreditRecord]:
    """Active dishonest records in publicity and active trustworthy records (a
    trustworthy record without a publicity end stays until it ends)."""
    return list(
        session.execute(
            select(CreditRecord)
            .where(
                CreditRecord.entity_id == entity_id,
                CreditRecord.status == "active",
                CreditRecord.category.in_(("dishonest", "trustworthy")),
                or_(
                    CreditRecord.publicity_end >= today,
                    (CreditRecord.category == "trustworthy") & CreditRecord.publicity_end.is_(None),
                ),
            )
            .order_by(CreditRecord.decision_date, CreditRecord.id)
        ).scalars()
    )


def _record(record: CreditRecord, item: Any, marks: dict[tuple[str, int], int]) -> dict[str, Any]:
    return {
        "id": record.id,
        "item_code": record.item_code,
        "item_name": item.name,
        "legal_basis": citations(item.legal_basis),
        "severity": record.severity,
        "source_authority": record.source_authority,
        "source_ref": record.source_ref,
        "decision_date": record.decision_date.isoformat(),
        "publicity_end": _day(record.publicity_end),
        "objection_pending": ("record", record.id) in marks,
    }


def _listings(session: Session, entity_id: int) -> list[DishonestyCase]:
    return list(
        session.execute(
            select(DishonestyCase)
            .where(
                DishonestyCase.entity_id == entity_id,
                DishonestyCase.published_on.is_not(None),
                DishonestyCase.state.in_(LISTED_STATES),
            )
            .order_by(DishonestyCase.id)
        ).scalars()
    )


def _listing(
    ctx: Context, case: DishonestyCase, today: date, marks: dict[tuple[str, int], int]
) -> dict[str, Any]:
    if case.removed_on is not None:
        status = "removed"
    elif dishonesty_services.is_in_force(case, today):
        status = "in_force"
    else:
        status = "ended"
    reasons = ctx.list_rules.removal_reasons
    return {
        "id": case.id,
        "status": status,
        "decision_no": case.decision_no,
        "authority": ctx.list_rules.office_name,
        "grounds": [ctx.list_rules.grounds.get(g, g) for g in case.grounds],
        "decided_on": _day(case.decided_on),
        "published_on": _day(case.published_on),
        "term_ends_on": _day(case.term_ends_on),
        "removed_on": _day(case.removed_on),
        "removal_reason": case.removal_reason,
        "removal_reason_name": reasons.get(case.removal_reason or "") or None,
        "objection_pending": ("listing", case.id) in marks,
    }


def _repairs(session: Session, entity_id: int) -> list[RepairApplication]:
    return list(
        session.execute(
            select(RepairApplication)
            .where(RepairApplication.entity_id == entity_id)
            .order_by(RepairApplication.id)
        ).scalars()
    )


def _repair(application: RepairApplication) -> dict[str, Any]:
    return {
        "id": application.id,
        "target_type": application.target_type,
        "target_id": application.target_id,
        "submitted_on": application.submitted_on.isoformat(),
        "state": application.state,
        "decided_on": _day(application.decided_on),
    }


def _objections(session: Session, entity_id: int) -> list[Objection]:
    return list(
        session.execute(
            select(Objection).where(Objection.entity_id == entity_id).order_by(Objection.id)
        ).scalars()
    )


def _objection(objection: Objection) -> dict[str, Any]:
    return {
        "id": objection.id,
        "target_type": objection.target_type,
        "target_id": objection.target_id,
        "field": objection.field,
        "received_on": objection.received_on.isoformat(),
        "state": objection.state,
        "decided_on": _day(objection.decided_on),
        "marking": objection_services.is_marking(objection),  # 异议处理中 (D19)
    }


def _iso(measure: dict[str, Any]) -> dict[str, Any]:
    return {k: _day(v) if isinstance(v, date) else v for k, v in measure.items()}


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()
