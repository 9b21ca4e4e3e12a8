"""Tier benchmark: full set-based recompute, and tier lookups under gunicorn.

    .venv/bin/python benchmarks/tiers.py                 # 300,000 entities, 1,000,000 records
    .venv/bin/python benchmarks/tiers.py --entities 30000 --records 100000 --db sqlite

For each database: import the data set, apply the tier rules (the first full computation
writes every tier), recompute in full again (computes all, writes what changed), then
serve with gunicorn (2 workers) and drive it with wrk at 16 connections: the constant
endpoint /healthz (the framework limit) and the tier lookup of one random entity.
Targets: full recompute <= 30 s; lookup >= 50 % of the constant endpoint, p99 < 25 ms.
"""

from __future__ import annotations

import argparse
import csv
import random

from common import ACTOR, Timer, context_for, fresh_database, write_dataset
from serving import describe, gunicorn, lua_cycle, wrk

from credit_service.auth import services as auth_services
from credit_service.auth import tokens
from credit_service.entities.importer import import_entities
from credit_service.records.importer import import_records
from credit_service.tiers import services as tier_services

TARGET_RECOMPUTE_S = 30
TARGET_RATIO = 0.5
TARGET_P99_MS = 25


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entities", type=int, default=300_000)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--seconds", type=int, default=15)
    args = parser.parse_args()
    entity_csv, record_csv = write_dataset(args.entities, args.records)
    sample = _sample_identifiers(entity_csv, 2_000)
    print(f"data set: {args.entities:,} entities, {args.records:,} records")
    for kind in args.db.split(","):
        with fresh_database(kind) as url:
            _run(kind, url, entity_csv, record_csv, sample, args.seconds)


def _run(kind: str, url: str, entity_csv, record_csv, sample: list[str], seconds: int) -> None:
    ctx = context_for(url)
    with open(entity_csv, encoding="utf-8", newline="") as stream:
        import_entities(ctx, ACTOR, stream, workers=ctx.settings.import_workers)
    with open(record_csv, encoding="utf-8", newline="") as stream:
        import_records(ctx, ACTOR, stream, workers=ctx.settings.import_workers)
    with Timer() as first:
        applied = tier_services.apply_rule_set(ctx, ACTOR)
    with Timer() as again:
        steady = tier_services.recompute_tiers(ctx, ACTOR, cause="benchmark")
    token = _token(ctx)
    ctx.engine.dispose()
    print(f"\n[{kind}]")
    print(f"  first full computation: {first.seconds:6.1f} s ({applied.changed:,} tiers written)")
    print(
        f"  full recompute:         {again.seconds:6.1f} s ({steady.changed:,} changed); "
        f"target <= {TARGET_RECOMPUTE_S} s ({again.seconds / TARGET_RECOMPUTE_S:.2f} of it)"
    )
    env = {"DATABASE_URL": url, "RATELIMIT_PUBLIC": "100000000 per minute", "LOG_LEVEL": "WARNING"}
    with gunicorn(env) as base:
        wrk(f"{base}/healthz", seconds=3)  # warm-up
        constant = wrk(f"{base}/healthz", seconds=seconds)
        lookup = wrk(
            f"{base}/api/v1/tiers/lookup",
            seconds=seconds,
            headers={"Authorization": f"Bearer {token}"},
            script=lua_cycle("POST", ["/api/v1/tiers/lookup"], '{"identifiers": ["%s"]}', sample),
        )
        detail = wrk(
            base,
            seconds=seconds,
            headers={"Authorization": f"Bearer {token}"},
            script=lua_cycle("GET", [f"/api/v1/entities/{i}/tier" for i in sample]),
        )
    print(describe("constant endpoint /healthz", constant))
    print(describe("tier lookup (POST, 1 entity)", lookup, constant))
    print(describe("tier with reasons (GET)", detail, constant))
    ratio = lookup.requests_per_s / constant.requests_per_s
    print(
        f"  lookup: {ratio:.0%} of the constant endpoint (target >= {TARGET_RATIO:.0%}: "
        f"{ratio / TARGET_RATIO:.2f}x); p99 {lookup.p99_ms:.1f} ms (target < {TARGET_P99_MS} "
        f"ms: {lookup.p99_ms / TARGET_P99_MS:.2f} of it)"
    )


def _sample_identifiers(path, count: int) -> list[str]:
    with open(path, encoding="utf-8", newline="") as handle:
        identifiers = [
            row["identifier"] for row in csv.DictReader(handle) if row["kind"] != "natural_person"
        ]
    return random.Random(7).sample(identifiers, min(count, len(identifiers)))  # nosec B311


def _token(ctx) -> str:
    auth_services.create_user(
        ctx,
        ACTOR,
        username="bench-regulator",
        display_name="bench",
        role="regulator",
        region_code=ctx.catalogs.city.code,
    )
    return tokens.create_token(ctx, ACTOR, username="bench-regulator", name="benchmark").secret


if __name__ == "__main__":
    main()
