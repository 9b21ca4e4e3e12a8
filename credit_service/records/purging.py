"""Deleting records past their retention (D16): the record and its revisions go; the
owner's tier and the platforms follow through the handler table (``RecordPurged``).

Which records may go (none that an open procedure or a listing still rests on) is
decided by the caller, ``credit_service.retention``; the one rule this module keeps
itself is the record's own: a record is never deleted before its ``retention_end`` has
passed on the day given, whatever list of ids it is handed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from credit_service import changes
from credit_service.access import Actor
from credit_service.audit import services as audit
from credit_service.context import Context
from credit_service.records.exchange import record_key
from credit_service.records.models import CreditRecord, CreditRecordRevision


def purge_records(
    session: Session, ctx: Context, actor: Actor, record_ids: Sequence[int], *, on: date
) -> list[int]:
    """Delete those of ``record_ids`` whose retention ended before ``on``, with their
    revisions, inside the caller's transaction; one audit row names them all.

    :returns: the ids deleted (a record corrected since it was chosen, its retention
        now later, is left).
    """
    rows = session.execute(
        select(
            CreditRecord.id,
            CreditRecord.entity_id,
            CreditRecord.source_authority,
            CreditRecord.source_ref,
            CreditRecord.retention_end,
        )
        .where(CreditRecord.id.in_(list(record_ids)), CreditRecord.retention_end < on)
        .order_by(CreditRecord.id)
        .with_for_update()
    ).all()
    if not rows:
        return []
    ids = [row.id for row in rows]
    session.execute(delete(CreditRecordRevision).where(CreditRecordRevision.record_id.in_(ids)))
    session.execute(delete(CreditRecord).where(CreditRecord.id.in_(ids)))
    changes.record(
        session,
        *(
            changes.RecordPurged(
                row.entity_id,
                row.id,
                record_key(row.source_authority, row.source_ref),
                row.retention_end,
                actor.from_platform,
            )
            for row in rows
        ),
    )
    audit.append(
        session,
        actor=actor,
        action="record.purge",
        now=ctx.now(),
        object_type="record",
        details={"count": len(ids), "ids": ids, "retention_day": on.isoformat()},
    )
    return ids
