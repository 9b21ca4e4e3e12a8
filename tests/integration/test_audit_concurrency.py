"""Appending takes no shared lock, and a row that commits late is sealed late, not lost:
real commits on PostgreSQL, where writers run in parallel."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from credit_service.access import Actor
from credit_service.audit import sealing, verification
from credit_service.audit import services as audit
from credit_service.audit.models import AuditEvent

CLERK = Actor(role="regulator", username="clerk", region_code="341800")


@pytest.fixture
def pg_ctx(live_ctx, db_kind):
    if db_kind != "postgresql":
        pytest.skip("SQLite has one writer at a time: there is no lock to show absent")
    return live_ctx


def test_an_open_appending_transaction_does_not_hold_up_another_appender(pg_ctx):
    ctx = pg_ctx
    with ctx.session_factory() as first:
        audit.append(first, actor=CLERK, action="test.first", now=ctx.now())  # still open
        with ctx.session_factory.begin() as second:
            second.execute(text("SET LOCAL lock_timeout = '1s'"))
            audit.append(second, actor=CLERK, action="test.second", now=ctx.now())
        first.commit()

    with ctx.session_factory() as session:
        actions = set(session.scalars(select(AuditEvent.action)))
    assert {"test.first", "test.second"} <= actions


def test_a_row_that_commits_after_a_seal_is_sealed_by_the_next_one(pg_ctx):
    ctx = pg_ctx
    with ctx.session_factory() as slow:
        early = audit.append(slow, actor=CLERK, action="test.slow", now=ctx.now())
        with ctx.session_factory.begin() as fast:
            audit.append(fast, actor=CLERK, action="test.fast", now=ctx.now())
        first = sealing.seal_log(ctx)  # sees the fast row only
        slow.commit()
    second = sealing.seal_log(ctx)

    with ctx.session_factory() as session:
        stored = session.get(AuditEvent, early.id)
        fast_seq = session.scalar(select(AuditEvent.seq).where(AuditEvent.action == "test.fast"))
    assert fast_seq <= first.size < stored.seq == second.size  # a later place, not lost
    assert verification.verify_log(ctx).ok
