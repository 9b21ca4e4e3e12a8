"""supplement due day: by when a party must supply the materials a reviewer asked for

Revision ID: d2b4f6a8c0e1
Revises: e3c5a7b9d1f2
Create Date: 2026-12-08 10:00:00

``supplement_due_on`` on ``repair_applications`` and ``objections``: the day the
materials asked for (补正) are due, set by the request and cleared when they arrive;
``supplement_workdays``: the working days it was counted with (NULL for a day the
reviewer named), so that a day in a year without a holiday file can be recomputed once
the file arrives. Rows waiting for materials when this runs were asked without a day and
keep none: the party was told none.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "d2b4f6a8c0e1"
down_revision: str | None = "e3c5a7b9d1f2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("repair_applications", "objections")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("supplement_due_on", sa.Date(), nullable=True))
            batch_op.add_column(sa.Column("supplement_workdays", sa.Integer(), nullable=True))


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("supplement_workdays")
            batch_op.drop_column("supplement_due_on")
