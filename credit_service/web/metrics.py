"""``GET /metrics``: the service's numbers in Prometheus's text format (0.0.4), for the
operator's monitoring (docs/operations.md, *Metrics*).

- Requests: counted by Flask endpoint name (never the path, which may hold a person's ID
  number), method and status, and timed by endpoint and method; not the liveness
  probe's (``probes``).
- Database pools: each worker's connections checked out, the pool's size, its overflow
  in use and allowed, refreshed after every request and at each scrape.
- What the database holds (the exchange's backlog, the jobs, the deadlines, the tiers):
  read at each scrape (``metrics_database``).

gunicorn serves with several worker processes, each counting its own requests: under
gunicorn, ``credit_service/web/gunicorn_conf.py`` sets ``PROMETHEUS_MULTIPROC_DIR`` before
anything imports prometheus_client, every worker then keeps its numbers in files there,
and a scrape, whichever worker answers it, adds up the files of all. Without the variable
(tests, ``flask run``) the numbers are this process's own.

Only administrators read it: a session of the console, or a token with the scope
``metrics``, which is all Prometheus's token should carry. It is never rate-limited (no
endpoint that needs a sign-in is).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from time import perf_counter

from flask import Blueprint, Flask, Response, current_app, g, request
from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4, disable_created_metrics, generate_latest
from prometheus_client.metrics import Counter, Gauge, Histogram
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector, CollectorRegistry
from sqlalchemy import Engine
from sqlalchemy.pool import QueuePool

from credit_service.context import Context
from credit_service.web.access import allow
from credit_service.web.metrics_database import DatabaseCollector
from credit_service.web.probes import LIVENESS_ENDPOINT

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
# prometheus_client chose where values live when it was imported (above): decided once.
MULTIPROCESS = bool(os.environ.get(MULTIPROCESS_DIR))
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"  # no route: the path is not a label (a scanner's paths are endless)

disable_created_metrics()  # no *_created series: one process or many, the same output
SERVICE = CollectorRegistry(auto_describe=True)
REQUESTS = Counter(
    "credit_http_requests",
    "HTTP requests answered, by Flask endpoint, method and status",
    ("endpoint", "method", "status"),
    registry=SERVICE,
)
LATENCY = Histogram(
    "credit_http_request_duration_seconds",
    "Time to answer a request, by Flask endpoint and method",
    ("endpoint", "method"),
    registry=SERVICE,
)
# Per worker ("liveall": a worker's values go with it when gunicorn reports it dead).
POOL = {
    name: Gauge(
        f"credit_db_pool_{name}",
        text,
        ("pool",),
        registry=SERVICE,
        multiprocess_mode="liveall",
    )
    for name, text in (
        ("checked_out", "Database connections in use (checked out of the pool)"),
        ("size", "The pool's size: connections it keeps open"),
        ("overflow", "Connections open beyond the pool's size"),
        ("max_overflow", "Connections the pool may open beyond its size"),
    )
}

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
@allow("admin", scopes=("metrics",))
def scrape() -> Response:
    """Every metric, in Prometheus's text format 0.0.4."""
    ctx = current_app.extensions["credit_service"]
    refresh_pools(ctx)
    body = generate_latest(Scrape(ctx))
    return Response(body, content_type=CONTENT_TYPE_PLAIN_0_0_4)


class Scrape(Collector):
    """What one scrape collects: the request and pool metrics (of every worker, under
    gunicorn), then the readings of the database."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def collect(self) -> Iterable[Metric]:
        counted: Collector = MultiProcessCollector(None) if MULTIPROCESS else SERVICE
        yield from counted.collect()
        yield from DatabaseCollector(self.ctx).collect()


def install(app: Flask, ctx: Context) -> None:
    """Time and count every request, keep the pool gauges, serve ``/metrics``.

    The clock starts before every other before-request hook (the access check, the rate
    limit) and the count is the last after-request hook (Flask runs them last added
    first), so that it sees the status as sent."""
    app.before_request_funcs.setdefault(None, []).insert(0, _start)
    app.after_request_funcs.setdefault(None, []).insert(0, _observe)
    app.register_blueprint(bp)
    refresh_pools(ctx)


def _start() -> None:
    g.metrics_started = perf_counter()


def _observe(response: Response) -> Response:
    endpoint = request.endpoint or UNMATCHED
    if endpoint == LIVENESS_ENDPOINT:
        return response
    started = g.get("metrics_started")
    method = request.method if request.method in METHODS else "other"
    REQUESTS.labels(endpoint, method, str(response.status_code)).inc()
    if started is not None:
        LATENCY.labels(endpoint, method).observe(perf_counter() - started)
    refresh_pools(current_app.extensions["credit_service"])
    return response


_set: dict[tuple[int, str, str], int] = {}  # (process, metric, pool) -> the value set


def refresh_pools(ctx: Context) -> None:
    """Set this worker's pool gauges where a value changed (most requests change none: a
    file write saved). Keyed by process: a worker forked from a process that had set them
    must set its own."""
    pid = os.getpid()
    for name, engine in ctx.engines().items():
        for metric, value in _pool_values(engine):
            if _set.get((pid, metric, name)) != value:
                POOL[metric].labels(name).set(value)
                _set[pid, metric, name] = value


def _pool_values(engine: Engine) -> Iterator[tuple[str, int]]:
    pool = engine.pool
    if not isinstance(pool, QueuePool):  # an in-memory SQLite's: one connection per thread
        return
    yield "checked_out", pool.checkedout()
    yield "size", pool.size()
    yield "overflow", max(0, pool.overflow())
    yield "max_overflow", pool._max_overflow  # set at its creation; QueuePool has no accessor
