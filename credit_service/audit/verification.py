"""Checking the audit log against its signed checkpoints, without trusting the database.

What it detects, each with the row (or checkpoint) named:

- a row whose content changed while its hashes did not (``audit-row-altered``);
- a row whose hashes were recomputed, or that was inserted, without the signing key
  (``audit-row-forged``: its keyed code fails);
- a missing row inside the log (``audit-row-missing``), or at its end with the
  checkpoints that covered it, against the copies outside the database
  (``audit-log-truncated``);
- a checkpoint or purge statement that is not signed by a published key, or whose
  head the rows do not reproduce (``audit-checkpoint-invalid``, ``audit-checkpoint-mismatch``);
- rows deleted without a signed purge, or a purge of rows younger than the retention
  rule (``audit-purge-unsigned``, ``audit-purge-too-early``).

Rows not sealed yet are counted, never reported: a transaction that rolled back leaves
nothing behind, since places in the log are given only to committed rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from credit_service.audit import rules
from credit_service.audit.models import GENESIS_HASH, AuditCheckpoint, AuditEvent
from credit_service.config import MIN_AUDIT_RETENTION_DAYS
from credit_service.context import Context
from credit_service.signing_keys import KeyRing, verify_signature


@dataclass(frozen=True)
class Finding:
    """One problem: its code, the row's place and id (if a row), the values its words name."""

    problem: str
    seq: int | None = None
    id: int | None = None
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Verification:
    """The outcome: rows checked, checkpoints checked, rows awaiting their seal, findings."""

    checked: int
    checkpoints: int
    witnessed: int
    unsealed: int
    findings: tuple[Finding, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def first(self) -> Finding | None:
        return self.findings[0] if self.findings else None


@dataclass(frozen=True)
class Statement:
    """A signed checkpoint or purge statement as read (from the database or a copy)."""

    body: dict[str, Any]
    valid: bool
    key_id: str


def read_statement(ring: KeyRing, text: str, signature: str, key_id: str) -> Statement:
    """Parse a statement and check its signature with the published key it names."""
    key = ring.get(key_id)
    valid = key is not None and verify_signature(key.public_key, text.encode("utf-8"), signature)
    try:
        body = json.loads(text)
    except ValueError:
        return Statement({}, False, key_id)
    return Statement(body, valid and body.get("log") == rules.LOG_NAME, key_id)


def read_witness(paths: Iterable[Path]) -> Iterator[dict[str, str]]:
    """Checkpoint copies from JSON-lines files or folders of them."""
    for path in paths:
        files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
        for file in files:
            for line in file.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    yield json.loads(line)


def verify(
    session_factory: sessionmaker,
    ring: KeyRing,
    *,
    witness: Iterable[dict[str, str]] = (),
    batch: int = 5_000,
) -> Verification:
    """Recompute the chain from the last signed purge, check every row's keyed code and
    every checkpoint, in the database and in the copies given as ``witness``."""
    findings: list[Finding] = []
    with session_factory() as session:
        seals, purges = _checkpoints(session, ring, findings)
        copies = _copies(ring, witness, findings)
        start, head = _start(purges, findings)
        wanted = {s.body["size"]: s.body["head"] for s in (*seals, *copies)}
        walk = _Walk(ring, seals, start, head, wanted, findings)
        for row in _sealed_rows(session, batch):
            walk.visit(row)
        walk.finish(seals, copies)
        unsealed = session.execute(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.seq.is_(None))
        ).scalar_one()
    return Verification(
        walk.checked, len(seals) + len(purges), len(copies), unsealed, tuple(findings)
    )


def verify_log(ctx: Context, copies: Iterable[Path] = ()) -> Verification:
    """Verify with the context's keys against its checkpoint folder and any other copies
    (a file the provincial platform returned, an auditor's archive)."""
    folders = [ctx.settings.audit_witness_dir, *copies]
    return verify(
        ctx.read_session_factory,
        ctx.key_ring,
        witness=read_witness(p for p in folders if p.exists()),
    )


def _checkpoints(
    session: Session, ring: KeyRing, findings: list[Finding]
) -> tuple[list[Statement], list[Statement]]:
    seals, purges = [], []
    for row in session.execute(select(AuditCheckpoint).order_by(AuditCheckpoint.size)).scalars():
        statement = read_statement(ring, row.statement, row.signature, row.key_id)
        matches = statement.body.get("size") == row.size and statement.body.get("head") == row.head
        if not (statement.valid and matches):
            findings.append(Finding(problem="audit-checkpoint-invalid", params={"size": row.size}))
            continue
        (seals if statement.body["type"] == "audit-checkpoint" else purges).append(statement)
    return seals, purges


def _copies(
    ring: KeyRing, witness: Iterable[dict[str, str]], findings: list[Finding]
) -> list[Statement]:
    copies = []
    for entry in witness:
        statement = read_statement(
            ring, entry.get("statement", ""), entry.get("signature", ""), entry.get("key_id", "")
        )
        if statement.valid:
            copies.append(statement)
        else:
            findings.append(
                Finding(problem="audit-witness-invalid", params={"key_id": statement.key_id})
            )
    return copies


