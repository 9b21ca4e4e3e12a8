"""inspection results published: the day each result went public (一公开, D20)

Revision ID: b8d2e4f6a813
Revises: f1b3c5d7e9a2
Create Date: 2026-12-04 21:41:59

An inspection's result is public within 20 working days of its completion and for 3
years: ``inspection_items.published_on`` is the day the publishing job made it public
(None until then), indexed for the public search and the 3-year exit.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b8d2e4f6a813"
down_revision: str | None = "f1b3c5d7e9a2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("inspection_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("published_on", sa.Date(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_inspection_items_published_on"), ["published_on"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("inspection_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inspection_items_published_on"))
        batch_op.drop_column("published_on")
