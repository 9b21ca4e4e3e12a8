"""The metrics read from the database at each scrape (``credit_service/monitoring.py``),
as Prometheus metric families.

Every series a rule may test is there from the start, at 0 when there is nothing to
count (a platform with no dead letter, a job with no failure, a tier with no entity), so
that an alert on a rise sees it rise from 0. The labels are names the service chose (a
platform's id, a job's id, a procedure, a tier), never a party's data.

When the database cannot be read, the scrape still answers, with ``credit_database_up``
at 0 and the request metrics: the alert then says the database, not the scrape, failed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from time import perf_counter

from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError

from credit_service import monitoring
from credit_service.context import Context
from credit_service.errors import CreditServiceError
from credit_service.jobs.models import OUTCOMES

logger = logging.getLogger(__name__)


class DatabaseCollector(Collector):
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def collect(self) -> Iterable[Metric]:
        started = perf_counter()
        try:
            readings = monitoring.read(self.ctx)
        except (SQLAlchemyError, CreditServiceError):  # the database, or the platforms file
            logger.exception("metrics: the database readings failed")
            yield _gauge("credit_database_up", "Whether the scrape could read the database", 0)
            return
        yield _gauge("credit_database_up", "Whether the scrape could read the database", 1)
        yield _gauge(
            "credit_metrics_database_seconds",
            "Time this scrape took to read the database",
            perf_counter() - started,
        )
        yield from families(readings)


def families(readings: monitoring.Readings) -> Iterable[Metric]:
    yield from _per_platform(readings)
    yield from _per_job(readings)
    due_today = _family("credit_deadlines_due_today", "Procedure steps due today", "procedure")
    overdue = _family(
        "credit_deadlines_overdue", "Procedure steps past their deadline", "procedure"
    )
    for procedure, (on_the_day, late) in readings.deadlines.items():
        due_today.add_metric([procedure], on_the_day)
        overdue.add_metric([procedure], late)
    tiers = _family("credit_entities_by_tier", "Entities in each supervision tier", "tier")
    for tier, count in readings.tiers.items():
        tiers.add_metric([tier], count)
    yield from (due_today, overdue, tiers)


def _per_platform(readings: monitoring.Readings) -> Iterable[Metric]:
    pending = _family(
        "credit_outbox_pending_events",
        "Outbox events a platform has yet to confirm (dead letters aside)",
        "platform",
    )
    oldest = _family(
        "credit_outbox_oldest_pending_age_seconds",
        "Age of the oldest event a platform has yet to confirm (0: none waits)",
        "platform",
    )
    dead = _family(
        "credit_sync_dead_letters",
        "Events a platform refused for good, not re-queued yet",
        "platform",
    )
    quarantined = _family(
        "credit_sync_quarantined_rows",
        "Rows pulled from a platform that could not be filed, not resolved yet",
        "platform",
    )
    for b in readings.backlog:
        age = (readings.at - b.oldest_pending_at).total_seconds() if b.oldest_pending_at else 0
        pending.add_metric([b.platform], b.pending)
        oldest.add_metric([b.platform], max(0.0, age))
        dead.add_metric([b.platform], b.dead_letters)
        quarantined.add_metric([b.platform], b.quarantined)
    return (pending, oldest, dead, quarantined)


def _per_job(readings: monitoring.Readings) -> Iterable[Metric]:
    success = _family(
        "credit_job_last_success_timestamp_seconds",
        "When a scheduled job last succeeded (Unix time); absent: never",
        "job_id",
    )
    runs = GaugeMetricFamily(
        "credit_job_recent_runs",
        "Runs of a scheduled job in the last 24 hours, by outcome",
        labels=("job_id", "outcome"),
    )
    for job in readings.jobs:
        if job.last_success_at is not None:
            success.add_metric([job.job_id], job.last_success_at.timestamp())
        for outcome in OUTCOMES:
            runs.add_metric([job.job_id, outcome], job.recent.get(outcome, 0))
    return (success, runs)


def _family(name: str, documentation: str, label: str) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, labels=(label,))


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)
