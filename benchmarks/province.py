"""Province-scale benchmark of issue 21, on PostgreSQL, in stages that can resume.

    .venv/bin/python benchmarks/province.py --entities 7000000 --records 20000000   # all stages
    .venv/bin/python benchmarks/province.py --entities 100000 --records 300000 --stage disk
    .venv/bin/python benchmarks/province.py --extrapolate 100000:300000 300000:1000000

Stages, each recorded in ``benchmarks/out/province-<E>-<R>/results.json`` as it ends and
skipped when the file says it is done (``--redo STAGE`` runs one again):

- ``generate``: the synthetic entities and 双公示 penalty records (``write_dataset``).
- ``load``: the service's own importers into a database of its own (``province_<E>_<R>``),
  validating every row and writing the events and tiers, beside ``bare``: the same rows
  inserted with no validation (the limit). Rows/s, elapsed, peak RSS.
- ``disk``: the database's size and each table's (indexes included), per entity and per
  record, so that a bigger run can be sized before it is started.
- ``recompute``: the nightly full tier recompute.
- ``serve``: the database vacuumed and analyzed first (as ``deploy.md`` has it after a
  bulk load), then gunicorn (2 workers, or ``--workers``) and wrk at 32 connections:
  ``/healthz`` as the constant endpoint, the tier lookup, a single credit check, the
  public list search with ``--published`` entries (200,000: five searches in turn,
  which each worker soon keeps in memory, then the search by name with 4,000 different
  fragments, which it cannot, and with 2,000 different pairs of characters, half of them
  in no listed name), 30 batch credit checks of 1,000 and the full public CSV
  download; beside the bare SQL of a lookup by identifier, timed in this process.
- ``backup``: ``flask backup create``'s function into ``backup/`` of the run's folder
  (pg_dump and every table's digest, read in one snapshot while the dump runs).
- ``restore``: the restore drill: the run's database dropped and created empty, the backup
  restored into it (``flask backup restore``'s function: pg_restore in one transaction,
  then every table's digest compared with the manifest), then ``flask audit verify``.
  The database is restored over itself because the machine's disk does not hold two
  copies of the province set; the digests prove the copy equal to what was dumped.

``--extrapolate`` reads the ``disk`` results of two smaller runs and fits bytes per
entity and per record (a line through both), then says whether the free disk of the
database's file system holds the full province set.

Targets on the reference machine (2 cores): the whole load <= 60 min; the full recompute
<= 15 min; tier lookup and credit check p99 <= 50 ms at 32 connections; public search p99
<= 100 ms; a batch of 1,000 <= 1 s.
"""

from __future__ import annotations

import argparse
import importlib
import json
import shutil
import time
from pathlib import Path

from common import (
    ACTOR,
    OUT,
    MemorySampler,
    Timer,
    context_for,
    peak_rss_mb,
    reset_peak_rss,
    resident_mb,
    write_dataset,
)
from sqlalchemy import text

from credit_service.db import make_engine

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PROVINCE = (7_000_000, 20_000_000)
# the bare insert before the load: its schema is dropped after it, and beside the loaded
# province database the disk does not hold it
STAGES = ("generate", "bare", "load", "disk", "recompute", "serve", "backup", "restore")
NEEDS_LOAD = ("disk", "recompute", "serve", "backup")
TARGETS = {
    "load_minutes": 60,
    "recompute_minutes": 15,
    "lookup_p99_ms": 50,
    "check_p99_ms": 50,
    "search_p99_ms": 100,
    "batch_ms": 1000,
}


class Results:
    """The run's results file: one entry per finished stage."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / "results.json"
        self.data = json.loads(self.path.read_text()) if self.path.exists() else {}

    def done(self, stage: str) -> bool:
        return stage in self.data

    def save(self, stage: str, values: dict) -> None:
        self.data[stage] = {**values, "finished_at": time.strftime("%Y-%m-%d %H:%M:%S")}
        self.path.write_text(json.dumps(self.data, indent=2, ensure_ascii=False))
        print(f"[{stage}] {json.dumps(values, ensure_ascii=False)}")


def database_url(name: str, *, create: bool = False) -> str:
    """The run's own database (created and migrated on first use)."""
    created = _create_database(name, drop=create)
    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    if created:
        from common import _migrate

        _migrate(url)
    return url


