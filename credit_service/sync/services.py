"""Sync use cases: pull, reconcile, and what admins see and do (health, dead letters,
quarantine). Pushing is in ``push.py``.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import false, func, select

from credit_service import request_ids
from credit_service.access import Actor
from credit_service.audit import services as audit
from credit_service.context import Context
from credit_service.errors import NotFound, UpstreamError, stored_text
from credit_service.jobs.models import JobRun
from credit_service.sync import forwards, incoming
from credit_service.sync.backlog import (  # noqa: F401  # Backlog, backlog: monitoring reads them here
    Backlog,
    backlog,
    dead_letters,
    pending,
    quarantined,
    refused,
)
from credit_service.sync.client import PlatformClient, PullPage
from credit_service.sync.models import (
    ERROR_LENGTH,
    DeadLetter,
    OutboxEvent,
    PullState,
    QuarantinedRow,
    Reconciliation,
    Requeued,
    SyncBatch,
    SyncPosition,
)
from credit_service.sync.platforms import Platform, interval_passed

PULL_PAGE = 200


def pull_changes(
    ctx: Context,
    platform: Platform,
    client: PlatformClient,
    *,
    max_pages: int = 50,
    run_started: datetime | None = None,
) -> Counter[str]:
    """Fetch pages after the stored cursor. Each page's changes and the new cursor commit
    together, so a crash repeats at most one page, and every change is idempotent. A
    page's forwarded objections are filed each in its own transaction after the rest of
    the page, and the cursor moves after them (``forwards``).
    ``run_started`` (default: now) is stored as ``last_success_at``: the scheduler's tick,
    so the platform's pull interval counts from tick to tick (see ``pull_due``)."""
    started = run_started or ctx.now()
    outcomes: Counter[str] = Counter()
    for _ in range(max_pages):
        with ctx.read_session_factory() as session:
            state = session.get(PullState, platform.id)
            cursor = state.cursor if state else None
        try:
            page = client.pull(cursor, PULL_PAGE)
        except UpstreamError as exc:
            _pull_failed(ctx, platform, exc)
            break
        # in the platform's order (a page may come shuffled): a record before its
        # revocation; sorted() is stable, so ties keep the page's order
        ordered = sorted(page.changes, key=lambda c: str(c.get("updated_at") or ""))
        forwarded = [c for c in ordered if forwards.is_forward(c)]
        with ctx.session_factory.begin() as session:
            for change in ordered:
                if not forwards.is_forward(change):
                    outcomes[incoming.apply_change(session, ctx, platform.id, change)] += 1
            if not forwarded:
                _advance(session, platform, page, started)
        if forwarded:  # each filed in its own transaction: the cursor moves after them
            refused = []
            for change in forwarded:
                outcome, refusal = forwards.file_forward(ctx, platform.id, change)
                outcomes[outcome] += 1
                if refusal is not None:
                    refused.append((change, refusal))
            with ctx.session_factory.begin() as session:
                for change, refusal in refused:
                    incoming.quarantine(session, ctx, platform.id, change, refusal)
                _advance(session, platform, page, started)
        if not page.has_more or not page.changes:
            break
    return outcomes


def _advance(session: Any, platform: Platform, page: PullPage, started: datetime) -> None:
    """Store the cursor after a page, with the page's changes (the same transaction)."""
    state = session.get(PullState, platform.id, with_for_update=True) or PullState(
        platform_id=platform.id
    )
    session.add(state)
    state.cursor = page.next_cursor or state.cursor
    state.pulled += len(page.changes)
    state.last_success_at, state.last_error = started, None


def pull_due(ctx: Context, platform: Platform, tick: datetime) -> bool:
    """Whether the pull job should reach the platform on this tick: its
    ``pull_every_seconds`` have passed since its last successful pull. Only successes
    are stored with a time, so a failed pull is tried again on the job's next tick."""
    with ctx.read_session_factory() as session:
        state = session.get(PullState, platform.id)
        last = state.last_success_at if state else None
    return interval_passed(last, tick, platform.pull_every_seconds)


def _pull_failed(ctx: Context, platform: Platform, exc: UpstreamError) -> None:
    with ctx.session_factory.begin() as session:
        state = session.get(PullState, platform.id) or PullState(platform_id=platform.id)
        session.add(state)
        state.last_error = stored_text(exc.as_record(), ERROR_LENGTH)


