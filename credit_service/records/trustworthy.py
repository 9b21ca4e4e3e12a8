"""The public trustworthy list (守信信息公示): records under catalog items of the category
trustworthy whose disclosure is public — an honour, an award, a recognition — as the
public sees them: search, entries, downloads.

An entry is shown from its decision day through the last day of its publicity period
(``publicity_end``) and not a day longer, whether or not the daily job that marks records
expired has run, as the dishonesty list shows its entries through their term; a revoked,
repaired or expired record is not shown. A natural person appears as surname plus '*',
with no identifier (D12). The supervision tier is never part of an entry (D1).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from credit_service import objection_marks
from credit_service.catalogs import services as catalog_services
from credit_service.catalogs.definitions import citations
from credit_service.context import Context
from credit_service.entities import services as entity_services
from credit_service.entities.models import Entity
from credit_service.entities.rules import masked_identity
from credit_service.errors import NotFound
from credit_service.pagination import NewestFirst, Page
from credit_service.records.models import CreditRecord

# The stable English keys of the downloads, in CSV column order (csv.<key> headers).
DOWNLOAD_COLUMNS = (
    "id",
    "name",
    "uscc",
    "region",
    "item",
    "honour",
    "honour_level",
    "awarded_by",
    "document_no",
    "awarded_on",
    "term_ends_on",
    "objection_pending",
    "objection_id",
)

NEWEST = NewestFirst(CreditRecord.decision_date, CreditRecord.id)  # the newest honour first


def on_list(as_of: date) -> Any:
    """SQL condition: the record is on the public trustworthy list on ``as_of``."""
    return and_(
        CreditRecord.category == "trustworthy",
        CreditRecord.disclosure == "public",
        CreditRecord.status == "active",
        CreditRecord.decision_date <= as_of,
        CreditRecord.publicity_end.is_not(None),
        CreditRecord.publicity_end >= as_of,
    )


@dataclass(frozen=True)
class Filters:
    q: str | None = None
    uscc: str | None = None
    region: str | None = None


def _filtered(filters: Filters, as_of: date) -> Any:
    query = (
        select(CreditRecord, Entity)
        .join(Entity, Entity.id == CreditRecord.entity_id)
        .where(on_list(as_of))
    )
    named = entity_services.public_name_search(filters.q, filters.uscc)
    if named:
        query = query.where(*named)
    if filters.region:
        query = query.where(Entity.region_code == filters.region)
    return query


def search(
    ctx: Context, filters: Filters, *, cursor: str | None = None, limit: int = 20
) -> Page[dict[str, Any]]:
    """Entries on the list today, newest decision first (keyset pages).

    :raises InvalidInput: a cursor this service did not issue.
    """
    query = NEWEST.select(_filtered(filters, ctx.today()), cursor, limit)
    with ctx.replica_session_factory() as session:
        rows, next_cursor = NEWEST.cut(
            session.execute(query).all(), limit, lambda row: (row[0].decision_date, row[0].id)
        )
        return Page(entry_views(ctx, session, rows), next_cursor)


def get_entry(ctx: Context, record_id: int) -> dict[str, Any]:
    """One entry on the list today.

    :raises NotFound: unknown, not a public trustworthy record, ended, revoked.
    """
    with ctx.replica_session_factory() as session:
        row = session.execute(
            _filtered(Filters(), ctx.today()).where(CreditRecord.id == record_id)
        ).first()
        if row is None:
            raise NotFound("trustworthy-entry-not-found", id=record_id)
        return entry_views(ctx, session, [row])[0]


def download_rows(
    ctx: Context, filters: Filters, *, batch: int = 1_000
) -> Iterator[dict[str, Any]]:
    """Every entry on the list today, in id order, read in batches (streamed downloads)."""
    today, after = ctx.today(), 0
    while True:
        with ctx.replica_session_factory() as session:
            rows = session.execute(
                _filtered(filters, today)
                .where(CreditRecord.id > after)
                .order_by(CreditRecord.id)
                .limit(batch)
            ).all()
            entries = entry_views(ctx, session, rows)
        if not entries:
            return
        yield from entries
        after = entries[-1]["id"]


def entry_views(ctx: Context, session: Session, rows: Sequence[Any]) -> list[dict[str, Any]]:
    """The entries of (record, entity) rows, with their items' definitions (as filed) and
    the marks 异议处理中 read for the whole page at once."""
    records = [record for record, _ in rows]
    items = catalog_services.item_definitions(session, ctx, {r.catalog_item_id for r in records})
    marks = objection_marks.of_kind(ctx, session, "record", [r.id for r in records])
    return [
        entry_view(ctx, record, entity, items[record.catalog_item_id], mark=marks.get(record.id))
        for record, entity in rows
    ]


def entry_view(
    ctx: Context, record: CreditRecord, entity: Entity, item: Any, *, mark: int | None = None
) -> dict[str, Any]:
    """The public fields of an entry: who, which honour under which catalog item, awarded
    by whom with which document on which day, public until when. Nothing of a natural
    person but the masked name; the record's other fields stay inside."""
    person = entity.kind == "natural_person"
    fields = record.fields
    return {
        "id": record.id,
        "name": masked_identity(entity)["name"],
        "kind": entity.kind,
        "uscc": None if person else entity.identifier,
        "region_code": entity.region_code,
        "region": ctx.catalogs.region_name(entity.region_code),
        "domain": record.domain,
        "item_code": record.item_code,
        "item": item.name,
        "basis": citations(item.legal_basis),
        "honour": fields.get("honour_name") or item.name,
        "honour_level": fields.get("honour_level"),
        "project": fields.get("project_name"),
        "awarded_by": record.source_authority,
        "document_no": record.source_ref,
        "awarded_on": record.decision_date,
        "term_ends_on": record.publicity_end,
        **objection_marks.fields(mark),
    }


def csv_row(entry: dict[str, Any]) -> list[Any]:
    """An entry as a row of the CSV download (``DOWNLOAD_COLUMNS``)."""
    return [
        entry["id"],
        entry["name"],
        entry["uscc"] or "",
        entry["region"] or "",
        entry["item"],
        entry["honour"],
        entry["honour_level"] or "",
        entry["awarded_by"],
        entry["document_no"],
        entry["awarded_on"],
        entry["term_ends_on"],
        "true" if entry["objection_pending"] else "false",
        entry["objection_id"] or "",
    ]