def _create_database(name: str, *, drop: bool) -> bool:
    """Create the database ``name`` (empty) unless it exists; ``drop`` drops it first.
    True if it was created."""
    admin = make_engine(ADMIN_URL).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
        ).first()
        if drop and exists:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        if drop or not exists:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return drop or not exists


def stage_generate(args, results: Results) -> None:  # type: ignore[no-untyped-def]
    with Timer() as timer:
        entity_csv, record_csv = write_dataset(args.entities, args.records)
    results.save(
        "generate",
        {
            "entity_csv": str(entity_csv),
            "record_csv": str(record_csv),
            "seconds": round(timer.seconds, 1),
            "csv_mb": round((entity_csv.stat().st_size + record_csv.stat().st_size) / 1e6),
        },
    )


def stage_load(args, results: Results) -> None:  # type: ignore[no-untyped-def]
    """The service's importers, as ``flask entities import`` / ``records import`` run them."""
    from credit_service.entities.importer import import_entities
    from credit_service.records.importer import import_records

    files = results.data["generate"]
    ctx = context_for(database_url(args.database, create=True), data_dir=args.data_dir)
    peak_of = "load" if reset_peak_rss() else "process"  # not the generation's, run before
    resident_before = resident_mb()
    with MemorySampler() as memory, Timer() as total:
        with open(files["entity_csv"], encoding="utf-8", newline="") as stream, Timer() as t_e:
            entities = import_entities(ctx, ACTOR, stream, workers=ctx.settings.import_workers)
        with open(files["record_csv"], encoding="utf-8", newline="") as stream, Timer() as t_r:
            records = import_records(ctx, ACTOR, stream, workers=ctx.settings.import_workers)
    ctx.close()
    rows = entities.created + records.created
    results.save(
        "load",
        {
            "entities": entities.created,
            "records": records.created,
            "invalid": entities.invalid + records.invalid,
            "entities_s": round(t_e.seconds, 1),
            "records_s": round(t_r.seconds, 1),
            "minutes": round(total.seconds / 60, 1),
            "rows_per_s": round(rows / total.seconds),
            "peak_rss_mb": round(max(peak_rss_mb(), memory.peak_total_mb)),
            "peak_rss_of": peak_of,
            "rss_before_mb": round(resident_before),
        },
    )


def stage_bare(args, results: Results) -> None:  # type: ignore[no-untyped-def]
    """The limit: the same rows, no validation, no events, no tiers (``import.py``'s)."""
    bare = importlib.import_module("import")
    files = results.data["generate"]
    outcome = bare.run_bare("postgresql", files["entity_csv"], files["record_csv"])
    seconds = outcome["entities_s"] + outcome["records_s"]
    rows = outcome["entities"] + outcome["records"]
    results.save("bare", {**outcome, "rows_per_s": round(rows / seconds)})


def stage_disk(args, results: Results) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(database_url(args.database))
    with engine.connect() as connection:
        total = connection.execute(text("SELECT pg_database_size(current_database())")).scalar()
        tables = connection.execute(
            text(
                "SELECT c.relname, pg_total_relation_size(c.oid) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind = 'r' AND n.nspname = 'public' ORDER BY 2 DESC"
            )
        ).all()
    engine.dispose()
    results.save(
        "disk",
        {
            "entities": args.entities,
            "records": args.records,
            "database_bytes": total,
            "tables_mb": {name: round(size / 1e6, 1) for name, size in tables if size > 1e6},
        },
    )


def stage_recompute(args, results: Results) -> None:  # type: ignore[no-untyped-def]
    from credit_service.tiers import services as tier_services

    ctx = context_for(database_url(args.database), data_dir=args.data_dir)
    with Timer() as timer:
        tier_services.apply_rule_set(ctx, ACTOR)
    ctx.close()
    results.save("recompute", {"minutes": round(timer.seconds / 60, 2)})


def stage_serve(args, results: Results) -> None:  # type: ignore[no-untyped-def]
    serve = importlib.import_module("province_serve")
    url = database_url(args.database)
    results.save(serve_key(args.workers), serve.measure(url, results.data["generate"], args))


def serve_key(workers: int) -> str:
    """Where a serve run is kept: ``serve`` with 2 gunicorn workers (every run before
    had 2), ``serve_<N>_workers`` otherwise, so that both stay side by side."""
    return "serve" if workers == 2 else f"serve_{workers}_workers"


