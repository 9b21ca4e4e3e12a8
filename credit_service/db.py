"""Engines and sessions for SQLite (embedded default) and PostgreSQL (production).

A public service function is one transaction: ``with session_factory.begin() as s:``.
SQLite gets WAL, a busy timeout and foreign keys on every connection, and real
``BEGIN`` statements so that savepoints and write locks behave as on PostgreSQL.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import sqlite3
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import (
    JSON,
    DateTime,
    Engine,
    MetaData,
    TypeDecorator,
    create_engine,
    event,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, SQLModel

from credit_service.files import private_file

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Must run before any model class is defined, so constraint names are deterministic.
SQLModel.metadata.naming_convention = NAMING_CONVENTION
metadata: MetaData = SQLModel.metadata


def normalize_url(url: str) -> str:
    """Use the psycopg 3 driver for plain ``postgresql://`` URLs."""
    parsed = make_url(url)
    if parsed.drivername in {"postgresql", "postgres"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def is_sqlite(engine_or_url: Engine | str) -> bool:
    url = engine_or_url if isinstance(engine_or_url, str) else str(engine_or_url.url)
    return url.startswith("sqlite")


_LONG_NUMBER = re.compile(r"\d{19}")
_LONG_NUMBER_BYTES = re.compile(rb"\d{19}")


def json_text(value: Any) -> str:
    """JSON columns keep Chinese readable and store dates as ISO text (the engines'
    serializer, and what a bulk insert of preserialized JSON must produce the same way)."""
    return json.dumps(value, ensure_ascii=False, default=_json_default)


def json_value(text: str | bytes) -> Any:
    """A JSON column's value (the engines' deserializer), read by orjson at six times the
    standard library's speed: a public search page reads 63 of them (docs/performance.md,
    ninth session). A text with a number of 19 digits or more (an integer past 64 bits,
    which orjson would make a float) and what orjson refuses (NaN, which ``json_text``
    may write) are read by the standard library, exactly as before."""
    long_number = _LONG_NUMBER_BYTES if isinstance(text, bytes) else _LONG_NUMBER
    if long_number.search(text) is None:  # type: ignore[arg-type]
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass
    return json.loads(text)


def _json_default(value: Any) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def make_engine(
    url: str,
    *,
    busy_timeout_ms: int = 10_000,
    writer: bool = True,
    connect_timeout_s: int | None = None,
    parallel_workers: int | None = None,
) -> Engine:
    """Build an engine; a SQLite ``writer`` takes the write lock at BEGIN (no upgrade
    deadlocks); a PostgreSQL one gives up connecting after ``connect_timeout_s`` and,
    given ``parallel_workers``, lets no query start more (the server's setting else)."""
    url = normalize_url(url)
    kwargs: dict[str, Any] = {
        "json_serializer": json_text,
        "json_deserializer": json_value,
    }
    if is_sqlite(url):
        _create_privately(url)
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": busy_timeout_ms / 1000}
        database = make_url(url).database
        if writer and database and database != ":memory:" and not database.startswith("file:"):
            kwargs["connect_args"]["factory"] = _queued_writer(database, busy_timeout_ms)
        engine = create_engine(url, **kwargs)
        _configure_sqlite(engine, busy_timeout_ms=busy_timeout_ms, writer=writer)
        return engine
    # No ping before each checkout (a round trip, a quarter of a small read's cost):
    # connections are recycled before idle timeouts can cut them, and a connection that
    # dies anyway fails one request, after which the pool replaces every older one.
    kwargs.update(pool_pre_ping=False, pool_recycle=1800, pool_size=5, max_overflow=10)
    if connect_timeout_s is not None:
        kwargs["connect_args"] = {"connect_timeout": connect_timeout_s}
    if parallel_workers is not None:  # set as the session starts: no round trip per query
        url = _with_option(url, f"-c max_parallel_workers_per_gather={int(parallel_workers)}")
    return create_engine(url, **kwargs)


def _with_option(url: str, option: str) -> URL:
    """``url`` whose libpq ``options`` (a schema's search_path, say) also hold ``option``."""
    parsed = make_url(url)
    given = parsed.query.get("options") or ()
    options = [*((given,) if isinstance(given, str) else given), option]
    return parsed.update_query_dict({"options": " ".join(options)})


def _create_privately(url: str) -> None:
    """A SQLite database file not there yet is created 0600 before SQLite opens it (SQLite
    would create it with the umask's mode, 0644 as a rule), so that only the service's
    user reads it, nor its WAL and shared-memory files, which take its mode. A folder
    that does not exist is left to fail as SQLite fails it (a mistyped path)."""
    database = make_url(url).database
    if database and database != ":memory:" and not database.startswith("file:"):
        path = Path(database)
        if path.parent.is_dir():
            private_file(path)


def _configure_sqlite(engine: Engine, *, busy_timeout_ms: int, writer: bool) -> None:
    begin = "BEGIN IMMEDIATE" if writer else "BEGIN"

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from pysqlite so that BEGIN/SAVEPOINT are ours.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        _use_wal(cursor, busy_timeout_ms)
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # 32 MiB of page cache (the default is 2 MiB): index maintenance on million-row
        # tables is otherwise bound by page reloads.
        cursor.execute("PRAGMA cache_size=-32768")
        cursor.execute("PRAGMA temp_store=MEMORY")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        queued = connection.connection.dbapi_connection
        if isinstance(queued, QueuedWriter):
            queued.wait_turn()
        try:
            connection.exec_driver_sql(begin)
        except Exception:
            if isinstance(queued, QueuedWriter):
                queued.leave()
            raise


WRITER_POLL_S = 0.0002
WAL_RETRY_S = 0.005


def _use_wal(cursor: sqlite3.Cursor, busy_timeout_ms: int) -> None:
    """Put the database file in WAL mode (the file keeps it). A connection that opens a
    new file while another writes to it (two workers' first requests) is refused the
    switch at once with "database is locked": SQLite does not wait that out with the
    busy timeout. So it asks again until the writer is done, within the busy timeout."""
    deadline = time.monotonic() + busy_timeout_ms / 1000
    while True:
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(WAL_RETRY_S)


class QueuedWriter(sqlite3.Connection):
    """A connection of a SQLite writer engine: before BEGIN IMMEDIATE it waits its turn on
    a lock file of the database's (``<database>-writers``), which it leaves at the end of
    its transaction.

    SQLite's own wait for the write lock polls with sleeps of 1, 2, 5 … 100 ms: a writer
    that finds the lock taken sleeps on past its release while the other workers take it
    again, and some wait a hundred times as long as the transactions they queue behind
    (two gunicorn workers, audited credit checks at 16 connections, 1 ms of writing
    each: p99 110–125 ms). Here a waiting writer looks every 0.2 ms (p99 31–38 ms). After
    the busy timeout it goes ahead unqueued, and SQLite answers as it would have.
    """

    lock_path = ""
    timeout_s = 0.0
    _fd: int | None = None
    _turn = False

    def wait_turn(self) -> None:
        if self._fd is None:
            self._fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        deadline = time.monotonic() + self.timeout_s
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return
                time.sleep(WRITER_POLL_S)
            else:
                self._turn = True
                return

    def leave(self) -> None:
        if self._turn:
            self._turn = False
            fcntl.flock(self._fd, fcntl.LOCK_UN)  # type: ignore[arg-type]

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.leave()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.leave()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.leave()
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None


def _queued_writer(database: str, busy_timeout_ms: int) -> type[QueuedWriter]:
    """The connection class of one database's writer engine."""
    attributes = {"lock_path": f"{database}-writers", "timeout_s": busy_timeout_ms / 1000}
    return type("QueuedWriterOf", (QueuedWriter,), attributes)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (results outlive the transaction)."""
    return sessionmaker(bind=engine, class_=Session, expire_on_commit=False)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both databases (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONType = JSON().with_variant(JSONB(), "postgresql")
