"""The published list: the page-order index holds what a name search tests (PostgreSQL)

Revision ID: f6b8d0a2c4e7
Revises: e5a7c9b1d3f6
Create Date: 2026-12-10 10:00:00

A search by a fragment some hundreds of listings hold walks the list newest first until
a page is full (migration c3e5a7b9d1f3), and PostgreSQL, estimating the matches from a
sample of names, may walk ten to fifteen thousand listings for it: each one a look-up
of the case's row, 23 ms in the database for 锦程新 at a province's 200,000 listings.
The index now includes the columns that walk tests (the state and dates that say the
entry is shown, the list's copy of the name), so it is read alone (an index-only scan):
3.5 ms for the same walk (docs/performance.md, thirteenth session). SQLite has no
INCLUDE: nothing to do there. The list is locked while the index is built again (about a
second at 200,000 listings): public reads of it wait that long during the upgrade.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "f6b8d0a2c4e7"
down_revision: str | None = "e5a7c9b1d3f6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_dishonesty_cases_newest"
INCLUDES = ["state", "removed_on", "term_ends_on", "search_name"]  # as the model's


def upgrade() -> None:
    _replace(INCLUDES)


def downgrade() -> None:
    _replace(None)


def _replace(includes: list[str] | None) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index(INDEX, table_name="dishonesty_cases")
    op.create_index(
        INDEX, "dishonesty_cases", ["published_on", "id"], postgresql_include=includes or []
    )
    op.execute("ANALYZE dishonesty_cases")
