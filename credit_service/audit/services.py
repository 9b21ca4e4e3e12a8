"""Audit trail use cases: append inside the caller's transaction, search, export.

Sealing and signing the log are in ``sealing``, checking it in ``verification``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, select
from sqlalchemy.orm import Session, sessionmaker

from credit_service import request_ids
from credit_service.access import Actor
from credit_service.audit.models import AuditCheckpoint, AuditEvent
from credit_service.audit.rules import CONTENT_COLUMNS, OPTIONAL_COLUMNS
from credit_service.held_connections import write_row
from credit_service.logmask import mask_resident_ids


def append(
    session: Session,
    *,
    actor: Actor,
    action: str,
    now: datetime,
    object_type: str | None = None,
    object_id: str | int | None = None,
    outcome: str = "success",
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event in the caller's transaction; it commits or rolls back with the act.

    A plain insert that waits for no other appender: the row's place in the log and its
    hashes come later, from the seal (``sealing.seal``). Every text the row takes from
    outside (who, the object, the details) is scrubbed of resident ID numbers first, here
    and nowhere else (see ``scrub``). The row carries the current request id
    (``request_ids.current``: the web request, command or job run that wrote it).
    """
    event = AuditEvent(**_row(actor, action, now, object_type, object_id, outcome, details))
    session.add(event)
    session.flush()
    return event


def append_many(bind: Session | Connection, entries: Iterable[dict[str, Any]]) -> None:
    """Append several events in one statement (a batch credit check's thousand rows):
    each entry takes ``append``'s keyword arguments. A Core insert on the session's
    connection, or on a Core connection in a transaction (``held_connections.writing``):
    the ORM's bulk path would cost a single check twice as much (80 µs)."""
    rows = [
        _row(
            entry["actor"],
            entry["action"],
            entry["now"],
            entry.get("object_type"),
            entry.get("object_id"),
            entry.get("outcome", "success"),
            entry.get("details"),
        )
        for entry in entries
    ]
    if rows:
        connection = bind.connection() if isinstance(bind, Session) else bind
        connection.execute(AuditEvent.__table__.insert(), rows)


