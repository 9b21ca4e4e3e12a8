"""Sealing the audit log: number the rows committed since the last seal, chain them,
authenticate each with a keyed code and sign a checkpoint; purge under a signed statement.

Appenders never wait for the seal: it reads only committed rows, so a row whose
transaction is still open (or rolls back) is simply not there yet, and the log has no
gap for a rollback. One seal runs at a time (an advisory lock on PostgreSQL; SQLite has
one writer anyway), and two that raced would collide on the unique ``seq``, never
interleave. Each checkpoint is also appended to a file outside the database
(``AUDIT_CHECKPOINT_DIR``), so that deleting the newest rows with their checkpoints still
shows against that copy.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from credit_service.access import Actor
from credit_service.audit import rules
from credit_service.audit.models import GENESIS_HASH, AuditCheckpoint, AuditEvent
from credit_service.audit.services import append, checkpoint_copy
from credit_service.config import MIN_AUDIT_RETENTION_DAYS
from credit_service.context import Context
from credit_service.errors import Conflict, InvalidInput
from credit_service.signing_keys import KeyRing, SigningKey

logger = logging.getLogger(__name__)
SEAL_LOCK = 0x41554454  # "AUDT": the PostgreSQL advisory lock one seal holds


@dataclass(frozen=True)
class Sealed:
    """What one seal did: rows numbered, and the log's size and head after it."""

    rows: int
    size: int
    head: str


def seal(
    session_factory: sessionmaker,
    ring: KeyRing,
    *,
    now: datetime,
    witness_dir: Path | None = None,
    batch: int = 5_000,
) -> Sealed:
    """Seal every row committed so far, sign one checkpoint for them, copy it out."""
    with session_factory.begin() as session:
        _lock(session)
        size, head = tip(session)
        rows = 0
        while chunk := _unsealed(session, batch):
            changes = []
            for event in chunk:
                size += 1
                leaf = rules.leaf_hash(size, rules.content_of(event))
                head = rules.link(head, leaf)
                mac = ring.current.mac(rules.mac_message(size, leaf))
                changes.append({"id": event.id, "seq": size, "chain_hash": head, "row_mac": mac})
            session.execute(update(AuditEvent), changes)
            session.expunge_all()
            rows += len(changes)
        checkpoint = None
        if rows:
            checkpoint = _signed(session, ring.current, rules.seal_statement(size, head, now))
    if checkpoint is not None and witness_dir is not None:
        write_witness(witness_dir, checkpoint)
    return Sealed(rows, size, head)


def seal_log(ctx: Context) -> Sealed:
    """Seal with the context's keys, copying the checkpoint to its folder."""
    return seal(
        ctx.session_factory, ctx.key_ring, now=ctx.now(), witness_dir=ctx.settings.audit_witness_dir
    )


def purge_log(ctx: Context, actor: Actor) -> int:
    """Purge by the context's retention setting (see ``purge``)."""
    return purge(
        ctx.session_factory,
        ctx.key_ring,
        now=ctx.now(),
        retention_days=ctx.settings.audit_retention_days,
        actor=actor,
        witness_dir=ctx.settings.audit_witness_dir,
    )


@dataclass(frozen=True)
class PurgePlan:
    """What a purge would delete: ``rows`` rows, the last of them at ``through_seq``."""

    rows: int
    through_seq: int | None
    retention_days: int


def purge_plan(session: Session, *, now: datetime, retention_days: int) -> PurgePlan:
    """What ``purge`` would delete at ``now``, deleting nothing (a dry run: the retention
    report shows it). It counts sealed rows only; the purge seals first, and a row not yet
    sealed is seconds old (the seal runs every AUDIT_SEAL_SECONDS)."""
    start, _ = _purged_through(session)
    through = _purgeable_through(session, start, now - timedelta(days=retention_days))
    if through is None:
        return PurgePlan(0, None, retention_days)
    return PurgePlan(through.seq - start, through.seq, retention_days)


def tip(session: Session) -> tuple[int, str]:
    """The sealed log's size and head: its newest checkpoint's (a seal and its checkpoint
    commit together), or the empty log's."""
    newest = session.execute(
        select(AuditCheckpoint.size, AuditCheckpoint.head)
        .order_by(AuditCheckpoint.size.desc(), AuditCheckpoint.id.desc())
        .limit(1)
    ).first()
    return (newest.size, newest.head) if newest else (0, GENESIS_HASH)


def _lock(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SEAL_LOCK})


def _unsealed(session: Session, batch: int) -> list[AuditEvent]:
    return list(
        session.execute(
            select(AuditEvent).where(AuditEvent.seq.is_(None)).order_by(AuditEvent.id).limit(batch)
        ).scalars()
    )


