"""Audit trail use cases: append inside the caller's transaction, verify, purge."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from credit_service.access import Actor
from credit_service.audit.models import AuditChainHead, AuditEvent
from credit_service.audit.rules import row_digest
from credit_service.config import MIN_AUDIT_RETENTION_DAYS as MIN_RETENTION_DAYS
from credit_service.errors import InvalidInput
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

    Every text the row takes from outside (who, the object, the details) is scrubbed of
    resident ID numbers first, here and nowhere else (see ``scrub``).
    """
    head = _locked_head(session)
    details = json.loads(json.dumps(details or {}, ensure_ascii=False, default=str))
    values = dict(
        seq=head.last_seq + 1,
        occurred_at=now,
        actor=scrub(actor.username),
        role=actor.role,
        source_ip=actor.source_ip,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else scrub(str(object_id)),
        outcome=outcome,
        details=scrub(details),
        prev_hash=head.last_hash,
    )
    event = AuditEvent(**values, row_hash=row_digest(**values))
    session.add(event)
    head.last_seq, head.last_hash = event.seq, event.row_hash
    session.flush()
    return event


def append_many(session: Session, entries: Iterable[dict[str, Any]]) -> None:
    """Append several events at once (a batch credit check's thousand rows): each entry
    takes ``append``'s keyword arguments."""
    for entry in entries:
        append(session, **entry)


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


def append_alone(session_factory: sessionmaker, **kwargs: Any) -> None:
    """Append in a transaction of its own: for acts whose own transaction failed or
    that write nothing else (a refused sign-in, a denied request)."""
    with session_factory.begin() as session:
        append(session, **kwargs)


def lock_chain(session: Session) -> None:
    """Take the chain's lock now, before a check that the next append depends on (a count
    of earlier rows), so that concurrent appenders see each other's rows."""
    _locked_head(session)


def _locked_head(session: Session) -> AuditChainHead:
    head = session.execute(
        select(AuditChainHead).where(AuditChainHead.id == 1).with_for_update()
    ).scalar_one_or_none()
    if head is None:
        head = AuditChainHead(id=1)
        session.add(head)
        session.flush()
    return head


@dataclass(frozen=True)
class ChainReport:
    """Outcome of a chain verification: where it broke and how, if it did (``problem``
    is a code, ``problem_params`` the values its words name)."""

    ok: bool
    checked: int
    bad_seq: int | None = None
    bad_id: int | None = None
    problem: str | None = None
    problem_params: dict[str, Any] = field(default_factory=dict)


def verify_chain(session_factory: sessionmaker, *, batch: int = 5_000) -> ChainReport:
    """Recompute every hash and check the links; name the first row that fails."""
    with session_factory() as session:
        head = session.get(AuditChainHead, 1) or AuditChainHead(id=1)
        expected_seq, expected_prev = head.purged_through_seq + 1, head.purged_through_hash
        checked = 0
        for row in _rows_in_order(session, batch):
            problem = _row_problem(row, expected_seq, expected_prev) or _beyond_head(row, head)
            if problem:
                code, params = problem
                return ChainReport(False, checked, row.seq, row.id, code, params)
            checked += 1
            expected_seq, expected_prev = row.seq + 1, row.row_hash
        if expected_seq - 1 != head.last_seq or expected_prev != head.last_hash:
            return ChainReport(
                False,
                checked,
                head.last_seq,
                None,
                problem="audit-chain-short",
                problem_params={"seq": expected_seq - 1, "head_seq": head.last_seq},
            )
        return ChainReport(True, checked)


def _rows_in_order(session: Session, batch: int) -> Iterator[AuditEvent]:
    last = -1
    while True:
        rows = (
            session.execute(
                select(AuditEvent)
                .where(AuditEvent.seq > last)
                .order_by(AuditEvent.seq)
                .limit(batch)
            )
            .scalars()
            .all()
        )
        if not rows:
            return
        yield from rows
        last = rows[-1].seq
        session.expunge_all()


Problem = tuple[str, dict[str, Any]]  # a code and its params


def _beyond_head(row: AuditEvent, head: AuditChainHead) -> Problem | None:
    """A well-linked row past the head's tip was not appended through the service (which
    moves the head in the same transaction): someone inserted it at the end."""
    if row.seq <= head.last_seq:
        return None
    return "audit-row-beyond-head", {"seq": row.seq, "id": row.id, "head_seq": head.last_seq}


