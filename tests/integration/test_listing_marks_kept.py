"""The marks 异议处理中 of the list's entries, kept by a worker per version of the list
(``dishonesty.public.listing_marks``), on a database whose commits are real: a page read
in a snapshot older than the mark still shows it (SQLite's snapshot begins at a
session's first read, PostgreSQL's at each statement)."""

from __future__ import annotations

from credit_service.dishonesty import public
from credit_service.dishonesty.models import DishonestyCase
from credit_service.web import create_app
from tests.api.test_objections_api import LIST, filed, mark, took
from tests.factories import bearer_for
from tests.integration.test_repair import listed


def test_a_page_read_in_an_older_snapshot_shows_a_mark_put_on_since(live_ctx):
    ctx = live_ctx
    client = create_app(context=ctx).test_client()
    owner, _, case = listed(ctx)
    enterprise = bearer_for(ctx, "enterprise", uscc=owner["identifier"])
    regulator = bearer_for(ctx, "regulator")
    assert mark(client.get(f"{LIST}/{case['id']}").get_json()) == (False, None)  # none kept
    objection = filed(client, enterprise, f"listing:{case['id']}", field="grounds")
    with ctx.replica_session_factory() as session:
        dialect = session.get_bind().dialect.name
        rows = session.execute(
            public.entries_query(dialect).where(DishonestyCase.id == case["id"])
        ).all()  # the session's snapshot begins here on SQLite
        took(client, regulator, objection["id"], "accept")  # the mark commits after it
        views = public.entry_views(ctx, rows)
    assert mark(views[0]) == (True, objection["id"])
    took(client, regulator, objection["id"], "not_uphold")
    assert mark(client.get(f"{LIST}/{case['id']}").get_json()) == (False, None)
