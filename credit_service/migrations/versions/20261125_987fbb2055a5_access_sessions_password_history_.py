"""access: sessions, password history, activation codes, lockout

Revision ID: 987fbb2055a5
Revises: 4d974a180cdd
Create Date: 2026-11-25 18:50:19.532915
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import credit_service.db


revision: str = "987fbb2055a5"
down_revision: str | None = "4d974a180cdd"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "activation_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("uscc", sqlmodel.sql.sqltypes.AutoString(length=18), nullable=False),
        sa.Column("code_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("issued_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("created_at", credit_service.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", credit_service.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", credit_service.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activation_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_activation_codes_code_hash")),
    )
    with op.batch_alter_table("activation_codes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_activation_codes_uscc"), ["uscc"], unique=False)

    op.create_table(
        "password_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("password_hash", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("created_at", credit_service.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_password_history_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_history")),
    )
    with op.batch_alter_table("password_history", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_password_history_user_id"), ["user_id"], unique=False)

    op.create_table(
        "web_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", credit_service.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", credit_service.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", credit_service.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("source_ip", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_web_sessions_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sessions")),
        sa.UniqueConstraint("session_hash", name=op.f("uq_web_sessions_session_hash")),
    )
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_web_sessions_user_id"), ["user_id"], unique=False)

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "password_changed_at", credit_service.db.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(
            # Existing accounts were created by administrators: their binding is approved.
            sa.Column(
                "binding_status",
                sqlmodel.sql.sqltypes.AutoString(length=20),
                nullable=False,
                server_default="approved",
            )
        )
        batch_op.add_column(
            sa.Column("contact", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True)
        )
        batch_op.add_column(
            sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column(
                "first_failed_at", credit_service.db.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(
            sa.Column("locked_until", credit_service.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("locked_until")
        batch_op.drop_column("first_failed_at")
        batch_op.drop_column("failed_logins")
        batch_op.drop_column("contact")
        batch_op.drop_column("binding_status")
        batch_op.drop_column("password_changed_at")

    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_web_sessions_user_id"))

    op.drop_table("web_sessions")
    with op.batch_alter_table("password_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_password_history_user_id"))

    op.drop_table("password_history")
    with op.batch_alter_table("activation_codes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_activation_codes_uscc"))

    op.drop_table("activation_codes")