def stage_backup(args, results: Results) -> None:  # type: ignore[no-untyped-def]
    from credit_service.audit.sealing import seal_log
    from credit_service.backup.operations import create_backup

    folder = results.path.parent / "backup"
    shutil.rmtree(folder, ignore_errors=True)
    url = database_url(args.database)
    ctx = context_for(url, data_dir=args.data_dir)
    seal_log(ctx)  # as the scheduler's seal job leaves a live log: the restore verifies it
    with Timer() as timer:
        created = create_backup(ctx, ACTOR, folder)
    ctx.close()
    dump = folder / created.manifest.database_file
    results.save(
        "backup",
        {
            "minutes": round(timer.seconds / 60, 1),
            "phases_s": created.manifest.timings,
            "tables": len(created.manifest.tables),
            "rows": created.manifest.rows,
            "dump_mb": round(dump.stat().st_size / 1e6),
        },
    )


def stage_restore(args, results: Results) -> None:  # type: ignore[no-untyped-def]
    from credit_service.audit.verification import verify_log
    from credit_service.backup.operations import restore_backup

    run = results.path.parent
    url = database_url(args.database)
    ctx = context_for(url, data_dir=args.data_dir)
    ctx.close()  # nothing may hold the database while it is dropped and restored
    _create_database(args.database, drop=True)
    data_dir = run / "restored-data"
    shutil.rmtree(data_dir, ignore_errors=True)
    with Timer() as timer:
        restored = restore_backup(ctx, ACTOR, run / "backup", database_url=url, data_dir=data_dir)
    restored_ctx = context_for(url, data_dir=args.data_dir)
    with Timer() as verifying:
        verification = verify_log(restored_ctx)
    restored_ctx.close()
    results.save(
        "restore",
        {
            "minutes": round(timer.seconds / 60, 1),
            "phases_s": restored.timings,
            "digests_match": restored.ok,
            "mismatches": len(restored.mismatches),
            "audit_verify_s": round(verifying.seconds, 1),
            "audit_intact": not verification.findings,
            "audit_rows_checked": verification.checked,
        },
    )


def extrapolate(runs: list[str]) -> None:
    """Bytes per entity and per record from two runs' ``disk`` results, and what the
    province set would need against the free disk of PostgreSQL's file system."""
    points = []
    for run in runs:
        entities, records = (int(n) for n in run.split(":"))
        disk = Results(OUT / f"province-{entities}-{records}").data.get("disk")
        if disk is None:
            raise SystemExit(f"no disk stage for {run}: run it with --stage disk first")
        points.append((entities, records, disk["database_bytes"]))
    (e1, r1, b1), (e2, r2, b2) = points
    # Both runs keep the same ratio of records to entities, so one size per run fixes a
    # line: bytes = fixed + per_row * (entities + records).
    per_row = (b2 - b1) / ((e2 + r2) - (e1 + r1))
    fixed = b1 - per_row * (e1 + r1)
    need = fixed + per_row * sum(PROVINCE)
    free = shutil.disk_usage("/var/lib/postgresql").free
    print(
        f"  per row (an entity or a record, events and indexes included): {per_row:,.0f} bytes;"
        f" fixed {fixed / 1e6:,.0f} MB\n"
        f"  {PROVINCE[0]:,} entities + {PROVINCE[1]:,} records: {need / 1e9:,.1f} GB; "
        f"free on the database's disk: {free / 1e9:,.1f} GB "
        f"({'fits' if need < free * 0.8 else 'does NOT fit with 20 % to spare'})"
    )


def _p99(serve: dict | None, load: str) -> float | None:
    """A load's p99 (the name searches: runs before them had none)."""
    if not serve or load not in serve:
        return None
    return serve[load]["p99_ms"]


