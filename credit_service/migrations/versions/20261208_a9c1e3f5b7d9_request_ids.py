"""request ids: the request, command or job run that wrote an audit row or outbox event

Revision ID: a9c1e3f5b7d9
Revises: d2b4f6a8c0e1
Create Date: 2026-12-08 10:00:00

``audit_events.request_id`` (indexed: the audit search filters by it) and
``outbox_events.request_id``, both nullable: rows written before have none. A sealed
audit row keeps its leaf, since a request id is hashed only when set
(``audit.rules.OPTIONAL_COLUMNS``), so the log verifies across the upgrade.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "a9c1e3f5b7d9"
down_revision: str | None = "d2b4f6a8c0e1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("request_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch_op.create_index(op.f("ix_audit_events_request_id"), ["request_id"], unique=False)
    with op.batch_alter_table("outbox_events", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("request_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox_events", schema=None) as batch_op:
        batch_op.drop_column("request_id")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_index(op.f("ix_audit_events_request_id"))
        batch_op.drop_column("request_id")