def _start(purges: list[Statement], findings: list[Finding]) -> tuple[int, str]:
    """Where the remaining rows must begin: after the newest signed purge."""
    if not purges:
        return 0, GENESIS_HASH
    newest = purges[-1].body
    if not rules.retention_kept(newest, MIN_AUDIT_RETENTION_DAYS):
        findings.append(
            Finding(
                problem="audit-purge-too-early",
                seq=newest["size"],
                params={"seq": newest["size"], "min_days": MIN_AUDIT_RETENTION_DAYS},
            )
        )
    return newest["size"], newest["head"]


def _sealed_rows(session: Session, batch: int) -> Iterator[AuditEvent]:
    last = 0
    while True:
        rows = list(
            session.execute(
                select(AuditEvent)
                .where(AuditEvent.seq > last)
                .order_by(AuditEvent.seq)
                .limit(batch)
            ).scalars()
        )
        if not rows:
            return
        yield from rows
        last = rows[-1].seq
        session.expunge_all()


class _Walk:
    """The chain recomputed row by row. After a finding it resynchronises on the stored
    hash, so one altered row is reported once, not as every row after it; neighbouring
    rows with the same problem are reported as one range."""

    def __init__(
        self,
        ring: KeyRing,
        seals: list[Statement],
        start: int,
        head: str,
        wanted: dict[int, str],
        findings: list[Finding],
    ) -> None:
        self.ring, self.findings, self.wanted, self.start = ring, findings, wanted, start
        self.signers = [(s.body["size"], s.key_id) for s in seals]  # ascending sizes
        self.signer = 0  # index of the first checkpoint that may cover the next row
        self.expected, self.head, self.checked = start + 1, head, 0
        self.heads: dict[int, str] = {start: head}
        self.unsigned: AuditEvent | None = None  # the first row no checkpoint covers

    def visit(self, row: AuditEvent) -> None:
        if row.seq < self.expected:  # a row the signed purge says is gone
            self._found(row, problem="audit-row-forged")
            return
        if row.seq > self.expected:
            gap = {"seq": self.expected, "through": row.seq - 1}
            if self.checked == 0:  # the oldest rows went without a signed purge
                self.findings.append(
                    Finding(problem="audit-purge-unsigned", seq=self.expected, params=gap)
                )
            else:
                self.findings.append(
                    Finding(problem="audit-row-missing", seq=self.expected, params=gap)
                )
        leaf = rules.leaf_hash(row.seq, rules.content_of(row))
        recomputed = rules.link(self.head, leaf)
        if not self._authentic(row, leaf):  # content or place changed: trust its old head
            self._found(row, problem="audit-row-forged")
            self.head = row.chain_hash
        elif row.seq == self.expected and recomputed != row.chain_hash:  # its head changed
            self._found(row, problem="audit-row-altered")
            self.head = recomputed
        else:
            self.head = row.chain_hash
        if row.seq in self.wanted:
            self.heads[row.seq] = self.head
        self.expected, self.checked = row.seq + 1, self.checked + 1

    def _authentic(self, row: AuditEvent, leaf: str) -> bool:
        """Whether the row's keyed code is the one its signer's key gives its place and
        leaf: content changed with every hash recomputed still fails here."""
        while self.signer < len(self.signers) and self.signers[self.signer][0] < row.seq:
            self.signer += 1
        if self.signer == len(self.signers):  # no checkpoint covers it: see ``finish``
            self.unsigned = self.unsigned or row
            return True
        key = self.ring.get(self.signers[self.signer][1])
        return key is not None and row.row_mac == key.mac(rules.mac_message(row.seq, leaf))

    def finish(self, seals: list[Statement], copies: list[Statement]) -> None:
        last = self.expected - 1
        if self.unsigned is not None and self.unsigned.seq > self.start:
            self._found(self.unsigned, problem="audit-row-unsigned")
        newest = max((s.body["size"] for s in (*seals, *copies)), default=0)
        if newest > last:
            self.findings.append(
                Finding(
                    problem="audit-log-truncated",
                    seq=last + 1,
                    params={"seq": last, "size": newest},
                )
            )
        for statement in (*seals, *copies):
            size, head = statement.body["size"], statement.body["head"]
            if size in self.heads and self.heads[size] != head:
                self.findings.append(
                    Finding(problem="audit-checkpoint-mismatch", seq=size, params={"size": size})
                )

    def _found(self, row: AuditEvent, *, problem: str) -> None:
        previous = self.findings[-1] if self.findings else None
        if (
            previous
            and previous.problem == problem
            and previous.params.get("through") == row.seq - 1
        ):
            self.findings[-1] = Finding(
                problem, previous.seq, previous.id, {**previous.params, "through": row.seq}
            )
            return
        self.findings.append(
            Finding(problem, seq=row.seq, id=row.id, params={"seq": row.seq, "through": row.seq})
        )
