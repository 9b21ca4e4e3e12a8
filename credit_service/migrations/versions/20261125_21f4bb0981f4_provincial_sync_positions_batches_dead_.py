"""provincial sync: positions, batches, dead letters, pull state, quarantine, reconciliations, job runs, leader lease

Revision ID: 21f4bb0981f4
Revises: 9ee638923fdd
Create Date: 2026-11-25 19:39:20.439941
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from sqlalchemy.dialects import postgresql

import credit_service.db

revision: str = "21f4bb0981f4"
down_revision: str | None = "9ee638923fdd"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "job_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("scheduled_for", credit_service.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", credit_service.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", credit_service.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("detail", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("host", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_runs")),
        sa.UniqueConstraint(
            "job_id", "scheduled_for", name=op.f("uq_job_runs_job_id_scheduled_for")
        ),
    )
    op.create_table(
        "scheduler_leases",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("holder", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("expires_at", credit_service.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_scheduler_leases")),
    )
    op.create_table(
        "sync_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("batch_key", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("first_event_id", sa.Integer(), nullable=False),
        sa.Column("last_event_id", sa.Integer(), nullable=False),
        sa.Column(
            "event_ids",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", credit_service.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("created_at", credit_service.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_batches")),
        sa.UniqueConstraint("batch_key", name=op.f("uq_sync_batches_batch_key")),
        sa.UniqueConstraint("platform_id", name=op.f("uq_sync_batches_platform_id")),
    )
    op.create_table(
        "sync_positions",
        sa.Column("platform_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("last_event_id", sa.Integer(), nullable=False),
        sa.Column("last_success_at", credit_service.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_attempt_at", credit_service.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("platform_id", name=op.f("pk_sync_positions")),
    )
    op.create_table(
        "sync_pull_state",
        sa.Column("platform_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("cursor", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("pulled", sa.Integer(), nullable=False),
        sa.Column("last_success_at", credit_service.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.PrimaryKeyConstraint("platform_id", name=op.f("pk_sync_pull_state")),
    )
    op.create_table(
        "sync_quarantine",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("change_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column(
            "row",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("received_at", credit_service.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", credit_service.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_quarantine")),
    )
    with op.batch_alter_table("sync_quarantine", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sync_quarantine_platform_id"), ["platform_id"], unique=False
        )

    op.create_table(
        "sync_reconciliations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("local_count", sa.Integer(), nullable=False),
        sa.Column("local_digest", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("remote_count", sa.Integer(), nullable=True),
        sa.Column("remote_digest", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("matches", sa.Boolean(), nullable=False),
        sa.Column("at", credit_service.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_reconciliations")),
    )
    with op.batch_alter_table("sync_reconciliations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sync_reconciliations_platform_id"), ["platform_id"], unique=False
        )

    op.create_table(
        "sync_dead_letters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("at", credit_service.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("requeued_at", credit_service.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["outbox_events.id"],
            name=op.f("fk_sync_dead_letters_event_id_outbox_events"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_dead_letters")),
    )
    with op.batch_alter_table("sync_dead_letters", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sync_dead_letters_platform_id"), ["platform_id"], unique=False
        )

    op.create_table(
        "sync_requeued",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform_id", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("queued_at", credit_service.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["outbox_events.id"], name=op.f("fk_sync_requeued_event_id_outbox_events")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_requeued")),
    )
    with op.batch_alter_table("sync_requeued", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sync_requeued_platform_id"), ["platform_id"], unique=False
        )

    with op.batch_alter_table("credit_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_revision", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("credit_records", schema=None) as batch_op:
        batch_op.drop_column("source_revision")

    with op.batch_alter_table("sync_requeued", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sync_requeued_platform_id"))

    op.drop_table("sync_requeued")
    with op.batch_alter_table("sync_dead_letters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sync_dead_letters_platform_id"))

    op.drop_table("sync_dead_letters")
    with op.batch_alter_table("sync_reconciliations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sync_reconciliations_platform_id"))

    op.drop_table("sync_reconciliations")
    with op.batch_alter_table("sync_quarantine", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sync_quarantine_platform_id"))

    op.drop_table("sync_quarantine")
    op.drop_table("sync_pull_state")
    op.drop_table("sync_positions")
    op.drop_table("sync_batches")
    op.drop_table("scheduler_leases")
    op.drop_table("job_runs")
