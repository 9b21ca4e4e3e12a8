"""procedure steps and documents: one history for every legal procedure

Revision ID: c3d8f1a2e9b6
Revises: b5e2f0c94d1a
Create Date: 2026-12-04 15:30:00

Listing cases and repair applications each kept their own step table, and listing cases
their own document table; the procedure engine keeps one of each for every procedure
(listing, repair, inspection, and objections later). Rows move with their order kept;
documents keep their ids, so the document addresses already handed out stay valid.
Inspection items become a procedure of their own: a state and a version, and the results
already recorded become their ``record_result`` step.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

import credit_service.db

revision: str = "c3d8f1a2e9b6"
down_revision: str | None = "b5e2f0c94d1a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "procedure_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("procedure", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("step", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("state_after", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("at", credit_service.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=4000), nullable=False),
        sa.Column("details", JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_procedure_steps")),
    )
    op.create_index("ix_procedure_steps_subject", "procedure_steps", ["procedure", "subject_id"])
    op.create_table(
        "procedure_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("procedure", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("number", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("pdf_path", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column("pdf_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("created_at", credit_service.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_procedure_documents")),
        sa.UniqueConstraint("number", name=op.f("uq_procedure_documents_number")),
    )
    op.create_index(
        "ix_procedure_documents_subject", "procedure_documents", ["procedure", "subject_id"]
    )
    with op.batch_alter_table("inspection_items", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "state",
                sqlmodel.sql.sqltypes.AutoString(length=20),
                nullable=False,
                server_default="drawn",
            )
        )
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(
            sa.Column("updated_at", credit_service.db.UTCDateTime(timezone=True), nullable=True)
        )
    _move_rows()
    with op.batch_alter_table("dishonesty_case_steps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dishonesty_case_steps_case_id"))
    op.drop_table("dishonesty_case_steps")
    with op.batch_alter_table("repair_steps", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_repair_steps_application_id"))
    op.drop_table("repair_steps")
    with op.batch_alter_table("dishonesty_case_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_dishonesty_case_documents_case_id"))
    op.drop_table("dishonesty_case_documents")


def _move_rows() -> None:
    """Copy the old histories in their order, and give recorded inspection results their
    step (dated the local day of the result: Asia/Shanghai is UTC+8 all year)."""
    op.execute(
        "INSERT INTO procedure_steps (procedure, subject_id, step, state_after, actor, at, "
        "effective_on, reason, details) SELECT 'listing', case_id, step, state_after, actor, "
        "at, effective_on, reason, details FROM dishonesty_case_steps ORDER BY id"
    )
    op.execute(
        "INSERT INTO procedure_steps (procedure, subject_id, step, state_after, actor, at, "
        "effective_on, reason, details) SELECT 'repair', application_id, step, state_after, "
        "actor, at, effective_on, reason, details FROM repair_steps ORDER BY id"
    )
    op.execute(
        "INSERT INTO procedure_documents (id, procedure, subject_id, kind, number, html, "
        "sha256, pdf_path, pdf_sha256, created_at) SELECT id, 'listing', case_id, kind, "
        "number, html, sha256, pdf_path, pdf_sha256, created_at "
        "FROM dishonesty_case_documents ORDER BY id"
    )
    op.execute(
        "UPDATE inspection_items SET state = 'inspected', version = 2, updated_at = result_at "
        "WHERE outcome IS NOT NULL"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "INSERT INTO procedure_steps (procedure, subject_id, step, state_after, actor, at, "
            "effective_on, reason, details) SELECT 'inspection', id, 'record_result', "
            "'inspected', COALESCE(result_by, ''), result_at, "
            "CAST((result_at AT TIME ZONE 'Asia/Shanghai') AS DATE), COALESCE(note, ''), "
            "'{}'::jsonb FROM inspection_items WHERE outcome IS NOT NULL ORDER BY id"
        )
        op.execute(
            "SELECT setval(pg_get_serial_sequence('procedure_documents', 'id'), "
            "COALESCE((SELECT MAX(id) FROM procedure_documents), 0) + 1, false)"
        )
    else:
        op.execute(
            "INSERT INTO procedure_steps (procedure, subject_id, step, state_after, actor, at, "
            "effective_on, reason, details) SELECT 'inspection', id, 'record_result', "
            "'inspected', COALESCE(result_by, ''), result_at, DATE(result_at, '+8 hours'), "
            "COALESCE(note, ''), '{}' FROM inspection_items WHERE outcome IS NOT NULL "
            "ORDER BY id"
        )


def downgrade() -> None:
    raise NotImplementedError(
        "procedure_steps holds every procedure's history; restore a backup to go back"
    )
