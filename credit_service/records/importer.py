"""Bulk import of records from CSV (双公示 current or older layout, or ours), in batches.

Each batch is one transaction and idempotent: a row already filed with the same content
is skipped, one with changed content becomes a correction (a new revision). Validation
can run in worker processes (``workers``) while this process writes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import IO, Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from credit_service import changes
from credit_service.access import Actor
from credit_service.audit import services as audit
from credit_service.bulk import StatisticsRefresher, bulk_insert, in_list
from credit_service.catalogs import services as catalog_services
from credit_service.context import Context
from credit_service.entities import lookups
from credit_service.entities.models import Entity
from credit_service.imports import BatchDone, ImportReport, batched, check_header, read_csv
from credit_service.parallel import ordered_map
from credit_service.records import exchange, layouts, repository
from credit_service.records import services as record_services
from credit_service.records.models import CreditRecord
from credit_service.records.preparation import (
    BatchPreparer,
    EventParts,
    ItemMap,
    PreparedRow,
)


def import_records(
    ctx: Context,
    actor: Actor,
    stream: IO[str],
    *,
    progress: Callable[[int], None] | None = None,
    workers: int = 0,
    on_batch: BatchDone | None = None,
) -> ImportReport:
    """Import records; re-importing the same file changes nothing. ``progress`` is told
    the bytes read, ``on_batch`` the report after each committed batch."""
    report = ImportReport()
    header, rows = read_csv(stream, progress=progress)
    layout = layouts.detect_layout(header)
    with ctx.read_session_factory() as session:
        items = catalog_services.current_item_map(session, ctx)
    check_header(
        header, allowed=_allowed_columns(layout, items), required=_required_columns(layout)
    )
    preparer = BatchPreparer(
        header,
        layout,
        items,
        ctx.catalogs.publicity,
        ctx.calendar,
        ctx.today(),
        events=not actor.from_platform,
    )
    statistics = StatisticsRefresher(CreditRecord.__table__)
    batches = batched(rows, ctx.settings.import_batch_size)
    for prepared in ordered_map(preparer, batches, workers=workers):
        report.rows += prepared.count
        for line, errors in prepared.errors:
            report.add_errors(line, errors)
        with ctx.session_factory.begin() as session:
            created = _write_batch(session, ctx, actor, prepared.rows, report)
            statistics.note(session, created)
        if on_batch:
            on_batch(report)
    return report


def _allowed_columns(layout: str, items: ItemMap) -> set[str]:
    if layout == "dsgs":
        return set(layouts.DSGS_COLUMNS)
    if layout == "dsgs_legacy":
        return set(layouts.LEGACY_COLUMNS)
    names = {spec.name for _, item in items.values() for spec in item.fields}
    return names | set(layouts.GENERIC_BASE)


def _required_columns(layout: str) -> tuple[str, ...]:
    if layout == "generic":
        return layouts.GENERIC_BASE
    return ("CF_XDR_MC", "CF_WSH", "CF_JDRQ")


def _write_batch(
    session: Session, ctx: Context, actor: Actor, rows: list[PreparedRow], report: ImportReport
) -> int:
    """Insert new records, correct changed ones, skip unchanged; returns the number inserted."""
    owners = _owners(session, actor, rows, report)
    latest = {  # a later row for the same document wins
        (c["source_authority"], c["source_ref"]): (line, identifier, c, event)
        for line, identifier, c, event in rows
        if identifier in owners
    }
    existing = repository.map_existing_sources(session=session, keys=latest)
    new_rows, filed, changed, clashes = [], [], [], 0
    parties: dict[int, str] = {}  # each entity's party block, serialized once per batch
    for key, (line, identifier, columns, event) in latest.items():
        owner = owners[identifier]
        if key not in existing:
            columns["entity_id"] = owner.id  # the batch's own dict: written as it is
            new_rows.append(columns)
            filed.append(_filed(actor, owner, event, columns["fields"], parties))
        elif existing[key][1] != owner.id:
            clashes += 1
            report.add_errors(line, {"CF_WSH": ["document-number-other-entity"]})
        elif existing[key][2] != columns["content_hash"]:
            changed.append((existing[key][0], columns))
    now = ctx.now()
    bulk_insert(
        session,
        CreditRecord.__table__,
        new_rows,
        preserialized=("fields",),
        constants={
            "revision": 1,
            "revision_reason": "imported",
            "status": "active",
            "filed_at": now,
            "filed_by": actor.username,
            "updated_at": now,
            "updated_by": actor.username,
        },
    )
    for record_id, columns in changed:
        record = repository.get_record(session=session, record_id=record_id, for_update=True)
        columns = {**columns, "fields": json.loads(columns["fields"])}
        record_services.apply_revision(
            session, ctx, actor, record, columns, reason="import correction"
        )
    changes.record(session, *filed)
    report.created += len(new_rows)
    report.updated += len(changed)
    report.unchanged += len(latest) - len(new_rows) - len(changed) - clashes
    if new_rows or changed:
        audit.append(
            session,
            actor=actor,
            action="record.import",
            now=now,
            object_type="record",
            details={"created": len(new_rows), "updated": len(changed)},
        )
    return len(new_rows)


def _owners(
    session: Session, actor: Actor, rows: list[PreparedRow], report: ImportReport
) -> dict[str, Row[Any]]:
    """The registry row (id, region and party columns) by identifier of the rows' entities
    in the importer's scope; the rows of other entities become errors (a natural person
    of another region as not registered: ``lookups.visible``)."""
    wanted = list({identifier for _, identifier, _, _ in rows})
    found = (
        {
            row.identifier: row
            for row in session.connection().execute(
                select(
                    Entity.identifier,
                    Entity.id,
                    Entity.region_code,
                    Entity.kind,
                    Entity.name,
                    Entity.legal_representative,
                ).where(in_list(session, Entity.identifier, wanted))
            )
            if lookups.visible(actor, row) is not None
        }
        if wanted
        else {}
    )
    owners = {i: row for i, row in found.items() if actor.covers_region(row.region_code)}
    for line, identifier, _, _ in rows:
        if identifier not in owners:
            reason = "outside-region" if identifier in found else "party-not-registered"
            report.add_errors(line, {"party": [reason]})
    return owners


def _filed(
    actor: Actor,
    owner: Row[Any],
    event: EventParts | None,
    fields_json: str,
    parties: dict[int, str],
) -> changes.RecordFiled:
    """A new record's RecordFiled, with the record in the exchange format already (the
    bulk rows' ids are not read back), unless no event leaves the city for it."""
    if event is None:
        return changes.RecordFiled(owner.id, None, actor.from_platform)
    party = parties.get(owner.id)
    if party is None:
        party = parties[owner.id] = exchange.party_json(owner)
    event_id, key, head = event
    payload = exchange.complete_payload(head, party, fields_json)
    return changes.RecordFiled(
        owner.id, None, actor.from_platform, (event_id, key, owner.identifier, payload)
    )
