"""What the simulated provincial platform holds: received events, batches, changes to
serve, nonces seen, and the faults it is told to show. Thread-safe; in memory."""

from __future__ import annotations

import base64
import hashlib
import json
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from credit_service.simulator.objections import ForwardedObjections

SHANGHAI = ZoneInfo("Asia/Shanghai")


@dataclass
class Faults:
    """Switchable misbehaviour; rates are shares of requests (0–1)."""

    latency_ms: int = 0
    error_rate: float = 0.0
    timeout_rate: float = 0.0
    timeout_seconds: float = 15.0
    drop_rate: float = 0.0
    duplicate_page_rate: float = 0.0
    out_of_order: bool = False
    bad_signature_rate: float = 0.0
    reject_event_types: list[str] = field(default_factory=list)
    outage_until: float = 0.0  # epoch seconds; 503 with Retry-After until then
    retry_after_seconds: int | None = None


@dataclass
class PlatformState:
    faults: Faults = field(default_factory=Faults)
    received: dict[str, dict[str, Any]] = field(default_factory=dict)
    deliveries: Counter[str] = field(default_factory=Counter)
    batches: dict[str, dict[str, Any]] = field(default_factory=dict)
    changes: list[dict[str, Any]] = field(default_factory=list)
    nonces: dict[str, float] = field(default_factory=dict)
    requests: Counter[str] = field(default_factory=Counter)
    audit_checkpoints: list[dict[str, Any]] = field(default_factory=list)
    objections: ForwardedObjections = field(default_factory=ForwardedObjections)
    seed: int = 7

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self.rng = random.Random(self.seed)  # nosec B311  # simulated faults, not security

    def roll(self, rate: float) -> bool:
        with self.lock:
            return self.rng.random() < rate

    def nonce_fresh(self, nonce: str, window: float) -> bool:
        """False for a nonce already seen inside the replay window."""
        now = time.time()
        with self.lock:
            for old in [n for n, t in self.nonces.items() if now - t > window]:
                del self.nonces[old]
            if nonce in self.nonces:
                return False
            self.nonces[nonce] = now
            return True

    def receive(self, batch_id: str, events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Per-event results; a repeated batch gets its first answer again (idempotent)."""
        with self.lock:
            for event in events:
                self.deliveries[str(event.get("event_id"))] += 1
            if batch_id in self.batches:
                return self.batches[batch_id]["results"]
            results = [self._receive_one(e) for e in events]
            self.batches[batch_id] = {"results": results, "at": time.time()}
            return results

    def _receive_one(self, event: dict[str, Any]) -> dict[str, Any]:
        event_id = str(event.get("event_id", ""))
        if not event_id or event.get("event_type") in self.faults.reject_event_types:
            return {
                "event_id": event_id,
                "status": "rejected",
                "reason": "event type not accepted by this platform",
            }
        if event_id in self.received:
            return {"event_id": event_id, "status": "duplicate"}
        self.received[event_id] = {**event, "received_at": time.time()}
        self.objections.hear(event)
        return {"event_id": event_id, "status": "accepted"}

    def add_changes(self, changes: list[dict[str, Any]]) -> int:
        """Queue changes to serve; each gets a stable position (timestamp, sequence)."""
        with self.lock:
            for change in changes:
                change.setdefault("change_id", f"c{len(self.changes) + 1}")
                change.setdefault("updated_at", datetime.now().isoformat(timespec="seconds"))
                self.changes.append({**change, "_seq": len(self.changes) + 1})
            self.changes.sort(key=lambda c: (c["updated_at"], c["_seq"]))
            return len(self.changes)

    def forward_objections(self, items: list[dict[str, Any]]) -> list[str]:
        """Queue forwarded objections as changes to serve; their change ids."""
        today = datetime.now(SHANGHAI).date()
        with self.lock:
            changes = [self.objections.forward(item, today) for item in items]
        self.add_changes(changes)
        return [c["change_id"] for c in changes]

    def objection_report(self, today: date | None) -> list[dict[str, Any]]:
        with self.lock:
            return self.objections.report(today)

    def page(self, cursor: str | None, limit: int) -> dict[str, Any]:
        """Changes after the cursor's position; the cursor is (timestamp, sequence), so
        rows sharing a timestamp are neither skipped nor repeated."""
        after = decode_cursor(cursor)
        with self.lock:
            rest = [c for c in self.changes if (c["updated_at"], c["_seq"]) > after]
        chosen = rest[:limit]
        next_cursor = cursor
        if chosen:
            last = chosen[-1]
            next_cursor = encode_cursor((last["updated_at"], last["_seq"]))
        if chosen and self.roll(self.faults.duplicate_page_rate):
            next_cursor = cursor  # the same page again next time
        body = [{k: v for k, v in c.items() if k != "_seq"} for c in chosen]
        if self.faults.out_of_order:
            with self.lock:
                self.rng.shuffle(body)
        return {"changes": body, "next_cursor": next_cursor, "has_more": len(rest) > limit}

    def day(self, day: date) -> dict[str, Any]:
        """Count and digest of the events received whose occurrence falls on ``day``, and
        the objections forwarded so far and answered (not of one day: as they stand)."""
        with self.lock:
            ids = [
                e
                for e, event in self.received.items()
                if _local_date(event.get("occurred_at")) == day
            ]
            objections = self.objections.counts()
        digest = hashlib.sha256("\n".join(sorted(ids)).encode("utf-8")).hexdigest()
        return {
            "date": day.isoformat(),
            "count": len(ids),
            "digest": digest,
            "objections": objections,
        }

    def stats(self) -> dict[str, Any]:
        with self.lock:
            extra = {e: n - 1 for e, n in self.deliveries.items() if n > 1}
            return {
                "distinct_events": len(self.received),
                "deliveries": sum(self.deliveries.values()),
                "events_delivered_more_than_once": len(extra),
                "extra_deliveries": sum(extra.values()),
                "batches": len(self.batches),
                "changes_served": len(self.changes),
                "requests": dict(self.requests),
            }


def encode_cursor(position: tuple[str, int]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(position)).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[str, int]:
    if not cursor:
        return ("", 0)
    padded = cursor + "=" * (-len(cursor) % 4)
    updated_at, seq = json.loads(base64.urlsafe_b64decode(padded))
    return (str(updated_at), int(seq))


def _local_date(value: Any) -> date | None:
    """The Beijing date of an ISO timestamp (the city counts days in Asia/Shanghai)."""
    if not value:
        return None
    moment = datetime.fromisoformat(str(value))
    if moment.tzinfo is not None:
        moment = moment.astimezone(SHANGHAI)
    return moment.date()
