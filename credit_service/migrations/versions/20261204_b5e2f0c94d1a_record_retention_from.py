"""record retention_from: which day a record's retention counts from (D16)

Revision ID: b5e2f0c94d1a
Revises: b7e2c4d9a1f0
Create Date: 2026-11-27 09:00:00

D16 keeps an item with no period at most 5 years from the end of the conduct; a record
that has the end of its conduct now counts its retention from that day, one that has not
from its decision date, and says which. Rows already stored were counted from their
decision date, and say so; a correction counts them again.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "b5e2f0c94d1a"
down_revision: str | None = "b7e2c4d9a1f0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("credit_records", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "retention_from",
                sqlmodel.sql.sqltypes.AutoString(length=20),
                nullable=False,
                server_default="decision_date",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("credit_records", schema=None) as batch_op:
        batch_op.drop_column("retention_from")

