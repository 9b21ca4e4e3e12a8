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
from credit_service.entities.models import Entity
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


def platforms_file(port: int, secret: str) -> str:
    """A platforms file for the local simulator (信用安徽 stand-in)."""
    return (
        "# Provincial platforms (docs/sync-protocol.md). Demo: the local simulator.\n"
        "platforms:\n"
        "  - id: anhui\n"
        "    name: 信用安徽（模拟）\n"
        f"    base_url: http://127.0.0.1:{port}\n"
        "    app_key: xuancheng\n"
        f"    secret: {secret}\n"
        "    direction: both\n"
        "    batch_size: 500\n"
        "    timeout_seconds: 10\n"
    )


def provincial_changes(ctx: Context, count: int = 12) -> list[dict[str, Any]]:
    """Penalties "decided by another department" about demo entities, for the simulator
    to serve, plus one about an entity this city does not know (it is quarantined)."""
    with ctx.read_session_factory() as session:
        entities = (
            session.execute(
                select(Entity).where(Entity.kind == "organisation").order_by(Entity.id).limit(count)
            )
            .scalars()
            .all()
        )
    changes = [_provincial_penalty(e.identifier, e.name, n) for n, e in enumerate(entities, 1)]
    changes.append(_provincial_penalty("91340100MA0000000G", "外地未登记企业", 999))
    return changes


def _provincial_penalty(uscc: str, name: str, n: int) -> dict[str, Any]:
    return {
        "change_id": f"demo-{n}",
        "kind": "record",
        "revision": 1,
        "updated_at": "2026-11-01T09:00:00",
        "record": {
            "item_code": "TM-PEN-INFRINGEMENT",
            "party": {"CF_XDR_MC": name, "CF_XDR_LB": "法人及非法人组织", "CF_XDR_SHXYM": uscc},
            "fields": {
                "CF_WSH": f"皖市监罚〔2026〕{n}号",
                "CF_WFXW": "侵犯注册商标专用权",
                "CF_SY": "销售侵犯注册商标专用权的商品",
                "CF_YJ": "《中华人民共和国商标法》第六十条",
                "CF_CFLB": ["罚款"],
                "CF_NR": "罚款人民币二万元",
                "CF_NR_FK": "2",
                "CF_JDRQ": "2026-10-20",
                "CF_CFJG": "安徽省市场监督管理局",
            },
        },
    }
