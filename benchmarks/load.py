"""Mixed load test of issue 21: the public, regulators, other departments and enterprises
at once, on a city-sized database, under gunicorn (2 workers), driven by locust.

    .venv/bin/python benchmarks/load.py                                # SQLite, city scale
    .venv/bin/python benchmarks/load.py --database-url postgresql       # BENCH_PG_URL's database
    .venv/bin/python benchmarks/load.py --entities 5000 --records 15000 --listings 300 \\
        --applications 500 --steps 4,8,16,32,64 --step-seconds 30 --minutes 1   # a smoke run

Data set: ``write_dataset``'s entities and 双公示 penalty records (300,000 and 1,000,000
by default: the city), imported with the service's importers, the tier rules applied,
6,000 published listings, and for the repair flow up to 3,000 records in publicity whose
repair could be applied for today, each owner given an enterprise account (registered
pending, its binding approved by a regulator, as the service does it) and a token.

The mix. Locust users of four kinds, five public visitors for each regulator, department
and enterprise, with their own think times, so that requests come roughly as:

- the public, about 75 % (two requests a second each): the list page and the list API
  (the first page), the same again with the ETag held (answered 304), searches by a
  fragment of a name and by district, page and API. The list is public by law and is
  what the service answers most: news sites, banks and citizens read it; the others
  are a few hundred staff and systems in one city.
- other departments, about 15 % (two a second): single credit checks of an organisation
  (funding and procurement systems check each applicant), one batch of 100 in thirty.
- regulators, about 7 % (one a second): tier lookups of one entity; one request in ten
  files a penalty (a new document number each; one in twenty is sent twice, as after a
  lost answer, and must be answered 200 with the same record: the records API is
  idempotent by document number and takes no Idempotency-Key).
- enterprises, about 2 % (one task in ten seconds): half of the tasks a repair
  application (eligibility, the application with its commitment and an Idempotency-Key,
  one in ten sent twice as a double click and answered 200 with the same application,
  an evidence upload, the application read back), half a look at their applications.

The method. After a warm-up at the first step's users (``--warmup-seconds``, not
measured: each worker's first requests fill its caches), a step load: 8, 16, 32 … users
(5:1:1:1), each step held for ``--step-seconds`` once its users have started, and
measured alone: req/s, and p50/p95/p99 of each request type and of all. The first
saturation point is the first step whose p99 over all requests passes 200 ms; the
stepping stops there, and the run reports the req/s of the step before it and of it.
Then the sustained run: ``--minutes`` at the user count of the last step below the
limit (none if the first step is past it). Every request whose status is not
the expected one is an error (a 4xx or 5xx always; a 200 where a 304 is due; a 409 on a
filing). After the run the log of gunicorn and the app is searched for "database is
locked". The run fails on any error or any such line. Locust runs in its own process
(``load_users.py``) on the same two cores as the service and the database, like wrk in
the other serving benchmarks: the CPU it used is printed per step.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

from checks import _identifiers, _token
from common import (
    ACTOR,
    OUT,
    PG_URL,
    Timer,
    context_for,
    fresh_database,
    load_dataset,
    publish_listings,
    write_dataset,
)
from serving import gunicorn

LOCKED = "database is locked"
HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url", default="sqlite", help="sqlite, postgresql (BENCH_PG_URL), or a URL"
    )
    parser.add_argument("--entities", type=int, default=300_000)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--listings", type=int, default=6_000)
    parser.add_argument("--applications", type=int, default=3_000, help="repair targets")
    parser.add_argument("--steps", default="8,16,32,64,128,256,512,1024", help="users per step")
    parser.add_argument("--step-seconds", type=int, default=60)
    parser.add_argument("--warmup-seconds", type=int, default=15, help="before the steps")
    parser.add_argument("--minutes", type=float, default=10, help="the sustained run")
    parser.add_argument("--p99-limit-ms", type=float, default=200)
    args = parser.parse_args()
    entity_csv, record_csv = write_dataset(args.entities, args.records)
    kind = "sqlite" if args.database_url.startswith("sqlite") else "postgresql"
    pg_url = PG_URL if args.database_url == "postgresql" else args.database_url
    started = time.monotonic()
    with fresh_database(kind, *([] if kind == "sqlite" else [pg_url])) as url:
        passed = _run(kind, url, args, entity_csv, record_csv)
    print(f"\n  whole run: {time.monotonic() - started:.0f} s")
    sys.exit(0 if passed else 1)


def _run(kind: str, url: str, args, entity_csv: Path, record_csv: Path) -> bool:  # type: ignore[no-untyped-def]
    ctx = context_for(url)
    with Timer() as build:
        load_dataset(ctx, entity_csv, record_csv)
        listed = publish_listings(ctx, args.listings)
        regulator, checker = _token(ctx, "regulator"), _token(ctx, "checker")
        targets = _repair_targets(ctx, regulator, args.applications)
    print(
        f"[{kind}] {args.entities:,} entities, {args.records:,} penalty records, "
        f"{len(listed):,} listings, {len(targets):,} repair targets of "
        f"{len({owner for owner, _, _ in targets}):,} enterprise accounts; "
        f"built in {build.seconds:.0f} s"
    )
    plan = _plan(args, entity_csv, listed, regulator, checker, targets)
    ctx.close()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    with tempfile.TemporaryDirectory(dir=OUT, prefix="load-data-") as data_dir:
        log = OUT / f"load-{kind}-{stamp}.log"
        env = {
            "DATABASE_URL": url,
            "DATA_DIR": data_dir,  # evidence files and the rate limiter's counts
            "RATELIMIT_PUBLIC": "100000000 per minute",  # every visitor is 127.0.0.1
            "LOG_LEVEL": "WARNING",
        }
        with gunicorn(env, log=log) as base:
            result = _locust({**plan, "base": base}, Path(data_dir))
    locked = sum(LOCKED in line for line in log.read_text(errors="replace").splitlines())
    (OUT / f"load-{kind}-{stamp}.json").write_text(json.dumps(result, ensure_ascii=False))
    return _report(result, args.p99_limit_ms, locked, log)


def _repair_targets(ctx, regulator: str, wanted: int) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    """(owner's identifier, token, "record:<id>") for up to ``wanted`` penalty records
    whose repair could be applied for today (the service's own eligibility check), with
    an account for each owner: registered pending, its binding approved by the
    regulator, then a token."""
    from sqlalchemy import select

    from credit_service.auth import accounts, tokens
    from credit_service.auth import services as auth_services
    from credit_service.entities.models import Entity
    from credit_service.records.models import CreditRecord
    from credit_service.repair import services as repair_services

    today = ctx.today()
    with ctx.read_session_factory() as session:
        candidates = session.execute(
            select(CreditRecord.id, Entity.identifier)
            .join(Entity, Entity.id == CreditRecord.entity_id)
            .where(
                Entity.kind != "natural_person",
                CreditRecord.category == "dishonest",
                CreditRecord.status == "active",
                CreditRecord.early_stop_allowed,
                CreditRecord.publicity_end >= today,
                CreditRecord.repair_from <= today,
            )
            .order_by(CreditRecord.id)
            .limit(wanted * 3)
        ).all()
    targets: list[tuple[str, str]] = []
    for record_id, identifier in candidates:
        target = f"record:{record_id}"
        if repair_services.check_eligibility(ctx, ACTOR, target)["eligible"]:
            targets.append((identifier, target))
        if len(targets) == wanted:
            break
    approver = tokens.authenticate_token(ctx, regulator, source_ip="127.0.0.1")
    secrets: dict[str, str] = {}
    for identifier in dict.fromkeys(i for i, _ in targets):
        username = f"load-{identifier}"
        auth_services.create_user(
            ctx,
            ACTOR,
            username=username,
            display_name="负载测试企业",
            role="enterprise",
            uscc=identifier,
            binding_status="pending",
        )
        accounts.approve_binding(ctx, approver, username)
        secrets[identifier] = tokens.create_token(
            ctx, ACTOR, username=username, name="load test"
        ).secret
    return [(identifier, secrets[identifier], target) for identifier, target in targets]


def _plan(args, entity_csv: Path, listed, regulator: str, checker: str, targets) -> dict:  # type: ignore[no-untyped-def]
    """What the load generator needs: who asks, about whom, and the steps."""
    rng = random.Random(21)  # nosec B311
    applicants = {owner for owner, _, _ in targets}
    with open(entity_csv, encoding="utf-8", newline="") as handle:
        rows = csv.DictReader(handle)
        others = [r["identifier"] for r in rows if r["identifier"] not in applicants]
    pool = _identifiers(entity_csv)
    named = rng.sample(listed, min(200, len(listed)))
    return {
        "regulator": regulator,
        "checker": checker,
        "identifiers": rng.sample(pool, min(5_000, len(pool))),
        "fragments": sorted({quote(name[2:5]) for _, name, _ in named}),
        "regions": sorted({region for _, _, region in listed}),
        # penalties filed during the run: about entities that apply for no repair (a
        # heavier penalty filed meanwhile would make their applications ineligible)
        "filing_entities": [{"identifier": i} for i in rng.sample(others, min(2_000, len(others)))],
        "applications": [(token, target) for _, token, target in targets],
        "steps": [int(n) for n in args.steps.split(",")],
        "step_seconds": args.step_seconds,
        "warmup_seconds": args.warmup_seconds,
        "minutes": args.minutes,
        "p99_limit_ms": args.p99_limit_ms,
    }


def _locust(plan: dict, folder: Path) -> dict:
    """``load_users.py`` on the plan, in its own process; its result. Bounded in time:
    the steps, the sustained run and a margin for starting the users."""
    plan_path, result_path = folder / "plan.json", folder / "result.json"
    plan_path.write_text(json.dumps(plan, ensure_ascii=False), encoding="utf-8")
    limit = len(plan["steps"]) * (plan["step_seconds"] + 60) + plan["minutes"] * 60
    limit += plan["warmup_seconds"] + 120
    print(
        f"  locust: steps of {plan['step_seconds']} s at {plan['steps']} users until p99 "
        f"passes {plan['p99_limit_ms']:.0f} ms, then {plan['minutes']:g} min sustained"
    )
    command = [sys.executable, str(HERE / "load_users.py"), str(plan_path), str(result_path)]
    subprocess.run(command, check=True, timeout=limit)
    return json.loads(result_path.read_text(encoding="utf-8"))


def _report(result: dict, limit_ms: float, locked: int, log: Path) -> bool:
    """Print the steps, the saturation point, p99 per type and step, the sustained run
    per type, the errors and the log's verdict; whether the run passed."""
    steps, sustained = result["steps"], result["sustained"]
    print("\n  step load, each step measured alone (all request types together):")
    print(
        f"  {'users':>6} {'req/s':>8} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'errors':>7} "
        f"{'locust CPU':>11} {'machine CPU':>12}"
    )
    for step in steps:
        total = step["total"]
        print(
            f"  {step['users']:>6} {total['rps']:>8,.0f} {total['p50_ms']:>7.0f} "
            f"{total['p95_ms']:>7.0f} {total['p99_ms']:>7.0f} {total['failures']:>7} "
            f"{step['generator_cpu']:>11.0%} {step['machine_cpu']:>12.0%}"
        )
    print(_saturation(steps, limit_ms))
    names = sorted({name for step in steps for name in step["types"]})
    print("\n  p99 (ms) per request type and step (users):")
    print(f"  {'':<30}" + "".join(f"{step['users']:>7}" for step in steps))
    for name in names:
        cells = (_ms(step["types"].get(name), "p99_ms", 7) for step in steps)
        print(f"  {name:<30}" + "".join(cells))
    if sustained:
        _per_type(sustained)
    elif steps[0]["total"]["p99_ms"] > limit_ms:
        print("\n  no sustained run: the first step was already past the limit")
    else:
        print("\n  no sustained run (--minutes 0)")
    failures = result["failures"]
    print(f"\n  errors over the whole run: {sum(f['count'] for f in failures)}")
    for failure in failures:
        print(f"    {failure['type']}: {failure['error']} ×{failure['count']}")
    for what, count in result["counters"].items():
        print(f"  {what}: {count}")
    print(f'  "{LOCKED}" in the log of gunicorn and the app: {locked} ({log})')
    passed = not failures and locked == 0
    print(f"  {'PASS' if passed else 'FAIL'}  no error, no {LOCKED!r}")
    return passed


def _saturation(steps: list[dict], limit_ms: float) -> str:
    over = next((i for i, s in enumerate(steps) if s["total"]["p99_ms"] > limit_ms), None)
    if over is None:
        last = steps[-1]
        return (
            f"  no step passed p99 {limit_ms:.0f} ms, up to {last['users']} users "
            f"({last['total']['rps']:,.0f} req/s)"
        )
    after = steps[over]
    passed = (
        f"{after['total']['rps']:,.0f} req/s ({after['users']} users, p99 "
        f"{after['total']['p99_ms']:.0f} ms)"
    )
    if over == 0:
        return f"  first saturation point: already the first step, {passed}"
    before = steps[over - 1]
    return (
        f"  first saturation point (p99 > {limit_ms:.0f} ms): between "
        f"{before['total']['rps']:,.0f} req/s ({before['users']} users, p99 "
        f"{before['total']['p99_ms']:.0f} ms) and {passed}"
    )


def _per_type(phase: dict) -> None:
    total = phase["total"]
    print(
        f"\n  sustained: {phase['users']} users for {phase['seconds']:.0f} s, "
        f"{total['rps']:,.0f} req/s (locust {phase['generator_cpu']:.0%} of a core, "
        f"machine {phase['machine_cpu']:.0%})"
    )
    print(
        f"  {'request type':<30} {'share':>6} {'requests':>9} {'req/s':>7} {'p50 ms':>7} "
        f"{'p95 ms':>7} {'p99 ms':>7} {'errors':>7}"
    )
    rows = sorted(phase["types"].items(), key=lambda item: -item[1]["requests"])
    for name, entry in [*rows, ("all", total)]:
        share = entry["requests"] / max(total["requests"], 1)
        latencies = "".join(_ms(entry, p, 8) for p in ("p50_ms", "p95_ms", "p99_ms"))
        print(
            f"  {name:<30} {share:>6.1%} {entry['requests']:>9,} {entry['rps']:>7,.1f}"
            f"{latencies} {entry['failures']:>7}"
        )


def _ms(entry: dict | None, key: str, width: int) -> str:
    """A latency in whole milliseconds, or a dash for a type without requests."""
    return f"{entry[key]:>{width}.0f}" if entry and entry["requests"] else f"{'–':>{width}}"


if __name__ == "__main__":
    main()
