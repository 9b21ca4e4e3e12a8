"""flask backup create | verify | restore on both engines, with the real pg_dump and
pg_restore: a seeded service backed up, restored into an empty database and data folder,
every table's count and digest compared, and the audit log verified on the copy; a
damaged backup and a target that holds data refused."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import tarfile
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from credit_service.access import SYSTEM
from credit_service.audit import sealing, verification
from credit_service.audit import services as audit
from credit_service.backup import digests, operations, postgres, sqlite
from credit_service.backup.manifest import DATA_FILE, MANIFEST
from credit_service.bootstrap import build_context
from credit_service.db import make_engine
from credit_service.entities.models import Entity
from credit_service.held_connections import dispose
from credit_service.signing_keys import KEY_FILE
from credit_service.web import create_app
from tests.conftest import with_search_path
from tests.factories import XUANZHOU, create_entity, create_person, file_award, listed_on

SCRATCH_PREFIX = "cs_backup_"
STALE_SECONDS = 6 * 3600


def run(ctx, *args: str):
    app = create_app(context=ctx)
    return app.test_cli_runner().invoke(args=["backup", *args])


@pytest.fixture
def seeded(live_ctx):
    """Entities, records, a listing (its notices and decision as PDFs in the data folder)
    and audit rows, sealed, plus one row that awaits its seal."""
    ctx = live_ctx
    create_person(ctx)
    award = file_award(ctx, create_entity(ctx)["identifier"])
    listed_on(ctx, "宣城备份测试科技有限公司", XUANZHOU, date(2026, 6, 1))
    sealing.seal_log(ctx)
    with ctx.session_factory.begin() as session:
        audit.append(session, actor=SYSTEM, action="test.unsealed", now=ctx.now())
    assert award["id"]
    return ctx


@pytest.fixture
def target(db_kind, live_ctx, tmp_path) -> Iterator[tuple[str, Path]]:
    """An empty database to restore into (SQLite: a new file; PostgreSQL: a scratch
    database with the source's schema name, dropped at the end) and an empty data folder."""
    data_dir = tmp_path / "restored-data"
    if db_kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored' / 'restored.db'}", data_dir
        return
    base = make_url(os.environ["TEST_DATABASE_URL"])
    name = f"{SCRATCH_PREFIX}{int(time.time())}_{secrets.token_hex(3)}"
    admin = make_engine(str(base.render_as_string(hide_password=False)))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        _drop_stale_databases(connection)
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        schema = digests_schema(live_ctx)
        url = with_search_path(
            base.set(database=name).render_as_string(hide_password=False), schema
        )
        yield url, data_dir
    finally:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        dispose(admin)


def _drop_stale_databases(connection) -> None:  # type: ignore[no-untyped-def]
    """Scratch databases left by a run that was killed: older than six hours."""
    names = connection.execute(
        text("SELECT datname FROM pg_database WHERE datname LIKE :p"), {"p": SCRATCH_PREFIX + "%"}
    ).scalars()
    for name in list(names):
        started = name[len(SCRATCH_PREFIX) :].split("_")[0]
        if started.isdigit() and time.time() - int(started) > STALE_SECONDS:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def digests_schema(ctx) -> str | None:
    with ctx.engine.connect() as connection:
        return digests.current_schema(connection)


def table_digests(url: str) -> dict[str, digests.TableDigest]:
    with operations.reading(url) as connection:
        return digests.table_digests(connection)


def entity_count(url: str) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(Entity)).scalar_one()
    finally:
        dispose(engine)


