"""credit reports: signed statements of an entity's standing (D21)

Revision ID: a7c1d3e5f702
Revises: b8d2e4f6a813
Create Date: 2026-12-04 21:42:17

One row per issued report: its yearly number, the entity, who asked (and as subject or
checker, for which purpose), when and as of which day, the canonical JSON it states with
its SHA-256, the Ed25519 signature and the id of the key that made it, and an HMAC of the
short holder code printed on it. Rows are written once and never updated.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import credit_service.db

revision: str = "a7c1d3e5f702"
down_revision: str | None = "b8d2e4f6a813"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "credit_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("requester", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("requester_role", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("requester_kind", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("purpose", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("issued_at", credit_service.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("content_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("key_id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("signature", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("holder_code_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("masked", sa.Boolean(), nullable=False),
        sa.Column("idempotency_key", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["entity_id"], ["entities.id"], name=op.f("fk_credit_reports_entity_id_entities")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_reports")),
        sa.UniqueConstraint("number", name=op.f("uq_credit_reports_number")),
        sa.UniqueConstraint(
            "requester", "idempotency_key", name=op.f("uq_credit_reports_requester_idempotency_key")
        ),
    )
    with op.batch_alter_table("credit_reports", schema=None) as batch_op:
        batch_op.create_index("ix_credit_reports_entity", ["entity_id"], unique=False)
        batch_op.create_index("ix_credit_reports_issued_at", ["issued_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("credit_reports", schema=None) as batch_op:
        batch_op.drop_index("ix_credit_reports_issued_at")
        batch_op.drop_index("ix_credit_reports_entity")

    op.drop_table("credit_reports")
