"""Benchmark helpers: fresh databases, data-set files, timing and peak memory."""

from __future__ import annotations

import csv
import os
import random
import resource
import secrets
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from alembic import command  # noqa: E402

from credit_service.access import Actor  # noqa: E402
from credit_service.bootstrap import build_context  # noqa: E402
from credit_service.catalogs import services as catalog_services  # noqa: E402
from credit_service.catalogs.loader import load_catalog_set  # noqa: E402
from credit_service.config import Settings  # noqa: E402
from credit_service.context import Context  # noqa: E402
from credit_service.db import make_engine  # noqa: E402
from credit_service.demo import generator  # noqa: E402
from credit_service.entities import importer as entity_importer  # noqa: E402
from credit_service.health import alembic_config  # noqa: E402
from credit_service.records import layouts  # noqa: E402

OUT = ROOT / "benchmarks" / "out"
PG_URL = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
ACTOR = Actor(role="admin", username="benchmark", via="cli")


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB.

    Read from /proc (VmHWM) rather than getrusage: ru_maxrss survives fork and exec, so a
    child would report its parent's peak.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak_rss() -> bool:
    """Start this process's peak (VmHWM) again from what it holds now: a stage that follows
    another in the same process (``province.py``'s load after its generation) must not
    report the earlier stage's peak as its own. What the earlier stage left resident
    still counts (``resident_mb``). False: the kernel refused (before Linux 4.0), and
    the peak is still the whole process's."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def resident_mb() -> float:
    """Resident memory of this process now, in MB."""
    return _rss_mb(os.getpid())


def peak_child_rss_mb() -> float:
    """Peak resident memory of the largest finished child process (import workers), in MB."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


