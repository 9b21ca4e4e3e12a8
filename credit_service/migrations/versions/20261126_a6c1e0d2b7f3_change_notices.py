"""change notices: PostgreSQL triggers announce changes of the list and of tokens/users

Revision ID: a6c1e0d2b7f3
Revises: f4eac55e3e9f
Create Date: 2026-11-26 02:10:00

Workers keep the public list's version and the tokens they have checked, and learn of a
change through LISTEN/NOTIFY (credit_service/notices.py). The triggers send the notice
from the changing transaction itself, so no code path can forget it. SQLite has no
notices: nothing to do there.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "a6c1e0d2b7f3"
down_revision: str | None = "f4eac55e3e9f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHANNEL = "credit_service_changes"  # as credit_service.notices.CHANNEL
# (trigger, table, events, topic): only the columns a kept token or its actor depends on,
# so that noting a token's last use or a failed sign-in announces nothing.
TRIGGERS = (
    (
        "notify_list_changes",
        "dishonesty_list_changes",
        "INSERT OR UPDATE OR DELETE OR TRUNCATE",
        "list",
    ),
    (
        "notify_api_tokens",
        "api_tokens",
        "UPDATE OF user_id, prefix, token_hash, scopes, expires_at, revoked_at"
        " OR DELETE OR TRUNCATE",
        "auth",
    ),
    (
        "notify_users",
        "users",
        "UPDATE OF username, role, region_code, uscc, is_active OR DELETE OR TRUNCATE",
        "auth",
    ),
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE FUNCTION credit_service_notify() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN PERFORM pg_notify('{CHANNEL}', TG_ARGV[0]); RETURN NULL; END $$"
    )
    for name, table, events, topic in TRIGGERS:
        op.execute(
            f"CREATE TRIGGER {name} AFTER {events} ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION credit_service_notify('{topic}')"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, table, _events, _topic in TRIGGERS:
        op.execute(f"DROP TRIGGER {name} ON {table}")
    op.execute("DROP FUNCTION credit_service_notify()")
