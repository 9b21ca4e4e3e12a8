"""Connections kept by threads for the hottest paths, outside the pool: the reads every
API call makes (its token), the tier lookups, the public list's version, and a credit
check's audit row (``writing``). Split from ``db`` (engines and types), which they use.
"""

from __future__ import annotations

import contextlib
import threading
import time
import weakref
from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from credit_service.db import is_sqlite

HELD_MAX_AGE_S = 1800.0  # as the pool's recycle: reopened before idle timeouts cut it


class ThreadConnections:
    """One connection per thread, outside the pool, for the reads on the hottest paths
    (every API call's token check, tier lookups, the public list's version).

    A pool checkout and its return cost more than a small indexed read (measured on
    PostgreSQL: about 550 µs for checkout, autocommit, query and return against 300 µs
    for the query on a kept connection). The connection reads in autocommit, so each
    statement sees what is committed at that moment; on SQLite each read's transaction
    ends with it, so no snapshot outlives the read. It is reopened after
    ``HELD_MAX_AGE_S`` and after any database error. Meant for long-lived threads
    (gunicorn's workers and thread pools): under a server that starts a thread per
    request, each request opens one, closed when its thread ends.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = weakref.ref(engine)  # not kept alive by its own holder
        self._local = threading.local()
        # every live thread's, for close_all; a finished thread's goes with its thread
        self._opened: weakref.WeakSet[Connection] = weakref.WeakSet()
        self._lock = threading.Lock()

    @property
    def engine(self) -> Engine:
        engine = self._engine()
        if engine is None:
            raise RuntimeError("the engine of these connections is gone")
        return engine

    def get(self) -> Connection:
        """This thread's connection (opened on first use, or again when too old or closed)."""
        held = getattr(self._local, "held", None)
        if held is not None and (held[0].closed or time.monotonic() - held[1] > HELD_MAX_AGE_S):
            self.drop()
            held = None
        if held is None:
            connection = self.engine.connect()
            if not is_sqlite(self.engine):
                connection = connection.execution_options(isolation_level="AUTOCOMMIT")
            connection.detach()  # the thread's for its life, not a pool slot
            held = self._local.held = (connection, time.monotonic())
            with self._lock:
                self._opened.add(connection)
        return held[0]

    def drop(self) -> None:
        """Close this thread's connection (a new one opens on the next ``get``)."""
        held = getattr(self._local, "held", None)
        self._local.held = None
        if held is not None:
            self._close(held[0])

    def close_all(self) -> None:
        """Close every live thread's connection (when the engine is disposed of)."""
        with self._lock:
            opened = list(self._opened)
        for connection in opened:
            self._close(connection)

    def _close(self, connection: Connection) -> None:
        with self._lock:
            self._opened.discard(connection)
        with contextlib.suppress(Exception):
            connection.close()


_THREAD_CONNECTIONS: weakref.WeakKeyDictionary[Engine, ThreadConnections] = (
    weakref.WeakKeyDictionary()
)
_THREAD_CONNECTIONS_LOCK = threading.Lock()


def thread_connections(engine: Engine) -> ThreadConnections:
    """The per-thread connections of ``engine`` (one holder per engine)."""
    with _THREAD_CONNECTIONS_LOCK:
        holder = _THREAD_CONNECTIONS.get(engine)
        if holder is None:
            holder = _THREAD_CONNECTIONS[engine] = ThreadConnections(engine)
        return holder


def dispose(engine: Engine) -> None:
    """Close the engine's pooled connections and the ones its threads keep."""
    thread_connections(engine).close_all()
    engine.dispose()


@contextlib.contextmanager
def reading(factory: sessionmaker[Session]) -> Iterator[Connection]:
    """The thread's connection of ``factory``'s database (``ThreadConnections``) for one
    read on a hot path: no session, no pool checkout, and on PostgreSQL no BEGIN and
    ROLLBACK round trips. A factory bound to a connection already (one shared
    transaction, in tests) lends that connection.

    Not for reads that call other code between their statements: a nested read would
    end this one's SQLite transaction.
    """
    bind = factory.kw["bind"]
    if isinstance(bind, Connection):
        yield bind
        return
    held = thread_connections(bind)
    connection = held.get()
    try:
        yield connection
    except DBAPIError:
        held.drop()  # closing it ends its transaction too
        raise
    finally:
        if not connection.closed:  # end SQLite's read transaction (nothing to send on PG)
            connection.rollback()


@contextlib.contextmanager
def writing(factory: sessionmaker[Session]) -> Iterator[Connection]:
    """A short write transaction on a Core connection of ``factory``'s database, for a hot
    path's plain inserts (a credit check's audit rows): no ORM session to build, flush
    and close, which cost a single check more than its insert. Nothing written here
    passes the handler table (``effects``), so only for rows no handler reacts to. A
    factory bound to a connection (one shared transaction, in tests) writes in a
    savepoint of it.
    """
    bind = factory.kw["bind"]
    if isinstance(bind, Connection):
        with bind.begin_nested():
            yield bind
        return
    with bind.begin() as connection:
        yield connection


class HeldQuery:
    """One tiny read on the hottest path, straight on the DB-API cursor of the thread's
    connection (``ThreadConnections``): about 6 µs on SQLite, against 40 µs more for
    going through SQLAlchemy. A broken connection is replaced once before the error
    reaches the caller.
    """

    def __init__(self, bind: Engine | Connection, sql: str) -> None:
        self.bind, self.sql = bind, sql
        self.engine = bind.engine
        self._held = thread_connections(self.engine)

    def first(self, parameters: Mapping[str, Any] | None = None) -> tuple[Any, ...] | None:
        """The first row, ``parameters`` bound in the driver's own style (sqlite3's
        ``:name``, psycopg's ``%(name)s``)."""
        if isinstance(self.bind, Connection):  # one shared transaction (tests): use it
            return self.bind.exec_driver_sql(self.sql, parameters).first()
        held = self._held
        try:
            return self._run(held.get(), parameters)
        except self.engine.dialect.loaded_dbapi.Error:
            held.drop()
            return self._run(held.get(), parameters)

    def _run(
        self, connection: Connection, parameters: Mapping[str, Any] | None
    ) -> tuple[Any, ...] | None:
        cursor = connection.connection.dbapi_connection.cursor()
        try:
            if parameters:
                cursor.execute(self.sql, parameters)
            else:
                cursor.execute(self.sql)
            return cursor.fetchone()
        finally:
            cursor.close()
