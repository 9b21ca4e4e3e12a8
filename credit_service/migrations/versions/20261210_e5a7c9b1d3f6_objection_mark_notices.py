"""change notices: PostgreSQL announces a change of the objections (the marks 异议处理中)

Revision ID: e5a7c9b1d3f6
Revises: d4f6a8c0e2b4
Create Date: 2026-12-10 09:00:00

A credit check of an entity with records asked the database which of them carry the
mark 异议处理中, a second round trip in the hottest read there is; the marks are a
handful at any time and change a few times a day. Each worker now keeps them until a
notice on the topic ``marks`` says an objection changed (``objection_marks``,
``credit_service/notices.py``): a trigger on ``objections`` sends it from the changing
transaction, for the columns a mark depends on. SQLite: nothing (every check reads the
marks, as before).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "e5a7c9b1d3f6"
down_revision: str | None = "d4f6a8c0e2b4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# as credit_service.notices.ANNOUNCED_TABLES; the function is migration a6c1e0d2b7f3's
TRIGGER = (
    "CREATE TRIGGER notify_objections AFTER INSERT"
    " OR UPDATE OF target_type, target_id, state, accepted_on OR DELETE OR TRUNCATE"
    " ON objections FOR EACH STATEMENT EXECUTE FUNCTION credit_service_notify('marks')"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER notify_objections ON objections")
