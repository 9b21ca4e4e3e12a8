"""audit log sealed and signed: appends without a shared row, checkpoints signed outside

Revision ID: e4a7b2c9d5f3
Revises: c3d8f1a2e9b6
Create Date: 2026-12-04 19:00:00

Appending no longer locks ``audit_chain_head``: a row is inserted with no place in the
log, and the sealing job numbers the committed rows, chains them, gives each a keyed code
and signs a checkpoint (``audit_checkpoints``). The rows already written lose their old,
unkeyed hashes and wait for the first seal, which includes them in id order (verify them
with the previous release's ``flask audit verify`` before upgrading). The daily limit on
lookups of natural persons, which relied on the same lock, counts on a row per user and
day (``person_lookup_counts``).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import credit_service.db

revision: str = "e4a7b2c9d5f3"
down_revision: str | None = "c3d8f1a2e9b6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_checkpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("head", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("signed_at", credit_service.db.UTCDateTime(), nullable=False),
        sa.Column("key_id", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("signature", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checkpoints")),
    )
    op.create_index(op.f("ix_audit_checkpoints_size"), "audit_checkpoints", ["size"])
    op.create_table(
        "person_lookup_counts",
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("actor", "day", name=op.f("pk_person_lookup_counts")),
    )
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.alter_column("seq", existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(
            sa.Column("chain_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch_op.add_column(
            sa.Column("row_mac", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("row_hash")
    op.execute("UPDATE audit_events SET seq = NULL")
    op.create_index(
        "ix_audit_events_unsealed",
        "audit_events",
        ["id"],
        sqlite_where=sa.text("seq IS NULL"),
        postgresql_where=sa.text("seq IS NULL"),
    )
    op.drop_table("audit_chain_head")


def downgrade() -> None:
    raise NotImplementedError(
        "the signed audit log cannot be turned back into the unkeyed chain: restore a backup"
    )
