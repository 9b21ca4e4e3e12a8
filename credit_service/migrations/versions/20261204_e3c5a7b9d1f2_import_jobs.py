"""import jobs: the console's CSV imports, queued and run by the scheduler

Revision ID: e3c5a7b9d1f2
Revises: b5d7f9a1c3e5
Create Date: 2026-12-05 00:30:27

``import_jobs``: one row per file uploaded in the console (who, their region scope, the
file's name and where it is kept under DATA_DIR), its state (queued, running, done,
failed), the rows counted at upload and processed, accepted and refused so far (updated
after each committed batch), its timestamps, and once finished the row report (line,
column, reason) or the error it failed with. Indexed for the scheduler's "oldest queued"
read and for the console's list of a region's imports.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

import credit_service.db

revision: str = "e3c5a7b9d1f2"
down_revision: str | None = "b5d7f9a1c3e5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "import_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("username", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("region_code", sqlmodel.sql.sqltypes.AutoString(length=6), nullable=True),
        sa.Column("file_name", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("stored_path", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("rows_total", sa.Integer(), nullable=False),
        sa.Column("rows_processed", sa.Integer(), nullable=False),
        sa.Column("rows_accepted", sa.Integer(), nullable=False),
        sa.Column("rows_rejected", sa.Integer(), nullable=False),
        sa.Column(
            "report",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("created_at", credit_service.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", credit_service.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("progress_at", credit_service.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", credit_service.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_jobs")),
    )
    with op.batch_alter_table("import_jobs", schema=None) as batch_op:
        batch_op.create_index("ix_import_jobs_region", ["region_code", "id"], unique=False)
        batch_op.create_index("ix_import_jobs_state", ["state", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("import_jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_import_jobs_state")
        batch_op.drop_index("ix_import_jobs_region")

    op.drop_table("import_jobs")
