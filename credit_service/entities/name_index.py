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

Imports may run side by side (the console, the command line). An advisory lock keyed by
the schema and the index keeps them in turn: the initial load holds it on a connection
of its own from the drop to the build, and an import that ends meanwhile leaves the
index to the load rather than building it over half the rows; two imports ending
together build it once.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, exists, select, text

from credit_service.context import Context
from credit_service.entities.models import Entity
from credit_service.pg_extensions import ensure_trigram

INDEX = "ix_entities_name_trgm"
_SCHEMA = text("SELECT current_schema()")
_TRY_LOCK = text("SELECT pg_try_advisory_lock(hashtext(:key))")
_UNLOCK = text("SELECT pg_advisory_unlock(hashtext(:key))")
_TRY_XACT_LOCK = text("SELECT pg_try_advisory_xact_lock(hashtext(:key))")
_FOUND = text("SELECT to_regclass(:name)")
log = logging.getLogger(__name__)


@contextmanager
def built_after_initial_load(ctx: Context) -> Iterator[None]:
    """Within: an import's batches. On PostgreSQL, the index is dropped first if the
    registry is empty and no other import holds the index, and is there when the block
    is left (unless another initial load is under way: that one builds it)."""
    if ctx.engine.dialect.name != "postgresql":
        yield
        return
    with ctx.session_factory.begin() as session:
        schema = str(session.scalar(_SCHEMA))
    key = f"{schema}.{INDEX}"
    with ctx.engine.connect() as holder:
        initial = _initial_load(ctx, holder, schema, key)
        try:
            try:
                yield
            except BaseException:
                _build_quietly(ctx, schema, key, initial)
                raise
            _build(ctx, schema, key, initial)
        finally:
            if initial:
                _release(holder, key)


def _initial_load(ctx: Context, holder: Connection, schema: str, key: str) -> bool:
    """Drop the index if this import loads an empty registry; whether it did. The lock
    is taken on ``holder`` (a session lock, released after the build)."""
    got = bool(holder.execute(_TRY_LOCK, {"key": key}).scalar())
    holder.commit()
    if not got:
        return False
    try:
        with ctx.session_factory.begin() as session:
            empty = not session.scalar(select(exists().select_from(Entity)))
            if empty:
                session.connection().exec_driver_sql(f'DROP INDEX IF EXISTS "{schema}".{INDEX}')
    except BaseException:
        _release(holder, key)
        raise
    if not empty:
        _release(holder, key)
    return empty


def _release(holder: Connection, key: str) -> None:
    """Give the lock back; a connection that cannot is closed, which ends its session and
    the lock with it (a pooled connection would keep a session lock)."""
    try:
        holder.execute(_UNLOCK, {"key": key})
        holder.commit()
    except Exception:
        holder.invalidate()


def _build(ctx: Context, schema: str, key: str, initial: bool) -> None:
    """Build the index where it is missing: the initial load under its own lock, any
    other import only if no one else holds it."""
    with ctx.session_factory.begin() as session:
        connection = session.connection()
        if not initial and not connection.execute(_TRY_XACT_LOCK, {"key": key}).scalar():
            return
        if connection.execute(_FOUND, {"name": f'"{schema}".{INDEX}'}).scalar():
            return  # looked up first: even CREATE INDEX IF NOT EXISTS waits for writers
        trigram = ensure_trigram(connection)
        connection.exec_driver_sql(
            f'CREATE INDEX IF NOT EXISTS {INDEX} ON "{schema}".entities'
            f' USING gin (name "{trigram}".gin_trgm_ops) WITH (gin_pending_list_limit = 256)'
        )


def _build_quietly(ctx: Context, schema: str, key: str, initial: bool) -> None:
    """``_build`` on the way out of a failed import: its own failure is logged, so that
    the import's error is the one raised (the next import builds the index)."""
    try:
        _build(ctx, schema, key, initial)
    except Exception:
        log.exception("the registry's name index was not built after a failed import")