def _row_problem(row: AuditEvent, expected_seq: int, expected_prev: str) -> Problem | None:
    if row.seq != expected_seq:
        return "audit-seq-gap", {"seq": row.seq, "expected_seq": expected_seq}
    if row.prev_hash != expected_prev:
        return "audit-row-unlinked", {"seq": row.seq, "id": row.id}
    digest = row_digest(
        seq=row.seq,
        occurred_at=row.occurred_at,
        actor=row.actor,
        role=row.role,
        source_ip=row.source_ip,
        action=row.action,
        object_type=row.object_type,
        object_id=row.object_id,
        outcome=row.outcome,
        details=row.details,
        prev_hash=row.prev_hash,
    )
    if digest != row.row_hash:
        return "audit-row-altered", {"seq": row.seq, "id": row.id}
    return None


def purge(
    session_factory: sessionmaker, *, now: datetime, retention_days: int, actor: Actor
) -> int:
    """Delete rows older than the retention period (never under 180 days), keeping the
    chain verifiable from the first remaining row."""
    if retention_days < MIN_RETENTION_DAYS:
        raise InvalidInput(
            "retention-too-short",
            errors={"retention_days": [{"code": "below-minimum", "min": MIN_RETENTION_DAYS}]},
            min_days=MIN_RETENTION_DAYS,
        )
    cutoff = now - timedelta(days=retention_days)
    with session_factory.begin() as session:
        head = _locked_head(session)
        through = _purgeable_through(session, head, cutoff)
        if through is None:
            return 0
        deleted = session.execute(delete(AuditEvent).where(AuditEvent.seq <= through.seq)).rowcount
        head.purged_through_seq, head.purged_through_hash = through.seq, through.row_hash
        session.flush()
        append(
            session,
            actor=actor,
            action="audit.purge",
            now=now,
            details={
                "deleted": deleted,
                "through_seq": through.seq,
                "retention_days": retention_days,
            },
        )
        return deleted


def _purgeable_through(
    session: Session, head: AuditChainHead, cutoff: datetime
) -> AuditEvent | None:
    """The newest row such that it and every row before it are older than ``cutoff``."""
    first_young = session.execute(
        select(func.min(AuditEvent.seq)).where(AuditEvent.occurred_at >= cutoff)
    ).scalar_one()
    through_seq = head.last_seq if first_young is None else first_young - 1
    if through_seq <= head.purged_through_seq:
        return None
    return session.execute(select(AuditEvent).where(AuditEvent.seq == through_seq)).scalar_one()


def query_events(
    session: Session,
    *,
    actor: str | None = None,
    action: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    after_seq: int | None = None,
    limit: int | None = None,
) -> list[AuditEvent]:
    """Audit events matching the filters, oldest first (``seq`` is the keyset).

    The actor and object filters are scrubbed like the rows, so a path typed in full
    finds the rows that keep it masked.
    """
    query = select(AuditEvent).order_by(AuditEvent.seq)
    filters = {
        AuditEvent.actor: scrub(actor),
        AuditEvent.action: action,
        AuditEvent.object_type: object_type,
        AuditEvent.object_id: scrub(object_id),
    }
    for column, value in filters.items():
        if value is not None:
            query = query.where(column == value)
    if since is not None:
        query = query.where(AuditEvent.occurred_at >= since)
    if until is not None:
        query = query.where(AuditEvent.occurred_at < until)
    if after_seq is not None:
        query = query.where(AuditEvent.seq > after_seq)
    if limit is not None:
        query = query.limit(limit)
    return list(session.execute(query).scalars())


EXPORT_COLUMNS = (
    "seq",
    "occurred_at",
    "actor",
    "role",
    "source_ip",
    "action",
    "object_type",
    "object_id",
    "outcome",
    "details",
    "prev_hash",
    "row_hash",
)


def export_rows(
    session_factory: sessionmaker, *, batch: int = 2_000, **filters: Any
) -> Iterator[list[str]]:
    """Rows for a CSV export, streamed in batches so a large trail never sits in memory."""
    after = None
    while True:
        with session_factory() as session:
            events = query_events(session, after_seq=after, limit=batch, **filters)
        if not events:
            return
        for e in events:
            yield [
                str(e.seq),
                e.occurred_at.isoformat(),
                e.actor,
                e.role,
                e.source_ip or "",
                e.action,
                e.object_type or "",
                e.object_id or "",
                e.outcome,
                json.dumps(e.details, ensure_ascii=False, sort_keys=True),
                e.prev_hash,
                e.row_hash,
            ]
        after = events[-1].seq
