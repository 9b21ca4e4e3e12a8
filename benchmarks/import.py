"""Import benchmark: entities and 双公示 records from CSV into SQLite and PostgreSQL.

Prints rows/s, peak RSS and the ratio to a bare bulk insert of the same rows without
validation (the limit this machine and database allow). Each measurement runs in a
child process of its own, so peak RSS is that run's alone.

    .venv/bin/python benchmarks/import.py                      # 300,000 entities, 1,000,000 records
    .venv/bin/python benchmarks/import.py --entities 30000 --records 100000 --db sqlite
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

# The benchmark helpers and the service are imported inside the functions, not here: the
# importer's validating workers are spawned processes that re-import this script, and
# would otherwise load the whole service (about 35 MB each that a worker never needs).
ROOT = Path(__file__).resolve().parent.parent

TARGET_ROWS_PER_S = 20_000
TARGET_RATIO = 0.30
TARGET_RSS_MB = 300


def run_import(kind: str, entity_csv: str, record_csv: str) -> dict:
    """The service's importers, exactly as `flask entities import` / `records import`."""
    from common import ACTOR, MemorySampler, Timer, context_for, fresh_database, peak_rss_mb

    from credit_service.entities.importer import import_entities
    from credit_service.records.importer import import_records

    with fresh_database(kind) as url, MemorySampler() as memory:
        ctx = context_for(url)
        workers = ctx.settings.import_workers
        with open(entity_csv, encoding="utf-8", newline="") as stream, Timer() as t_entities:
            entity_report = import_entities(ctx, ACTOR, stream, workers=workers)
        with open(record_csv, encoding="utf-8", newline="") as stream, Timer() as t_records:
            record_report = import_records(ctx, ACTOR, stream, workers=workers)
        with open(record_csv, encoding="utf-8", newline="") as stream, Timer() as t_again:
            again = import_records(ctx, ACTOR, stream, workers=workers)
        ctx.engine.dispose()
    assert entity_report.invalid == 0 and record_report.invalid == 0, "benchmark data invalid"
    assert again.created == 0 and again.updated == 0, "re-import changed something"
    return {
        "entities": entity_report.created,
        "entities_s": t_entities.seconds,
        "records": record_report.created,
        "records_s": t_records.seconds,
        "reimport_s": t_again.seconds,
        "peak_rss_mb": peak_rss_mb(),
        "peak_total_mb": memory.peak_total_mb,
        "workers": workers,
    }


def run_bare(kind: str, entity_csv: str, record_csv: str) -> dict:
    """The limit: the same rows inserted in the same batches, with no validation at all."""
    from common import Timer, context_for, fresh_database, peak_rss_mb

    with fresh_database(kind) as url:
        ctx = context_for(url)
        now = datetime.now(UTC)
        with Timer() as t_entities:
            ids = _bare_entities(ctx, entity_csv, now)
        with Timer() as t_records:
            count = _bare_records(ctx, record_csv, ids, now)
        ctx.engine.dispose()
    return {
        "entities": len(ids),
        "entities_s": t_entities.seconds,
        "records": count,
        "records_s": t_records.seconds,
        "peak_rss_mb": peak_rss_mb(),
    }