def index_names(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return set(
                connection.execute(
                    text("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()")
                ).scalars()
            )
    finally:
        dispose(engine)


def restored_context(source, url: str, data_dir: Path):
    """The service on the restored copy, as the restore drill starts it: the signing key
    put back from where it is kept (never the backup), the checkpoint copies where they
    always were."""
    key = (source.settings.data_dir / KEY_FILE).read_text(encoding="ascii").strip()
    settings = source.settings.replace(
        database_url=url,
        data_dir=data_dir,
        audit_signing_key=key,
        audit_checkpoint_dir=source.settings.audit_witness_dir,
    )
    return build_context(settings, clock=source.clock, catalogs=source.catalogs)


def test_a_backup_restored_into_an_empty_database_holds_every_row_and_file(
    seeded, target, tmp_path
):
    url, data_dir = target
    folder = tmp_path / "backup"

    created = run(seeded, "create", str(folder))

    assert created.exit_code == 0, created.output
    assert "elapsed: database" in created.stdout
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["engine"] == seeded.engine.dialect.name
    assert manifest["created_at"] == seeded.now().isoformat()
    assert manifest["alembic_revision"]
    assert manifest["tables"]["entities"]["rows"] == 3
    assert manifest["tables"]["audit_events"]["rows"] > 10
    assert set(manifest["files"]) == {
        DATA_FILE,
        "database.sqlite3" if url.startswith("sqlite") else "database.dump",
    }
    assert manifest["audit"]["signing_key_ids"] == [seeded.key_ring.current.key_id]
    # the key and the checkpoint copies stay out; the listing's documents go in
    assert {KEY_FILE, "audit-checkpoints"} <= set(manifest["data"]["left_out"])
    with tarfile.open(folder / DATA_FILE) as tar:
        names = tar.getnames()
    assert KEY_FILE not in names and not any(n.startswith("audit-checkpoints") for n in names)
    documents = sorted((seeded.settings.data_dir / "documents").iterdir())
    assert documents and {f"documents/{d.name}" for d in documents} <= set(names)
    assert oct((folder / DATA_FILE).stat().st_mode & 0o777) == "0o600"

    verified = run(seeded, "verify", str(folder))
    restored = run(
        seeded, "restore", str(folder), "--database-url", url, "--data-dir", str(data_dir)
    )

    assert verified.exit_code == 0, verified.output
    assert "backup intact" in verified.stdout
    assert restored.exit_code == 0, restored.output
    assert "row counts and digests match the manifest" in restored.stdout
    assert "elapsed: verify" in restored.stdout
    # the key was not in the backup: the restore says so, and which key to put back
    assert f"signed with key(s) {seeded.key_ring.current.key_id}" in restored.stdout
    expected = {k: digests.TableDigest(**v) for k, v in manifest["tables"].items()}
    after = table_digests(url)
    # the restore's own audit row is the one difference
    assert after["audit_events"].rows == expected["audit_events"].rows + 1
    del after["audit_events"], expected["audit_events"]
    assert after == expected
    assert entity_count(url) == 3
    if not url.startswith("sqlite"):  # the name search's index, on an extension the dump omits
        assert "ix_entities_name_trgm" in index_names(url)
        # and the list's, on the schema's own function (restored with an empty search_path)
        assert "ix_dishonesty_cases_search_name_grams" in index_names(url)
    for document in documents:
        assert (data_dir / "documents" / document.name).read_bytes() == document.read_bytes()

    copy = restored_context(seeded, url, data_dir)
    try:
        result = verification.verify_log(copy)
    finally:
        copy.close()
    assert result.ok, result.findings
    assert result.checkpoints >= 1 and result.witnessed >= 1
    assert result.checked == manifest["audit"]["checkpoint_size"]


def test_a_damaged_backup_is_refused_and_nothing_is_restored(seeded, target, tmp_path):
    url, data_dir = target
    folder = tmp_path / "backup"
    assert run(seeded, "create", str(folder)).exit_code == 0
    database_file = next(p for p in folder.iterdir() if p.name.startswith("database."))
    data = bytearray(database_file.read_bytes())
    data[len(data) // 2] ^= 0xFF
    database_file.write_bytes(bytes(data))

    verified = run(seeded, "verify", str(folder))
    restored = run(
        seeded, "restore", str(folder), "--database-url", url, "--data-dir", str(data_dir)
    )

    assert verified.exit_code == 1
    assert f"{database_file.name}: damaged or altered" in verified.stdout
    assert restored.exit_code == 1
    assert "does not match its manifest; restore refused" in restored.stderr
    assert database_file.name in restored.stderr
    if url.startswith("sqlite"):
        assert not sqlite.database_path(url).exists()
    else:
        assert table_digests(url) == {}
    assert not data_dir.exists()


def test_a_target_that_holds_data_is_refused_unless_forced(seeded, target, tmp_path):
    url, data_dir = target
    folder = tmp_path / "backup"
    assert run(seeded, "create", str(folder)).exit_code == 0
    source_url = seeded.settings.database_url
    before = table_digests(source_url)

    into_itself = run(seeded, "restore", str(folder))  # the service's own database

    assert into_itself.exit_code == 1
    assert "is not empty; restore refused" in into_itself.stderr
    assert table_digests(source_url) == before
    first = run(seeded, "restore", str(folder), "--database-url", url, "--data-dir", str(data_dir))
    assert first.exit_code == 0, first.output
    again = run(seeded, "restore", str(folder), "--database-url", url, "--data-dir", str(data_dir))
    assert again.exit_code == 1
    assert "is not empty; restore refused" in again.stderr
    # a data folder that holds files is refused as well, the database being empty
    other = tmp_path / "other.db"
    if url.startswith("sqlite"):
        refused = run(
            seeded,
            "restore",
            str(folder),
            "--database-url",
            f"sqlite:///{other}",
            "--data-dir",
            str(data_dir),
        )
        assert refused.exit_code == 1
        assert f"{data_dir.resolve()} is not empty" in refused.stderr

    forced = run(
        seeded,
        "restore",
        str(folder),
        "--database-url",
        url,
        "--data-dir",
        str(data_dir),
        "--clean",
    )

    assert forced.exit_code == 0, forced.output
    assert "match the manifest" in forced.stdout


def test_a_restore_that_differs_from_the_manifest_fails_naming_the_table(seeded, target, tmp_path):
    url, data_dir = target
    folder = tmp_path / "backup"
    assert run(seeded, "create", str(folder)).exit_code == 0
    path = folder / MANIFEST
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest["tables"]["entities"]["rows"] += 1
    manifest["tables"]["credit_records"]["sha256"] = "0" * 64
    path.write_text(json.dumps(manifest), encoding="utf-8")

    result = run(seeded, "restore", str(folder), "--database-url", url, "--data-dir", str(data_dir))

    assert result.exit_code == 1
    assert "MISMATCH entities: table entities should have 4 rows; the restored one has 3" in (
        result.stderr
    )
    assert (
        "MISMATCH credit_records: table credit_records has its rows, but their digest differs"
        in (result.stderr)
    )
    assert "DO NOT match the manifest" in result.stdout


def test_digests_follow_content_not_order_of_insertion(live_ctx):
    entity = create_entity(live_ctx)
    url = live_ctx.settings.database_url
    before = table_digests(url)
    with live_ctx.session_factory.begin() as session:
        session.execute(
            text("UPDATE entities SET name = :name WHERE identifier = :id"),
            {"name": "宣城改名科技有限公司", "id": entity["identifier"]},
        )
    after = table_digests(url)

    assert after == table_digests(url)  # deterministic
    assert after["entities"].rows == before["entities"].rows
    assert [m.problem for m in digests.compare(before, after)] == ["backup-table-content"]
    assert digests.compare(before, {k: v for k, v in after.items() if k != "entities"})[
        0
    ].params == {"table": "entities"}


def test_the_sqlite_copy_is_what_was_committed_while_a_writer_holds_its_lock(live_ctx, tmp_path):
    if not live_ctx.settings.is_sqlite:
        pytest.skip("SQLite's online backup")
    import sqlite3

    path = sqlite.database_path(live_ctx.settings.database_url)
    committed = table_digests(live_ctx.settings.database_url)
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("DELETE FROM audit_events")
    try:
        started = time.monotonic()
        with sqlite.dumped(live_ctx.settings.database_url, tmp_path / "copy.db") as connection:
            copied = digests.table_digests(connection)
        assert time.monotonic() - started < 5  # it did not wait for the writer
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert copied == committed


def test_the_postgresql_dump_and_its_digests_read_one_snapshot(
    live_ctx, target, tmp_path, monkeypatch
):
    if live_ctx.settings.is_sqlite:
        pytest.skip("PostgreSQL's exported snapshot")
    url, _ = target
    dump = tmp_path / "database.dump"
    start = subprocess.Popen

    def late(*args, **kwargs):  # the service commits before pg_dump has even started
        create_entity(live_ctx)
        return start(*args, **kwargs)

    with monkeypatch.context() as patched:
        patched.setattr(subprocess, "Popen", late)
        with postgres.dumped(live_ctx.settings.database_url, dump) as connection:
            patched.undo()
            create_entity(live_ctx)  # and again while it runs
            during = digests.table_digests(connection)
    into, program = postgres.inspect_target(url)
    postgres.restore(url, dump, into=into, program=program, clean=False)

    assert table_digests(url) == during
    assert table_digests(live_ctx.settings.database_url)["entities"].rows == (
        during["entities"].rows + 2
    )


def test_the_password_reaches_the_client_programs_only_through_their_environment():
    server = postgres.Server.of(
        "postgresql+psycopg://clerk:s3cr%40t@db.example:5433/credit"
        "?sslmode=require&options=-csearch_path%3Dprovince"
    )

    assert "s3cr" not in server.conninfo
    assert server.conninfo == "postgresql://clerk@db.example:5433/credit?sslmode=require"
    assert server.environment()["PGPASSWORD"] == "s3cr@t"


def test_a_postgresql_target_database_that_does_not_exist_is_named(live_ctx, tmp_path):
    if live_ctx.settings.is_sqlite:
        pytest.skip("a PostgreSQL database to create first")
    folder = tmp_path / "backup"
    assert run(live_ctx, "create", str(folder)).exit_code == 0
    name = f"{SCRATCH_PREFIX}missing_{secrets.token_hex(3)}"
    url = make_url(live_ctx.settings.database_url).set(database=name)

    result = run(
        live_ctx,
        "restore",
        str(folder),
        "--database-url",
        url.render_as_string(False),
        "--data-dir",
        str(tmp_path / "data-restored"),
    )

    assert result.exit_code == 1
    assert "the restore target database cannot be reached" in result.stderr
    assert f'database "{name}" does not exist' in result.stderr
