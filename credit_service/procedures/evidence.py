"""Evidence files of a procedure's row (a repair application's, an objection's): each kept
under a generated name outside any served folder, with its SHA-256, as a row of the
procedure's own evidence table, within a count limit, and its upload audited. Which
files are accepted at all is the repair rules' (``repair.services.judge_file``); this
module keeps what was accepted."""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.orm import Session

from credit_service.access import Actor
from credit_service.audit import services as audit
from credit_service.context import Context
from credit_service.errors import InvalidInput
from credit_service.files import write_private

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class EvidenceTable:
    """A procedure's evidence table: its model, the column naming the row it belongs to,
    and how its uploads are audited."""

    model: type
    parent: str  # e.g. "application_id"
    action: str  # the audit action, e.g. "repair.evidence"
    object_type: str  # the audited object, the procedure's row

    def of(self, parent_id: int) -> Any:
        """SQL condition: the files of one row."""
        return getattr(self.model, self.parent) == parent_id


def folder(ctx: Context) -> Path:
    return ctx.settings.data_dir / "evidence"


@contextmanager
def new_file(ctx: Context) -> Iterator[Path]:
    """A generated path for a file about to be stored; removed again if the transaction
    that stores it fails (its row rolled back: no orphan file is left)."""
    path = folder(ctx) / secrets.token_hex(16)
    try:
        yield path
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def store(
    session: Session,
    ctx: Context,
    actor: Actor,
    table: EvidenceTable,
    parent_id: int,
    *,
    filename: str,
    kind: str,
    data: bytes,
    path: Path,
    limit: int,
) -> Any:
    """Keep one accepted file of row ``parent_id`` at ``path`` (see ``new_file``).

    :raises InvalidInput: the row already has ``limit`` files.
    """
    count = session.execute(select(func.count()).where(table.of(parent_id))).scalar_one()
    if count >= limit:
        raise InvalidInput(
            "too-many-files",
            limit=limit,
            errors={"file": [{"code": "items-at-most", "max": limit}]},
        )
    evidence = table.model(
        **{table.parent: parent_id},
        original_name=filename,
        stored_name=path.name,
        content_type=kind,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=actor.username,
        uploaded_at=ctx.now(),
    )
    session.add(evidence)
    session.flush()
    write_private(path, data)
    audit.append(
        session,
        actor=actor,
        action=table.action,
        now=ctx.now(),
        object_type=table.object_type,
        object_id=parent_id,
        details={"sha256": evidence.sha256, "size": evidence.size},
    )
    return evidence


def listed(session: Session, table: EvidenceTable, parent_id: int) -> list[dict[str, Any]]:
    """The row's files, oldest first, as every procedure's view shows them."""
    rows = session.execute(
        select(table.model).where(table.of(parent_id)).order_by(table.model.id)
    ).scalars()
    return [view(e) for e in rows]


def view(e: Any) -> dict[str, Any]:
    return {
        "id": e.id,
        "original_name": e.original_name,
        "content_type": e.content_type,
        "size": e.size,
        "sha256": e.sha256,
        "uploaded_at": e.uploaded_at,
    }


def content(ctx: Context, e: Any) -> bytes:
    return (folder(ctx) / e.stored_name).read_bytes()


def discard(
    session: Session,
    ctx: Context,
    actor: Actor,
    table: EvidenceTable,
    evidence_ids: Sequence[int],
    *,
    closed: ColumnElement[bool],
) -> list[Path]:
    """Delete the rows ``evidence_ids`` of ``table`` whose procedure is closed (the
    condition ``closed`` on its rows), inside the caller's transaction, audited as one
    row naming them (their retention ended: ``credit_service.retention`` chose them).

    :returns: their files, for ``remove_files`` once the transaction has committed (a
        purge rolled back keeps its files).
    """
    model = table.model
    rows = session.execute(
        select(model.id, model.stored_name)
        .where(model.id.in_(list(evidence_ids)), closed)
        .order_by(model.id)
        .with_for_update()
    ).all()
    if not rows:
        return []
    ids = [row.id for row in rows]
    session.execute(delete(model).where(model.id.in_(ids)))
    audit.append(
        session,
        actor=actor,
        action=f"{table.action}.purge",
        now=ctx.now(),
        object_type=table.object_type,
        details={"count": len(ids), "evidence_ids": ids},
    )
    return [folder(ctx) / row.stored_name for row in rows]


def remove_files(paths: Iterable[Path]) -> int:
    """Remove the files of deleted evidence rows; how many were removed. One already gone
    is no error; one that cannot be removed is logged by its generated name (its row is
    gone: the file is an orphan under DATA_DIR/evidence for the operator)."""
    removed = 0
    for path in paths:
        try:
            path.unlink(missing_ok=True)
            removed += 1
        except OSError:
            logger.exception("could not remove evidence file %s", path.name)
    return removed
