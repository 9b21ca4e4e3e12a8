"""The published list: an index of each name's characters and pairs of characters

Revision ID: d4f6a8c0e2b4
Revises: c3e5a7b9d1f3
Create Date: 2026-12-09 09:00:00

A trigram needs three characters, so a search by one or two (华, 科技: most Chinese
searches are two characters) cannot use the list's trigram index. Where many listings
hold the fragment, reading the newest listings until a page is full is quick; where few
or none do, PostgreSQL read every listing: 19–30 ms in the database for a rare pair at
200,000 listed names, a p99 of 1.4 s served at 32 connections (docs/performance.md,
twelfth session). Each name's single characters and pairs (``search_grams``, an
immutable SQL function in the service's schema) now have a GIN index without a pending
list, as the trigram index (migration b7d9f1a3c5e7), and a sample of 1,000 as the names
(migration c3e5a7b9d1f3): a rare pair is then read through it (0.1–0.6 ms). SQLite:
nothing (a city's list is scanned).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "d4f6a8c0e2b4"
down_revision: str | None = "c3e5a7b9d1f3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_dishonesty_cases_search_name_grams"
# Only pg_catalog's functions, which every search_path finds (pg_restore runs with an
# empty one); the name's characters are counted, not its bytes.
FUNCTION = """
CREATE FUNCTION search_grams(text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT array(
    SELECT DISTINCT substr($1, i, n)
    FROM generate_series(1, char_length($1)) AS i, (VALUES (1), (2)) AS k(n)
    WHERE i + n - 1 <= char_length($1)
  )
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(FUNCTION)
    op.execute(
        f"CREATE INDEX {INDEX} ON dishonesty_cases USING gin (search_grams(search_name))"
        " WITH (fastupdate = off)"
    )
    op.execute(f"ALTER INDEX {INDEX} ALTER COLUMN 1 SET STATISTICS 1000")
    op.execute("ANALYZE dishonesty_cases")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"DROP INDEX IF EXISTS {INDEX}")
    op.execute("DROP FUNCTION IF EXISTS search_grams(text)")
