"""credit repair applications, evidence and steps

Revision ID: 9ee638923fdd
Revises: d07371c0b784
Create Date: 2026-11-25 19:27:14.583151
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from sqlalchemy.dialects import postgresql

import credit_service.db

revision: str = "9ee638923fdd"
down_revision: str | None = "d07371c0b784"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "repair_applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target_type", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("region_code", sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("measures_taken", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column("obligations_performed", sa.Boolean(), nullable=False),
        sa.Column(
            "commitment_version", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False
        ),
        sa.Column("commitment_text", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column("committed_at", credit_service.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("contact", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("applicant", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("idempotency_key", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("submitted_on", sa.Date(), nullable=False),
        sa.Column("acceptance_due", sa.Date(), nullable=True),
        sa.Column("accepted_on", sa.Date(), nullable=True),
        sa.Column("decision_due", sa.Date(), nullable=True),
        sa.Column("due_provisional", sa.Boolean(), nullable=False),
        sa.Column("paused_on", sa.Date(), nullable=True),
        sa.Column("paused_remaining", sa.Integer(), nullable=True),
        sa.Column("paused_phase", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("decision_reasons", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=True),
        sa.Column("decided_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("revoked_on", sa.Date(), nullable=True),
        sa.Column("due_soon", sa.Boolean(), nullable=False),
        sa.Column("overdue", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", credit_service.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", credit_service.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["entity_id"], ["entities.id"], name=op.f("fk_repair_applications_entity_id_entities")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_repair_applications")),
        sa.UniqueConstraint(
            "applicant",
            "idempotency_key",
            name=op.f("uq_repair_applications_applicant_idempotency_key"),
        ),
    )
    with op.batch_alter_table("repair_applications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_repair_applications_entity_id"), ["entity_id"], unique=False
        )
        batch_op.create_index(
            "ix_repair_applications_region_state", ["region_code", "state"], unique=False
        )
        batch_op.create_index(
            "uq_repair_applications_open_target",
            ["target_type", "target_id"],
            unique=True,
            sqlite_where=sa.text("state IN ('submitted', 'accepted', 'supplement_requested')"),
            postgresql_where=sa.text("state IN ('submitted', 'accepted', 'supplement_requested')"),
        )

    op.create_table(
        "repair_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("original_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("stored_name", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("content_type", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("uploaded_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("uploaded_at", credit_service.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["repair_applications.id"],
            name=op.f("fk_repair_evidence_application_id_repair_applications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_repair_evidence")),
        sa.UniqueConstraint("stored_name", name=op.f("uq_repair_evidence_stored_name")),
    )
    with op.batch_alter_table("repair_evidence", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_repair_evidence_application_id"), ["application_id"], unique=False
        )

    op.create_table(
        "repair_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=False),
        sa.Column("step", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("state_after", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("at", credit_service.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column(
            "details",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["repair_applications.id"],
            name=op.f("fk_repair_steps_application_id_repair_applications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_repair_steps")),
    )
    with op.batch_alter_table("repair_steps", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_repair_steps_application_id"), ["application_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("repair_steps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_repair_steps_application_id"))

    op.drop_table("repair_steps")
    with op.batch_alter_table("repair_evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_repair_evidence_application_id"))

    op.drop_table("repair_evidence")
    with op.batch_alter_table("repair_applications", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_repair_applications_open_target",
            sqlite_where=sa.text("state IN ('submitted', 'accepted', 'supplement_requested')"),
            postgresql_where=sa.text("state IN ('submitted', 'accepted', 'supplement_requested')"),
        )
        batch_op.drop_index("ix_repair_applications_region_state")
        batch_op.drop_index(batch_op.f("ix_repair_applications_entity_id"))

    op.drop_table("repair_applications")