@contextmanager
def fresh_database(kind: str, pg_url: str = PG_URL) -> Iterator[str]:
    """A migrated, empty database (a new SQLite file, or a new schema in the PostgreSQL
    database ``pg_url``), removed after."""
    OUT.mkdir(parents=True, exist_ok=True)
    if kind == "sqlite":
        path = OUT / f"bench-{secrets.token_hex(4)}.db"
        url = f"sqlite:///{path}"
        _migrate(url)
        try:
            yield url
        finally:
            for suffix in ("", "-wal", "-shm", "-writers"):  # -writers: db.QueuedWriter's
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    schema = f"bench_{secrets.token_hex(4)}"
    admin = make_engine(pg_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{pg_url}?options=-csearch_path%3D{schema}"
    try:
        _migrate(url)
        yield url
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _migrate(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    engine.dispose()


def context_for(url: str, **overrides: object) -> Context:
    settings = Settings(database_url=url, catalogs_autoload=False, **overrides)
    ctx = build_context(settings)
    catalog_services.register_catalogs(ctx)
    return ctx


def write_dataset(entities: int, records: int, seed: int = 42) -> tuple[Path, Path]:
    """Entity CSV and 双公示 penalty CSV of the stated sizes (cached by size and seed)."""
    OUT.mkdir(parents=True, exist_ok=True)
    entity_path = OUT / f"entities-{entities}-{seed}.csv"
    record_path = OUT / f"records-{records}-{seed}.csv"
    if entity_path.exists() and record_path.exists():
        return entity_path, record_path
    catalogs = load_catalog_set(ROOT / "catalogs")
    parties = (
        _parties(entity_path)
        if entity_path.exists()
        else _write_entities(entity_path, entities, seed, catalogs)
    )
    penalty_items = [
        i for c in catalogs.catalogs.values() for i in c.items if i.record_type == "penalty"
    ]
    with open(record_path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=layouts.DSGS_COLUMNS)
        writer.writeheader()
        for record in generator.generate_records(parties, records, seed, penalty_items):  # type: ignore[arg-type]
            writer.writerow(dsgs_row(record))
    return entity_path, record_path


def _write_entities(path: Path, entities: int, seed: int, catalogs: Any) -> list[Party]:
    parties: list[Party] = []  # streamed: a province's 7,000,000 full rows would not fit
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=entity_importer.COLUMNS)
        writer.writeheader()
        for entity in generator.generate_entities(entities, seed, catalogs):
            writer.writerow(entity.row)
            parties.append(Party(entity.row))
    return parties


def _parties(path: Path) -> list[Party]:
    """The parties of an entity file written before (for records of another size): read,
    not written again, so that a load reading the file meanwhile is not disturbed."""
    with open(path, encoding="utf-8", newline="") as handle:
        return [Party(row) for row in csv.DictReader(handle)]


class Party:
    """What a record's CSV row needs of its entity (``dsgs_row``), kept for every entity
    while the records are written: about 300 bytes where the full row took 1.5 KB."""

    __slots__ = ("identifier", "kind", "name", "legal_representative")

    def __init__(self, row: dict[str, str]) -> None:
        self.identifier, self.kind = row["identifier"], row["kind"]
        self.name, self.legal_representative = row["name"], row["legal_representative"]

    @property
    def row(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in self.__slots__}


def dsgs_row(record: dict) -> dict[str, str]:
    party = record["party"]
    natural = party["kind"] == "natural_person"
    row = {
        "CF_XDR_MC": party["name"],
        "CF_XDR_LB": "自然人"
        if natural
        else ("个体工商户" if party["kind"] == "individual_business" else "法人及非法人组织"),
        "CF_XDR_SHXYM": "" if natural else party["identifier"],
        "CF_XDR_ZJHM": party["identifier"] if natural else "",
        "CF_FRDB": party.get("legal_representative", ""),
        "ITEM_CODE": record["item_code"],
    }
    for key, value in record["fields"].items():
        row[key] = ";".join(value) if isinstance(value, list) else str(value)
    return row


def load_dataset(ctx, entity_csv: Path, record_csv: Path) -> None:  # type: ignore[no-untyped-def]
    """The data set through the service's own importers, then the tier rules applied:
    the city the serving benchmarks measure."""
    # Imported here: the import benchmark's spawned workers import this module, and
    # must not load the ORM.
    from credit_service.entities.importer import import_entities
    from credit_service.records.importer import import_records
    from credit_service.tiers import services as tier_services

    with open(entity_csv, encoding="utf-8", newline="") as stream:
        import_entities(ctx, ACTOR, stream, workers=ctx.settings.import_workers)
    with open(record_csv, encoding="utf-8", newline="") as stream:
        import_records(ctx, ACTOR, stream, workers=ctx.settings.import_workers)
    tier_services.apply_rule_set(ctx, ACTOR)


def publish_listings(ctx, wanted: int) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    """One published listing for each of ``wanted`` organisations with a penalty record,
    with its feed row: (identifier, name, region) of each listed entity."""
    # Imported here: the import benchmark's spawned workers import this module, and
    # must not load the ORM.
    from sqlalchemy import func, select

    from credit_service.bulk import bulk_insert
    from credit_service.dishonesty.models import DishonestyCase, ListChange
    from credit_service.entities.models import Entity
    from credit_service.records.models import CreditRecord

    rng = random.Random(11)  # nosec B311
    today = ctx.today()
    with ctx.session_factory.begin() as session:
        chosen = session.execute(
            select(
                Entity.id,
                Entity.identifier,
                Entity.name,
                Entity.region_code,
                func.min(CreditRecord.id),
                func.min(CreditRecord.domain),
            )
            .join(CreditRecord, CreditRecord.entity_id == Entity.id)
            .where(Entity.kind == "organisation")
            .group_by(Entity.id, Entity.identifier, Entity.name, Entity.region_code)
            .order_by(Entity.id)
            .limit(wanted)
        ).all()
        now, measures = ctx.now(), list(ctx.list_rules.measures)
        cases = []
        for n, (entity_id, _, name, region, record_id, domain) in enumerate(chosen, 1):
            decided = today - timedelta(days=rng.randrange(30, 1000))
            cases.append(
                {
                    "entity_id": entity_id,
                    "region_code": region,
                    "search_name": name,  # organisations only, as chosen
                    "state": "published",
                    "grounds": ["intentional_infringement"],
                    "record_ids": [record_id],
                    "domain": domain,
                    "proposal_reason": "基准测试数据",
                    "decision_no": f"宣市监信列〔{decided.year}〕{n}号",
                    "decided_on": decided,
                    "published_on": decided + timedelta(days=10),
                    "term_ends_on": date(decided.year + 3, decided.month, min(decided.day, 28)),
                    "measures": measures,
                    "created_at": now,
                    "updated_at": now,
                    "statement_deadline_provisional": False,
                    "statement_waived": True,
                    "publication_deadline_provisional": False,
                    "version": 1,
                }
            )
        bulk_insert(session, DishonestyCase.__table__, cases)
        ids = session.execute(select(DishonestyCase.id, DishonestyCase.published_on)).all()
        bulk_insert(
            session,
            ListChange.__table__,
            [
                {"case_id": case_id, "kind": "added", "effective_on": on, "at": now}
                for case_id, on in ids
            ],
        )
    if ctx.engine.dialect.name == "postgresql":  # as autovacuum would, soon after, in service
        with ctx.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql(
                "VACUUM (ANALYZE) dishonesty_cases, dishonesty_list_changes"
            )  # the visibility map too: the search's index-only page walk needs it
    return [(identifier, name, region) for _, identifier, name, region, _, _ in chosen]


class MemorySampler:
    """Samples the resident memory of this process and its children (import workers) in a
    background thread; ``peak_total_mb`` is the largest sum seen."""

    def __init__(self, interval: float = 0.2) -> None:
        self.interval, self.peak_total_mb = interval, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            pids = [os.getpid(), *_children(os.getpid())]
            self.peak_total_mb = max(self.peak_total_mb, sum(_rss_mb(p) for p in pids))


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class Timer:
    def __enter__(self) -> Timer:
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.start
