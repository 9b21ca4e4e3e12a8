"""Pushing the outbox to a platform: batches that survive crashes, retries with backoff.

Each platform has its own position in the outbox. A batch is recorded (with its
idempotency key and its events) before it is sent, so a crash after sending means the
same batch is sent again with the same key and the platform's de-duplication absorbs it;
the position only moves in the transaction that records the platform's answer. Transient
failures wait with exponential backoff and full jitter (or the platform's Retry-After);
a permanent refusal puts the events in the dead-letter list with the reason.
"""

from __future__ import annotations

import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from credit_service.audit import services as audit
from credit_service.context import Context
from credit_service.errors import stored_text
from credit_service.sync.client import PermanentError, PlatformClient, TransientError
from credit_service.sync.models import (
    ERROR_LENGTH,
    REASON_LENGTH,
    DeadLetter,
    OutboxEvent,
    Requeued,
    SyncBatch,
    SyncPosition,
)
from credit_service.sync.platforms import Platform, interval_passed

BACKOFF_BASE_SECONDS = 1.0
BACKOFF_CAP_SECONDS = 300.0
RETRY_AFTER_CAP_SECONDS = 3600.0  # a platform asking for longer is tried again after an hour


@dataclass
class PushSummary:
    batches: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    deferred: bool = False
    errors: list[dict[str, Any]] = field(default_factory=list)  # as_record() of each


def push_pending(
    ctx: Context,
    platform: Platform,
    client: PlatformClient,
    *,
    max_seconds: float | None = None,
    rng: random.Random | None = None,
    run_started: datetime | None = None,
) -> PushSummary:
    """Send pending events until none is left, a failure defers the rest, or time is up.

    Commits per batch (the deliberate exception to one transaction per service): a long
    backlog must make progress, and every step is safe to repeat after a crash.
    ``run_started`` (default: now) is stored as the platform's ``last_attempt_at`` when the
    run reaches it: the scheduler's tick, so the platform's interval counts from tick to
    tick however long a run lasts (see ``due``).
    """
    rng = rng or random.Random()  # nosec B311  # jitter, not security
    attempt = run_started or ctx.now()
    summary, started = PushSummary(), time.monotonic()
    while max_seconds is None or time.monotonic() - started < max_seconds:
        batch = next_batch(ctx, platform)
        if batch is None:
            break
        try:
            answers = client.push(batch.batch_key, *_payloads(ctx, batch))
        except TransientError as exc:
            _defer(ctx, platform, batch, exc, rng, attempt)
            summary.deferred = True
            summary.errors.append(exc.as_record())
            break
        except PermanentError as exc:
            if not _refuse_batch(ctx, platform, batch, exc.as_record(), attempt):
                break
            summary.rejected += len(batch.event_ids)
            continue
        if not _record_answers(ctx, platform, batch, answers, summary, attempt):
            break  # the platform was retired while its batch was out (sync/retire.py)
    return summary


def due(ctx: Context, platform: Platform, tick: datetime) -> bool:
    """Whether the push job should reach the platform on this tick: its
    ``push_every_seconds`` have passed since its last attempt (a few seconds' slack
    absorbs the jitter of the scheduler's ticks). A platform never attempted, or with
    nothing sent yet, is due at once."""
    with ctx.read_session_factory() as session:
        position = session.get(SyncPosition, platform.id)
        last = position.last_attempt_at if position else None
    return interval_passed(last, tick, platform.push_every_seconds)


def next_batch(ctx: Context, platform: Platform) -> SyncBatch | None:
    """The batch to send now: the one in flight (when its retry is due), else a new one
    from re-queued dead letters or from the outbox after the position."""
    now = ctx.now()
    try:
        with ctx.session_factory.begin() as session:
            in_flight = session.execute(
                select(SyncBatch).where(SyncBatch.platform_id == platform.id)
            ).scalar_one_or_none()
            if in_flight is not None:
                return in_flight if in_flight.next_attempt_at <= now else None
            return _new_batch(session, platform, now)
    except IntegrityError:
        return None  # another pusher created the platform's batch at the same moment


def _new_batch(session: Session, platform: Platform, now: datetime) -> SyncBatch | None:
    requeued = (
        session.execute(
            select(Requeued.event_id)
            .where(Requeued.platform_id == platform.id)
            .order_by(Requeued.id)
            .limit(platform.batch_size)
        )
        .scalars()
        .all()
    )
    if requeued:
        return _add_batch(session, platform, list(requeued), 0, now)
    position = _position(session, platform.id)
    while True:
        events = session.execute(
            select(OutboxEvent.id, OutboxEvent.event_type)
            .where(OutboxEvent.id > position.last_event_id)
            .order_by(OutboxEvent.id)
            .limit(platform.batch_size)
        ).all()
        if not events:
            return None
        routed = [i for i, kind in events if kind in platform.event_types]
        if routed:
            return _add_batch(session, platform, routed, events[-1][0], now)
        position.last_event_id = events[-1][0]  # nothing here for this platform: skip


