"""The job table: one row per periodic job, with a stable id. Job functions are thin:
they build nothing but a client, call one service, and return its summary."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from credit_service.access import Actor
from credit_service.context import Context
from credit_service.dishonesty import services as dishonesty_services
from credit_service.records import services as record_services
from credit_service.repair import services as repair_services
from credit_service.sync import push
from credit_service.sync import services as sync_services
from credit_service.sync.client import PlatformClient
from credit_service.sync.platforms import load_platforms
from credit_service.tiers import services as tier_services

SCHEDULER = Actor(role="admin", username="scheduler", via="system")


@dataclass(frozen=True)
class JobSpec:
    """A periodic job: APScheduler trigger, and the period its runs are keyed by."""

    id: str
    func: Callable[[Context], Any]
    trigger: str  # interval | cron
    trigger_args: dict[str, Any]
    period: timedelta


def push_job(ctx: Context) -> dict[str, Any]:
    platforms = load_platforms(ctx.settings.sync_platforms_file)
    return {
        p.id: push.push_pending(ctx, p, PlatformClient(p), max_seconds=50).__dict__
        for p in platforms.values()
        if p.pushes
    }


def pull_job(ctx: Context) -> dict[str, Any]:
    platforms = load_platforms(ctx.settings.sync_platforms_file)
    return {
        p.id: dict(sync_services.pull_changes(ctx, p, PlatformClient(p)))
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


def recompute_tiers_job(ctx: Context) -> str:
    result = tier_services.recompute_tiers(
        ctx, SCHEDULER, since=ctx.today() - timedelta(days=7), cause="nightly: time passed"
    )
    return f"{result.changed} changed of {result.entities_considered} considered"


def repair_deadlines_job(ctx: Context) -> dict[str, int]:
    return repair_services.flag_deadlines(ctx)


def provisional_deadlines_job(ctx: Context) -> int:
    return repair_services.refresh_provisional_deadlines(
        ctx
    ) + dishonesty_services.refresh_provisional_deadlines(ctx)


MINUTE, HOUR, DAY = timedelta(minutes=1), timedelta(hours=1), timedelta(days=1)
JOBS: tuple[JobSpec, ...] = (
    JobSpec("sync.push", push_job, "interval", {"minutes": 1}, MINUTE),
    JobSpec("sync.pull", pull_job, "interval", {"minutes": 5}, 5 * MINUTE),
    JobSpec(
        "records.end_publication", end_publications_job, "cron", {"hour": 0, "minute": 30}, DAY
    ),
    JobSpec("dishonesty.expire", expire_listings_job, "cron", {"hour": 1, "minute": 0}, DAY),
    JobSpec("tiers.recompute_nightly", recompute_tiers_job, "cron", {"hour": 2, "minute": 0}, DAY),
    JobSpec("sync.reconcile", reconcile_job, "cron", {"hour": 3, "minute": 0}, DAY),
    JobSpec(
        "deadlines.refresh_provisional",
        provisional_deadlines_job,
        "cron",
        {"hour": 4, "minute": 0},
        DAY,
    ),
    JobSpec("repair.flag_deadlines", repair_deadlines_job, "cron", {"minute": 5}, HOUR),
)
