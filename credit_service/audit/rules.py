"""How the audit log is hashed and what its checkpoints say. Pure, no I/O.

The log is a hash chain in the manner of RFC 9162's leaves (a domain-separation byte
before each hash input, so a leaf can never pass for a link):

- ``leaf``: SHA-256 of ``0x00`` and a canonical JSON of the row's place (``seq``) and
  content (with its request id, when it has one); anyone can recompute it from an export
  of the rows;
- ``link``: SHA-256 of ``0x01``, the previous head and the leaf: the chain's head after
  the row, stored in the row as ``chain_hash``;
- a checkpoint signs ``(size, head, time)``; a purge statement signs where the deleted
  prefix ended, so the first remaining row still links to something signed.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

LOG_NAME = "credit-service-audit"
CONTENT_COLUMNS = (
    "occurred_at",
    "actor",
    "role",
    "source_ip",
    "action",
    "object_type",
    "object_id",
    "outcome",
    "details",
)
# Columns added after rows were sealed: hashed only when set. A row sealed before
# ``request_id`` existed has none, hashes to the leaf it was sealed with and verifies as
# before; a row that has one commits to it, so adding, changing or clearing a sealed
# row's request id breaks its keyed code like any other change (audit-row-forged).
OPTIONAL_COLUMNS = ("request_id",)


def content_of(row: Any) -> dict[str, Any]:
    """A row's content columns and optional columns, as the leaf hashes them."""
    return {column: getattr(row, column) for column in (*CONTENT_COLUMNS, *OPTIONAL_COLUMNS)}


def canonical(value: dict[str, Any]) -> bytes:
    """The one byte string a JSON object hashes and signs as: sorted keys, no spaces."""
    return json.dumps(
        value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str
    ).encode("utf-8")


def timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def leaf_hash(seq: int, content: dict[str, Any]) -> str:
    """The hash of one row at its place; ``content`` holds ``CONTENT_COLUMNS`` and may
    hold ``OPTIONAL_COLUMNS`` (each hashed when not None)."""
    shown = {column: content[column] for column in CONTENT_COLUMNS}
    shown.update({c: content[c] for c in OPTIONAL_COLUMNS if content.get(c) is not None})
    shown["occurred_at"] = timestamp(shown["occurred_at"])
    return hashlib.sha256(b"\x00" + canonical({"seq": seq, **shown})).hexdigest()


def link(previous_head: str, leaf: str) -> str:
    """The chain's head after appending ``leaf``."""
    return hashlib.sha256(b"\x01" + bytes.fromhex(previous_head) + bytes.fromhex(leaf)).hexdigest()


def mac_message(seq: int, leaf: str) -> bytes:
    """What a row's keyed code covers: its place and its leaf, so a row whose content or
    place changed fails even when every hash was recomputed, and only that row fails."""
    return f"{LOG_NAME}:{seq}:{leaf}".encode("ascii")


def seal_statement(size: int, head: str, signed_at: datetime) -> dict[str, Any]:
    return {
        "type": "audit-checkpoint",
        "log": LOG_NAME,
        "size": size,
        "head": head,
        "time": timestamp(signed_at),
    }


def purge_statement(
    *, through: int, head: str, newest_purged_at: datetime, purged_at: datetime, days: int
) -> dict[str, Any]:
    """A purge's signed account: rows 1..``through`` are gone, the chain's head there was
    ``head``, the youngest of them was written at ``newest_purged_at``, and the service
    kept ``days`` days."""
    return {
        "type": "audit-purge",
        "log": LOG_NAME,
        "size": through,
        "head": head,
        "newest_purged_at": timestamp(newest_purged_at),
        "time": timestamp(purged_at),
        "retention_days": days,
    }


def retention_kept(statement: dict[str, Any], minimum_days: int) -> bool:
    """Whether a purge statement shows every purged row at least ``minimum_days`` old
    (and the retention it claims at least that)."""
    newest = datetime.fromisoformat(statement["newest_purged_at"])
    purged_at = datetime.fromisoformat(statement["time"])
    age_days = (purged_at - newest).total_seconds() / 86_400
    return statement["retention_days"] >= minimum_days and age_days >= minimum_days
