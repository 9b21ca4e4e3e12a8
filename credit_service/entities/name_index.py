"""The registry's trigram index on names (PostgreSQL), built once after an initial load.

A GIN index takes each new name's trigrams one row at a time. Loading 300,000 entities
into an empty registry, the COPY took 13.1 s with the index in place and 5.8 s without
it, and building it afterwards 1.8 s (docs/performance.md, eleventh session): at a
province's 7,000,000 entities, minutes. So an import that finds the registry empty drops
the index and builds it when it ends, whether it succeeded or not. A search by name
meanwhile scans; the registry is being filled.

If the process dies in between, the index is missing: every entity import (a file of
a header alone will do) builds it where it is missing. The definition is the one the
migrations make (``f8a0c2e4b6d8``, ``b7d9f1a3c5e7``); a test compares the two.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import exists, select, text
from sqlalchemy.orm import Session

from credit_service.context import Context
from credit_service.entities.models import Entity
from credit_service.pg_extensions import ensure_trigram

INDEX = "ix_entities_name_trgm"


@contextmanager
def built_after_initial_load(ctx: Context) -> Iterator[None]:
    """Within: an import's batches; the index is dropped first if the registry is empty
    (PostgreSQL), and is there when the block is left."""
    with ctx.session_factory.begin() as session:
        if _is_postgresql(session) and not session.scalar(select(exists().select_from(Entity))):
            session.connection().exec_driver_sql(f"DROP INDEX IF EXISTS {INDEX}")
    try:
        yield
    finally:
        with ctx.session_factory.begin() as session:
            ensure(session)


def ensure(session: Session) -> None:
    """Build the index where it is missing (PostgreSQL; SQLite has none). Looked up
    first: even ``CREATE INDEX IF NOT EXISTS`` locks the table against writes."""
    if not _is_postgresql(session):
        return
    connection = session.connection()
    if connection.execute(text("SELECT to_regclass(:name)"), {"name": INDEX}).scalar():
        return
    schema = ensure_trigram(connection)
    connection.exec_driver_sql(
        f'CREATE INDEX IF NOT EXISTS {INDEX} ON entities USING gin (name "{schema}".gin_trgm_ops)'
        " WITH (gin_pending_list_limit = 256)"
    )


def _is_postgresql(session: Session) -> bool:
    return session.connection().dialect.name == "postgresql"
