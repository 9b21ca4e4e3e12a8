"""The published list: an index in publication order, and a finer sample of its names

Revision ID: c3e5a7b9d1f3
Revises: b7d9f1a3c5e7
Create Date: 2026-12-06 09:40:00

A search by a part of a name that most listings hold (有限公司, a city's name) had no
plan but to read every match through the trigram index and sort them all for the newest
twenty: 215 ms in the database for 有限公 at a province's 200,000 listings, 89 ms for
宣城 (docs/performance.md, tenth session). An index in the order of the page (newest
publication first, then id) lets such a search read the newest listings until a page
is full (2–3 ms). Which of the two plans a fragment gets rests on PostgreSQL's estimate
of how many listings hold it, taken from a sample of the names: at the default sample
(100 entries), a fragment 120 listings hold was counted as 2,000 and walked the new
index for 70–190 ms. A sample of 1,000 names counts such a fragment as 200 at most,
which keeps it on the trigram index (the database's p99 over 1,634 fragments of listed
names: 3.9 ms, against 29 ms before the index and 82 ms with it at the default sample).
SQLite: the index only.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "c3e5a7b9d1f3"
down_revision: str | None = "b7d9f1a3c5e7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_dishonesty_cases_newest"
NAME_SAMPLE = 1000


def upgrade() -> None:
    op.create_index(INDEX, "dishonesty_cases", ["published_on", "id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "ALTER TABLE dishonesty_cases ALTER COLUMN search_name"
            f" SET STATISTICS {NAME_SAMPLE}"
        )
        op.execute("ANALYZE dishonesty_cases")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE dishonesty_cases ALTER COLUMN search_name SET STATISTICS -1")
    op.drop_index(INDEX, table_name="dishonesty_cases")
