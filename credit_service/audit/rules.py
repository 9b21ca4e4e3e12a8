"""Audit hash chain: how a row's hash is computed. Pure, no I/O."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any


def row_digest(
    *,
    seq: int,
    occurred_at: datetime,
    actor: str,
    role: str,
    source_ip: str | None,
    action: str,
    object_type: str | None,
    object_id: str | None,
    outcome: str,
    details: dict[str, Any],
    prev_hash: str,
) -> str:
    """SHA-256 over a canonical JSON of every column but the hash itself."""
    canonical = json.dumps(
        {
            "seq": seq,
            "occurred_at": occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
            "actor": actor,
            "role": role,
            "source_ip": source_ip,
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "outcome": outcome,
            "details": details,
            "prev_hash": prev_hash,
        },
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
