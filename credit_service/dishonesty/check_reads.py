"""What a credit check reads: for a whole batch, one query on the Core level (the entities
by identifier, with their cases and their dishonest records), built once per database
kind with its identifiers in one parameter, so that one check or a thousand run the same
cached statement in one round trip.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Connection, Select, and_, bindparam, or_, select
from sqlalchemy.orm import Session, sessionmaker

from credit_service.bulk import keys_in, keys_value
from credit_service.dishonesty.models import DishonestyCase
from credit_service.dishonesty.public import is_in_force
from credit_service.entities.models import Entity
from credit_service.held_connections import read_rows, reading
from credit_service.records.models import CreditRecord


@dataclass
class CheckReads:
    """What the query found: entities by identifier; by entity id, its first case in
    force (the row read) and its dishonest records, active or expired, in filing order."""

    entities: dict[str, Any] = field(default_factory=dict)
    listings: dict[int, Any] = field(default_factory=dict)
    records: dict[int, list[Any]] = field(default_factory=dict)


def read_for_checks(
    source: Connection | sessionmaker[Session], keys: list[str], today: date
) -> CheckReads:
    """Everything the checks of ``keys`` need but the catalog items, read on ``source``:
    a connection, or a session factory's thread connection, through its driver alone for
    one identifier (``read_rows``: a single check is the hottest read there is)."""
    wanted = set(keys)
    if not isinstance(source, Connection):
        if len(wanted) == 1:
            return _gathered(read_rows(source, _one_entity, {"key": keys[0]}), today)
        with reading(source) as connection:
            return read_for_checks(connection, keys, today)
    connection, dialect = source, source.dialect.name
    if len(wanted) == 1:
        rows = connection.execute(_query(dialect, one=True), {"key": keys[0]})
    else:
        rows = connection.execute(_query(dialect, one=False), {"keys": keys_value(dialect, wanted)})
    return _gathered(rows, today)


def _gathered(rows: Iterable[Any], today: date) -> CheckReads:
    reads = CheckReads()
    records: dict[int, dict[int, Any]] = {}
    for row in rows:
        reads.entities[row.identifier] = row
        first = reads.listings.get(row.id)
        if row.case_id is not None and is_in_force(row, today):
            if first is None or row.case_id < first.case_id:
                reads.listings[row.id] = row
        if row.record_id is not None:  # a record comes once for each of the entity's cases
            records.setdefault(row.id, {})[row.record_id] = row
    for entity_id, by_id in records.items():
        reads.records[entity_id] = [by_id[record_id] for record_id in sorted(by_id)]
    return reads


def _one_entity() -> Select:
    """The query of one identifier (its dialect does not matter: an equality)."""
    return _query("", one=True)


@functools.cache
def _query(dialect: str, *, one: bool) -> Select:
    """The entities with their cases and records (a row per pair: an entity has few).

    One identifier (a single check) is compared for equality: PostgreSQL plans a prepared
    statement with an array of identifiers anew at every execution (0.2 ms of a 0.5 ms
    read), one with an equality once.

    Which case is in force is decided on the rows read (``is_in_force``): with
    ``in_force`` in the join, SQLite (no statistics) would look the cases up by state and
    publication date, i.e. read every published case for each entity. Expired records
    come too: a chain of CNIPA findings counts from its first, which may have left
    publicity already (D9). No ORDER BY: it may turn SQLite from the entity indexes to a
    scan; the records are put in order above.
    """
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
            CreditRecord.id.label("record_id"),
            CreditRecord.catalog_item_id,
            CreditRecord.item_code,
            CreditRecord.severity,
            CreditRecord.source_ref,
            CreditRecord.decision_date,
            CreditRecord.publicity_end,
            CreditRecord.status,
        )
        .outerjoin(DishonestyCase, DishonestyCase.entity_id == Entity.id)
        .outerjoin(
            CreditRecord,
            and_(
                CreditRecord.entity_id == Entity.id,
                CreditRecord.category == "dishonest",
                # not IN (…): SQLAlchemy would expand its list at every execution
                or_(CreditRecord.status == "active", CreditRecord.status == "expired"),
            ),
        )
        .where(_identifier_is(dialect, one))
    )


def _identifier_is(dialect: str, one: bool) -> Any:
    return Entity.identifier == bindparam("key") if one else keys_in(dialect, Entity.identifier)
