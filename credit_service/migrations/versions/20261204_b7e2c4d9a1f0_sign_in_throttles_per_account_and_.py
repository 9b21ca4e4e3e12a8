"""sign-in throttles per account and source; the users trigger announces binding changes

Revision ID: b7e2c4d9a1f0
Revises: a6c1e0d2b7f3
Create Date: 2026-12-04 10:41:51

Failed sign-ins are counted per account and source (credit_service/auth/throttle.py)
instead of per account, so ``users.failure_times`` goes. A kept token is now also
refused while its enterprise account's binding is pending (``account_refusal``), so the
trigger that announces changes of the user columns a kept token depends on
(migration a6c1e0d2b7f3) covers ``binding_status`` too.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

import credit_service.db

revision: str = "b7e2c4d9a1f0"
down_revision: str | None = "a6c1e0d2b7f3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

USER_COLUMNS = "username, role, region_code, uscc, is_active"  # as a6c1e0d2b7f3 left them


def upgrade() -> None:
    op.create_table(
        "sign_in_throttles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("source", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column(
            "failure_times",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("locks", sa.Integer(), nullable=False),
        sa.Column("locked_until", credit_service.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", credit_service.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_sign_in_throttles_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_throttles")),
        sa.UniqueConstraint("user_id", "source", name=op.f("uq_sign_in_throttles_user_id_source")),
    )
    # ALTER TABLE … DROP COLUMN (SQLite 3.35+), not a batch copy: dropping and copying
    # ``users`` fails on SQLite while other tables' rows refer to it.
    op.drop_column("users", "failure_times")
    _announce_user_columns(f"{USER_COLUMNS}, binding_status")


def downgrade() -> None:
    _announce_user_columns(USER_COLUMNS)
    op.add_column(
        "users",
        sa.Column(
            "failure_times",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            server_default="[]",
            nullable=False,
        ),
    )
    op.drop_table("sign_in_throttles")


def _announce_user_columns(columns: str) -> None:
    """Recreate the PostgreSQL trigger on ``users`` for these columns (SQLite has none)."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER notify_users ON users")
    op.execute(
        f"CREATE TRIGGER notify_users AFTER UPDATE OF {columns} OR DELETE OR TRUNCATE ON users "
        "FOR EACH STATEMENT EXECUTE FUNCTION credit_service_notify('auth')"
    )