def _signed(session: Session, key: SigningKey, statement: dict[str, Any]) -> AuditCheckpoint:
    text_ = rules.canonical(statement).decode("utf-8")
    checkpoint = AuditCheckpoint(
        kind="seal" if statement["type"] == "audit-checkpoint" else "purge",
        size=statement["size"],
        head=statement["head"],
        signed_at=datetime.fromisoformat(statement["time"]),
        key_id=key.key_id,
        statement=text_,
        signature=key.sign(text_.encode("utf-8")),
    )
    session.add(checkpoint)
    session.flush()
    return checkpoint


def write_witness(folder: Path, checkpoint: AuditCheckpoint) -> None:
    """Append the checkpoint to this month's file. A failure is logged, not raised: the
    rows are sealed and signed already, and the next checkpoint covers them too."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        month = checkpoint.signed_at.strftime("%Y-%m")
        with open(folder / f"checkpoints-{month}.jsonl", "a", encoding="utf-8") as handle:
            handle.write(json.dumps(checkpoint_copy(checkpoint), ensure_ascii=False) + "\n")
    except OSError:
        logger.exception("could not copy audit checkpoint %s to %s", checkpoint.size, folder)


def purge(
    session_factory: sessionmaker,
    ring: KeyRing,
    *,
    now: datetime,
    retention_days: int,
    actor: Actor,
    witness_dir: Path | None = None,
) -> int:
    """Delete the oldest rows, all older than the retention period (never under 180
    days), under a signed statement of where they ended; the rest still verifies.

    Seals first, so what goes was part of a signed log; refuses if the rows about to go
    do not verify, so that a purge never erases the evidence of tampering.

    :raises InvalidInput: retention under 180 days; :raises Conflict: the rows to purge
        were altered.
    """
    if retention_days < MIN_AUDIT_RETENTION_DAYS:
        raise InvalidInput(
            "retention-too-short",
            errors={"retention_days": [{"code": "below-minimum", "min": MIN_AUDIT_RETENTION_DAYS}]},
            min_days=MIN_AUDIT_RETENTION_DAYS,
        )
    seal(session_factory, ring, now=now, witness_dir=witness_dir)
    cutoff = now - timedelta(days=retention_days)
    with session_factory.begin() as session:
        _lock(session)
        start, head = _purged_through(session)
        through = _purgeable_through(session, start, cutoff)
        if through is None:
            return 0
        newest = _check_prefix(session, start, head, through)
        deleted = session.execute(delete(AuditEvent).where(AuditEvent.seq <= through.seq)).rowcount
        session.execute(
            delete(AuditCheckpoint).where(
                AuditCheckpoint.kind == "seal", AuditCheckpoint.size <= through.seq
            )
        )
        statement = rules.purge_statement(
            through=through.seq,
            head=through.chain_hash,
            newest_purged_at=newest,
            purged_at=now,
            days=retention_days,
        )
        checkpoint = _signed(session, ring.current, statement)
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
    if witness_dir is not None:
        write_witness(witness_dir, checkpoint)
    return deleted


def _purged_through(session: Session) -> tuple[int, str]:
    """Where the last purge ended (size, head), or the empty log's start."""
    last = session.execute(
        select(AuditCheckpoint.size, AuditCheckpoint.head)
        .where(AuditCheckpoint.kind == "purge")
        .order_by(AuditCheckpoint.size.desc())
        .limit(1)
    ).first()
    return (last.size, last.head) if last else (0, GENESIS_HASH)


def _purgeable_through(session: Session, start: int, cutoff: datetime) -> AuditEvent | None:
    """The newest sealed row such that it and every row before it are older than
    ``cutoff`` (a young row early in the log holds back every row after it)."""
    sealed = AuditEvent.seq.is_not(None)
    first_young = session.execute(
        select(func.min(AuditEvent.seq)).where(sealed, AuditEvent.occurred_at >= cutoff)
    ).scalar_one()
    if first_young is None:
        first_young = (session.execute(select(func.max(AuditEvent.seq))).scalar_one() or 0) + 1
    if first_young - 1 <= start:
        return None
    return session.execute(select(AuditEvent).where(AuditEvent.seq == first_young - 1)).scalar_one()


def _check_prefix(session: Session, start: int, head: str, through: AuditEvent) -> datetime:
    """Recompute the chain over the rows about to go; their newest write time.

    :raises Conflict: a row there does not chain (``flask audit verify`` names it).
    """
    newest = None
    rows = session.execute(
        select(AuditEvent)
        .where(AuditEvent.seq > start, AuditEvent.seq <= through.seq)
        .order_by(AuditEvent.seq)
        .execution_options(yield_per=2_000)
    ).scalars()
    expected = start + 1
    for row in rows:
        head = rules.link(head, rules.leaf_hash(row.seq, rules.content_of(row)))
        if row.seq != expected or head != row.chain_hash:
            raise Conflict("audit-purge-refused", seq=expected)
        newest = row.occurred_at if newest is None else max(newest, row.occurred_at)
        expected += 1
    return newest