def _row(
    actor: Actor,
    action: str,
    now: datetime,
    object_type: str | None = None,
    object_id: str | int | None = None,
    outcome: str = "success",
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    details = json.loads(json.dumps(details or {}, ensure_ascii=False, default=str))
    return dict(  # its keys: ROW_KEYS, the log's content and optional columns
        occurred_at=now,
        actor=scrub(actor.username),
        role=actor.role,
        source_ip=actor.source_ip,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else scrub(str(object_id)),
        outcome=outcome,
        details=scrub(details),
        request_id=request_ids.current(),
    )


def scrub(value: Any) -> Any:
    """``value`` with every valid resident ID number in its text masked as the logs mask
    them (``credit_service.logmask``), JSON keys and values at any depth included.

    The trail is read by administrators and auditors, exported as CSV and kept for a
    year or more: it names a natural person by entity id or masked number, never in
    full, whatever a caller typed into a path, a user name, a filter or a reason.
    """
    if isinstance(value, str):
        return mask_resident_ids(value)
    if isinstance(value, dict):
        return {scrub(key): scrub(item) for key, item in value.items()}
    if isinstance(value, list):
        return [scrub(item) for item in value]
    return value


def append_alone(session_factory: sessionmaker, **event: Any) -> None:
    """Append in a transaction of its own, committed before it returns: for acts whose
    own transaction failed or that write nothing else (a refused sign-in, a denied
    request, a single credit check). One plain insert on the thread's connection
    (``held_connections.write_row``): no session, no pool checkout, no SQLAlchemy
    execution, which cost a single check more than its insert."""
    write_row(session_factory, _insert_one, _row(**event))


ROW_KEYS = CONTENT_COLUMNS + OPTIONAL_COLUMNS  # ``_row``'s keys


def _insert_one() -> Any:
    """The insert of one event, its values bound by name (``_row``'s keys)."""
    table = AuditEvent.__table__
    return table.insert().values({name: bindparam(name) for name in ROW_KEYS})


def checkpoint_copy(checkpoint: AuditCheckpoint) -> dict[str, str]:
    """A signed checkpoint as it travels out of the database: to the checkpoint files,
    with each push to the provincial platforms, to an auditor."""
    return {
        "statement": checkpoint.statement,
        "signature": checkpoint.signature,
        "key_id": checkpoint.key_id,
    }


def latest_checkpoint(session: Session) -> dict[str, str] | None:
    """The newest signed checkpoint of the log, as it travels (``checkpoint_copy``)."""
    newest = session.execute(
        select(AuditCheckpoint)
        .where(AuditCheckpoint.kind == "seal")
        .order_by(AuditCheckpoint.size.desc())
        .limit(1)
    ).scalar_one_or_none()
    return None if newest is None else checkpoint_copy(newest)


def query_events(
    session: Session,
    *,
    actor: str | None = None,
    action: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    request_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    after_id: int | None = None,
    limit: int | None = None,
) -> list[AuditEvent]:
    """Audit events matching the filters, in the order they were written (``id`` is the
    keyset: a row not sealed yet has no ``seq``, and still shows).

    The actor and object filters are scrubbed like the rows, so a path typed in full
    finds the rows that keep it masked.
    """
    query = select(AuditEvent).order_by(AuditEvent.id)
    filters = {
        AuditEvent.actor: scrub(actor),
        AuditEvent.action: action,
        AuditEvent.object_type: object_type,
        AuditEvent.object_id: scrub(object_id),
        AuditEvent.request_id: request_id,
    }
    for column, value in filters.items():
        if value is not None:
            query = query.where(column == value)
    if since is not None:
        query = query.where(AuditEvent.occurred_at >= since)
    if until is not None:
        query = query.where(AuditEvent.occurred_at < until)
    if after_id is not None:
        query = query.where(AuditEvent.id > after_id)
    if limit is not None:
        query = query.limit(limit)
    return list(session.execute(query).scalars())


@dataclass(frozen=True)
class Lookups:
    """Who looked up whom in a period: one actor's acts of one kind, how many, about how
    many subjects (entities by id; numbers that found nobody, masked, by text)."""

    actor: str
    action: str
    count: int
    subjects: int


def who_looked_up(
    session: Session, actions: Iterable[str], *, since: datetime, until: datetime
) -> list[Lookups]:
    """The lookups of ``actions`` from ``since`` up to and including ``until``, per actor
    and action. The trail
    keeps numbers masked, so this never shows a full resident ID."""
    subject = func.coalesce(AuditEvent.object_id, AuditEvent.details["identifier"].as_string())
    rows = session.execute(
        select(
            AuditEvent.actor,
            AuditEvent.action,
            func.count(),
            func.count(func.distinct(subject)),
        )
        .where(
            AuditEvent.action.in_(list(actions)),
            AuditEvent.occurred_at >= since,
            AuditEvent.occurred_at <= until,
        )
        .group_by(AuditEvent.actor, AuditEvent.action)
        .order_by(AuditEvent.actor, AuditEvent.action)
    ).all()
    return [Lookups(*row) for row in rows]


EXPORT_COLUMNS = ("id", "seq", *CONTENT_COLUMNS, *OPTIONAL_COLUMNS, "chain_hash", "row_mac")


def export_rows(
    session_factory: sessionmaker, *, batch: int = 2_000, **filters: Any
) -> Iterator[list[str]]:
    """Rows for a CSV export, streamed in batches so a large trail never sits in memory."""
    after = None
    while True:
        with session_factory() as session:
            events = query_events(session, after_id=after, limit=batch, **filters)
        if not events:
            return
        for e in events:
            yield [
                str(e.id),
                "" if e.seq is None else str(e.seq),
                e.occurred_at.isoformat(),
                e.actor,
                e.role,
                e.source_ip or "",
                e.action,
                e.object_type or "",
                e.object_id or "",
                e.outcome,
                json.dumps(e.details, ensure_ascii=False, sort_keys=True),
                e.request_id or "",
                e.chain_hash or "",
                e.row_mac or "",
            ]
        after = events[-1].id
