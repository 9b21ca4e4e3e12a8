"""The foundation under every request: /readyz says why the process cannot serve (a
database not migrated, or not reachable at all), and every SQLite connection the project's
engine factory opens runs in WAL mode with the configured busy timeout and foreign keys."""

from __future__ import annotations

import socket
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from credit_service.bootstrap import build_context
from credit_service.config import Settings
from credit_service.health import head_revision
from credit_service.web import create_app
from credit_service.web.access import public


def settings_for(url: str, tmp_path: Path, **overrides: object) -> Settings:
    return Settings(
        database_url=url,
        secret_key="test-secret",
        data_dir=tmp_path / "data",
        catalogs_autoload=False,
        **overrides,
    )


def readyz(settings: Settings) -> tuple[int, dict]:
    """GET /readyz of an app started on ``settings``: status and body."""
    app = create_app(settings)
    try:
        response = app.test_client().get("/readyz")
    finally:
        app.extensions["credit_service"].close()
    assert response.mimetype == "application/json"
    return response.status_code, response.get_json()


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- /readyz ----------------------------------------------------------------------------------


def test_readyz_is_503_with_the_reason_on_an_unmigrated_database(tmp_path):
    empty = tmp_path / "empty.db"
    empty.touch()  # a fresh, empty SQLite file: reachable, no schema

    status, body = readyz(settings_for(f"sqlite:///{empty}", tmp_path))

    assert status == 503
    assert body["status"] == "not ready"
    assert body["checks"] == {
        "database": "ok",
        "migrations": f"at none, head is {head_revision()}: run make migrate",
        "catalogs": "unknown",
    }
    with closing(sqlite3.connect(empty)) as raw:  # the probe migrated nothing by itself
        assert raw.execute("SELECT count(*) FROM sqlite_master").fetchone() == (0,)


@pytest.mark.parametrize(
    "url",
    [
        pytest.param(lambda tmp: f"sqlite:///{tmp / 'missing' / 'credit.db'}", id="sqlite-no-dir"),
        pytest.param(
            lambda tmp: f"postgresql://postgres@127.0.0.1:{closed_port()}/credit",
            id="postgresql-closed-port",
        ),
    ],
)
def test_readyz_is_503_with_the_reason_on_an_unreachable_database(tmp_path, url):
    status, body = readyz(settings_for(url(tmp_path), tmp_path))

    assert status == 503
    assert body["status"] == "not ready"
    assert body["checks"] == {
        "database": "unreachable: OperationalError",
        "migrations": "unknown",
        "catalogs": "unknown",
    }
    assert not (tmp_path / "missing").exists()


# --- SQLite connections -----------------------------------------------------------------------


def pragmas(engine) -> dict[str, object]:  # type: ignore[no-untyped-def]
    """The connection settings that matter for concurrent writers, as SQLite reports them."""
    with engine.connect() as connection:
        return {
            name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "busy_timeout", "foreign_keys")
        }


def test_sqlite_connections_use_wal_the_configured_busy_timeout_and_foreign_keys(tmp_path):
    settings = Settings.from_env(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'pragmas.db'}",
            "SQLITE_BUSY_TIMEOUT_MS": "4321",
            "DATA_DIR": str(tmp_path / "data"),
        }
    )
    assert settings.sqlite_busy_timeout_ms == 4321
    ctx = build_context(settings)
    writer, reader = ctx.engine, ctx.read_session_factory.kw["bind"]
    assert writer is not reader  # SQLite reads begin without the write lock
    try:
        for engine in (writer, reader):
            assert pragmas(engine) == {
                "journal_mode": "wal",
                "busy_timeout": 4321,
                "foreign_keys": 1,
            }
    finally:
        writer.dispose()
        reader.dispose()


def test_a_connection_the_database_dropped_is_a_503_with_retry_after(ctx):
    """Without a ping before each checkout, a connection the server cut (a restart, a
    failover) fails the one request that meets it: as 503 with Retry-After, not 500."""
    app = create_app(context=ctx)

    @public("test: a request meeting a dropped database connection")
    def dropped() -> None:
        raise OperationalError(
            "SELECT 1", {}, Exception("server closed the connection"), connection_invalidated=True
        )

    @public("test: any other database error")
    def broken() -> None:
        raise OperationalError("SELECT 1", {}, Exception("syntax error"))

    app.add_url_rule("/test-dropped", view_func=dropped)
    app.add_url_rule("/test-broken", view_func=broken)
    client = app.test_client()

    answer = client.get("/test-dropped")
    assert answer.status_code == 503 and answer.mimetype == "application/problem+json"
    assert answer.get_json()["code"] == "database-reconnecting"
    assert answer.headers["Retry-After"]  # ask again (the rate limiter may set it longer)
    assert "SELECT" not in answer.get_data(as_text=True)
    other = client.get("/test-broken")
    assert other.status_code == 500 and "syntax" not in other.get_data(as_text=True)


def test_a_command_on_an_unmigrated_database_says_what_to_run(tmp_path):
    empty = tmp_path / "empty.db"
    empty.touch()
    app = create_app(settings_for(f"sqlite:///{empty}", tmp_path))
    try:
        result = app.test_cli_runner().invoke(args=["tiers", "preview"])
    finally:
        app.extensions["credit_service"].close()

    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert (
        f"error: the database is not ready: migrations at none, head is {head_revision()}: "
        "run make migrate"
    ) in result.output
    assert "Traceback" not in result.output
