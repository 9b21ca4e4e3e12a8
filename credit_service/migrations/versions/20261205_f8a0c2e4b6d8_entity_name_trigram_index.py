"""entities.name: a trigram index (PostgreSQL) for the search by a part of a name

Revision ID: f8a0c2e4b6d8
Revises: a9c1e3f5b7d9
Create Date: 2026-12-05 11:30:00

The public list's search, the console's entity search and the inspection results'
search filter ``name LIKE '%…%'``, which no B-tree answers: at province scale (7,000,000
entities, 200,000 listings) the public name search read about 900,000 entity rows, 198
ms in the database, and set the search's p99 (577 ms). A GIN index of ``pg_trgm``
answers a fragment of three characters or more (Chinese characters included, under a
UTF-8 ``LC_CTYPE``) from the index. The extension is created where the database lacks it
(``credit_service.pg_extensions``). SQLite: nothing; a city's entities are few enough
for its scan.
"""

from collections.abc import Sequence

from alembic import op

from credit_service.pg_extensions import ensure_trigram

revision: str = "f8a0c2e4b6d8"
down_revision: str | None = "a9c1e3f5b7d9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_entities_name_trgm"


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    schema = ensure_trigram(bind)
    op.execute(f'CREATE INDEX {INDEX} ON entities USING gin (name "{schema}".gin_trgm_ops)')


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"DROP INDEX IF EXISTS {INDEX}")  # the extension stays: others may use it
