"""Create, check and restore a backup: the database, the data folder and the manifest.

``create_backup`` dumps the database (consistent while the service runs), reads each
table's count and digest from what was dumped, packs the data folder, writes the
manifest and audits the act. ``restore_backup`` checks the files against the manifest
first and refuses a damaged backup, refuses a target that holds anything unless told to
write over it, restores, then reads the restored database's counts and digests and
compares them with the manifest: the caller reports each mismatch and fails on any.
Each phase is timed (monotonic seconds); the operator sees the times.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select

from credit_service import __version__
from credit_service.access import Actor
from credit_service.audit import services as audit
from credit_service.audit.models import AuditCheckpoint
from credit_service.backup import archive, digests, postgres, sqlite
from credit_service.backup.manifest import DATA_FILE, DATABASE_FILE, Manifest, refuse_if_damaged
from credit_service.backup.manifest import read as read_manifest
from credit_service.backup.manifest import write as write_manifest
from credit_service.config import Settings
from credit_service.context import Context
from credit_service.db import make_engine, make_session_factory
from credit_service.errors import CreditServiceError
from credit_service.files import private_dir, private_file
from credit_service.health import head_revision
from credit_service.held_connections import dispose
from credit_service.signing_keys import KEY_FILE, load_key_ring


class Stopwatch:
    """Seconds per phase, in the order the phases ran."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.phases: dict[str, float] = {}

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        began = time.monotonic()
        try:
            yield
        finally:
            self.phases[name] = round(time.monotonic() - began, 3)

    def done(self) -> dict[str, float]:
        return {**self.phases, "total": round(time.monotonic() - self.started, 3)}


