"""The PostgreSQL extension the schema needs: ``pg_trgm``, for the trigram index that
answers a search by a part of a name (``entities.name LIKE '%…%'``).

An extension is installed once per database, in one schema, and every schema of that
database uses it: the service's own, each test's and benchmark's schema, a restored copy.
So it is created in ``public`` (never in the service's schema, which a test or a restore
may drop), and only where the database does not have it yet; where an operator has put
it elsewhere, that schema is used. pg_trgm is a trusted extension (PostgreSQL 13 and
later): the database's owner may create it without being a superuser. ``pg_dump`` of the
service's schema leaves extensions out, so a restore into another database creates it
first (``backup.postgres.restore``).
"""

from __future__ import annotations

from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError

TRIGRAM = "pg_trgm"
_SCHEMA_OF = text(
    "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace"
    " WHERE e.extname = :name"
)


def ensure_trigram(connection: Connection) -> str:
    """Create pg_trgm in ``public`` unless the database has it; the schema it is in.

    Two connections creating it at once (tests migrating their schemas side by side)
    collide on the catalog's unique index: the loser's savepoint is rolled back and the
    winner's extension used. Any other failure (no right to create it, no ``public``
    schema) is raised as PostgreSQL said it.
    """
    schema = connection.execute(_SCHEMA_OF, {"name": TRIGRAM}).scalar()
    if schema is not None:
        return str(schema)
    try:
        with connection.begin_nested():
            connection.exec_driver_sql(f"CREATE EXTENSION IF NOT EXISTS {TRIGRAM} SCHEMA public")
    except IntegrityError:
        pass  # created meanwhile by another connection: read where below
    return str(connection.execute(_SCHEMA_OF, {"name": TRIGRAM}).scalar_one())
