"""The search by a part of a name is answered from the trigram index on PostgreSQL
(``ix_entities_name_trgm``), in the very form the searches write it (``contains`` with
autoescape, a bound parameter), Chinese fragments included; a fragment the index cannot
serve (two characters, a LIKE wildcard) still finds exactly what it should."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from credit_service.entities import services as entity_services
from credit_service.entities.models import Entity
from tests.factories import create_entity

INDEX = "ix_entities_name_trgm"


@pytest.fixture
def pg_ctx(live_ctx, db_kind):
    if db_kind != "postgresql":
        pytest.skip("the trigram index is PostgreSQL's (pg_trgm); SQLite scans")
    ctx = live_ctx
    for name in ("宣城永兴江南商贸有限公司", "宁国永兴机械厂", "广德100%纯净水有限公司"):
        create_entity(ctx, name=name)
    return ctx


def _search(ctx, fragment: str) -> tuple[list[str], str]:  # type: ignore[no-untyped-def]
    """The names found and the plan, with sequential scans priced out (a table of three
    rows is otherwise scanned whatever its indexes)."""
    query = (
        select(Entity.name)
        .where(*entity_services.public_name_search(fragment, None))
        .order_by(Entity.name)
    )
    with ctx.session_factory.begin() as session:
        session.execute(text("SET LOCAL enable_seqscan = off"))
        names = list(session.scalars(query))
        compiled = query.compile(session.get_bind())
        explained = session.connection().exec_driver_sql(f"EXPLAIN {compiled}", compiled.params)
        plan = "\n".join(explained.scalars())
    return names, plan


def test_a_chinese_fragment_of_three_characters_is_read_from_the_index(pg_ctx):
    names, plan = _search(pg_ctx, "永兴江")

    assert names == ["宣城永兴江南商贸有限公司"]
    assert INDEX in plan, plan


def test_fragments_the_index_cannot_narrow_still_find_exactly_their_names(pg_ctx):
    assert _search(pg_ctx, "永兴")[0] == ["宁国永兴机械厂", "宣城永兴江南商贸有限公司"]
    assert _search(pg_ctx, "100%")[0] == ["广德100%纯净水有限公司"]  # % is a character here
    assert _search(pg_ctx, "0%纯")[0] == ["广德100%纯净水有限公司"]
    assert _search(pg_ctx, "%")[0] == ["广德100%纯净水有限公司"]
