"""Change notices (credit_service.notices): PostgreSQL announces, from the changing
transaction, a change of the published list or of tokens and users; each worker keeps
the list version and the tokens it checked until such a notice arrives. On SQLite,
triggers count the changes of tokens and users instead, and the tests of kept tokens run
on both. Run against a committed database (``live_ctx``): notices are sent at commit."""

from __future__ import annotations

import dataclasses
import time
from datetime import date, timedelta

import pytest
from sqlalchemy import event, select, text, update

from credit_service import notices as notices_module
from credit_service import objection_marks
from credit_service.access import SYSTEM
from credit_service.auth import accounts, tokens
from credit_service.auth import services as auth_services
from credit_service.auth.models import ApiToken, User
from credit_service.dishonesty import list_version
from credit_service.errors import Unauthenticated
from credit_service.notices import change_notices
from credit_service.objections.models import Objection
from credit_service.web import create_app
from tests.api.test_objections_api import filed, took
from tests.factories import LISTING_REGULATOR, XUANZHOU, bearer_for, create_entity, listed_on
from tests.integration.test_repair import listed


@pytest.fixture
def pg_ctx(live_ctx, db_kind):  # type: ignore[no-untyped-def]
    if db_kind == "sqlite":
        pytest.skip("SQLite has no LISTEN/NOTIFY: every read goes to the database")
    return live_ctx


def moved_on(notices, topic: str, before: int) -> int:  # type: ignore[no-untyped-def]
    """The topic's generation once it has moved past ``before`` (delivery is asynchronous:
    a fraction of a millisecond, allowed two seconds here)."""
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        now = notices.generation(topic)
        if now is not None and now != before:
            return now
        time.sleep(0.01)
    pytest.fail(f"no {topic} notice within 2 s")


def token_for(ctx, username: str) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    auth_services.create_user(
        ctx, SYSTEM, username=username, display_name=username, role="regulator",
        region_code="341800",
    )  # fmt: skip
    issued = tokens.create_token(ctx, SYSTEM, username=username, name="notices")
    return issued.token_id, issued.secret


def test_no_notices_in_a_shared_transaction_or_when_turned_off(ctx, live_ctx, db_kind):
    assert change_notices(ctx) is None  # a test's transaction never commits: never announced
    kind = notices_module.SqliteGenerations if db_kind == "sqlite" else notices_module.ChangeNotices
    assert isinstance(change_notices(live_ctx), kind)
    live_ctx.close()
    live_ctx.extras.clear()
    live_ctx.settings = dataclasses.replace(live_ctx.settings, change_notices=False)
    assert change_notices(live_ctx) is None


def test_a_listing_moves_the_list_generation_and_not_the_tokens(pg_ctx):
    notices = change_notices(pg_ctx)
    list_before, auth_before = notices.generation("list"), notices.generation("auth")
    listed_on(pg_ctx, "宣城通知测试科技有限公司", XUANZHOU, date(2026, 11, 2))
    assert moved_on(notices, "list", list_before) > list_before
    assert notices.generation("auth") == auth_before


def listeners_after(ctx, write) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """The list and auth generations of a source that follows ``ctx``'s sessions minus
    those of one that does not, counted after ``write(ctx)``. Both connect only after
    it (connecting moves each topic once), so no notice of it can reach either: what
    the follower has more it moved at its own commits."""
    engine = ctx.session_factory.kw["bind"]
    follower = notices_module.ChangeNotices(engine)
    bystander = notices_module.ChangeNotices(engine)
    follower.follow(ctx.session_factory)
    write(ctx)
    try:
        return tuple(  # type: ignore[return-value]
            follower.generation(topic) - bystander.generation(topic) for topic in ("list", "auth")
        )
    finally:
        follower.close()
        bystander.close()


def test_the_writing_worker_moves_its_own_topics_at_commit(pg_ctx):
    """The worker that listed an entity or changed a token reads the change at once
    (the regulator's own next page), without waiting for the notice of it."""
    list_moves, _ = listeners_after(
        pg_ctx, lambda c: listed_on(c, "宣城通知测试四科技有限公司", XUANZHOU, date(2026, 11, 2))
    )
    _, auth_moves = listeners_after(pg_ctx, lambda c: token_for(c, "notice-own"))
    assert list_moves >= 1 and auth_moves >= 1
    built = change_notices(pg_ctx)  # the context's own source follows from its building on
    assert event.contains(pg_ctx.session_factory, "after_commit", built._moved_by)


