"""A SQLite file not yet in WAL mode, opened while another connection writes to it (two
workers' first requests to a new rate-limit file): SQLite refuses the switch to WAL at
once, without its busy wait, so the new connection waits for the writer itself, within
the busy timeout."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from credit_service.db import make_engine


def _writing(path: Path) -> sqlite3.Connection:
    """Another process's connection in the middle of a write transaction on a new file."""
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("CREATE TABLE hits (n INTEGER)")
    return holder


def test_a_new_connection_switches_to_wal_once_the_writer_is_done(tmp_path: Path) -> None:
    holder = _writing(tmp_path / "limits.db")
    commit = threading.Timer(0.2, holder.execute, args=("COMMIT",))
    commit.start()
    engine = make_engine(f"sqlite:///{tmp_path / 'limits.db'}")
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("SELECT count(*) FROM hits").scalar() == 0
    finally:
        commit.join()
        engine.dispose()
        holder.close()


def test_a_writer_that_never_ends_still_fails_after_the_busy_timeout(tmp_path: Path) -> None:
    holder = _writing(tmp_path / "limits.db")
    engine = make_engine(f"sqlite:///{tmp_path / 'limits.db'}", busy_timeout_ms=300)
    started = time.monotonic()
    try:
        with pytest.raises(OperationalError, match="locked"):
            engine.connect()
        assert time.monotonic() - started >= 0.3
    finally:
        engine.dispose()
        holder.close()
