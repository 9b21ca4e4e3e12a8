"""SQLite writers queue on the database's lock file (credit_service/db.py QueuedWriter):
a second writer starts as the first commits, and a writer that cannot get its turn gets
SQLite's own answer after the busy timeout, never a hang."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from credit_service.db import make_engine
from credit_service.held_connections import dispose


@pytest.fixture
def database(tmp_path):  # type: ignore[no-untyped-def]
    path = tmp_path / "queue.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
    dispose(engine)
    return path


def test_a_second_writer_starts_as_the_first_commits(database):
    engine = make_engine(f"sqlite:///{database}")
    first_in, times = threading.Event(), {}

    def first() -> None:
        with engine.begin() as connection:
            connection.execute(text("INSERT INTO t VALUES (1)"))
            first_in.set()
            time.sleep(0.3)
        times["first committed"] = time.monotonic()

    def second() -> None:
        first_in.wait()
        with engine.begin() as connection:
            times["second began"] = time.monotonic()
            connection.execute(text("INSERT INTO t VALUES (2)"))

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    with engine.connect() as connection:
        assert connection.execute(text("SELECT x FROM t ORDER BY x")).scalars().all() == [1, 2]
    # SQLite alone would retry 28 ms after the commit (its sleeps add up to 328 ms)
    assert 0 <= times["second began"] - times["first committed"] < 0.015
    assert database.with_name("queue.db-writers").exists()
    dispose(engine)


def test_a_writer_that_never_gets_its_turn_is_refused_after_the_busy_timeout(database):
    """A second write transaction opened while the thread holds one (a bug, but one that
    must fail as SQLite fails it, not hang)."""
    engine = make_engine(f"sqlite:///{database}", busy_timeout_ms=200)
    started = time.monotonic()
    with engine.begin() as outer:
        outer.execute(text("INSERT INTO t VALUES (1)"))
        with pytest.raises(OperationalError, match="locked"), engine.begin() as inner:
            inner.execute(text("INSERT INTO t VALUES (2)"))
    assert time.monotonic() - started < 2
    with engine.begin() as after:  # the turn was given back
        after.execute(text("INSERT INTO t VALUES (3)"))
        assert after.execute(text("SELECT count(*) FROM t")).scalar_one() == 2
    dispose(engine)