def _bare_entities(ctx, path: str, now: datetime) -> dict[str, int]:
    from credit_service.entities.models import Entity

    batch, size = [], ctx.settings.import_batch_size
    with open(path, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            batch.append(
                {
                    "kind": row["kind"],
                    "identifier": row["identifier"],
                    "name": row["name"],
                    "former_names": [],
                    "region_code": row["region_code"],
                    "industry": row["industry"] or None,
                    "status": "active",
                    "content_hash": "",
                    "created_at": now,
                    "updated_at": now,
                }
            )
            if len(batch) >= size:
                _insert(ctx, Entity, batch)
                batch = []
    _insert(ctx, Entity, batch)
    with ctx.session_factory() as session:
        return dict(session.query(Entity.identifier, Entity.id).all())


def _bare_records(ctx, path: str, ids: dict[str, int], now: datetime) -> int:
    from credit_service.records.models import CreditRecord

    batch, size, count = [], ctx.settings.import_batch_size, 0
    with open(path, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            party = row["CF_XDR_SHXYM"] or row["CF_XDR_ZJHM"]
            fields = {k: v for k, v in row.items() if k.startswith("CF_") and v}
            batch.append(
                {
                    "entity_id": ids[party],
                    "catalog_item_id": 1,
                    "item_code": row["ITEM_CODE"],
                    "domain": "patent",
                    "category": "dishonest",
                    "disclosure": "public",
                    "source_authority": row["CF_CFJG"],
                    "source_ref": row["CF_WSH"],
                    "decision_date": datetime.fromisoformat(row["CF_JDRQ"]).date(),
                    "fields": fields,
                    "content_hash": "",
                    "filed_at": now,
                    "updated_at": now,
                    "heavier_penalty": False,
                    "early_stop_allowed": True,
                    "status": "active",
                    "revision": 1,
                    "revision_reason": "imported",
                }
            )
            if len(batch) >= size:
                count += _insert(ctx, CreditRecord, batch)
                batch = []
    return count + _insert(ctx, CreditRecord, batch)


def _insert(ctx, model, rows: list[dict]) -> int:
    """The same fast path the importers use (COPY / executemany), one transaction a batch."""
    from credit_service.bulk import bulk_insert

    with ctx.session_factory.begin() as session:
        return bulk_insert(session, model.__table__, rows)


def _child(mode: str, kind: str, entity_csv: str, record_csv: str) -> dict:
    completed = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            mode,
            "--db",
            kind,
            "--files",
            entity_csv,
            record_csv,
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if completed.returncode != 0:
        sys.exit(f"{mode} run on {kind} failed:\n{completed.stderr}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entities", type=int, default=300_000)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--db", default="sqlite,postgresql")
    parser.add_argument("--child", choices=("import", "bare"))
    parser.add_argument("--files", nargs=2)
    args = parser.parse_args()
    if args.child:
        run = run_import if args.child == "import" else run_bare
        print(json.dumps(run(args.db, *args.files)))
        return
    from common import write_dataset

    entity_csv, record_csv = (str(p) for p in write_dataset(args.entities, args.records))
    print(
        f"data set: {args.entities:,} entities, {args.records:,} 双公示 records "
        f"({entity_csv}, {record_csv})"
    )
    for kind in args.db.split(","):
        measured = _child("import", kind, entity_csv, record_csv)
        limit = _child("bare", kind, entity_csv, record_csv)
        _report(kind, measured, limit)


def _report(kind: str, measured: dict, limit: dict) -> None:
    rows = measured["entities"] + measured["records"]
    seconds = measured["entities_s"] + measured["records_s"]
    bare_rate = (limit["entities"] + limit["records"]) / (limit["entities_s"] + limit["records_s"])
    rate = rows / seconds
    print(f"\n[{kind}]")
    for label, n, s, b in (
        (
            "entities",
            measured["entities"],
            measured["entities_s"],
            limit["entities"] / limit["entities_s"],
        ),
        (
            "records",
            measured["records"],
            measured["records_s"],
            limit["records"] / limit["records_s"],
        ),
    ):
        print(
            f"  {label:<9} {n:>9,} rows in {s:7.1f} s = {n / s:>8,.0f} rows/s "
            f"(bare insert {b:>8,.0f} rows/s, ratio {n / s / b:.0%})"
        )
    print(
        f"  total     {rows:>9,} rows in {seconds:7.1f} s = {rate:>8,.0f} rows/s; "
        f"target >= {TARGET_ROWS_PER_S:,} ({rate / TARGET_ROWS_PER_S:.2f}x)"
    )
    print(
        f"  ratio to bare insert {rate / bare_rate:.0%}; target >= {TARGET_RATIO:.0%} "
        f"({rate / bare_rate / TARGET_RATIO:.2f}x)"
    )
    print(f"  re-import of the same records: {measured['reimport_s']:.1f} s, nothing changed")
    total = max(measured["peak_total_mb"], measured["peak_rss_mb"])
    print(
        f"  peak RSS {measured['peak_rss_mb']:.0f} MB importer; with its "
        f"{measured['workers']} validating worker(s) {total:.0f} MB; limit {TARGET_RSS_MB} MB "
        f"({total / TARGET_RSS_MB:.2f} of it); bare insert run {limit['peak_rss_mb']:.0f} MB"
    )


if __name__ == "__main__":
    main()
