"""The plans PostgreSQL makes for the public search by a part of a name: a rare fragment
is read through the list's trigram index (or, of one or two characters, its index of
characters and pairs), one that most listings hold walks the index in the page's order
until the page is full (migration c3e5a7b9d1f3; docs/performance.md,
tenth session: 215 ms in the database for 有限公 at province size before, 2.6 ms after)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from credit_service.dishonesty import public, public_search
from tests.factories import XUANZHOU

TRIGRAM_INDEX = "ix_dishonesty_cases_search_name_trgm"
NEWEST_INDEX = "ix_dishonesty_cases_newest"
GRAMS_INDEX = "ix_dishonesty_cases_search_name_grams"
AT = "TIMESTAMP '2026-11-01 02:00:00'"


@pytest.fixture
def on_postgresql(db_kind):  # type: ignore[no-untyped-def]
    if db_kind != "postgresql":
        pytest.skip("the plans are PostgreSQL's (SQLite scans a city's list)")


@pytest.fixture
def listed(live_ctx, on_postgresql):  # type: ignore[no-untyped-def]
    """3,000 listings named 宣城…有限公司, two of them (the 17th and the 2,500th) also
    永兴江南, with the statistics PostgreSQL plans from; the context."""
    with live_ctx.session_factory.begin() as session:
        _listings(session, 3_000, rare={17, 2_500})
        session.execute(text("ANALYZE entities"))
        session.execute(text("ANALYZE dishonesty_cases"))
    return live_ctx


def _plan_and_names(session, ctx, fragment: str) -> tuple[str, list[str]]:  # type: ignore[no-untyped-def]
    """The plan of the search's own statement for ``fragment`` and the names it finds."""
    filters = public.Filters(q=fragment)
    values = public_search.page_values(ctx, filters, None, 20)
    query = public_search.page_statement(public_search.shape_of("postgresql", filters, values))
    names = [row.name for row in session.execute(query, values)]
    compiled = query.compile(session.get_bind())
    parameters = compiled.construct_params(values)
    explained = session.connection().exec_driver_sql(f"EXPLAIN {compiled}", parameters)
    return "\n".join(explained.scalars()), names


def test_a_fragment_most_listings_hold_reads_the_newest_until_the_page_is_full(listed):
    """3,000 listings named 宣城…有限公司, two of them also 永兴江南: 有限公 reads the list in
    the page's order (sorting 3,000 matches for 20 was the plan before), 永兴江南 its trigram
    index; both pages newest first."""
    ctx = listed
    with ctx.session_factory.begin() as session:
        common_plan, common = _plan_and_names(session, ctx, "有限公")
        rare_plan, rare = _plan_and_names(session, ctx, "永兴江南")
    assert NEWEST_INDEX in common_plan and TRIGRAM_INDEX not in common_plan, common_plan
    assert common[:20] == [_name(n, rare={17, 2_500}) for n in range(3_000, 2_980, -1)]
    assert TRIGRAM_INDEX in rare_plan and NEWEST_INDEX not in rare_plan, rare_plan
    for plan in (common_plan, rare_plan):  # the list's own copy of a name, not the registry
        assert "ix_entities_name_trgm" not in plan, plan
    assert rare == [_name(2_500, rare={2_500}), _name(17, rare={17})]


def test_the_walk_in_page_order_reads_the_index_alone(listed):
    """The page-order index holds what the walk tests (migration f6b8d0a2c4e7): once
    the list's pages are all visible (vacuumed, as autovacuum keeps a list that changes
    a few times a day), no listing's row is read until the page is chosen (docs/
    performance.md, thirteenth session: 23 ms to 3.5 ms for a fragment some hundreds of
    a province's listings hold)."""
    ctx = listed
    bind = ctx.session_factory.kw["bind"]
    with bind.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM (ANALYZE) dishonesty_cases"))
    with ctx.session_factory.begin() as session:
        plan, names = _plan_and_names(session, ctx, "有限公")
    assert f"Index Only Scan Backward using {NEWEST_INDEX}" in plan, plan
    assert names[:20] == [_name(n, rare={17, 2_500}) for n in range(3_000, 2_980, -1)]


def test_a_fragment_of_one_or_two_characters_is_read_through_the_grams_index(listed):
    """No trigram in 江南 or 龘: a pair two listings hold and a character none holds are
    read through the index of each name's characters and pairs (migration d4f6a8c0e2b4;
    docs/performance.md, twelfth session: the whole list read before), a pair most hold
    (有限) still walks the page's order."""
    ctx = listed
    with ctx.session_factory.begin() as session:
        rare_plan, rare = _plan_and_names(session, ctx, "江南")
        absent_plan, absent = _plan_and_names(session, ctx, "龘")
        common_plan, common = _plan_and_names(session, ctx, "有限")
    for plan in (rare_plan, absent_plan):
        assert GRAMS_INDEX in plan and NEWEST_INDEX not in plan, plan
    assert rare == [_name(2_500, rare={2_500}), _name(17, rare={17})]
    assert absent == []
    assert NEWEST_INDEX in common_plan and GRAMS_INDEX not in common_plan, common_plan
    assert common[:20] == [_name(n, rare={17, 2_500}) for n in range(3_000, 2_980, -1)]


def _name(n: int, *, rare: set[int]) -> str:
    return f"宣城{'永兴江南' if n in rare else '青弋'}{n:05d}商贸有限公司"


def _listings(session, count: int, *, rare: set[int]) -> None:  # type: ignore[no-untyped-def]
    """``count`` organisations, each listed once, the n-th published n days after the
    first (so that the newest is the last)."""
    for n in range(1, count + 1):
        session.execute(
            text(
                "INSERT INTO entities (id, kind, identifier, name, former_names, region_code,"
                f" status, content_hash, created_at, updated_at) VALUES (:n, 'organisation',"
                f" :identifier, :name, '[]', :region, 'active', 'h', {AT}, {AT})"
            ),
            {"n": n, "identifier": f"T{n:017d}", "name": _name(n, rare=rare), "region": XUANZHOU},
        )
        session.execute(
            text(
                "INSERT INTO dishonesty_cases (id, entity_id, region_code, search_name, state,"
                " grounds, record_ids, proposal_reason, statement_deadline_provisional,"
                " statement_waived, publication_deadline_provisional, measures, version,"
                " published_on, term_ends_on, created_at, updated_at) VALUES (:n, :n, :region,"
                " :name, 'published', '[]', '[]', '拟', false, false, false, '[]', 1,"
                f" DATE '2018-01-01' + :n, DATE '2036-01-01', {AT}, {AT})"
            ),
            {"n": n, "name": _name(n, rare=rare), "region": XUANZHOU},
        )
