"""The per-thread connection the public list asks its version through (db.HeldQuery),
on a real engine of each database: it sees every commit at once, replaces a lost
connection, and gives each thread its own."""

from __future__ import annotations

import secrets
import threading

import pytest

from credit_service.db import HeldQuery


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
    probe.close()


def test_a_lost_connection_is_replaced_and_threads_have_their_own(engine, probe_table):
    probe = HeldQuery(engine, f"SELECT max(id) FROM {probe_table}")
    insert(engine, probe_table, 3)
    assert probe.first() == (3,)
    mine = probe._local.connection
    mine.close()  # what a database restart or a dropped network does to it
    assert probe.first() == (3,)
    assert probe._local.connection is not mine

    seen: list[object] = []
    other = threading.Thread(target=lambda: seen.append((probe.first(), probe._local.connection)))
    other.start()
    other.join()
    assert seen[0][0] == (3,) and seen[0][1] is not probe._local.connection
    seen[0][1].close()
    probe.close()
