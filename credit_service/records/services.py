"""Credit-record use cases: file, correct, read (the views they answer are in ``views.py``)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from credit_service import changes, objection_marks
from credit_service.access import Actor
from credit_service.audit import services as audit
from credit_service.catalogs import services as catalog_services
from credit_service.catalogs.definitions import CatalogItem
from credit_service.context import Context
from credit_service.entities import services as entity_services
from credit_service.entities.models import Entity
from credit_service.errors import Conflict, InvalidInput
from credit_service.pagination import Page, cursor_int, page_by_id
from credit_service.records import exchange, preparation, repository
from credit_service.records.models import CreditRecord, CreditRecordRevision
from credit_service.records.preparation import PreparedRecord
from credit_service.records.purging import purge_records as purge_records
from credit_service.records.views import record_view, revision_view
from credit_service.step_dates import ensure_step_date


def prepare_record(
    ctx: Context, item_row_id: int, item: CatalogItem, raw: dict[str, Any]
) -> PreparedRecord:
    """Validate ``raw`` against the item with the context's publicity rules, calendar
    and date."""
    return preparation.prepare_record(
        item_row_id,
        item,
        raw,
        publicity=ctx.catalogs.publicity,
        calendar=ctx.calendar,
        today=ctx.today(),
    )


def file_record(
    ctx: Context, actor: Actor, *, entity: str, item_code: str, fields: dict[str, Any]
) -> tuple[dict[str, Any], bool]:
    """File a record; the same record filed again returns the existing one.

    :returns: (record view, created?)
    :raises InvalidInput: fields that do not fit the item, or an unknown item (D16).
    :raises Conflict: the source reference exists with other content (file a correction).
    """
    with ctx.session_factory.begin() as session:
        owner = entity_services.entity_in_scope(session, actor, entity)
        record, created = file_record_for(session, ctx, actor, owner, item_code, fields)
        return _view(session, ctx, record, owner), created


def file_record_for(
    session: Session,
    ctx: Context,
    actor: Actor,
    owner: Entity,
    item_code: str,
    fields: dict[str, Any],
    *,
    reason: str = "filed",
    tolerate_changes: bool = False,
) -> tuple[CreditRecord, bool]:
    """File a record about ``owner`` inside the caller's transaction (see file_record).

    With ``tolerate_changes`` an existing record of the same owner is returned even when
    its content differs (the caller decides whether to correct it).
    """
    item_row_id, item = catalog_services.current_item(session, ctx, item_code)
    prepared = prepare_record(ctx, item_row_id, item, fields)
    existing = repository.find_by_source(
        session=session,
        source_authority=prepared.envelope.source_authority,
        source_ref=prepared.envelope.source_ref,
    )
    if existing is not None:
        if not (tolerate_changes and existing.entity_id == owner.id):
            _ensure_same(existing, owner, prepared)
        return existing, False
    return add_record(session, ctx, actor, owner, prepared, reason=reason), True


def add_record(
    session: Session,
    ctx: Context,
    actor: Actor,
    owner: Entity,
    prepared: PreparedRecord,
    *,
    reason: str,
) -> CreditRecord:
    """Insert a new record and its first revision, audited (inside the caller's transaction)."""
    now = ctx.now()
    record = CreditRecord(
        entity_id=owner.id,
        **prepared.columns(),
        revision_reason=reason,
        filed_at=now,
        filed_by=actor.username,
        updated_at=now,
        updated_by=actor.username,
    )
    session.add(record)
    session.flush()
    changes.record(session, changes.RecordFiled(owner.id, record.id, actor.from_platform))
    audit.append(
        session,
        actor=actor,
        action="record.file",
        now=now,
        object_type="record",
        object_id=record.id,
        details={"item": record.item_code, "source_ref": record.source_ref},
    )
    return record


def _ensure_same(existing: CreditRecord, owner: Entity, prepared: PreparedRecord) -> None:
    if existing.entity_id == owner.id and existing.content_hash == prepared.content_hash:
        return
    raise Conflict(
        "record-exists-different",
        record_id=existing.id,
    )


def correct_record(
    ctx: Context, actor: Actor, record_id: int, *, fields: dict[str, Any], reason: str
) -> dict[str, Any]:
    """Make a new revision of a record; earlier revisions stay readable.

    :raises NotFound, Forbidden, InvalidInput, Conflict:
    """
    with ctx.session_factory.begin() as session:
        record = repository.get_record(session=session, record_id=record_id, for_update=True)
        owner = _owner_in_scope(session, actor, record)
        correct_in(session, ctx, actor, record, fields=fields, reason=reason)
        return _view(session, ctx, record, owner)


def correct_in(
    session: Session,
    ctx: Context,
    actor: Actor,
    record: CreditRecord,
    *,
    fields: dict[str, Any],
    reason: str,
) -> bool:
    """Correct inside the caller's transaction (see correct_record; an upheld objection
    corrects the field it named this way). False when ``fields`` change nothing.

    :raises InvalidInput: fields that do not fit the item, or that change the document.
    """
    item_row_id, item = catalog_services.current_item(session, ctx, record.item_code)
    prepared = prepare_record(ctx, item_row_id, item, fields)
    if (prepared.envelope.source_authority, prepared.envelope.source_ref) != (
        record.source_authority,
        record.source_ref,
    ):
        raise InvalidInput(
            "correction-changes-document", errors={"fields": ["correction-changes-document"]}
        )
    if prepared.content_hash == record.content_hash:
        return False
    apply_revision(session, ctx, actor, record, prepared.columns(), reason=reason)
    return True


def apply_revision(
    session: Session,
    ctx: Context,
    actor: Actor,
    record: CreditRecord,
    columns: dict[str, Any],
    *,
    reason: str,
) -> None:
    """Keep the current revision in the history, then overwrite it with ``columns``."""
    now = ctx.now()
    _keep_revision(session, record)
    for key, value in columns.items():
        setattr(record, key, value)
    record.revision += 1
    record.revision_reason = reason
    record.updated_at, record.updated_by = now, actor.username
    session.flush()
    changes.record(
        session, changes.RecordCorrected(record.entity_id, record.id, actor.from_platform)
    )
    audit.append(
        session,
        actor=actor,
        action="record.correct",
        now=now,
        object_type="record",
        object_id=record.id,
        details={"revision": record.revision, "reason": reason},
    )


def revoke_record(
    ctx: Context, actor: Actor, record_id: int, *, reason: str, on: date | None = None
) -> dict[str, Any]:
    """Record that the decision behind a record was revoked, varied or declared void: it
    leaves publication, and any listing resting on it comes down in the same transaction
    (D11).

    :raises NotFound, Forbidden, Conflict, InvalidInput: see revoke_in.
    """
    on = on or ctx.today()
    with ctx.session_factory.begin() as session:
        record = repository.get_record(session=session, record_id=record_id, for_update=True)
        owner = _owner_in_scope(session, actor, record)
        revoke_in(session, ctx, actor, record, owner, reason=reason, on=on)
        return _view(session, ctx, record, owner)


def revoke_in(
    session: Session,
    ctx: Context,
    actor: Actor,
    record: CreditRecord,
    owner: Entity,
    *,
    reason: str,
    on: date,
) -> None:
    """Revoke inside the caller's transaction (see revoke_record). The revocation is
    dated ``on``: not before the decision it revokes, not after today.

    The listings resting on the record come down in the same transaction (D11): the
    fact recorded here is handled before it commits (dishonesty's handler).

    :raises Conflict: already revoked.
    :raises InvalidInput: ``on`` out of those bounds.
    """
    if record.status == "revoked":
        raise Conflict("already-revoked")
    ensure_step_date(on, today=ctx.today(), follows={"decision": record.decision_date})
    record.status, record.status_reason = "revoked", reason
    record.status_changed_at = record.updated_at = ctx.now()
    record.updated_by = actor.username
    session.flush()
    changes.record(
        session,
        changes.RecordStatusChanged(
            owner.id, record.id, "revoked", actor.from_platform, revoked_on=on, by=actor
        ),
    )
    audit.append(
        session,
        actor=actor,
        action="record.revoke",
        now=ctx.now(),
        object_type="record",
        object_id=record.id,
        details={"reason": reason},
    )


def _keep_revision(session: Session, record: CreditRecord) -> None:
    session.add(
        CreditRecordRevision(
            record_id=record.id,
            revision=record.revision,
            catalog_item_id=record.catalog_item_id,
            decision_date=record.decision_date,
            publicity_end=record.publicity_end,
            severity=record.severity,
            fields=record.fields,
            reason=record.revision_reason,
            made_at=record.updated_at,
            made_by=record.updated_by,
        )
    )


def read_record(ctx: Context, actor: Actor, record_id: int) -> dict[str, Any]:
    """One record with its revision history.

    :raises NotFound, Forbidden:
    """
    with ctx.read_session_factory() as session:
        record = repository.get_record(session=session, record_id=record_id)
        owner = _owner_in_scope(session, actor, record)
        view = _view(session, ctx, record, owner)
        history = [*repository.list_revisions(session=session, record_id=record.id), record]
        view["revisions"] = [revision_view(session, r) for r in history]
        return view


def list_entity_records(
    ctx: Context, actor: Actor, identifier: str, *, cursor: str | None = None, limit: int = 50
) -> Page[dict[str, Any]]:
    """An entity's records, oldest first, within the caller's scope."""
    with ctx.read_session_factory() as session:
        owner = entity_services.entity_in_scope(session, actor, identifier)
        rows = repository.list_entity_records(
            session=session, entity_id=owner.id, after=cursor_int(cursor), limit=limit
        )
        page = page_by_id(rows, limit, lambda r: r.id)
        marks = objection_marks.of_kind(ctx, session, "record", [r.id for r in page.items])
        views = [record_view(ctx, r, owner, mark=marks.get(r.id)) for r in page.items]
        return Page(views, page.next_cursor)


def _view(session: Session, ctx: Context, record: CreditRecord, owner: Entity) -> dict[str, Any]:
    """A record's view with its mark 异议处理中, if an accepted objection is open on it."""
    marks = objection_marks.of_kind(ctx, session, "record", [record.id])
    return record_view(ctx, record, owner, mark=marks.get(record.id))


def _owner_in_scope(session: Session, actor: Actor, record: CreditRecord) -> Entity:
    owner = session.get(Entity, record.entity_id)
    return entity_services.entity_in_scope(session, actor, owner.identifier)


def end_publications(ctx: Context, actor: Actor) -> int:
    """Records whose publicity period has ended become 'expired', each with its
    record.publication_ended event for the platforms (the nightly job; idempotent).

    The owners' tiers are recomputed in the same transaction (the handler table), as for
    every other change to a record: the nightly tier job must not be the only thing that
    notices.
    """
    today = ctx.today()
    with ctx.session_factory.begin() as session:
        ended = session.execute(
            select(CreditRecord, Entity)
            .join(Entity, Entity.id == CreditRecord.entity_id)
            .where(CreditRecord.status == "active", CreditRecord.publicity_end < today)
            .with_for_update()
        ).all()
        for record, owner in ended:
            record.status, record.status_changed_at = "expired", ctx.now()
            record.status_reason = f"publicity ended on {record.publicity_end}"
            changes.record(
                session,
                changes.RecordStatusChanged(owner.id, record.id, "expired", actor.from_platform),
            )
        if ended:
            audit.append(
                session,
                actor=actor,
                action="record.end_publication",
                now=ctx.now(),
                object_type="record",
                details={"count": len(ended)},
            )
        return len(ended)


def change_repair_status(
    session: Session,
    ctx: Context,
    actor: Actor,
    record_id: int,
    status: Literal["repaired", "active"],
    reason: str,
) -> None:
    """A granted repair takes a record out of publication (``repaired``, by this city or
    a platform); revoking the grant publishes it again (``active``). Inside the caller's
    transaction; the owner's tier follows (the handler table).

    :raises NotFound: no such record.
    """
    record = repository.get_record(session=session, record_id=record_id)
    record.status, record.status_reason = status, reason
    record.status_changed_at = record.updated_at = ctx.now()
    session.flush()
    changes.record(
        session,
        changes.RecordStatusChanged(record.entity_id, record.id, status, actor.from_platform),
    )


def exchange_payload(record: CreditRecord, owner: Entity) -> dict[str, Any]:
    """The record as it leaves the city (the exchange format's payload)."""
    return exchange.record_payload(exchange.record_values(record), owner)


def find_record(session: Session, source_authority: str, source_ref: str) -> CreditRecord | None:
    """A record by its authority and document number (no scope check: callers decide)."""
    return repository.find_by_source(
        session=session, source_authority=source_authority, source_ref=source_ref
    )
