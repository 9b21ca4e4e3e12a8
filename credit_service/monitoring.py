"""What an operator's monitoring reads from the database at each scrape of ``/metrics``:
the provincial exchange's backlog, the scheduled jobs' last successes, the procedures'
deadlines due on the day and passed, the entities per tier.

Each is read when Prometheus asks, as of the context's clock, through the areas' own
reads (the console shows the same numbers), every one of them a count on an index or a
walk of the open procedures only: the whole set stays well under 100 ms on a city's
data (docs/operations.md, *Metrics*). Nothing here changes anything.

It sits above the composition modules because it reads the console's work list
(``worklist``) as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from credit_service import worklist
from credit_service.access import SYSTEM
from credit_service.context import Context
from credit_service.jobs import services as job_services
from credit_service.sync import services as sync_services
from credit_service.sync.platforms import load_platforms
from credit_service.tiers import reports as tier_reports

RECENT_RUNS = timedelta(days=1)  # the window of the job runs counted by outcome


@dataclass(frozen=True)
class Readings:
    at: datetime
    backlog: list[sync_services.Backlog]  # per configured platform
    jobs: list[job_services.JobHealth]  # per job that ever ran
    deadlines: dict[str, tuple[int, int]]  # procedure -> (due on the day, overdue)
    tiers: dict[str, int]  # tier -> entities, every tier present


def read(ctx: Context) -> Readings:
    """The readings of the whole city, now."""
    now = ctx.now()
    return Readings(
        at=now,
        backlog=sync_services.backlog(ctx, load_platforms(ctx.settings.sync_platforms_file)),
        jobs=job_services.job_health(ctx, since=now - RECENT_RUNS),
        deadlines=worklist.pipeline(ctx, SYSTEM, today=ctx.today()).deadlines(),
        tiers=tier_reports.summary(ctx, SYSTEM)["counts"],
    )
