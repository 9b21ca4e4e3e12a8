"""What a database holds, table by table: its row count and a digest of its rows.

The same function runs on the database as it was dumped (inside the dump's snapshot on
PostgreSQL, on the copy itself on SQLite) and on the database a restore produced, so the
two can be compared: equal counts and digests mean the restore brought back every row,
byte for byte as the engine writes it.

A digest is SHA-256 over the rows in primary-key order. On PostgreSQL it is taken over
the rows as ``COPY … TO STDOUT`` writes them (one line a row), under fixed settings (UTC,
ISO dates, shortest exact floats, hex bytea), with text keys ordered by bytes
(``COLLATE "C"``), so it depends on neither the session's time zone nor the database's
collation. On SQLite each row is the ``repr`` of the values the driver returns,
length-prefixed. Digests are compared within one engine only.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, column, inspect, literal_column, select
from sqlalchemy import table as table_clause
from sqlalchemy.sql import sqltypes

# Settings that fix how PostgreSQL writes a row as text (SET LOCAL: this transaction only).
_PG_TEXT_SETTINGS = (
    "SET LOCAL TimeZone = 'UTC'",
    "SET LOCAL DateStyle = 'ISO, YMD'",
    "SET LOCAL IntervalStyle = 'postgres'",
    "SET LOCAL extra_float_digits = 1",
    "SET LOCAL bytea_output = 'hex'",
)
_BATCH = 5000


@dataclass(frozen=True)
class TableDigest:
    rows: int
    sha256: str


@dataclass(frozen=True)
class Mismatch:
    """A table whose restored rows differ from the manifest's: ``problem`` is an error
    code (``error.<problem>`` in the locales), ``params`` its values."""

    problem: str
    params: dict[str, Any]


def current_schema(connection: Connection) -> str | None:
    """The schema the service's tables live in (PostgreSQL's ``current_schema()``, which
    a URL's ``options=-csearch_path=…`` sets); None on SQLite."""
    if connection.dialect.name != "postgresql":
        return None
    return connection.exec_driver_sql("SELECT current_schema()").scalar_one()


def alembic_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def table_digests(connection: Connection) -> dict[str, TableDigest]:
    """Every table of the service's schema (``alembic_version`` included), by name.

    On PostgreSQL the caller holds the transaction (a REPEATABLE READ one, to read one
    snapshot); the text settings are set for that transaction only.
    """
    postgres = connection.dialect.name == "postgresql"
    if postgres:
        for statement in _PG_TEXT_SETTINGS:
            connection.exec_driver_sql(statement)
    schema = current_schema(connection)
    inspector = inspect(connection)
    columns = inspector.get_multi_columns(schema=schema)  # one query each, not one per table
    keys = inspector.get_multi_pk_constraint(schema=schema)
    return {
        table: _digest(connection, _select_rows(connection, schema, table, columns, keys), postgres)
        for _, table in sorted(columns)
    }


def _select_rows(
    connection: Connection, schema: str | None, table: str, columns: Any, keys: Any
) -> str:
    """SQL for the table's rows in primary-key order (every column where there is none)."""
    types = {c["name"]: c["type"] for c in columns[(schema, table)]}
    postgres = connection.dialect.name == "postgresql"
    order = [
        column(name).collate("C")
        if postgres and isinstance(types[name], sqltypes.String)
        else column(name)
        for name in keys[(schema, table)]["constrained_columns"] or list(types)
    ]
    statement = select(literal_column("*")).select_from(table_clause(table, schema=schema))
    statement = statement.order_by(*order)
    return str(statement.compile(dialect=connection.dialect))


def _digest(connection: Connection, sql: str, postgres: bool) -> TableDigest:
    """The rows through the driver itself: a table of a million rows is read in seconds."""
    digest = hashlib.sha256()
    count = 0
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        if postgres:  # the rows as COPY writes them: one line each, newlines escaped
            with cursor.copy(f"COPY ({sql}) TO STDOUT") as copy:
                for chunk in copy:
                    digest.update(chunk)
                    count += bytes(chunk).count(b"\n")
        else:
            cursor.execute(sql)
            while batch := cursor.fetchmany(_BATCH):
                for row in batch:
                    data = repr(row).encode("utf-8")
                    digest.update(len(data).to_bytes(8, "big"))
                    digest.update(data)
                count += len(batch)
    finally:
        cursor.close()
    return TableDigest(count, digest.hexdigest())


def compare(expected: dict[str, TableDigest], actual: dict[str, TableDigest]) -> list[Mismatch]:
    """Each table the restore did not bring back as the manifest describes it."""
    found = []
    for table in sorted(expected.keys() | actual.keys()):
        want, got = expected.get(table), actual.get(table)
        if got is None:
            found.append(Mismatch(problem="backup-table-missing", params={"table": table}))
        elif want is None:
            found.append(
                Mismatch(
                    problem="backup-table-unexpected", params={"table": table, "rows": got.rows}
                )
            )
        elif want.rows != got.rows:
            params = {"table": table, "expected": want.rows, "actual": got.rows}
            found.append(Mismatch(problem="backup-table-rows", params=params))
        elif want.sha256 != got.sha256:
            found.append(Mismatch(problem="backup-table-content", params={"table": table}))
    return found