def day_digest(event_ids: list[str]) -> str:
    """The digest both sides compute over a day's event ids (sorted, one per line)."""
    return hashlib.sha256("\n".join(sorted(event_ids)).encode("utf-8")).hexdigest()


def local_day(ctx: Context, platform: Platform, day: date) -> tuple[int, str]:
    """How many events of ``day`` this city delivered to the platform, and their digest."""
    start = datetime.combine(day, time(), tzinfo=ctx.tz)
    with ctx.read_session_factory() as session:
        position = session.get(SyncPosition, platform.id)
        last = position.last_event_id if position else 0
        ids = (
            session.execute(
                select(OutboxEvent.event_id).where(
                    OutboxEvent.occurred_at >= start,
                    OutboxEvent.occurred_at < start + timedelta(1),
                    ~_unconfirmed(platform, last),
                    OutboxEvent.event_type.in_(platform.event_types),
                    ~refused(platform),
                )
            )
            .scalars()
            .all()
        )
    return len(ids), day_digest(list(ids))


def reconcile(
    ctx: Context, platform: Platform, client: PlatformClient, day: date, actor: Actor
) -> dict[str, Any]:
    """Compare a day with the platform and record the result (the daily job)."""
    count, digest = local_day(ctx, platform, day)
    try:
        remote = client.reconciliation(day)
        remote_count, remote_digest = int(remote.get("count", -1)), str(remote.get("digest"))
    except UpstreamError:
        remote, remote_count, remote_digest = {}, None, None
    matches = (remote_count, remote_digest) == (count, digest)
    objections = forwards.counts(ctx, platform.id)
    remote_objections = remote.get("objections") if remote_count is not None else None
    objections_match = remote_objections == {
        "forwarded": objections["received"],
        "answered": objections["answered"],
    }
    with ctx.session_factory.begin() as session:
        session.add(
            Reconciliation(
                platform_id=platform.id,
                day=day,
                local_count=count,
                local_digest=digest,
                remote_count=remote_count,
                remote_digest=remote_digest,
                matches=matches,
                at=ctx.now(),
            )
        )
        audit.append(
            session,
            actor=actor,
            action="sync.reconcile",
            now=ctx.now(),
            object_type="platform",
            object_id=platform.id,
            details={"day": day, "matches": matches, "objections": objections},
        )
    return {
        "platform": platform.id,
        "day": day,
        "local_count": count,
        "remote_count": remote_count,
        "matches": matches,
        "objections": {**objections, "remote": remote_objections, "matches": objections_match},
    }


def sync_status(ctx: Context, platforms: dict[str, Platform]) -> list[dict[str, Any]]:
    """Per platform: last success, pending count and age, dead letters, quarantine,
    the last reconciliation."""
    now = ctx.now()
    confirm_cutoff = _confirmation_cutoff(ctx)
    out = []
    with ctx.read_session_factory() as session:
        for platform in platforms.values():
            position = session.get(SyncPosition, platform.id) or SyncPosition(
                platform_id=platform.id
            )
            # a platform that is never pushed to waits for nothing
            waiting = _unconfirmed(platform, position.last_event_id) if platform.pushes else false()
            oldest, waiting_count = pending(session, platform, position.last_event_id)
            overdue = session.execute(
                select(func.count()).where(
                    waiting | refused(platform), OutboxEvent.occurred_at < confirm_cutoff
                )
            ).scalar_one()
            pull = session.get(PullState, platform.id)
            last_check = session.execute(
                select(Reconciliation)
                .where(Reconciliation.platform_id == platform.id)
                .order_by(Reconciliation.id.desc())
                .limit(1)
            ).scalar_one_or_none()
            batch = session.execute(
                select(SyncBatch).where(SyncBatch.platform_id == platform.id)
            ).scalar_one_or_none()
            out.append(
                {
                    "platform": platform.id,
                    "name": platform.name,
                    "direction": platform.direction,
                    "last_push_success_at": position.last_success_at,
                    "last_push_error": position.last_error,
                    "consecutive_failures": position.consecutive_failures,
                    "pending": waiting_count,
                    "oldest_pending_age_seconds": (now - oldest).total_seconds() if oldest else 0,
                    "unconfirmed_overdue": overdue,
                    "in_flight_attempts": batch.attempts if batch else 0,
                    "next_attempt_at": batch.next_attempt_at if batch else None,
                    "dead_letters": dead_letters(session, platform.id),
                    "quarantined": quarantined(session, platform.id),
                    "last_pull_success_at": pull.last_success_at if pull else None,
                    "last_pull_error": pull.last_error if pull else None,
                    "last_reconciliation": None
                    if last_check is None
                    else {
                        "day": last_check.day,
                        "matches": last_check.matches,
                        "local_count": last_check.local_count,
                        "remote_count": last_check.remote_count,
                    },
                }
            )
    return out