def _whole_load(load: dict | None, sizes: tuple[int, int]) -> tuple[str, float | None]:
    """The load's target line: a run of fewer than the province's ``sizes`` (entities,
    records asked for) is scaled to it at the rows it loaded and the run's own rates,
    and says so, since its own minutes would pass a target meant for 7,000,000 +
    20,000,000 rows."""
    if not load or not (load["entities"] and load["records"]):  # nothing to scale from
        return "whole load (min)", None
    if sizes[0] >= PROVINCE[0] and sizes[1] >= PROVINCE[1]:
        return "whole load (min)", load["minutes"]
    seconds = load["entities_s"] * PROVINCE[0] / load["entities"]
    seconds += load["records_s"] * PROVINCE[1] / load["records"]
    label = f"whole load, projected to {PROVINCE[0]:,} + {PROVINCE[1]:,} rows (min)"
    return label, round(seconds / 60, 1)


def verdicts(data: dict, sizes: tuple[int, int]) -> None:
    """Each measured figure of a run of ``sizes`` (entities, records) against its target
    (a stage not run says so)."""
    load, recompute = data.get("load"), data.get("recompute")
    for stage in ("backup", "restore"):
        if stage in data:
            print(f"  {stage}: {data[stage]['minutes']} min (no target)")
    rows = [
        (*_whole_load(load, sizes), TARGETS["load_minutes"]),
        ("full recompute (min)", recompute and recompute["minutes"], TARGETS["recompute_minutes"]),
    ]
    runs = [key for key in data if key.startswith("serve")] or ["serve"]
    for key in runs:
        serve, run = data.get(key), f"{key}: "
        rows += [
            (
                f"{run}tier lookup p99 (ms)",
                serve and serve["lookup"]["p99_ms"],
                TARGETS["lookup_p99_ms"],
            ),
            (
                f"{run}credit check p99 (ms)",
                serve and serve["check"]["p99_ms"],
                TARGETS["check_p99_ms"],
            ),
            (
                f"{run}public search p99 (ms)",
                serve and serve["search"]["p99_ms"],
                TARGETS["search_p99_ms"],
            ),
            (
                f"{run}public name search, uncached, p99 (ms)",
                _p99(serve, "name_search_uncached"),
                TARGETS["search_p99_ms"],
            ),
            (
                f"{run}public name search, two characters, p99 (ms)",
                _p99(serve, "name_search_short"),
                TARGETS["search_p99_ms"],
            ),
            (f"{run}batch of 1,000 median (ms)", serve and serve["batch_ms"], TARGETS["batch_ms"]),
        ]
    print("  targets:")
    for label, value, limit in rows:
        if value is None:
            print(f"    ----  {label}: not measured in this run")
        else:
            verdict = "PASS" if value <= limit else "MISS"
            print(f"    {verdict}  {label}: {value} (limit {limit}; {value / limit:.2f}x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entities", type=int, default=PROVINCE[0])
    parser.add_argument("--records", type=int, default=PROVINCE[1])
    parser.add_argument("--published", type=int, default=200_000)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument(
        "--workers",
        type=int,
        default=2,
        help="gunicorn workers of the serve stage (docs/deploy.md runs about 2 per core: 4 "
        "on this machine); a run with other than 2 is kept as serve_<N>_workers",
    )
    parser.add_argument("--stage", choices=(*STAGES, "all"), default="all")
    parser.add_argument("--redo", choices=STAGES, action="append", default=[])
    parser.add_argument("--extrapolate", nargs=2, metavar="E:R")
    args = parser.parse_args()
    if args.extrapolate:
        extrapolate(args.extrapolate)
        return
    args.database = f"province_{args.entities}_{args.records}"
    results = Results(OUT / f"province-{args.entities}-{args.records}")
    # the run's own audit key and checkpoint copies: another run's would not verify here
    args.data_dir = results.path.parent / "data"
    # the files first; once, so that a run of the generate stage keeps its own timing
    wanted = STAGES if args.stage == "all" else tuple(dict.fromkeys(("generate", args.stage)))
    for stage in wanted:
        if stage in NEEDS_LOAD and not results.done("load"):
            raise SystemExit(f"the {stage} stage needs the load stage first")
        if stage == "restore" and not results.done("backup"):
            raise SystemExit("the restore stage needs the backup stage first")
        kept = serve_key(args.workers) if stage == "serve" else stage
        if results.done(kept) and stage not in args.redo and stage != args.stage:
            print(f"[{kept}] done {results.data[kept]['finished_at']}: skipped")
            continue
        globals()[f"stage_{stage}"](args, results)
    verdicts(results.data, (args.entities, args.records))


if __name__ == "__main__":
    main()