def _add_batch(
    session: Session, platform: Platform, event_ids: list[int], last: int, now: datetime
) -> SyncBatch:
    batch = SyncBatch(
        platform_id=platform.id,
        batch_key=str(uuid.uuid4()),
        first_event_id=event_ids[0],
        last_event_id=last,
        event_ids=event_ids,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(batch)
    session.flush()
    return batch


def _position(session: Session, platform_id: str) -> SyncPosition:
    position = session.get(SyncPosition, platform_id, with_for_update=True)
    if position is None:
        position = SyncPosition(platform_id=platform_id)
        session.add(position)
        session.flush()
    return position


def _payloads(ctx: Context, batch: SyncBatch) -> tuple[list[dict[str, Any]], dict[str, str] | None]:
    """The batch's events, and the newest signed audit checkpoint to send with them."""
    with ctx.read_session_factory() as session:
        events = (
            session.execute(
                select(OutboxEvent)
                .where(OutboxEvent.id.in_(batch.event_ids))
                .order_by(OutboxEvent.id)
            )
            .scalars()
            .all()
        )
        checkpoint = audit.latest_checkpoint(session)
        return [
            {
                "event_id": e.event_id,
                "event_type": e.event_type,
                "occurred_at": e.occurred_at.isoformat(),
                "subject": e.subject,
                "aggregate_type": e.aggregate_type,
                "aggregate_id": e.aggregate_id,
                "payload": e.payload,
            }
            for e in events
        ], checkpoint


def _record_answers(
    ctx: Context,
    platform: Platform,
    batch: SyncBatch,
    answers: dict[str, dict[str, Any]],
    summary: PushSummary,
    attempt: datetime,
) -> bool:
    """Apply the platform's answer and move the position, in one transaction; False
    (nothing applied) when the batch is no longer in flight."""
    now = ctx.now()
    with ctx.session_factory.begin() as session:
        if not _in_flight(session, batch):
            return False
        uuids = dict(
            session.execute(
                select(OutboxEvent.id, OutboxEvent.event_id).where(
                    OutboxEvent.id.in_(batch.event_ids)
                )
            ).all()
        )
        for event_id in batch.event_ids:
            answer = answers.get(uuids[event_id])
            status = answer.get("status") if answer else "rejected"
            if status in ("accepted", "duplicate"):
                summary.accepted += status == "accepted"
                summary.duplicates += status == "duplicate"
            else:
                summary.rejected += 1
                session.add(
                    DeadLetter(
                        platform_id=platform.id,
                        event_id=event_id,
                        at=now,
                        reason=stored_text(_refusal(answer), REASON_LENGTH),
                    )
                )
        _finish(session, platform, batch, now, attempt)
    summary.batches += 1
    return True


def _in_flight(session: Session, batch: SyncBatch) -> bool:
    """Whether ``batch`` is still in flight, locked until the transaction ends: a platform
    retired while its batch was out (``sync/retire.py``) must not get back a position, nor
    dead letters, from that batch's answer."""
    return session.get(SyncBatch, batch.id, with_for_update=True) is not None


def _finish(
    session: Session, platform: Platform, batch: SyncBatch, now: datetime, attempt: datetime
) -> None:
    position = _position(session, platform.id)
    if batch.last_event_id:
        position.last_event_id = max(position.last_event_id, batch.last_event_id)
    else:
        session.execute(
            delete(Requeued).where(
                Requeued.platform_id == platform.id, Requeued.event_id.in_(batch.event_ids)
            )
        )
    position.last_success_at, position.last_attempt_at = now, attempt
    position.last_error, position.consecutive_failures = None, 0
    session.execute(delete(SyncBatch).where(SyncBatch.id == batch.id))


def _refusal(answer: dict[str, Any] | None) -> dict[str, Any]:
    """A dead letter's reason as kept: the platform's own words, or that it said nothing."""
    if answer is None:
        return {"code": "platform-no-answer"}
    said = str(answer.get("reason") or answer.get("status"))
    return {"code": "platform-rejected", "reason": said[: REASON_LENGTH // 2]}


def _refuse_batch(
    ctx: Context, platform: Platform, batch: SyncBatch, refusal: dict[str, Any], attempt: datetime
) -> bool:
    """A permanent refusal of the whole request: every event goes to the dead letters;
    False (nothing done) when the batch is no longer in flight."""
    now = ctx.now()
    reason = stored_text(refusal, REASON_LENGTH)
    with ctx.session_factory.begin() as session:
        if not _in_flight(session, batch):
            return False
        session.add_all(
            DeadLetter(platform_id=platform.id, event_id=e, reason=reason, at=now)
            for e in batch.event_ids
        )
        _finish(session, platform, batch, now, attempt)
    return True


def backoff_seconds(attempts: int, rng: random.Random) -> float:
    """Full jitter: a random wait up to an exponentially growing cap."""
    return rng.uniform(0, min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2**attempts))


def _defer(
    ctx: Context,
    platform: Platform,
    batch: SyncBatch,
    exc: TransientError,
    rng: random.Random,
    attempt: datetime,
) -> None:
    now = ctx.now()
    with ctx.session_factory.begin() as session:
        stored = session.get(SyncBatch, batch.id, with_for_update=True)
        if stored is None:  # retired meanwhile (sync/retire.py)
            return
        stored.attempts += 1
        wait = (
            min(exc.retry_after, RETRY_AFTER_CAP_SECONDS)
            if exc.retry_after is not None
            else backoff_seconds(stored.attempts, rng)
        )
        stored.next_attempt_at = now + timedelta(seconds=wait)
        stored.last_error = stored_text(exc.as_record(), ERROR_LENGTH)
        position = _position(session, platform.id)
        position.last_attempt_at, position.last_error = attempt, stored.last_error
        position.consecutive_failures += 1
