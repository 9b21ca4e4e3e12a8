"""objections: a party contests a record or listing (D19)

Revision ID: f1b3c5d7e9a2
Revises: e4a7b2c9d5f3
Create Date: 2026-12-04 21:11:00

One row per objection with its two-phase clock (acceptance, decision; pauses and one
extension), and its evidence files. Its steps and notices go to the procedures' shared
tables. One objection per target and field is open at a time (a partial unique index).
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

import credit_service.db

revision: str = "f1b3c5d7e9a2"
down_revision: str | None = "e4a7b2c9d5f3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "objections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("target_type", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("target_id", sa.Integer(), nullable=False),
        sa.Column("field", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("value_shown", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("value_claimed", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("region_code", sqlmodel.sql.sqltypes.AutoString(length=6), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("reasons", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column("contact", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("filed_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("applicant_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("platform", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("platform_ref", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("idempotency_key", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("acceptance_due", sa.Date(), nullable=True),
        sa.Column("clock_from", sa.Date(), nullable=True),
        sa.Column("clock_workdays", sa.Integer(), nullable=True),
        sa.Column("accepted_on", sa.Date(), nullable=True),
        sa.Column("decision_due", sa.Date(), nullable=True),
        sa.Column("due_provisional", sa.Boolean(), nullable=False),
        sa.Column("extended_on", sa.Date(), nullable=True),
        sa.Column("extension_reason", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("paused_on", sa.Date(), nullable=True),
        sa.Column("paused_remaining", sa.Integer(), nullable=True),
        sa.Column("paused_phase", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("refusal_reason", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("decision_reasons", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=True),
        sa.Column("decided_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column(
            "correction",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("due_soon", sa.Boolean(), nullable=False),
        sa.Column("overdue", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", credit_service.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", credit_service.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["entity_id"], ["entities.id"], name=op.f("fk_objections_entity_id_entities")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_objections")),
        sa.UniqueConstraint(
            "filed_by", "idempotency_key", name=op.f("uq_objections_filed_by_idempotency_key")
        ),
        sa.UniqueConstraint(
            "platform", "platform_ref", name=op.f("uq_objections_platform_platform_ref")
        ),
    )
    with op.batch_alter_table("objections", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_objections_entity_id"), ["entity_id"], unique=False)
        batch_op.create_index("ix_objections_region_state", ["region_code", "state"], unique=False)
        batch_op.create_index("ix_objections_target", ["target_type", "target_id"], unique=False)
        batch_op.create_index(
            "uq_objections_open_target",
            ["target_type", "target_id", "field"],
            unique=True,
            sqlite_where=sa.text("state IN ('received', 'accepted', 'supplement_requested')"),
            postgresql_where=sa.text("state IN ('received', 'accepted', 'supplement_requested')"),
        )

    op.create_table(
        "objection_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("objection_id", sa.Integer(), nullable=False),
        sa.Column("original_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("stored_name", sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
        sa.Column("content_type", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("uploaded_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("uploaded_at", credit_service.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["objection_id"],
            ["objections.id"],
            name=op.f("fk_objection_evidence_objection_id_objections"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_objection_evidence")),
        sa.UniqueConstraint("stored_name", name=op.f("uq_objection_evidence_stored_name")),
    )
    with op.batch_alter_table("objection_evidence", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_objection_evidence_objection_id"), ["objection_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("objection_evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_objection_evidence_objection_id"))

    op.drop_table("objection_evidence")
    with op.batch_alter_table("objections", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_objections_open_target",
            sqlite_where=sa.text("state IN ('received', 'accepted', 'supplement_requested')"),
            postgresql_where=sa.text("state IN ('received', 'accepted', 'supplement_requested')"),
        )
        batch_op.drop_index("ix_objections_target")
        batch_op.drop_index("ix_objections_region_state")
        batch_op.drop_index(batch_op.f("ix_objections_entity_id"))

    op.drop_table("objections")
