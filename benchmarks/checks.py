"""Serving benchmark of issue 17: a bare Flask app, /healthz, the tier lookup, a single
credit check and a batch of 1,000, all in one run on one database.

    .venv/bin/python benchmarks/checks.py                      # SQLite file, 50,000 entities
    .venv/bin/python benchmarks/checks.py --database-url postgresql://postgres@127.0.0.1:5432/bench
    .venv/bin/python benchmarks/checks.py --database-url postgresql   # BENCH_PG_URL's database

Data set: the synthetic entities and 双公示 penalty records of ``write_dataset`` (penalty
records are dishonest records: a check finds them), imported with the service's
importers, the tier rules applied, and one published listing for some organisations.
A PostgreSQL URL names a database: the run works in a new schema of it, dropped after.

Then, under gunicorn with the same settings (2 workers) and wrk at 16 connections: a bare
Flask app with one constant route (``bare_app.py``: the framework's limit, measured before
and after the service, the ratios use their mean), the service's /healthz, the tier lookup
of one entity (a regulator's token), the single credit check of one entity (a checker's
token, cycling through identifiers) and 30 sequential batches of 1,000 identifiers. Before
serving, the same checks run in this process with the audit trail's appends timed, to say
what share of a check the audit write is. Last, the single check once more with its own
work taken out (``unchecked_app.py``: the same sign-in, hooks, parsing and encoding around
a fixed answer): the ceiling of a single check on this framework path.
"""

from __future__ import annotations

import argparse
import csv
import random
import statistics
import time
from contextlib import contextmanager

import requests
from common import (
    ACTOR,
    PG_URL,
    Timer,
    context_for,
    fresh_database,
    load_dataset,
    publish_listings,
    write_dataset,
)
from serving import Load, gunicorn, lua_cycle, workers_peak_rss_mb, wrk

from credit_service.audit import services as audit
from credit_service.auth import services as auth_services
from credit_service.auth import tokens
from credit_service.dishonesty import checks

TARGET_HEALTHZ = 0.70  # of the bare app
TARGET_CHECK = 0.50  # of /healthz
TARGET_CHECK_P99_MS = 25.0
TARGET_BATCH_MS = 300.0  # median
BATCH = 1_000
PURPOSE = "fiscal_funding"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url", default="sqlite", help="sqlite, postgresql (BENCH_PG_URL), or a URL"
    )
    parser.add_argument("--entities", type=int, default=50_000)
    parser.add_argument("--records", type=int, default=150_000)
    parser.add_argument("--listings", type=int, default=2_000)
    parser.add_argument("--batches", type=int, default=30)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    entity_csv, record_csv = write_dataset(args.entities, args.records)
    pool = _identifiers(entity_csv)
    kind = "sqlite" if args.database_url.startswith("sqlite") else "postgresql"
    pg_url = PG_URL if args.database_url == "postgresql" else args.database_url
    started = time.monotonic()
    with fresh_database(kind, *([] if kind == "sqlite" else [pg_url])) as url:
        _run(kind, url, args, entity_csv, record_csv, pool)
    print(f"\n  whole run: {time.monotonic() - started:.0f} s")


