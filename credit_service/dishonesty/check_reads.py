"""What a credit check reads: for a whole batch, two queries on the Core level (the
entities by identifier with their cases, then their dishonest records), each statement
built once per database kind with its identifiers in one parameter, so that one check or
a thousand run the same cached statement.
"""

from __future__ import annotations

import functools
from datetime import date
from typing import Any

from sqlalchemy import Connection, Integer, Select, select

from credit_service.bulk import keys_in, keys_value
from credit_service.dishonesty.models import DishonestyCase
from credit_service.dishonesty.public import is_in_force
from credit_service.entities.models import Entity
from credit_service.records.models import CreditRecord


def entities_with_listings(
    connection: Connection, keys: list[str], today: date
) -> tuple[dict[str, Any], dict[int, Any]]:
    """The entities found, by identifier, and each one's first case in force on ``today``
    (the row read, by entity id)."""
    dialect = connection.dialect.name
    entities: dict[str, Any] = {}
    listings: dict[int, Any] = {}
    rows = connection.execute(_entities_query(dialect), {"keys": keys_value(dialect, set(keys))})
    for row in rows:
        entities[row.identifier] = row
        first = listings.get(row.id)
        if row.case_id is not None and is_in_force(row, today):
            if first is None or row.case_id < first.case_id:
                listings[row.id] = row
    return entities, listings


@functools.cache
def _entities_query(dialect: str) -> Select:
    """The entities by identifier, with their cases (a row per case): built once per
    database kind, the identifiers in one parameter. Which case is in force is decided
    on the rows read (``is_in_force``): with ``in_force`` in the join, SQLite (no
    statistics) would look the cases up by state and publication date, i.e. read every
    published case for each entity, instead of by the entity."""
    return (
        select(
            Entity.id,
            Entity.identifier,
            Entity.name,
            Entity.kind,
            Entity.region_code,
            DishonestyCase.id.label("case_id"),
            DishonestyCase.state,
            DishonestyCase.published_on,
            DishonestyCase.removed_on,
            DishonestyCase.decision_no,
            DishonestyCase.decided_on,
            DishonestyCase.term_ends_on,
            DishonestyCase.grounds,
            DishonestyCase.measures,
        )
        .outerjoin(DishonestyCase, DishonestyCase.entity_id == Entity.id)
        .where(keys_in(dialect, Entity.identifier))
    )


@functools.cache
def _records_query(dialect: str) -> Select:
    """The entities' dishonest records that are in force or were (a chain of CNIPA
    findings counts from its first, which may have left publicity already: D9)."""
    return select(
        CreditRecord.id,
        CreditRecord.entity_id,
        CreditRecord.catalog_item_id,
        CreditRecord.item_code,
        CreditRecord.severity,
        CreditRecord.source_ref,
        CreditRecord.decision_date,
        CreditRecord.publicity_end,
        CreditRecord.status,
    ).where(
        keys_in(dialect, CreditRecord.entity_id, name="ids", item_type=Integer),
        CreditRecord.category == "dishonest",
        CreditRecord.status.in_(("active", "expired")),
    )


def dishonest_records(connection: Connection, entity_ids: set[int]) -> dict[int, list[Any]]:
    """Each entity's records in the order they were filed (sorted here: an ORDER BY may
    turn SQLite's plan from the entity index to a scan of the table)."""
    out: dict[int, list[Any]] = {}
    if entity_ids:
        dialect = connection.dialect.name
        rows = connection.execute(_records_query(dialect), {"ids": keys_value(dialect, entity_ids)})
        for row in sorted(rows, key=lambda r: r.id):
            out.setdefault(row.entity_id, []).append(row)
    return out
