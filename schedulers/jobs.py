"""The job table: one row per periodic job, with a stable id. Job functions are thin:
they build nothing but a client, call one service, and return its summary."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from credit_service import import_runs
from credit_service.access import Actor
from credit_service.audit import sealing as audit_sealing
from credit_service.calendar_refresh import reload_calendar
from credit_service.config import Settings
from credit_service.context import Context
from credit_service.dishonesty import services as dishonesty_services
from credit_service.errors import stored_text
from credit_service.inspections import services as inspection_services
from credit_service.jobs.models import DETAIL_LENGTH
from credit_service.notifications import services as notification_services
from credit_service.objections import services as objection_services
from credit_service.records import services as record_services
from credit_service.repair import services as repair_services
from credit_service.retention import services as retention_services
from credit_service.sync import push
from credit_service.sync import services as sync_services
from credit_service.sync.client import PlatformClient
from credit_service.sync.platforms import Platform, load_platforms
from credit_service.tiers import services as tier_services

SCHEDULER = Actor(role="admin", username="scheduler", via="system")


@dataclass(frozen=True)
class JobSpec:
    """A periodic job: APScheduler trigger, and the period its runs are keyed by.

    ``by_hand`` is what ``python -m schedulers run JOB`` does when it differs from the
    scheduled run (the sync jobs: every platform at once, whatever its own interval).
    """

    id: str
    func: Callable[[Context], Any]
    trigger: str  # interval | cron
    trigger_args: dict[str, Any]
    period: timedelta
    by_hand: Callable[[Context], Any] | None = None

    @property
    def phase(self) -> timedelta:
        """Where in its period a cron job fires (01:00 for a daily job at 01:00, :05 for
        an hourly one at :05), so its runs are keyed by their own fire time."""
        if self.trigger != "cron":
            return timedelta(0)
        args = self.trigger_args
        return timedelta(hours=int(args.get("hour", 0)), minutes=int(args.get("minute", 0)))


SKIPPED = "skipped: its interval has not passed"


def push_job(ctx: Context, *, every_platform: bool = False) -> dict[str, Any]:
    """Push to each push platform whose ``push_every_seconds`` have passed since its last
    attempt (all of them with ``every_platform``); the others wait for a later tick."""
    tick = ctx.now()
    platforms = load_platforms(ctx.settings.sync_platforms_file)
    return {
        p.id: _push(ctx, p, tick) if every_platform or push.due(ctx, p, tick) else SKIPPED
        for p in platforms.values()
        if p.pushes
    }


def _push(ctx: Context, platform: Platform, tick: datetime) -> dict[str, Any]:
    summary = push.push_pending(
        ctx, platform, PlatformClient(platform), max_seconds=50, run_started=tick
    )
    return summary.__dict__


def pull_job(ctx: Context, *, every_platform: bool = False) -> dict[str, Any]:
    """Pull from each pull platform whose ``pull_every_seconds`` have passed since its
    last successful pull (all of them with ``every_platform``)."""
    tick = ctx.now()
    platforms = load_platforms(ctx.settings.sync_platforms_file)
    return {
        p.id: dict(sync_services.pull_changes(ctx, p, PlatformClient(p), run_started=tick))
        if every_platform or sync_services.pull_due(ctx, p, tick)
        else SKIPPED
        for p in platforms.values()
        if p.pulls
    }


def reconcile_job(ctx: Context) -> list[dict[str, Any]]:
    platforms = load_platforms(ctx.settings.sync_platforms_file)
    yesterday = ctx.today() - timedelta(days=1)
    return [
        sync_services.reconcile(ctx, p, PlatformClient(p), yesterday, SCHEDULER)
        for p in platforms.values()
        if p.pushes
    ]


def expire_listings_job(ctx: Context) -> int:
    return dishonesty_services.expire_listings(ctx, SCHEDULER)


def end_publications_job(ctx: Context) -> int:
    return record_services.end_publications(ctx, SCHEDULER)


def publish_inspection_results_job(ctx: Context) -> int:
    """一公开 (D20): every inspection result recorded since the last run goes public."""
    return inspection_services.publish_due(ctx, SCHEDULER)


def recompute_tiers_job(ctx: Context) -> str:
    result = tier_services.recompute_tiers(
        ctx, SCHEDULER, since=ctx.today() - timedelta(days=7), cause="nightly: time passed"
    )
    return f"{result.changed} changed of {result.entities_considered} considered"


def repair_deadlines_job(ctx: Context) -> dict[str, int]:
    return repair_services.flag_deadlines(ctx)


def objection_deadlines_job(ctx: Context) -> dict[str, int]:
    return objection_services.flag_deadlines(ctx)


def provisional_deadlines_job(ctx: Context) -> int:
    """Reload the holiday calendar from its folder first: a year file added since the
    scheduler started is what makes provisional deadlines final."""
    reload_calendar(ctx)
    return (
        repair_services.refresh_provisional_deadlines(ctx)
        + dishonesty_services.refresh_provisional_deadlines(ctx)
        + objection_services.refresh_provisional_deadlines(ctx)
    )


def send_emails_job(ctx: Context) -> dict[str, int]:
    """Send the notification e-mails that are due (failed ones wait, with backoff)."""
    return notification_services.send_emails(ctx)


def digest_job(ctx: Context) -> int:
    """Each regulator's e-mail of what falls due in its scope (none if nothing does)."""
    return notification_services.queue_digests(ctx)


