"""Trigram indexes: no pending list for the published list's, a short one for the registry's

Revision ID: b7d9f1a3c5e7
Revises: e1a3c5b7d9f2
Create Date: 2026-12-05 19:30:00

A GIN index first appends new entries to a pending list, which every search reads whole
until VACUUM (or the list's limit, 4 MB) merges it into the index. The list's trigram
index held 153 pending pages after 200,000 listings were published, and every public
search by name read them: 2.1 ms of its 2.3 ms in the database (docs/performance.md,
sixth session). Listings arrive a few a day, and autovacuum would not merge them for
tens of thousands of inserts, so the list's index takes its entries directly
(``fastupdate = off``). The registry's index is written in bulk by imports, where the
pending list pays, so it keeps one, capped at 256 kB (about 32 pages a search reads at
most). Both are emptied here.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "b7d9f1a3c5e7"
down_revision: str | None = "e1a3c5b7d9f2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIST_INDEX = "ix_dishonesty_cases_search_name_trgm"
REGISTRY_INDEX = "ix_entities_name_trgm"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"ALTER INDEX {LIST_INDEX} SET (fastupdate = off)")
    op.execute(f"ALTER INDEX {REGISTRY_INDEX} SET (gin_pending_list_limit = 256)")
    for index in (LIST_INDEX, REGISTRY_INDEX):
        op.execute(f"SELECT gin_clean_pending_list('{index}'::regclass)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"ALTER INDEX {LIST_INDEX} RESET (fastupdate)")
    op.execute(f"ALTER INDEX {REGISTRY_INDEX} RESET (gin_pending_list_limit)")