def engine_of(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgresql"


@dataclass(frozen=True)
class Created:
    directory: Path
    manifest: Manifest
    manifest_sha256: str


def create_backup(ctx: Context, actor: Actor, directory: Path) -> Created:
    """Back the service up into ``directory`` (a new or empty folder, made 0700).

    :raises CreditServiceError: ``backup-folder-not-empty``, or the engine's own
        (``backup-tool-missing``, ``backup-tool-failed``, ``backup-database-missing``).
    """
    settings = ctx.settings
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise CreditServiceError("backup-folder-not-empty", directory=str(directory))
    private_dir(directory)
    engine = engine_of(settings.database_url)
    dumped = sqlite.dumped if engine == "sqlite" else postgres.dumped
    database_file = private_file(directory / DATABASE_FILE[engine])
    watch = Stopwatch()
    with watch.phase("database"), dumped(settings.database_url, database_file) as connection:
        manifest = Manifest(
            created_at=ctx.now().isoformat(),
            engine=engine,
            schema=digests.current_schema(connection),
            alembic_revision=digests.alembic_revision(connection),
            service_version=__version__,
            tables=digests.table_digests(connection),
            data={},
            audit=_audit_facts(connection),
        )
    left_out = archive.LeftOut.of(settings, directory)
    with watch.phase("data"):
        packed = archive.pack(left_out, directory / DATA_FILE)
    manifest.data = {
        "files": packed.files,
        "bytes": packed.bytes,
        "folder": str(left_out.root),
        "left_out": left_out.inside(),
    }
    with watch.phase("checksums"):
        manifest.add_file(database_file)
        manifest.add_file(directory / DATA_FILE)
    manifest.timings = watch.done()
    manifest_sha256 = write_manifest(directory, manifest)
    with ctx.session_factory.begin() as session:
        audit.append(
            session,
            actor=actor,
            action="backup.create",
            now=ctx.now(),
            object_type="backup",
            object_id=manifest_sha256[:16],
            details=_audited(directory, manifest),
        )
    return Created(directory, manifest, manifest_sha256)


def _audit_facts(connection: Connection) -> dict[str, Any]:
    """The audit log's last checkpoint and the ids of every key that signed one."""
    keys = connection.execute(select(AuditCheckpoint.key_id).distinct()).scalars()
    last = connection.execute(
        select(AuditCheckpoint.size, AuditCheckpoint.head).order_by(AuditCheckpoint.size.desc())
    ).first()
    return {
        "checkpoint_size": last.size if last else None,
        "checkpoint_head": last.head if last else None,
        "signing_key_ids": sorted(keys),
    }


def _audited(directory: Path, manifest: Manifest) -> dict[str, Any]:
    return {
        "directory": str(directory),
        "engine": manifest.engine,
        "alembic_revision": manifest.alembic_revision,
        "tables": len(manifest.tables),
        "rows": manifest.rows,
        "data_files": manifest.data["files"],
        "files": {name: f["sha256"] for name, f in manifest.files.items()},
    }


@dataclass(frozen=True)
class Note:
    """What the operator must also do after a restore, not an error: ``kind`` names it,
    ``params`` its values; the console says it in words (``web/cli_backup.py``)."""

    kind: str
    params: dict[str, Any]


@dataclass
class Restored:
    manifest: Manifest
    mismatches: list[digests.Mismatch]
    notes: list[Note] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.mismatches


def restore_backup(
    ctx: Context,
    actor: Actor,
    directory: Path,
    *,
    database_url: str,
    data_dir: Path,
    force: bool = False,
) -> Restored:
    """Restore the backup in ``directory`` into the database of ``database_url`` and the
    data folder ``data_dir``; ``force`` writes over a target that holds something (on
    PostgreSQL the backup's objects are dropped first, ``pg_restore --clean``).

    :raises CreditServiceError: ``backup-manifest-unreadable``, ``backup-damaged``,
        ``backup-engine-mismatch``, ``backup-schema-mismatch``,
        ``backup-target-not-empty``, or the engine's own.
    """
    watch = Stopwatch()
    manifest = read_manifest(directory)
    with watch.phase("verify"):
        refuse_if_damaged(directory, manifest)
    target = ctx.settings.replace(database_url=database_url, data_dir=data_dir)
    if engine_of(database_url) != manifest.engine:
        raise CreditServiceError(
            "backup-engine-mismatch", backup=manifest.engine, target=engine_of(database_url)
        )
    restore_database = _prepare_database(manifest, database_url, force=force)
    left_out = archive.LeftOut.of(target, directory)
    if archive.holds_files(left_out) and not force:
        raise CreditServiceError("backup-target-not-empty", target=str(left_out.root))
    with watch.phase("database"):
        restore_database(directory / manifest.database_file)
    with watch.phase("data"):
        archive.unpack(directory / DATA_FILE, left_out.root)
    with watch.phase("digests"), reading(database_url) as connection:
        restored = digests.table_digests(connection)
        revision = digests.alembic_revision(connection)
    result = Restored(manifest, digests.compare(manifest.tables, restored))
    result.notes = _notes(manifest, target, revision, left_out.root)
    if result.ok and revision == head_revision():
        _audit_restore(ctx, actor, target, directory, manifest)
    result.timings = watch.done()
    return result


def _prepare_database(manifest: Manifest, url: str, *, force: bool) -> Any:
    """Check the target database and answer the function that restores a dump into it.

    :raises CreditServiceError: ``backup-schema-mismatch``, ``backup-target-not-empty``.
    """
    if manifest.engine == "sqlite":
        if not force and not sqlite.is_empty(url):
            raise CreditServiceError(
                "backup-target-not-empty", target=str(sqlite.database_path(url))
            )
        return lambda path: sqlite.restore(url, path)
    into, program = postgres.inspect_target(url)
    if into.schema != manifest.schema:
        raise CreditServiceError(
            "backup-schema-mismatch", backup=manifest.schema, target=into.schema
        )
    if into.relations and not force:
        raise CreditServiceError("backup-target-not-empty", target=f"schema {into.schema}")
    return lambda path: postgres.restore(url, path, into=into, program=program, clean=force)


@contextmanager
def reading(url: str) -> Iterator[Connection]:
    """A connection that reads the restored database (one snapshot on PostgreSQL)."""
    if engine_of(url) == "sqlite":
        with sqlite.reading(sqlite.database_path(url)) as connection:
            yield connection
        return
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
            with connection.begin():
                yield connection
    finally:
        dispose(engine)


def _notes(
    manifest: Manifest, target: Settings, revision: str | None, data_dir: Path
) -> list[Note]:
    """What the operator must do besides: migrate, put the signing key back, and mind
    documents addressed under the data folder the backup came from."""
    notes = []
    head = head_revision()
    if revision != head:
        notes.append(Note("migrate", {"revision": revision or "-", "head": head}))
    needed = manifest.audit.get("signing_key_ids", [])
    if target.audit_signing_key or (target.data_dir / KEY_FILE).is_file():
        ring = load_key_ring(target)  # a key is there: loading it creates none
        missing = [key for key in needed if ring.get(key) is None]
    else:
        missing = list(needed)
    if missing:
        notes.append(Note("signing-key-missing", {"keys": missing}))
    if manifest.data.get("folder") != str(data_dir):
        moved = {"before": manifest.data.get("folder"), "after": str(data_dir)}
        notes.append(Note("data-folder-moved", moved))
    return notes


def _audit_restore(
    ctx: Context, actor: Actor, target: Settings, directory: Path, manifest: Manifest
) -> None:
    """The restore's own audit row, in the restored database."""
    engine = make_engine(target.database_url)
    try:
        with make_session_factory(engine).begin() as session:
            audit.append(
                session,
                actor=actor,
                action="backup.restore",
                now=ctx.now(),
                object_type="backup",
                object_id=None,
                details={
                    "directory": str(directory),
                    "backup_created_at": manifest.created_at,
                    "tables": len(manifest.tables),
                    "rows": manifest.rows,
                },
            )
    finally:
        dispose(engine)
