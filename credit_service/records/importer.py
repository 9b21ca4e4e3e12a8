"""Bulk import of records from CSV (双公示 current or older layout, or ours), in batches.

Each batch is one transaction and idempotent: a row already filed with the same content
is skipped, one with changed content becomes a correction (a new revision).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from credit_service.access import Actor
from credit_service.audit import services as audit
from credit_service.bulk import bulk_insert
from credit_service.catalogs import services as catalog_services
from credit_service.catalogs.definitions import CatalogItem
from credit_service.context import Context
from credit_service.entities import rules as entity_rules
from credit_service.entities.models import Entity
from credit_service.errors import InvalidInput
from credit_service.imports import ImportReport, batched, check_header, open_csv
from credit_service.records import layouts, repository
from credit_service.records import services as record_services
from credit_service.records.models import CreditRecord

ItemMap = dict[str, tuple[int, CatalogItem]]
Owner = Any  # a (identifier, id, region_code) row


@dataclass(frozen=True)
class _Row:
    line: int
    identifier: str
    prepared: record_services.PreparedRecord

    @property
    def key(self) -> tuple[str, str]:
        return self.prepared.envelope.source_authority, self.prepared.envelope.source_ref


def import_records(
    ctx: Context,
    actor: Actor,
    stream: IO[str],
    *,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import records; re-importing the same file changes nothing."""
    report = ImportReport()
    header, rows = open_csv(stream, progress=progress)
    layout = layouts.detect_layout(header)
    with ctx.read_session_factory() as session:
        items = catalog_services.current_item_map(session, ctx)
    check_header(
        header, allowed=_allowed_columns(layout, items), required=_required_columns(layout)
    )
    by_violation = {vt: code for code, (_, item) in items.items() for vt in item.violation_types}
    mapper = layouts.MAPPERS[layout]
    memo: dict[tuple[Any, ...], Any] = {}
    for batch in batched(rows, ctx.settings.import_batch_size):
        prepared = _prepare_batch(ctx, batch, mapper, items, by_violation, report, memo)
        with ctx.session_factory.begin() as session:
            _write_batch(session, ctx, actor, prepared, report)
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


def _prepare_batch(
    ctx: Context,
    batch: list[tuple[int, dict[str, str]]],
    mapper: Any,
    items: ItemMap,
    by_violation: dict[str, str],
    report: ImportReport,
    memo: dict[tuple[Any, ...], Any],
) -> list[_Row]:
    prepared: list[_Row] = []
    for line, raw in batch:
        report.rows += 1
        if "__extra__" in raw:
            report.add_errors(line, {"row": ["more values than columns"]})
            continue
        mapped = mapper(raw)
        code = mapped.item_code or by_violation.get(mapped.violation_type or "")
        if code not in items:
            column = "ITEM_CODE" if mapped.item_code else "CF_WFXW"
            report.add_errors(line, {column: ["no catalog item for this row; 无对应目录条目"]})
            continue
        row_id, item = items[code]
        try:
            record = record_services.prepare_record(ctx, row_id, item, mapped.fields, memo=memo)
        except InvalidInput as exc:
            errors = {k.removeprefix("fields."): v for k, v in (exc.errors or {}).items()}
            report.add_errors(line, errors)
            continue
        prepared.append(_Row(line, entity_rules.lookup_key(mapped.identifier), record))
    return prepared


def _write_batch(
    session: Session, ctx: Context, actor: Actor, rows: list[_Row], report: ImportReport
) -> None:
    owners = _owners(session, actor, rows, report)
    rows = [r for r in rows if r.identifier in owners]
    latest = {r.key: r for r in rows}  # a later row for the same document wins
    existing = repository.map_existing_sources(session=session, keys=latest)
    now = ctx.now()
    new_rows, changed, clashes = [], [], 0
    for key, row in latest.items():
        owner = owners[row.identifier]
        if key not in existing:
            columns = row.prepared.columns()
            columns["fields"] = row.prepared.fields_json
            new_rows.append({"entity_id": owner.id, **columns})
        elif existing[key][1] != owner.id:
            clashes += 1
            report.add_errors(
                row.line,
                {
                    "CF_WSH": [
                        "document number already filed for another entity; 文书号已用于其他主体"
                    ]
                },
            )
        elif existing[key][2] != row.prepared.content_hash:
            changed.append((existing[key][0], row))
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
    for record_id, row in changed:
        record = repository.get_record(session=session, record_id=record_id, for_update=True)
        record_services.apply_revision(
            session, ctx, actor, record, row.prepared, reason="import correction"
        )
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


def _owners(
    session: Session, actor: Actor, rows: list[_Row], report: ImportReport
) -> dict[str, Owner]:
    """The entities the rows name, within the importer's scope; others are row errors."""
    wanted = list({r.identifier for r in rows})
    found = (
        {
            row.identifier: row
            for row in session.execute(
                select(Entity.identifier, Entity.id, Entity.region_code).where(
                    Entity.identifier.in_(wanted)
                )
            )
        }
        if wanted
        else {}
    )
    owners = {i: e for i, e in found.items() if actor.covers_region(e.region_code)}
    for row in rows:
        if row.identifier not in owners:
            reason = (
                "entity outside your region scope"
                if row.identifier in found
                else "entity not registered; import it first; 主体未登记"
            )
            report.add_errors(row.line, {"party": [reason]})
    return owners
