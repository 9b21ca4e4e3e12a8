"""Engines and sessions for SQLite (embedded default) and PostgreSQL (production).

A public service function is one transaction: ``with session_factory.begin() as s:``.
SQLite gets WAL, a busy timeout and foreign keys on every connection, and real
``BEGIN`` statements so that savepoints and write locks behave as on PostgreSQL.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Connection,
    DateTime,
    Engine,
    MetaData,
    TypeDecorator,
    create_engine,
    event,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import make_url
from sqlalchemy.orm import sessionmaker
from sqlmodel import Session, SQLModel

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


def _json_text(value: Any) -> str:
    """JSON columns keep Chinese readable and store dates as ISO text."""
    return json.dumps(value, ensure_ascii=False, default=_json_default)


def _json_default(value: Any) -> str:
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def make_engine(url: str, *, busy_timeout_ms: int = 10_000, writer: bool = True) -> Engine:
    """Build an engine; a SQLite ``writer`` takes the write lock at BEGIN (no upgrade deadlocks)."""
    url = normalize_url(url)
    kwargs: dict[str, Any] = {
        "json_serializer": _json_text,
    }
    if is_sqlite(url):
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": busy_timeout_ms / 1000}
        engine = create_engine(url, **kwargs)
        _configure_sqlite(engine, busy_timeout_ms=busy_timeout_ms, writer=writer)
        return engine
    # No ping before each checkout (a round trip, a quarter of a small read's cost):
    # connections are recycled before idle timeouts can cut them, and a connection that
    # dies anyway fails one request, after which the pool replaces every older one.
    kwargs.update(pool_pre_ping=False, pool_recycle=1800, pool_size=5, max_overflow=10)
    return create_engine(url, **kwargs)


def _configure_sqlite(engine: Engine, *, busy_timeout_ms: int, writer: bool) -> None:
    begin = "BEGIN IMMEDIATE" if writer else "BEGIN"

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from pysqlite so that BEGIN/SAVEPOINT are ours.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # 32 MiB of page cache (the default is 2 MiB): index maintenance on million-row
        # tables is otherwise bound by page reloads.
        cursor.execute("PRAGMA cache_size=-32768")
        cursor.execute("PRAGMA temp_store=MEMORY")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql(begin)


@contextlib.contextmanager
def reading(factory: sessionmaker[Session]) -> Iterator[Connection]:
    """A bare connection of ``factory``'s database for one read on a hot path: a third of
    the cost of opening an ORM session for it. On PostgreSQL it reads in autocommit, which
    saves the BEGIN and ROLLBACK round trips around a single statement (SQLite's BEGIN is
    ours, above, and costs no round trip). A factory bound to a connection already (one
    shared transaction, in tests) lends that connection."""
    bind = factory.kw["bind"]
    if isinstance(bind, Connection):
        yield bind
        return
    with bind.connect() as connection:
        if not is_sqlite(bind):
            connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        yield connection


class HeldQuery:
    """One tiny read on the hottest path, through a connection each thread keeps.

    Checking a connection out of the pool and wrapping it in a session costs more than
    the query itself (measured: 218 µs against 3 µs on SQLite, 590 µs against 39 µs on
    PostgreSQL), and the public list asks its version on every request. The connection
    stays in autocommit, so every execution sees what is committed at that moment; a
    broken connection is replaced once before the error reaches the caller.
    """

    def __init__(self, bind: Engine | Connection, sql: str) -> None:
        self.bind, self.sql = bind, sql
        self.engine = bind.engine
        self._local = threading.local()

    def first(self) -> tuple[Any, ...] | None:
        if isinstance(self.bind, Connection):  # one shared transaction (tests): use it
            return self.bind.exec_driver_sql(self.sql).first()
        try:
            return self._run()
        except self.engine.dialect.loaded_dbapi.Error:
            self._drop()
            return self._run()

    def _run(self) -> tuple[Any, ...] | None:
        cursor = self._connection().cursor()
        try:
            cursor.execute(self.sql)
            return cursor.fetchone()
        finally:
            cursor.close()

    def _connection(self) -> Any:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            pooled = self.engine.raw_connection()
            connection = pooled.driver_connection
            pooled.detach()  # ours for the thread's life, not the pool's
            if not is_sqlite(self.engine):  # SQLite's are in autocommit already (above)
                connection.autocommit = True
            self._local.connection = connection
        return connection

    def close(self) -> None:
        """Close this thread's connection (a new one opens on the next ask)."""
        self._drop()

    def _drop(self) -> None:
        connection = getattr(self._local, "connection", None)
        self._local.connection = None
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.close()


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
