"""Readiness: can this process serve? Database, schema version, catalogs."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from credit_service.catalogs import services as catalog_services
from credit_service.context import Context

MIGRATIONS_INI = Path(__file__).resolve().parent / "migrations" / "alembic.ini"
# Readiness asks Alembic for the schema version on every probe: keep its INFO lines quiet.
logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)


def alembic_config(database_url: str | None = None) -> Config:
    """The Alembic configuration; the URL comes from settings, never from the ini file."""
    config = Config(str(MIGRATIONS_INI))
    config.set_main_option("script_location", str(MIGRATIONS_INI.parent))
    if database_url:
        config.attributes["database_url"] = database_url
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def readiness(ctx: Context) -> dict[str, str]:
    """One entry per check: 'ok' or the reason it failed."""
    checks = {"database": "ok", "migrations": "ok", "catalogs": "ok"}
    try:
        # A read session: on SQLite the writer engine's BEGIN IMMEDIATE would wait for the
        # write lock (busy timeout) during any long write and report the database down.
        with ctx.read_session_factory() as session:
            connection = session.connection()
            connection.execute(text("SELECT 1"))
            current = MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError as exc:
        reason = f"unreachable: {type(exc).__name__}"
        return {"database": reason, "migrations": "unknown", "catalogs": "unknown"}
    head = head_revision()
    if current != head:
        checks["migrations"] = f"at {current or 'none'}, head is {head}: run make migrate"
        checks["catalogs"] = "unknown"
        return checks
    with ctx.read_session_factory() as session:
        missing = catalog_services.unloaded_domains(session, ctx)
    if missing:
        checks["catalogs"] = f"not loaded: {', '.join(missing)} (run flask catalogs load)"
    return checks
