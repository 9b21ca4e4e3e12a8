"""change generations: SQLite triggers count changes of tokens and users

Revision ID: b5d7f9a1c3e5
Revises: c9e3f5a7b924
Create Date: 2026-12-05 00:55:00

PostgreSQL announces a change of tokens or users with a notice (migration a6c1e0d2b7f3),
so its workers keep the tokens they have checked. SQLite has no notices: here triggers
count the changes in ``change_generations`` (topic ``auth``), and a worker keeps a token
while the count stands still (``credit_service.notices.SqliteGenerations``). The table
exists on both engines (one model); the triggers and the counter's row only on SQLite.
Only the columns a kept token or its actor depends on count, as on PostgreSQL: noting a
token's last use or a failed sign-in changes nothing.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "b5d7f9a1c3e5"
down_revision: str | None = "c9e3f5a7b924"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BUMP = "UPDATE change_generations SET generation = generation + 1 WHERE topic = 'auth';"
# (trigger, event, table): the columns of PostgreSQL's notify_api_tokens and notify_users
# (binding_status since b7e2c4d9a1f0)
TRIGGERS = (
    (
        "count_api_token_changes",
        "UPDATE OF user_id, prefix, token_hash, scopes, expires_at, revoked_at",
        "api_tokens",
    ),
    ("count_api_token_deletes", "DELETE", "api_tokens"),
    (
        "count_user_changes",
        "UPDATE OF username, role, region_code, uscc, is_active, binding_status",
        "users",
    ),
    ("count_user_deletes", "DELETE", "users"),
)


def upgrade() -> None:
    op.create_table(
        "change_generations",
        sa.Column("topic", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("topic", name=op.f("pk_change_generations")),
    )
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("INSERT INTO change_generations (topic, generation) VALUES ('auth', 0)")
    for name, event, table in TRIGGERS:
        op.execute(f"CREATE TRIGGER {name} AFTER {event} ON {table} BEGIN {BUMP} END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name, _event, _table in TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    op.drop_table("change_generations")
