"""Connections kept by threads for the hottest paths, outside the pool: the reads every
API call makes (its token), the tier lookups, the public list's version and its search
(a page with its penalties' references), a single credit check's read, and its audit row
(``writing``). Split from ``db`` (engines and types), which they use.
"""

from __future__ import annotations

import contextlib
import threading
import time
import weakref
from collections import namedtuple
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql import ClauseElement

from credit_service.db import QueuedWriter, is_sqlite

HELD_MAX_AGE_S = 1800.0  # as the pool's recycle: reopened before idle timeouts cut it


class ThreadConnections:
    """One connection per thread and engine (the primary's, a replica's), outside the
    pool, for the reads on the hottest paths (every API call's token check, tier lookups,
    the public list's version and search, a single credit check).

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

    def run(self, work: Callable[[Connection], Any]) -> Any:
        """``work`` on this thread's connection. After a database error the connection
        is replaced; the work runs once more only when the error was the connection's
        loss (a restart, a failover: nothing ran), never for an error of the statement
        itself, so that a failing search or check is not run twice.

        :raises DBAPIError: the driver's error as SQLAlchemy's, as every other read
            raises it: ``connection_invalidated`` when the connection was lost (again),
            which the API answers 503 "try again", not 500.
        """
        try:
            return self._once(work)
        except DBAPIError as error:
            if not error.connection_invalidated:
                raise
        return self._once(work)

    def _once(self, work: Callable[[Connection], Any]) -> Any:
        """``work`` once; after the driver's error the connection is dropped, and the
        error raised as SQLAlchemy's, saying whether the connection was lost (as it is
        when none can be opened: the database restarting, or failing over)."""
        try:
            connection = self.get()
        except DBAPIError as error:
            error.connection_invalidated = True
            raise
        dialect = self.engine.dialect
        try:
            return work(connection)
        except dialect.loaded_dbapi.Error as error:
            lost = _lost(connection, error)
            self.drop()
            raise DBAPIError.instance(
                None,
                None,
                error,
                dialect.loaded_dbapi.Error,
                connection_invalidated=lost,
                dialect=dialect,
            ) from error

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


def _lost(connection: Connection, error: Exception) -> bool:
    """Whether ``error`` says the connection itself is gone (as the pool would judge)."""
    dbapi = connection.connection.dbapi_connection
    if getattr(dbapi, "closed", False):
        return True
    return bool(connection.dialect.is_disconnect(error, dbapi, None))


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
    going through SQLAlchemy. A lost connection is replaced and the read run again
    (``ThreadConnections.run``).
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
        return self._held.run(lambda connection: self._run(connection, parameters))  # type: ignore[no-any-return]

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


class HeldStatement:
    """A Core statement compiled once for an engine's dialect and run straight on the
    DB-API cursor of the thread's connection (``ThreadConnections``, autocommit): for a
    single credit check's read and audit row and the public search's statements
    (``dishonesty.public_search``), where SQLAlchemy's execution (context,
    result, events) cost more than the statements (about 150 µs a statement on SQLite).

    The column types still convert both ways (their bind and result processors, as
    SQLAlchemy would apply them: dates from SQLite's text, JSON, UTC datetimes); a
    selected row comes as a named tuple. A statement with an IN list to expand at each
    execution cannot be compiled once: pass such values in one parameter
    (``bulk.keys_in``). ``read_rows`` and ``write_row`` run these statements.
    """

    def __init__(self, engine: Engine, statement: ClauseElement) -> None:
        dialect = engine.dialect
        compiled = statement.compile(dialect=dialect)
        self.sql = compiled.string
        self._order = compiled.positiontup  # positional paramstyles (sqlite3's qmark)
        self._binds = {
            name: param.type.dialect_impl(dialect).bind_processor(dialect)
            for name, param in compiled.binds.items()
        }
        # the statement's own values (``category == "dishonest"``), converted once
        self._fixed = self._converted(
            {n: p.effective_value for n, p in compiled.binds.items() if not p.required}
        )
        columns = list(getattr(statement, "selected_columns", ()))
        names = [str(c.key) for c in columns]  # an unnamed column's becomes _<position>
        self._row = namedtuple("Row", names, rename=True)  # type: ignore[misc]  # noqa: PYI024
        self._results = [
            c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns
        ]

    def parameters(self, values: Mapping[str, Any]) -> Any:
        """``values`` converted by their columns' types, with the statement's own, in the
        driver's paramstyle."""
        converted = {**self._fixed, **self._converted(values)}
        return converted if self._order is None else [converted[n] for n in self._order]

    def _converted(self, values: Mapping[str, Any]) -> dict[str, Any]:
        return {
            name: value if (process := self._binds.get(name)) is None else process(value)
            for name, value in values.items()
        }

    def rows(self, cursor: Any) -> list[Any]:
        processors: list[Callable[[Any], Any] | None] = self._results
        return [
            self._row(*(v if p is None else p(v) for v, p in zip(raw, processors, strict=True)))
            for raw in cursor.fetchall()
        ]


StatementSource = Callable[[], ClauseElement]  # the statement, built when first needed
_STATEMENTS: weakref.WeakKeyDictionary[Engine, dict[StatementSource, HeldStatement]] = (
    weakref.WeakKeyDictionary()
)


def held_statement(engine: Engine, source: StatementSource) -> HeldStatement:
    """``source``'s statement compiled for ``engine`` (once per engine; compiled outside
    the lock, so that a first search of a new shape holds up no other thread)."""
    with _THREAD_CONNECTIONS_LOCK:
        kept = _STATEMENTS.setdefault(engine, {}).get(source)
    if kept is not None:
        return kept
    statement = HeldStatement(engine, source())
    with _THREAD_CONNECTIONS_LOCK:
        return _STATEMENTS[engine].setdefault(source, statement)


def dialect_name(factory: sessionmaker[Session]) -> str:
    """The database kind of ``factory``'s sessions ("postgresql", "sqlite")."""
    return str(factory.kw["bind"].dialect.name)


def read_rows(
    factory: sessionmaker[Session],
    source: StatementSource,
    values: Mapping[str, Any],
    *,
    prepare: bool = True,
) -> list[Any]:
    """The rows of ``source``'s statement read on the thread's connection of ``factory``
    (``HeldStatement``). With ``prepare`` off, PostgreSQL plans it for each execution's
    values, never with a plan kept for all of them (a name search: a pattern's best plan
    depends on it, docs/performance.md, eighth session)."""
    bind = factory.kw["bind"]
    if isinstance(bind, Connection):
        return list(bind.execute(source(), dict(values)))
    statement = held_statement(bind, source)
    held = thread_connections(bind)
    return _on_held(held, statement, values, statement.rows, prepare=prepare)  # type: ignore[no-any-return]


def write_row(
    factory: sessionmaker[Session], source: StatementSource, values: Mapping[str, Any]
) -> None:
    """Run ``source``'s statement, which writes one row, committed before it returns. On
    SQLite the writer waits its turn (``db.QueuedWriter``) and takes the write lock
    before the statement; on PostgreSQL the autocommit statement commits itself."""
    bind = factory.kw["bind"]
    if isinstance(bind, Connection):
        with bind.begin_nested():
            bind.execute(source(), dict(values))
        return
    _on_held(thread_connections(bind), held_statement(bind, source), values, None, write=True)


def _on_held(
    held: ThreadConnections,
    statement: HeldStatement,
    values: Mapping[str, Any],
    result: Callable[[Any], Any] | None,
    *,
    write: bool = False,
    prepare: bool = True,
) -> Any:
    """Run on the thread's connection (``ThreadConnections.run``: a lost one is replaced
    and the statement run again)."""
    return held.run(
        lambda connection: _run_held(connection, statement, values, result, write, prepare)
    )


def _run_held(
    connection: Connection,
    statement: HeldStatement,
    values: Mapping[str, Any],
    result: Callable[[Any], Any] | None,
    write: bool,
    prepare: bool,
) -> Any:
    dbapi = connection.connection.dbapi_connection
    queued = write and isinstance(dbapi, QueuedWriter)
    # psycopg's own option (it prepares a statement run five times); other drivers have none
    options = {} if prepare or connection.dialect.driver != "psycopg" else {"prepare": False}
    cursor = dbapi.cursor()  # type: ignore[union-attr]
    try:
        if queued:
            dbapi.wait_turn()  # type: ignore[union-attr]
            cursor.execute("BEGIN IMMEDIATE")
        cursor.execute(statement.sql, statement.parameters(values), **options)
        answer = None if result is None else result(cursor)
        if queued:
            dbapi.commit()  # type: ignore[union-attr]
        return answer
    except BaseException:
        if queued:
            dbapi.rollback()  # type: ignore[union-attr]
        raise
    finally:
        cursor.close()