def test_a_write_rolled_back_moves_nothing(pg_ctx):
    token_for(pg_ctx, "notice-rolled-back")

    def rolled_back(ctx) -> None:  # type: ignore[no-untyped-def]
        with ctx.session_factory() as session:
            user = session.scalars(select(User).where(User.username == "notice-rolled-back")).one()
            user.is_active = False
            session.flush()
            session.rollback()
            session.commit()  # a commit after it, of nothing: what was rolled back is forgotten

    assert listeners_after(pg_ctx, rolled_back) == (0, 0)


def test_the_newest_change_is_kept_until_a_notice_says_otherwise(pg_ctx, monkeypatch):
    assert list_version.newest_list_change(pg_ctx) == 0
    (probe,) = pg_ctx.extras["list_change_probes"].values()
    asked: list[int] = []
    real_first = probe.first
    monkeypatch.setattr(probe, "first", lambda: asked.append(1) or real_first())
    assert list_version.newest_list_change(pg_ctx) == 0
    assert asked == []  # kept: no database read while nothing is announced

    notices = change_notices(pg_ctx)
    before = notices.generation("list")
    _, case = listed_on(pg_ctx, "宣城通知测试二科技有限公司", XUANZHOU, date(2026, 11, 2))
    moved_on(notices, "list", before)
    newest = list_version.newest_list_change(pg_ctx)
    assert asked == [1] and newest > 0
    with pg_ctx.read_session_factory() as session:
        assert (
            newest
            == session.execute(
                text("SELECT max(id) FROM dishonesty_list_changes WHERE case_id = :c"),
                {"c": case["id"]},
            ).scalar_one()
        )


def test_a_revoked_token_is_refused_once_its_notice_has_come(live_ctx):
    token_id, secret = token_for(live_ctx, "notice-revoked")
    assert tokens.authenticate_token(live_ctx, secret, source_ip=None).username
    notices = change_notices(live_ctx)
    before = notices.generation("auth")
    kept = live_ctx.extras["kept_tokens"][secret.split("_")[1]]
    assert kept.generation == before and kept.row.revoked_at is None  # kept, not re-read
    tokens.revoke_token(live_ctx, SYSTEM, token_id)
    moved_on(notices, "auth", before)
    with pytest.raises(Unauthenticated):
        tokens.authenticate_token(live_ctx, secret, source_ip=None)


def test_a_disabled_users_token_is_refused_once_its_notice_has_come(live_ctx):
    _, secret = token_for(live_ctx, "notice-disabled")
    assert tokens.authenticate_token(live_ctx, secret, source_ip=None).role == "regulator"
    notices = change_notices(live_ctx)
    before = notices.generation("auth")
    accounts.set_active(live_ctx, SYSTEM, "notice-disabled", active=False)
    moved_on(notices, "auth", before)
    with pytest.raises(Unauthenticated):
        tokens.authenticate_token(live_ctx, secret, source_ip=None)


def test_a_binding_change_is_announced_to_kept_tokens(live_ctx):
    """A token of an enterprise account whose binding is pending is refused
    (``account_refusal``), so binding changes are announced too (migration b7e2c4d9a1f0):
    else a worker would keep the token as it was before."""
    entity = create_entity(live_ctx, region_code=XUANZHOU)
    auth_services.create_user(
        live_ctx, SYSTEM, username="notice-firm", display_name=entity["name"], role="enterprise",
        uscc=entity["identifier"],
    )  # fmt: skip
    secret = tokens.create_token(live_ctx, SYSTEM, username="notice-firm", name="n").secret
    assert tokens.authenticate_token(live_ctx, secret, source_ip=None).role == "enterprise"
    notices = change_notices(live_ctx)
    before = notices.generation("auth")
    with live_ctx.session_factory.begin() as session:  # e.g. a binding reset by hand
        session.execute(
            update(User).where(User.username == "notice-firm").values(binding_status="pending")
        )
    before = moved_on(notices, "auth", before)
    with pytest.raises(Unauthenticated):
        tokens.authenticate_token(live_ctx, secret, source_ip=None)

    accounts.approve_binding(live_ctx, LISTING_REGULATOR, "notice-firm")

    moved_on(notices, "auth", before)
    actor = tokens.authenticate_token(live_ctx, secret, source_ip=None)
    assert actor.uscc == entity["identifier"]


