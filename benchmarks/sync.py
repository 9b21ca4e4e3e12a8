"""Push benchmark: drain an outbox backlog to the simulated provincial platform.

    .venv/bin/python benchmarks/sync.py                       # 100,000 events, both databases
    .venv/bin/python benchmarks/sync.py --events 20000 --db sqlite --batch-size 200

For each database: a fresh database with a backlog of N ``record.filed`` events, the
simulator (``python -m credit_service.simulator``) in its own process on loopback, and
the real push path (``credit_service.sync.push.push_pending``: batches recorded before
sending, HMAC-signed requests, per-event answers, position moved in the answer's
transaction). Prints the time to drain the backlog, events per second against the
target of 2,000 events/s, the simulator's count of distinct and duplicate events, and
peak memory. Target: >= 2,000 events/s.
"""

from __future__ import annotations

import argparse
import dataclasses
import secrets
import subprocess
import sys
import time

from common import OUT, ROOT, Timer, context_for, fresh_database, peak_rss_mb
from serving import free_port

from credit_service.bulk import bulk_insert
from credit_service.demo.seed import platforms_file
from credit_service.event_ids import new_event_id
from credit_service.sync import push
from credit_service.sync import services as sync_services
from credit_service.sync.client import PlatformClient, SimulatorControl
from credit_service.sync.models import OutboxEvent
from credit_service.sync.platforms import load_platforms

TARGET_EVENTS_PER_S = 2_000
INSERT_CHUNK = 5_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--batch-size", type=int, default=500)
    args = parser.parse_args()
    print(f"backlog: {args.events:,} events, batches of {args.batch_size}")
    for kind in args.db.split(","):
        with fresh_database(kind) as url:
            _run(kind, url, args.events, args.batch_size)


def _run(kind: str, url: str, events: int, batch_size: int) -> None:
    ctx = context_for(url)
    with Timer() as filling:
        _backlog(ctx, events)
    path = OUT / f"platforms-{secrets.token_hex(4)}.yaml"
    path.write_text(platforms_file(free_port(), secrets.token_urlsafe(24)), encoding="utf-8")
    platform = dataclasses.replace(load_platforms(path)["anhui"], batch_size=batch_size)
    simulator = subprocess.Popen(
        [sys.executable, "-m", "credit_service.simulator", "--platforms-file", str(path)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    control = SimulatorControl(platform.base_url)
    try:
        _wait_for(control)
        with Timer() as drain:
            summary = push.push_pending(ctx, platform, PlatformClient(platform))
        stats = control.stats()
        status = sync_services.sync_status(ctx, {platform.id: platform})[0]
    finally:
        simulator.kill()
        simulator.wait(timeout=10)
        path.unlink(missing_ok=True)
        ctx.engine.dispose()
    rate = events / drain.seconds
    print(f"\n[{kind}]")
    print(f"  backlog written in {filling.seconds:.1f} s")
    print(
        f"  drained {summary.accepted:,} events in {summary.batches:,} batches in "
        f"{drain.seconds:.1f} s: {rate:,.0f} events/s (target >= {TARGET_EVENTS_PER_S:,}: "
        f"{rate / TARGET_EVENTS_PER_S:.2f}x)"
    )
    print(
        f"  simulator: {stats['distinct_events']:,} distinct events, "
        f"{stats['extra_deliveries']:,} extra deliveries; left pending: {status['pending']}"
    )
    print(f"  peak memory of the pushing process: {peak_rss_mb():.0f} MB")
    if stats["distinct_events"] != events or status["pending"]:
        raise SystemExit("the backlog was not delivered exactly once")


def _backlog(ctx, events: int) -> None:  # type: ignore[no-untyped-def]
    """N events as the city would have written them, committed at once."""
    rows = (
        {
            "event_id": new_event_id(),
            "subject": "91341802MA0000001X",
            "aggregate_id": str(n),
            "payload": {"record_key": f"bench-{n}", "n": n},
        }
        for n in range(events)
    )
    with ctx.session_factory.begin() as session:
        chunk = []
        for row in rows:
            chunk.append(row)
            if len(chunk) == INSERT_CHUNK:
                _insert(session, ctx, chunk)
                chunk = []
        if chunk:
            _insert(session, ctx, chunk)


def _insert(session, ctx, rows) -> None:  # type: ignore[no-untyped-def]
    bulk_insert(
        session,
        OutboxEvent.__table__,
        rows,
        constants={
            "event_type": "record.filed",
            "aggregate_type": "record",
            "occurred_at": ctx.now(),
        },
    )


def _wait_for(control: SimulatorControl, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            control.stats()
            return
        except Exception:  # noqa: BLE001 - not up yet
            time.sleep(0.1)
    raise SystemExit("the simulator did not start")


if __name__ == "__main__":
    main()
