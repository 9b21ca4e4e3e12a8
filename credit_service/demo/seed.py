"""Seed the demo data set through the same importers an operator uses (idempotent)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from credit_service.access import Actor
from credit_service.auth import services as auth_services
from credit_service.auth.models import User
from credit_service.context import Context
from credit_service.demo import generator
from credit_service.entities import importer as entity_importer
from credit_service.records import importer as record_importer

RECORDS_PER_ENTITY = 1.5
DEMO_REGULATOR = "demo-regulator"


def seed(ctx: Context, actor: Actor, *, entities: int, seed: int) -> str:
    """Import the demo entities and records; a second run finds everything unchanged."""
    demo_entities = list(generator.generate_entities(entities, seed, ctx.catalogs))
    entity_report = entity_importer.import_entities(
        ctx, actor, _csv(entity_importer.COLUMNS, (e.row for e in demo_entities))
    )
    items = [i for c in ctx.catalogs.catalogs.values() for i in c.items]
    rows = generator.generate_records(
        demo_entities, int(entities * RECORDS_PER_ENTITY), seed, items
    )
    record_report = record_importer.import_records(ctx, actor, generic_csv(rows, items))
    return (
        f"entities: {entity_report.created} created, {entity_report.unchanged} unchanged; "
        f"records: {record_report.created} created, {record_report.unchanged} unchanged, "
        f"{record_report.invalid} invalid"
    )


def generic_csv(rows: Iterable[dict[str, Any]], items: list[Any]) -> io.StringIO:
    """Records in our generic layout: entity, item_code and one column per field name."""
    names = sorted({spec.name for item in items for spec in item.fields})
    return _csv(
        ("entity", "item_code", *names),
        (
            {
                "entity": r["entity"],
                "item_code": r["item_code"],
                **{k: ";".join(v) if isinstance(v, list) else v for k, v in r["fields"].items()},
            }
            for r in rows
        ),
    )


def _csv(columns: Iterable[str], rows: Iterable[dict[str, Any]]) -> io.StringIO:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    buffer.seek(0)
    return buffer


def ensure_demo_regulator(ctx: Context, actor: Actor, password: str) -> bool:
    """Create the demo regulator (city scope) unless it exists; True if created."""
    with ctx.read_session_factory() as session:
        if session.execute(select(User).where(User.username == DEMO_REGULATOR)).first():
            return False
    auth_services.create_user(
        ctx,
        actor,
        username=DEMO_REGULATOR,
        display_name="演示监管员",
        role="regulator",
        region_code=ctx.catalogs.city.code,
        password=password,
    )
    return True
