"""Bulk import of entities from CSV: streamed, validated per row, committed per batch."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import IO, Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from credit_service.access import Actor
from credit_service.audit import services as audit
from credit_service.bulk import StatisticsRefresher, bulk_insert, in_list
from credit_service.changes import EntitiesChanged, EntitiesRenamed, record
from credit_service.context import Context
from credit_service.entities import name_index, rules
from credit_service.entities.models import Entity
from credit_service.errors import Forbidden, InvalidInput
from credit_service.imports import BatchDone, ImportReport, batched, check_header, open_csv

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
    on_batch: BatchDone | None = None,
) -> ImportReport:
    """Import entities; re-importing the same file changes nothing (``progress`` is told
    the bytes read, ``on_batch`` the report after each committed batch).

    A row whose identifier exists is an update when its content differs (the file is
    the registry's source), and is skipped when it does not.
    """
    report = ImportReport()
    today = ctx.today()
    header, rows = open_csv(stream, progress=progress)
    check_header(header, allowed=COLUMNS, required=REQUIRED_COLUMNS)
    statistics = StatisticsRefresher(Entity.__table__)
    with name_index.built_after_initial_load(ctx):
        for batch in batched(rows, ctx.settings.import_batch_size):
            lines: dict[str, int] = {}
            valid = _validate_batch(ctx, actor, batch, today, report, lines)
            if valid:
                with ctx.session_factory.begin() as session:
                    created = _write_batch(session, ctx, actor, valid, report, lines)
                    statistics.note(session, created)
            if on_batch:
                on_batch(report)
    return report


def _validate_batch(
    ctx: Context,
    actor: Actor,
    batch: list[tuple[int, dict[str, str]]],
    today: date,
    report: ImportReport,
    lines: dict[str, int],
) -> dict[str, dict[str, Any]]:
    """Valid rows by identifier; a later row for the same identifier wins, as in a replay."""
    valid: dict[str, dict[str, Any]] = {}
    for line, row in batch:
        report.rows += 1
        if "__extra__" in row:
            report.add_errors(line, {"row": ["more-values-than-columns"]})
            continue
        try:
            values = rules.validate_entity(_row_to_data(row), ctx.catalogs, today=today)
            actor.ensure_region(values["region_code"])
        except InvalidInput as exc:
            report.add_errors(line, exc.errors or {"row": [exc.as_record()]})
            continue
        except Forbidden as exc:
            report.add_errors(line, {"region_code": [exc.as_record()]})
            continue
        values["content_hash"] = rules.content_hash(values)
        valid[values["identifier"]] = values
        lines[values["identifier"]] = line
    return valid


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
        session, Entity.__table__, new_rows, constants={"created_at": now, "updated_at": now}
    )
    _registered(session, [values["identifier"] for values in new_rows])
    for values in changed:
        session.execute(
            update(Entity)
            .where(Entity.identifier == values["identifier"])
            .values(**values, updated_at=now)
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
