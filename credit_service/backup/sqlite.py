"""SQLite: a copy through SQLite's online backup API, and back.

The backup API copies the database as one read transaction sees it: in WAL mode writers
go on meanwhile and the copy is still consistent (what was committed when the copy
began), with the WAL's pages in it. The copy is switched to a rollback journal, so the
backup is one self-contained file; the service switches a restored database back to WAL
when it connects. The manifest's counts are read from the copy itself.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from credit_service.errors import CreditServiceError
from credit_service.files import private_dir, private_file


def database_path(url: str) -> Path:
    """The file of a SQLite URL.

    :raises CreditServiceError: ``backup-sqlite-file-required`` (an in-memory database).
    """
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise CreditServiceError("backup-sqlite-file-required", url=url)
    return Path(database)


def read_only(path: Path) -> Engine:
    """An engine that reads ``path`` and cannot change it (nor its journal mode)."""
    uri = f"{path.resolve().as_uri()}?mode=ro"
    return create_engine(
        "sqlite://", creator=lambda: sqlite3.connect(uri, uri=True), poolclass=NullPool
    )


@contextmanager
def reading(path: Path) -> Iterator[Connection]:
    engine = read_only(path)
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


@contextmanager
def dumped(url: str, path: Path) -> Iterator[Connection]:
    """Copy the database of ``url`` to ``path`` (0600) and yield a connection reading
    the copy.

    :raises CreditServiceError: ``backup-database-missing``.
    """
    source_path = database_path(url)
    if not source_path.is_file():
        raise CreditServiceError("backup-database-missing", path=str(source_path))
    _copy(source_path, path)
    with reading(path) as connection:
        yield connection


def is_empty(url: str) -> bool:
    """Whether the database of ``url`` holds no table (or is not there yet)."""
    path = database_path(url)
    if not path.is_file() or path.stat().st_size == 0:
        return True
    with closing(sqlite3.connect(path)) as connection:  # read-write: it may be in WAL mode
        count = connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    return count == 0


def restore(url: str, path: Path) -> None:
    """Copy the backup at ``path`` over the database of ``url`` (created 0600, its
    folder 0700, if missing)."""
    target = database_path(url)
    private_dir(target.parent)
    _copy(path, target)


def _copy(source_path: Path, destination_path: Path) -> None:
    """Copy one database into another with the backup API, in one step (a step-wise copy
    starts again whenever the source is written), and leave the destination with a
    rollback journal."""
    private_file(destination_path)
    with (
        closing(sqlite3.connect(source_path)) as source,
        closing(sqlite3.connect(destination_path)) as destination,
    ):
        source.backup(destination)
        destination.execute("PRAGMA journal_mode=DELETE")
