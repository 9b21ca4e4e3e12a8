"""Bulk import of entities from CSV: streamed, validated per row, committed per batch."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import IO, Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from credit_service.access import Actor
from credit_service.audit import services as audit
from credit_service.bulk import StatisticsRefresher, bulk_insert, in_list
from credit_service.catalogs.definitions import CatalogSet
from credit_service.changes import EntitiesChanged, EntitiesRenamed, record
from credit_service.context import Context
from credit_service.db import json_text
from credit_service.entities import name_index, rules
from credit_service.entities.models import Entity
from credit_service.errors import Forbidden, InvalidInput
from credit_service.imports import (
    BatchDone,
    ImportReport,
    batched,
    check_header,
    read_csv,
    rows_by_column,
)
from credit_service.parallel import ordered_map

COLUMNS = (
    "kind",
    "identifier",
    "name",
    "former_names",
    "region_code",
    "industry",
    "address",
    "legal_representative",
    "phone",
    "agency_type",
    "agency_licence_no",
    "status",
)
REQUIRED_COLUMNS = ("kind", "identifier", "name", "region_code")
_NAMING = tuple(getattr(Entity, field) for field in rules.NAMING)  # read to tell a rename


def import_entities(
    ctx: Context,
    actor: Actor,
    stream: IO[str],
    *,
    progress: Callable[[int], None] | None = None,
    workers: int = 0,
    on_batch: BatchDone | None = None,
) -> ImportReport:
    """Import entities; re-importing the same file changes nothing (``progress`` is told
    the bytes read, ``on_batch`` the report after each committed batch). Rows are
    validated in ``workers`` processes while this one writes (none: here).

    A row whose identifier exists is an update when its content differs (the file is
    the registry's source), and is skipped when it does not.
    """
    report = ImportReport()
    header, rows = read_csv(stream, progress=progress)
    check_header(header, allowed=COLUMNS, required=REQUIRED_COLUMNS)
    statistics = StatisticsRefresher(Entity.__table__)
    validator = BatchValidator(header, ctx.catalogs, actor, ctx.today())
    batches = batched(rows, ctx.settings.import_batch_size)
    with name_index.built_after_initial_load(ctx):
        for checked in ordered_map(validator, batches, workers=workers):
            report.rows += checked.count
            for line, errors in checked.errors:
                report.add_errors(line, errors)
            if checked.valid:
                with ctx.session_factory.begin() as session:
                    created = _write_batch(
                        session, ctx, actor, checked.valid, report, checked.lines
                    )
                    statistics.note(session, created)
            if on_batch:
                on_batch(report)
    return report


@dataclass
class CheckedBatch:
    """One CSV batch validated: the valid rows by identifier (a later row for the same
    identifier wins, as in a replay), their line numbers, and the refused rows' errors.
    A valid row's ``former_names`` is its JSON text already, as stored."""

    count: int
    valid: dict[str, dict[str, Any]] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    errors: list[tuple[int, dict[str, Any]]] = field(default_factory=list)


@dataclass(frozen=True)
class BatchValidator:
    """Validates a batch of (line number, CSV values) rows; it pickles, so it can run in
    a worker process while the importer writes (the rows' checks were half of the
    importer's own time at a province's 7,000,000 entities)."""

    header: list[str]
    catalogs: CatalogSet
    actor: Actor
    today: date

    def __call__(self, batch: list[tuple[int, list[str]]]) -> CheckedBatch:
        out = CheckedBatch(count=len(batch))
        for line, row in rows_by_column(self.header, batch, out.errors):
            data = _row_to_data(row)
            try:
                values = rules.validate_entity(data, self.catalogs, today=self.today)
                self.actor.ensure_region(values["region_code"])
            except InvalidInput as exc:
                out.errors.append((line, exc.errors or {"row": [exc.as_record()]}))
                continue
            except Forbidden as exc:
                out.errors.append((line, {"region_code": [exc.as_record()]}))
                continue
            values["content_hash"] = rules.content_hash(values)
            values["former_names"] = json_text(values["former_names"])
            out.valid[values["identifier"]] = values
            out.lines[values["identifier"]] = line
        return out


def _row_to_data(row: dict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {k: v for k, v in row.items() if v != ""}
    names = row.get("former_names") or ""
    data["former_names"] = [n.strip() for n in names.replace("；", ";").split(";") if n.strip()]
    return data


def _write_batch(
    session: Session,
    ctx: Context,
    actor: Actor,
    valid: dict[str, dict[str, Any]],
    report: ImportReport,
    lines: dict[str, int],
) -> int:
    found = session.execute(
        select(
            Entity.identifier, Entity.content_hash, Entity.region_code, Entity.id, *_NAMING
        ).where(in_list(session, Entity.identifier, list(valid)))
    ).all()
    for identifier, _, region_code, *_ in found:  # an existing entity must be in scope too
        if not actor.covers_region(region_code):
            del valid[identifier]
            report.add_errors(
                lines[identifier],
                {"identifier": ["outside-region"]},
            )
    existing = {row[0]: row[1] for row in found if row[0] in valid}
    _renamed(session, [row for row in found if row[0] in valid], valid)
    now = ctx.now()
    new_rows = [values for identifier, values in valid.items() if identifier not in existing]
    changed = [v for i, v in valid.items() if i in existing and existing[i] != v["content_hash"]]
    bulk_insert(
        session,
        Entity.__table__,
        new_rows,
        constants={"created_at": now, "updated_at": now},
        preserialized=("former_names",),
    )
    _registered(session, [values["identifier"] for values in new_rows])
    for values in changed:
        stored = {**values, "former_names": json.loads(values["former_names"]), "updated_at": now}
        session.execute(
            update(Entity).where(Entity.identifier == values["identifier"]).values(**stored)
        )
    report.created += len(new_rows)
    report.updated += len(changed)
    report.unchanged += len(valid) - len(new_rows) - len(changed)
    if new_rows or changed:
        audit.append(
            session,
            actor=actor,
            action="entity.import",
            now=now,
            object_type="entity",
            details={"created": len(new_rows), "updated": len(changed)},
        )
    return len(new_rows)


def _renamed(session: Session, found: list[Any], valid: dict[str, dict[str, Any]]) -> None:
    """The batch's existing entities whose name or kind the import changes, recorded as
    renamed (``found``: identifier, hash, region, id, then the ``rules.NAMING`` fields)."""
    ids = tuple(
        entity_id
        for identifier, _, _, entity_id, *naming in found
        if any(
            valid[identifier].get(field) != old
            for field, old in zip(rules.NAMING, naming, strict=True)
        )
    )
    if ids:
        record(session, EntitiesRenamed(ids))


def _registered(session: Session, identifiers: list[str]) -> None:
    """The batch's new entities, recorded as registered (they get their first tier)."""
    if not identifiers:
        return
    ids = session.execute(
        select(Entity.id).where(in_list(session, Entity.identifier, identifiers))
    ).scalars()
    record(session, EntitiesChanged(tuple(ids), "entities imported"))