def _run(kind: str, url: str, args, entity_csv, record_csv, pool: list[str]) -> None:  # type: ignore[no-untyped-def]
    ctx = context_for(url)
    with Timer() as build:
        load_dataset(ctx, entity_csv, record_csv)
        listed = publish_listings(ctx, args.listings)
        regulator, checker = _token(ctx, "regulator"), _token(ctx, "checker")
    print(
        f"[{kind}] {args.entities:,} entities, {args.records:,} penalty records (dishonest), "
        f"{len(listed):,} listings; built in {build.seconds:.0f} s"
    )
    rng = random.Random(5)  # nosec B311
    singles = rng.sample(pool, 2_000)
    batches = [rng.sample(pool, BATCH) for _ in range(args.batches)]
    _in_process(ctx, singles, batches[:5])
    ctx.engine.dispose()
    env = {"DATABASE_URL": url, "RATELIMIT_PUBLIC": "100000000 per minute", "LOG_LEVEL": "WARNING"}
    seconds = args.seconds
    bare_before, bare_rss = _bare(env, seconds)
    with gunicorn(env) as base:
        wrk(f"{base}/healthz", seconds=3)  # warm-up
        health = wrk(f"{base}/healthz", seconds=seconds)
        lookup = wrk(
            f"{base}/api/v1/tiers/lookup",
            seconds=seconds,
            headers={"Authorization": f"Bearer {regulator}"},
            script=lua_cycle("POST", ["/api/v1/tiers/lookup"], '{"identifiers": ["%s"]}', singles),
        )
        check = _single_checks(base, checker, singles, seconds)
        batch_ms = _batches(base, checker, batches)
        service_rss = workers_peak_rss_mb(base)
    with gunicorn(env, app="unchecked_app:app") as base:
        _single_checks(base, checker, singles, 3)  # warm-up
        ceiling = _single_checks(base, checker, singles, seconds)
    bare_after, _ = _bare(env, seconds)
    bare = Load(
        (bare_before.requests_per_s + bare_after.requests_per_s) / 2,
        (bare_before.p50_ms + bare_after.p50_ms) / 2,
        (bare_before.p99_ms + bare_after.p99_ms) / 2,
        bare_before.non_2xx + bare_after.non_2xx,
        bare_before.requests + bare_after.requests,
    )
    print(
        f"  bare Flask app: {bare_before.requests_per_s:,.0f} req/s before the service, "
        f"{bare_after.requests_per_s:,.0f} after; peak RSS per worker {bare_rss:.0f} MB"
    )
    print(f"  {'':<34} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'of bare':>8} {'of /healthz':>12}")
    for label, load in (
        ("bare Flask app (mean)", bare),
        ("/healthz", health),
        ("tier lookup (1 entity)", lookup),
        ("single credit check", check),
        ("single check, its work taken out", ceiling),
    ):
        print(_row(label, load, bare, health))
    print(
        f"  batch of {BATCH:,} ({len(batch_ms)} sequential POSTs): median "
        f"{statistics.median(batch_ms):.0f} ms, p99 {_p99(batch_ms):.0f} ms, "
        f"max {max(batch_ms):.0f} ms"
    )
    print(f"  service peak RSS per worker: {service_rss:.0f} MB")
    _verdicts(bare, health, check, batch_ms)


def _single_checks(base: str, token: str, identifiers: list[str], seconds: int) -> Load:
    paths = [f"/api/v1/credit-checks/{i}?purpose={PURPOSE}" for i in identifiers]
    return wrk(
        base,
        seconds=seconds,
        headers={"Authorization": f"Bearer {token}"},
        script=lua_cycle("GET", paths),
    )


def _bare(env: dict[str, str], seconds: int) -> tuple[Load, float]:
    with gunicorn(env, app="bare_app:app") as base:
        wrk(f"{base}/healthz", seconds=3)  # warm-up
        load = wrk(f"{base}/healthz", seconds=seconds)
        return load, workers_peak_rss_mb(base)


def _batches(base: str, token: str, batches: list[list[str]]) -> list[float]:
    """Each batch POSTed in turn on one kept-alive connection; milliseconds each."""
    times = []
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {token}"
        for identifiers in batches:
            body = {"identifiers": identifiers, "purpose": PURPOSE}
            with Timer() as timer:
                response = session.post(f"{base}/api/v1/credit-checks", json=body, timeout=60)
            response.raise_for_status()
            assert len(response.json()["items"]) == len(identifiers)
            times.append(timer.seconds * 1000)
    return times


def _in_process(ctx, singles: list[str], batches: list[list[str]]) -> None:  # type: ignore[no-untyped-def]
    """The checks called in this process, the audit appends timed (what the audit rewrite
    can win), after a warm-up."""
    actor = _actor(ctx, "bench-checker")
    for identifier in singles[:50]:
        checks.credit_check(ctx, actor, identifier, PURPOSE)
    with _audit_timer() as spent, Timer() as total:
        for identifier in singles[50:550]:
            checks.credit_check(ctx, actor, identifier, PURPOSE)
    single_ms, single_audit = total.seconds * 2, spent[0] * 2  # per check, in ms (500 checks)
    batch_ms, audit_ms = [], []
    for identifiers in batches:
        with _audit_timer() as spent, Timer() as total:
            checks.credit_check_batch(ctx, actor, identifiers, PURPOSE)
        batch_ms.append(total.seconds * 1000)
        audit_ms.append(spent[0] * 1000)
    batch, of_it = statistics.median(batch_ms), statistics.median(audit_ms)
    print(
        f"  in this process (no HTTP): a single check {single_ms:.2f} ms, of which the audit "
        f"append {single_audit:.2f} ms ({single_audit / single_ms:.0%}); a batch of {BATCH:,} "
        f"{batch:.0f} ms (median of {len(batches)}), of which the audit appends {of_it:.0f} ms "
        f"({of_it / batch:.0%})"
    )