def test_noting_a_tokens_use_announces_nothing(live_ctx):
    """The last-use stamp (once a minute) is not among the announced columns: it would
    otherwise drop every worker's tokens each minute for each token in use."""
    _, secret = token_for(live_ctx, "notice-used")
    tokens.authenticate_token(live_ctx, secret, source_ip=None)
    notices = change_notices(live_ctx)
    before = notices.generation("auth")
    live_ctx.clock.set(live_ctx.now() + timedelta(minutes=5))
    tokens.authenticate_token(live_ctx, secret, source_ip=None)  # writes last_used_at
    time.sleep(0.3)
    assert notices.generation("auth") == before
    with live_ctx.read_session_factory() as session:
        used = session.execute(
            select(ApiToken.last_used_at).where(ApiToken.prefix == secret.split("_")[1])
        ).scalar_one()
    assert used is not None and used >= live_ctx.now() - timedelta(seconds=1)


def test_a_lost_listener_means_reading_the_database_until_it_is_back(pg_ctx, monkeypatch):
    monkeypatch.setattr(notices_module, "RECONNECT_AFTER_S", 0.2)
    notices = change_notices(pg_ctx)
    before = notices.generation("list")
    pid = notices._connection.info.backend_pid
    with pg_ctx.engine.begin() as connection:  # what a database restart does to it
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    deadline = time.monotonic() + 2
    while notices.generation("list") is not None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert notices.generation("list") is None  # callers read the database meanwhile
    time.sleep(0.25)
    again = notices.generation("list")
    assert again is not None and again > before  # reconnected: whatever was kept is stale
    assert notices._connection.info.backend_pid != pid


def test_the_marks_are_kept_until_an_objection_changes(pg_ctx):
    """A credit check's marks 异议处理中 (``objection_marks.read_kept``): read once, then
    kept; the worker's own acceptance shows at once; another's change (a write this
    worker's sessions did not make) once its notice has come."""
    client = create_app(context=pg_ctx).test_client()
    owner, record, _ = listed(pg_ctx)
    enterprise = bearer_for(pg_ctx, "enterprise", uscc=owner["identifier"])
    objection = filed(client, enterprise, f"record:{record['id']}")
    reads: list[str] = []
    every = pg_ctx.extras["objection_marks_every"]
    pg_ctx.extras["objection_marks_every"] = lambda c, kind: reads.append(kind) or every(c, kind)

    def marks():  # type: ignore[no-untyped-def]
        return objection_marks.read_kept(pg_ctx, None, {"record": [record["id"]]})

    assert marks() == {} and marks() == {} and reads == ["record"]  # kept: read once
    took(client, bearer_for(pg_ctx, "regulator"), objection["id"], "accept")
    assert marks() == {("record", record["id"]): objection["id"]}  # this worker's commit
    notices = change_notices(pg_ctx)
    before = notices.generation("marks")
    with pg_ctx.session_factory.kw["bind"].begin() as connection:  # as another worker would
        connection.execute(
            update(Objection).where(Objection.id == objection["id"]).values(state="refused")
        )
    moved_on(notices, "marks", before)
    assert marks() == {} and reads == ["record"] * 3


def test_the_listener_detects_a_silent_cut_and_is_replaced_when_old(pg_ctx, monkeypatch):
    notices = change_notices(pg_ctx)
    before = notices.generation("auth")
    dsn = notices._connection.info.dsn
    assert "keepalives_idle=5" in dsn and "tcp_user_timeout=11000" in dsn
    pid = notices._connection.info.backend_pid

    monkeypatch.setattr(notices_module, "LISTENER_MAX_AGE_S", 0.0)
    again = notices.generation("auth")
    assert again is not None and again > before  # a new listener: kept values are stale
    assert notices._connection.info.backend_pid != pid


def test_sqlite_counts_only_the_changes_a_kept_token_depends_on(live_ctx, db_kind):
    """SQLite's triggers (migration b5d7f9a1c3e5): revoking a token moves the count of
    ``auth``; the list has no counter there (its newest change is read each time)."""
    if db_kind != "sqlite":
        pytest.skip("PostgreSQL sends notices instead")
    generations = change_notices(live_ctx)
    assert generations.generation("list") is None
    token_id, secret = token_for(live_ctx, "count-revoked")
    before = generations.generation("auth")
    tokens.authenticate_token(live_ctx, secret, source_ip=None)
    assert generations.generation("auth") == before  # a use and its last-use stamp: no change
    tokens.revoke_token(live_ctx, SYSTEM, token_id)
    assert generations.generation("auth") == before + 1
