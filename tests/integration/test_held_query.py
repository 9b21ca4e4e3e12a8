"""The per-thread connections of the hot reads (``held_connections``: ThreadConnections,
through reading and HeldQuery), on a real engine of each database: they see every commit
at once, replace a lost connection, and give each thread its own."""

from __future__ import annotations

import gc
import secrets
import threading
import weakref

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import sessionmaker

from credit_service.db import make_engine
from credit_service.held_connections import (
    HeldQuery,
    dispose,
    read_rows,
    reading,
    thread_connections,
)
from tests.integration.test_access_log import free_port


@pytest.fixture
def probe_table(engine):  # type: ignore[no-untyped-def]
    name = f"held_probe_{secrets.token_hex(3)}"
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE TABLE {name} (id INTEGER PRIMARY KEY)")
    yield name
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP TABLE {name}")


def insert(engine, table: str, value: int) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as conn:
        conn.exec_driver_sql(f"INSERT INTO {table} (id) VALUES ({value})")


def test_a_held_query_sees_each_commit_at_once(engine, probe_table):
    probe = HeldQuery(engine, f"SELECT max(id) FROM {probe_table}")
    assert probe.first() == (None,)
    insert(engine, probe_table, 7)
    assert probe.first() == (7,)  # no transaction kept open between two asks
    insert(engine, probe_table, 9)
    assert probe.first() == (9,)
    thread_connections(engine).drop()


def test_a_lost_connection_is_replaced_and_threads_have_their_own(engine, probe_table):
    probe = HeldQuery(engine, f"SELECT max(id) FROM {probe_table}")
    held = thread_connections(engine)
    insert(engine, probe_table, 3)
    assert probe.first() == (3,)
    mine = held.get()
    mine.connection.dbapi_connection.close()  # what a database restart does to it
    assert probe.first() == (3,)
    assert held.get() is not mine

    seen: list[object] = []
    other = threading.Thread(target=lambda: seen.append((probe.first(), held.get())))
    other.start()
    other.join()
    assert seen[0][0] == (3,) and seen[0][1] is not held.get()
    seen[0][1].close()
    held.drop()


def test_a_connection_lost_on_both_runs_is_raised_as_lost(engine):
    """Lost again on its second run (the database still restarting), the read fails as
    SQLAlchemy's error marked ``connection_invalidated``, which the API answers 503
    "try again" (``web.errors.handle_unexpected``), not as the driver's own error (a 500)."""
    held = thread_connections(engine)
    runs: list[object] = []

    def lost_each_time(connection):  # type: ignore[no-untyped-def]
        runs.append(connection)
        dbapi = connection.connection.dbapi_connection
        dbapi.close()  # what a database restart does to it
        dbapi.cursor().execute("SELECT 1")

    with pytest.raises(DBAPIError) as raised:
        held.run(lost_each_time)
    assert raised.value.connection_invalidated
    assert len(runs) == 2 and runs[0] is not runs[1]
    held.drop()


def test_a_database_that_cannot_be_reached_is_raised_as_a_lost_connection():
    """No connection can be opened (the database restarting, failing over): the read
    fails as a lost connection, which the API answers 503 "try again", not 500."""
    unreachable = make_engine(
        f"postgresql://postgres@127.0.0.1:{free_port()}/x", connect_timeout_s=2
    )
    try:
        with pytest.raises(DBAPIError) as raised:
            thread_connections(unreachable).run(lambda connection: None)
        assert raised.value.connection_invalidated
    finally:
        dispose(unreachable)


def test_a_statement_that_fails_is_not_run_again(engine, db_kind):
    """Only a lost connection is worth a second run: a statement's own error (a public
    search that fails, a check) reaches the caller after one run, on a new connection."""
    factory = sessionmaker(bind=engine)
    held = thread_connections(engine)
    first = held.get()
    if db_kind == "postgresql":
        sequence = f"held_runs_{secrets.token_hex(3)}"
        with engine.begin() as conn:
            conn.exec_driver_sql(f"CREATE SEQUENCE {sequence}")
        failing = text(f"SELECT nextval('{sequence}') / 0")
        with pytest.raises(DBAPIError):
            read_rows(factory, lambda: failing, {})
        with engine.begin() as conn:
            runs = conn.exec_driver_sql(f"SELECT last_value FROM {sequence}").scalar()
            conn.exec_driver_sql(f"DROP SEQUENCE {sequence}")
        assert runs == 1
    else:
        runs = []

        def refused() -> None:
            runs.append(1)
            raise ValueError("refused")

        first.connection.dbapi_connection.create_function("refused", 0, refused)
        failing = text("SELECT refused()")
        # a second run, on a new connection without the function, would say "no such function"
        with pytest.raises(DBAPIError, match="user-defined function"):
            read_rows(factory, lambda: failing, {})
        assert runs == [1]
    assert held.get() is not first  # replaced all the same: its state is not known
    held.drop()


def test_reading_ends_each_read_so_the_next_sees_newer_commits(engine, probe_table):
    """On SQLite a read holds a snapshot until its transaction ends: a kept connection
    must end it after each read, or it would never see a later commit."""
    factory = sessionmaker(bind=engine)
    query = f"SELECT max(id) FROM {probe_table}"
    with reading(factory) as connection:
        assert connection.exec_driver_sql(query).scalar() is None
    insert(engine, probe_table, 5)
    with reading(factory) as connection:
        assert connection.exec_driver_sql(query).scalar() == 5
        first = connection
    with reading(factory) as connection:
        assert connection is first  # the same kept connection, no pool checkout
    thread_connections(engine).drop()


def test_reading_drops_a_connection_that_failed(engine, probe_table):
    factory = sessionmaker(bind=engine)
    with reading(factory) as connection:
        broken = connection
    broken.connection.dbapi_connection.close()
    with pytest.raises(DBAPIError), reading(factory) as connection:
        connection.exec_driver_sql(f"SELECT max(id) FROM {probe_table}")
    with reading(factory) as connection:
        assert connection is not broken
        assert connection.exec_driver_sql(f"SELECT count(*) FROM {probe_table}").scalar() == 0
    thread_connections(engine).drop()


def test_a_finished_threads_connection_is_not_kept(engine, probe_table):
    """A server that starts a thread per request must not pile up connections."""
    factory = sessionmaker(bind=engine)
    seen: list[weakref.ref] = []

    def read() -> None:
        with reading(factory) as connection:
            connection.exec_driver_sql(f"SELECT count(*) FROM {probe_table}").scalar()
            seen.append(weakref.ref(connection))

    worker = threading.Thread(target=read)
    worker.start()
    worker.join()
    del worker
    gc.collect()
    assert seen[0]() is None
