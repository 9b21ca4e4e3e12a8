"""How a credit record is shown: the API's view of a record and of its revisions.

A natural person's name and ID are always masked here; the full values are read, audited,
through the entity endpoint only.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from credit_service import identifiers, masking, objection_marks
from credit_service.catalogs import services as catalog_services
from credit_service.catalogs.definitions import CONDUCT_END_FIELD
from credit_service.context import Context
from credit_service.entities.models import Entity
from credit_service.records import rules
from credit_service.records.models import CreditRecord, CreditRecordRevision


def record_view(
    ctx: Context,
    record: CreditRecord,
    owner: Entity,
    *,
    mark: int | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    """The API view of a record; a natural person's name and ID are always masked here
    (the full values are read, audited, through the entity endpoint only). ``mark``: the
    open objection marking it 异议处理中 (``objection_marks``), if any."""
    person = owner.is_natural_person
    return {
        "id": record.id,
        "entity": {
            "identifier": identifiers.mask_resident_id(owner.identifier)
            if person
            else owner.identifier,
            "name": masking.mask_person_name(owner.name) if person else owner.name,
            "kind": owner.kind,
            "region_code": owner.region_code,
        },
        "item_code": record.item_code,
        "domain": record.domain,
        "category": record.category,
        "severity": record.severity,
        "heavier_penalty": record.heavier_penalty,
        "source_authority": record.source_authority,
        "source_ref": record.source_ref,
        "decision_date": record.decision_date,
        "publicity_end": record.publicity_end,
        "repair_from": record.repair_from,
        "retention_end": record.retention_end,
        "retention_from": record.retention_from,
        "retention_start": _retention_start(record),
        "early_stop_allowed": record.early_stop_allowed,
        "status": rules.effective_status(record.status, record.publicity_end, today or ctx.today()),
        "status_reason": record.status_reason,
        "revision": record.revision,
        "fields": record.fields,
        "filed_at": record.filed_at,
        "updated_at": record.updated_at,
        **objection_marks.fields(mark),
    }


def _retention_start(record: CreditRecord) -> date:
    """The day the stored ``retention_end`` counted from (a record filed before the end of
    conduct was read keeps its decision date until it is corrected)."""
    if record.retention_from == CONDUCT_END_FIELD:
        return date.fromisoformat(record.fields[CONDUCT_END_FIELD])
    return record.decision_date


def revision_view(session: Session, r: CreditRecordRevision | CreditRecord) -> dict[str, Any]:
    """One revision of a record, or the record itself as its current revision."""
    current = isinstance(r, CreditRecord)
    return {
        "revision": r.revision,
        "current": current,
        "reason": r.revision_reason if current else r.reason,
        "made_at": r.updated_at if current else r.made_at,
        "made_by": r.updated_by if current else r.made_by,
        "decision_date": r.decision_date,
        "publicity_end": r.publicity_end,
        "severity": r.severity,
        "fields": r.fields,
        "catalog_version": catalog_services.version_label_of_item(session, r.catalog_item_id),
    }