@contextmanager
def _audit_timer():  # type: ignore[no-untyped-def]
    """Seconds spent in audit.append / append_many / append_alone (the outermost call
    only), in spent[0]."""
    spent, depth = [0.0], [0]
    originals = {name: getattr(audit, name) for name in ("append", "append_many", "append_alone")}

    def timed(function):  # type: ignore[no-untyped-def]
        def call(*args, **kwargs):  # type: ignore[no-untyped-def]
            depth[0] += 1
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                depth[0] -= 1
                if depth[0] == 0:
                    spent[0] += time.perf_counter() - start

        return call

    for name, function in originals.items():
        setattr(audit, name, timed(function))
    try:
        yield spent
    finally:
        for name, function in originals.items():
            setattr(audit, name, function)


def _row(label: str, load: Load, bare: Load, health: Load) -> str:
    errors = f"  {load.non_2xx} non-2xx!" if load.non_2xx else ""
    return (
        f"  {label:<34} {load.requests_per_s:>8,.0f} {load.p50_ms:>8.2f} {load.p99_ms:>8.2f} "
        f"{load.requests_per_s / bare.requests_per_s:>8.0%} "
        f"{load.requests_per_s / health.requests_per_s:>12.0%}{errors}"
    )


def _verdicts(bare: Load, health: Load, check: Load, batch_ms: list[float]) -> None:
    healthz = health.requests_per_s / bare.requests_per_s
    ratio = check.requests_per_s / health.requests_per_s
    median = statistics.median(batch_ms)
    print("  targets:")
    for text, met in (
        (f"/healthz >= {TARGET_HEALTHZ:.0%} of the bare app: {healthz:.0%} "
         f"({healthz / TARGET_HEALTHZ:.2f}x)", healthz >= TARGET_HEALTHZ),
        (f"single check >= {TARGET_CHECK:.0%} of /healthz: {ratio:.0%} "
         f"({ratio / TARGET_CHECK:.2f}x)", ratio >= TARGET_CHECK),
        (f"single check p99 < {TARGET_CHECK_P99_MS:.0f} ms: {check.p99_ms:.1f} ms "
         f"({check.p99_ms / TARGET_CHECK_P99_MS:.2f} of the limit)",
         check.p99_ms < TARGET_CHECK_P99_MS),
        (f"batch of {BATCH:,} <= {TARGET_BATCH_MS:.0f} ms (median): {median:.0f} ms "
         f"({median / TARGET_BATCH_MS:.2f} of the limit)", median <= TARGET_BATCH_MS),
    ):  # fmt: skip
        print(f"    {'PASS' if met else 'MISS'}  {text}")


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def _identifiers(path) -> list[str]:  # type: ignore[no-untyped-def]
    """Organisations and individual businesses: a checker's check of a resident ID counts
    against its daily limit of natural-person lookups."""
    with open(path, encoding="utf-8", newline="") as handle:
        return [
            row["identifier"] for row in csv.DictReader(handle) if row["kind"] != "natural_person"
        ]


def _token(ctx, role: str) -> str:  # type: ignore[no-untyped-def]
    username = f"bench-{role}"
    auth_services.create_user(
        ctx,
        ACTOR,
        username=username,
        display_name="bench",
        role=role,
        region_code=ctx.catalogs.city.code,
    )
    return tokens.create_token(ctx, ACTOR, username=username, name="benchmark").secret


def _actor(ctx, username: str):  # type: ignore[no-untyped-def]
    """The checker as the web layer would resolve it from its token."""
    secret = tokens.create_token(ctx, ACTOR, username=username, name="in-process").secret
    return tokens.authenticate_token(ctx, secret, source_ip="127.0.0.1")


if __name__ == "__main__":
    main()