def audit_purge_job(ctx: Context) -> int:
    """Audit rows older than AUDIT_RETENTION_DAYS go (never younger than 180 days)."""
    return audit_sealing.purge_log(ctx, SCHEDULER)


def imports_job(ctx: Context) -> dict[str, int]:
    """Run the CSV imports uploaded in the console, oldest first (each reports its
    progress per committed batch); close those a dead process left running."""
    return import_runs.run_queued(ctx)


def retention_job(ctx: Context) -> str:
    """What is past retention (D16, PIPL art. 47): today's dry-run report; with
    RETENTION_PURGE, the purge of what a report listed RETENTION_GRACE_DAYS ago. Its
    detail is a code and counts, which the console's job list words."""
    return stored_text(retention_services.nightly(ctx, SCHEDULER), DETAIL_LENGTH)


def audit_seal_job(ctx: Context) -> str:
    """Number, chain and sign the audit rows committed since the last seal."""
    sealed = audit_sealing.seal_log(ctx)
    return f"{sealed.rows} sealed, log size {sealed.size}"


SECOND, MINUTE = timedelta(seconds=1), timedelta(minutes=1)
HOUR, DAY = timedelta(hours=1), timedelta(days=1)
JOBS: tuple[JobSpec, ...] = (
    JobSpec(
        "sync.push",
        push_job,
        "interval",
        {"minutes": 1},
        MINUTE,
        by_hand=partial(push_job, every_platform=True),
    ),
    JobSpec(
        "sync.pull",
        pull_job,
        "interval",
        {"minutes": 5},
        5 * MINUTE,
        by_hand=partial(pull_job, every_platform=True),
    ),
    JobSpec(
        "records.end_publication", end_publications_job, "cron", {"hour": 0, "minute": 30}, DAY
    ),
    JobSpec("dishonesty.expire", expire_listings_job, "cron", {"hour": 1, "minute": 0}, DAY),
    JobSpec("tiers.recompute_nightly", recompute_tiers_job, "cron", {"hour": 2, "minute": 0}, DAY),
    JobSpec("sync.reconcile", reconcile_job, "cron", {"hour": 3, "minute": 0}, DAY),
    JobSpec("retention.run", retention_job, "cron", {"hour": 3, "minute": 30}, DAY),
    JobSpec(
        "deadlines.refresh_provisional",
        provisional_deadlines_job,
        "cron",
        {"hour": 4, "minute": 0},
        DAY,
    ),
    JobSpec("audit.seal", audit_seal_job, "interval", {"seconds": 10}, 10 * SECOND),
    JobSpec("imports.run", imports_job, "interval", {"seconds": 5}, 5 * SECOND),
    JobSpec("audit.purge", audit_purge_job, "cron", {"hour": 4, "minute": 30}, DAY),
    JobSpec(
        "inspections.publish_results",
        publish_inspection_results_job,
        "cron",
        {"hour": 5, "minute": 0},
        DAY,
    ),
    JobSpec("notifications.digest", digest_job, "cron", {"hour": 7, "minute": 30}, DAY),
    JobSpec("notifications.send_emails", send_emails_job, "interval", {"minutes": 1}, MINUTE),
    JobSpec("repair.flag_deadlines", repair_deadlines_job, "cron", {"minute": 5}, HOUR),
    JobSpec("objections.flag_deadlines", objection_deadlines_job, "cron", {"minute": 7}, HOUR),
)


def configured(jobs: tuple[JobSpec, ...], settings: Settings) -> tuple[JobSpec, ...]:
    """The job table with the intervals the settings choose (``AUDIT_SEAL_SECONDS``)."""
    seconds = settings.audit_seal_seconds
    return tuple(
        replace(j, trigger_args={"seconds": seconds}, period=seconds * SECOND)
        if j.id == "audit.seal"
        else j
        for j in jobs
    )
