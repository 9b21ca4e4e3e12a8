"""Record queries: keyword-only helpers taking a session."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from credit_service.bulk import in_list
from credit_service.errors import NotFound
from credit_service.records.models import CreditRecord, CreditRecordRevision


def find_by_source(
    *, session: Session, source_authority: str, source_ref: str
) -> CreditRecord | None:
    return session.execute(
        select(CreditRecord).where(
            CreditRecord.source_authority == source_authority,
            CreditRecord.source_ref == source_ref,
        )
    ).scalar_one_or_none()


def get_record(*, session: Session, record_id: int, for_update: bool = False) -> CreditRecord:
    """:raises NotFound: when no record has this id."""
    query = select(CreditRecord).where(CreditRecord.id == record_id)
    if for_update:
        query = query.with_for_update()
    record = session.execute(query).scalar_one_or_none()
    if record is None:
        raise NotFound("record-not-found", record_id=record_id)
    return record


def list_revisions(*, session: Session, record_id: int) -> list[CreditRecordRevision]:
    return list(
        session.execute(
            select(CreditRecordRevision)
            .where(CreditRecordRevision.record_id == record_id)
            .order_by(CreditRecordRevision.revision)
        ).scalars()
    )


def list_entity_records(
    *, session: Session, entity_id: int, after: int | None, limit: int
) -> list[CreditRecord]:
    query = (
        select(CreditRecord)
        .where(CreditRecord.entity_id == entity_id)
        .order_by(CreditRecord.id)
        .limit(limit + 1)
    )
    if after is not None:
        query = query.where(CreditRecord.id > after)
    return list(session.execute(query).scalars())


def map_existing_sources(
    *, session: Session, keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], tuple[int, int, str, int]]:
    """(authority, ref) -> (record id, entity id, content hash, revision) for known keys.

    One query per authority (a batch rarely has more than a few), so that the unique
    index on (source_authority, source_ref) serves it on both databases. Run on the
    session's connection, without the ORM's row handling (and without autoflush: the bulk
    importer, its only caller, writes through the driver).
    """
    refs_by_authority: dict[str, list[str]] = {}
    for authority, ref in set(keys):
        refs_by_authority.setdefault(authority, []).append(ref)
    found: dict[tuple[str, str], tuple[int, int, str, int]] = {}
    for authority, refs in refs_by_authority.items():
        rows = (
            session.connection()
            .execute(
                select(
                    CreditRecord.source_ref,
                    CreditRecord.id,
                    CreditRecord.entity_id,
                    CreditRecord.content_hash,
                    CreditRecord.revision,
                ).where(
                    CreditRecord.source_authority == authority,
                    in_list(session, CreditRecord.source_ref, refs),
                )
            )
            .all()
        )
        found.update({(authority, r): (i, e, h, v) for r, i, e, h, v in rows})
    return found