def _unconfirmed(platform: Platform, last_event_id: int) -> Any:
    """Events of the platform's types it has not confirmed: beyond its position, or sent
    again after a correction (re-queued)."""
    requeued = select(Requeued.event_id).where(Requeued.platform_id == platform.id)
    return OutboxEvent.event_type.in_(platform.event_types) & (
        (OutboxEvent.id > last_event_id) | OutboxEvent.id.in_(requeued)
    )


def _confirmation_cutoff(ctx: Context) -> datetime:
    """Events that occurred before this instant are past the confirmation deadline (D11:
    confirmed within N working days, counted from the day after the event)."""
    today = ctx.today()
    day = today
    while (
        ctx.calendar.add_workdays(day - timedelta(1), ctx.settings.sync_confirm_workdays).due
        >= today
    ):
        day -= timedelta(1)
    return datetime.combine(day, time(), tzinfo=ctx.tz)


def list_dead_letters(ctx: Context) -> list[dict[str, Any]]:
    with ctx.read_session_factory() as session:
        rows = session.execute(
            select(DeadLetter, OutboxEvent)
            .join(OutboxEvent, OutboxEvent.id == DeadLetter.event_id)
            .where(DeadLetter.requeued_at.is_(None))
            .order_by(DeadLetter.id)
        ).all()
        return [
            {
                "id": d.id,
                "platform": d.platform_id,
                "event_id": e.event_id,
                "event_type": e.event_type,
                "subject": e.subject,
                "reason": d.reason,
                "at": d.at,
            }
            for d, e in rows
        ]


def requeue_dead_letter(ctx: Context, actor: Actor, dead_letter_id: int) -> None:
    """Send a rejected event again (after its cause was corrected).

    :raises NotFound:
    """
    with ctx.session_factory.begin() as session:
        dead = session.get(DeadLetter, dead_letter_id, with_for_update=True)
        if dead is None or dead.requeued_at is not None:
            raise NotFound("dead-letter-not-found", dead_letter_id=dead_letter_id)
        dead.requeued_at = ctx.now()
        session.add(
            Requeued(platform_id=dead.platform_id, event_id=dead.event_id, queued_at=ctx.now())
        )
        audit.append(
            session,
            actor=actor,
            action="sync.requeue",
            now=ctx.now(),
            object_type="dead_letter",
            object_id=dead.id,
        )


def list_quarantine(ctx: Context) -> list[dict[str, Any]]:
    with ctx.read_session_factory() as session:
        rows = session.execute(
            select(QuarantinedRow)
            .where(QuarantinedRow.resolved_at.is_(None))
            .order_by(QuarantinedRow.id)
        ).scalars()
        return [
            {
                "id": q.id,
                "platform": q.platform_id,
                "change_id": q.change_id,
                "reason": q.reason,
                "row": q.row,
                "received_at": q.received_at,
            }
            for q in rows
        ]


def recent_job_runs(ctx: Context, limit: int = 200) -> list[dict[str, Any]]:
    with ctx.read_session_factory() as session:
        rows = session.execute(select(JobRun).order_by(JobRun.id.desc()).limit(limit)).scalars()
        return [
            {
                "job_id": r.job_id,
                "scheduled_for": r.scheduled_for,
                "started_at": r.started_at,
                "finished_at": r.finished_at,
                "outcome": r.outcome,
                "detail": r.detail,
                "host": r.host,
                "request_id": request_ids.job_request_id(r.job_id, r.id),
            }
            for r in rows
        ]
