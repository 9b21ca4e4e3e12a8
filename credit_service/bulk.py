"""Fast bulk inserts for the CSV importers: COPY on PostgreSQL, executemany on SQLite.

SQLAlchemy's generic executemany spends most of its time building parameters row by row;
here each column's own bind processor is applied in a tight loop and the rows go to the
driver in one call, so values are stored exactly as the ORM would store them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Mapping, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import String, Table, any_, bindparam, func, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session


def bulk_insert(
    session: Session,
    table: Table,
    rows: Sequence[Mapping[str, Any]] | Sequence[tuple[Any, ...]],
    *,
    constants: Mapping[str, Any] | None = None,
    preserialized: Collection[str] = (),
    columns: Sequence[str] | None = None,
) -> int:
    """Insert ``rows`` (dicts keyed by column name, or tuples of the ``columns`` named, in
    that order) in the session's transaction.

    ``constants`` are columns with one value for every row (processed once);
    ``preserialized`` names columns whose values are already in stored form (JSON text).
    """
    if not rows:
        return 0
    connection = session.connection()
    dialect = connection.dialect
    constants = constants or {}
    if columns is None:
        varying = [c for c in table.columns if c.name in rows[0] and c.name not in constants]
        pick = _row_getter([c.name for c in varying])
    else:
        varying = [table.c[name] for name in columns]
        pick = _as_is
    fixed = [c for c in table.columns if c.name in constants]
    tail = tuple(
        (p(constants[c.name]) if (p := _processor(c, dialect)) else constants[c.name])
        for c in fixed
    )
    processed = [
        (i, p)
        for i, c in enumerate(varying)
        if c.name not in preserialized and (p := _processor(c, dialect))
    ]
    values = []
    for row in rows:
        value = pick(row)
        if processed:
            value = list(value)
            for i, process in processed:
                value[i] = process(value[i])
            value = tuple(value)
        values.append(value + tail)
    _send(connection, table.name, [c.name for c in varying + fixed], values)
    return len(values)


def _send(connection: Any, table: str, names: list[str], values: list[tuple[Any, ...]]) -> None:
    driver = connection.connection.driver_connection
    columns = ", ".join(names)
    if connection.dialect.name == "postgresql":
        # Table and column names come from our own models, never from input.
        statement = f"COPY {table} ({columns}) FROM STDIN"
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for value in values:
                copy.write_row(value)
        return
    marks = ", ".join("?" for _ in names)
    cursor = driver.cursor()
    # the table and column names are our own model's; the values are bound
    statement = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # nosec B608
    cursor.executemany(statement, values)
    cursor.close()


def _as_is(row: Any) -> Any:
    return row


def _row_getter(names: list[str]) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    """A row's values for ``names`` as a tuple (``itemgetter`` does the work in C)."""
    if len(names) <= 1:
        return lambda row: tuple(row[name] for name in names)
    return itemgetter(*names)


def _processor(column: Any, dialect: Any) -> Callable[[Any], Any] | None:
    """The column's bind processor for this dialect (variants and decorators included)."""
    return column.type.dialect_impl(dialect).bind_processor(dialect)


class StatisticsRefresher:
    """ANALYZE a growing table now and then during a bulk import (PostgreSQL only).

    PostgreSQL plans from table statistics; a table that grows from empty within one import
    would keep its "tiny table" plan and be scanned sequentially by every batch's lookups.
    Refreshing at geometrically spaced sizes keeps the cost of ANALYZE itself small.
    """

    def __init__(self, table: Table, first: int = 1_000, factor: int = 4) -> None:
        self.table, self.next_at, self.factor, self.inserted = table, first, factor, 0

    def note(self, session: Session, inserted: int) -> None:
        self.inserted += inserted
        if self.inserted < self.next_at or session.connection().dialect.name != "postgresql":
            return
        session.execute(text(f"ANALYZE {self.table.name}"))
        self.next_at = self.inserted * self.factor


def in_list(session: Session, column: Any, keys: Sequence[str]) -> Any:
    """``column IN (keys)`` as one parameter, whatever the number of keys.

    A plain IN with thousands of values makes SQLAlchemy render (and the database plan)
    a new statement for every batch; an array (PostgreSQL) or a JSON list (SQLite) keeps
    one cached statement.
    """
    dialect = session.connection().dialect.name
    return keys_in(dialect, column, keys_value(dialect, keys))


def keys_in(
    dialect: str, column: Any, value: Any = None, *, name: str = "keys", item_type: Any = String
) -> Any:
    """``column IN (:keys)`` with every key in the one parameter ``name``, whose value
    ``keys_value`` makes (given here, or at each execution of a statement built once);
    the keys are strings unless ``item_type`` says otherwise."""
    if dialect == "postgresql":
        return column == any_(bindparam(name, value, type_=ARRAY(item_type)))
    values = func.json_each(bindparam(name, value, type_=String)).table_valued("value")
    return column.in_(select(values.c.value))


def keys_value(dialect: str, keys: Sequence[Any]) -> Any:
    """The ``keys`` parameter of ``keys_in``: an array, or a JSON list on SQLite."""
    return list(keys) if dialect == "postgresql" else json.dumps(list(keys))
