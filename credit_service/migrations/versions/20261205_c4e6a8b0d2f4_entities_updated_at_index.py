"""entities.updated_at: indexed, for the public list's version

Revision ID: c4e6a8b0d2f4
Revises: f8a0c2e4b6d8
Create Date: 2026-12-05 12:20:00

The public list's validators (ETag, Last-Modified) name the newest update of an entity,
read at most once a second in each worker (``dishonesty.public.list_version``). Over the
listed entities only it was an aggregate joining every published case: 0.3 s at a
province's 200,000 listings. The newest update of all entities is one read of this index.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "c4e6a8b0d2f4"
down_revision: str | None = "f8a0c2e4b6d8"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("entities", schema=None) as batch_op:
        batch_op.create_index(op.f("ix_entities_updated_at"), ["updated_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("entities", schema=None) as batch_op:
        batch_op.drop_index(op.f("ix_entities_updated_at"))
