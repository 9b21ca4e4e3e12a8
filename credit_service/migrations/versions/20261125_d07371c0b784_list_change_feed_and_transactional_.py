"""list change feed and transactional outbox

Revision ID: d07371c0b784
Revises: 6aadd9631731
Create Date: 2026-11-25 19:15:13.607270
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from sqlalchemy.dialects import postgresql

import credit_service.db

revision: str = "d07371c0b784"
down_revision: str | None = "6aadd9631731"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("event_type", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=18), nullable=False),
        sa.Column("aggregate_type", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("aggregate_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("occurred_at", credit_service.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_outbox_events_event_id")),
    )
    with op.batch_alter_table("outbox_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outbox_events_event_type"), ["event_type"], unique=False
        )

    op.create_table(
        "dishonesty_list_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("at", credit_service.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["dishonesty_cases.id"],
            name=op.f("fk_dishonesty_list_changes_case_id_dishonesty_cases"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dishonesty_list_changes")),
    )
    with op.batch_alter_table("dishonesty_list_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dishonesty_list_changes_at"), ["at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_dishonesty_list_changes_case_id"), ["case_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("dishonesty_list_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dishonesty_list_changes_case_id"))
        batch_op.drop_index(batch_op.f("ix_dishonesty_list_changes_at"))

    op.drop_table("dishonesty_list_changes")
    with op.batch_alter_table("outbox_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_events_event_type"))

    op.drop_table("outbox_events")
