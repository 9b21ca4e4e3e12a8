"""The document numbers of the penalties an entry rests on, read in the statement that
reads the entries (``dishonesty.public.refs_column``), run through the driver:
in filing order whatever the order of the case's list, a revoked one left out, the same
on an entry's page, in a search and in the download."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from credit_service.clock import local_noon
from credit_service.dishonesty import public, public_search, services
from credit_service.dishonesty.models import DishonestyCase
from tests.api.test_public_list import HEAVIER, REGULATOR
from tests.factories import XUANZHOU, create_entity, file_penalty, step_papers


def _refs(ctx, case_id: int) -> list[list[str]]:  # type: ignore[no-untyped-def]
    """The entry's references by its address, by a search and in the download."""
    found = public_search.search(ctx, public.Filters(q="星河光电")).items
    downloaded = [e for e in public.download_rows(ctx, public.Filters()) if e["id"] == case_id]
    return [
        public.get_entry(ctx, case_id)["penalty_refs"],
        *(entry["penalty_refs"] for entry in found + downloaded),
    ]


def test_an_entrys_penalties_in_filing_order_and_without_a_revoked_one(live_ctx):
    ctx = live_ctx  # commits are real: the references are read as served (``read_rows``)
    ctx.clock.set(local_noon(date(2026, 11, 20)))
    owner = create_entity(ctx, name="宣城星河光电科技有限公司", region_code=XUANZHOU)
    first, second = (
        file_penalty(ctx, owner["identifier"], CF_CFLB=HEAVIER, CF_WSH=number)
        for number in ("宣市监知罚〔2026〕21号", "宣市监知罚〔2026〕22号")
    )
    case = services.propose(
        ctx,
        REGULATOR,
        entity=owner["identifier"],
        record_ids=[second["id"], first["id"]],
        reason="依法拟列入",
    )
    for name in ("serve_notice", "waive", "decide_list", "publish"):
        case = services.advance(ctx, REGULATOR, case["id"], name, **step_papers(name))
    ctx.clock.set(local_noon(date(2026, 11, 25)))
    with ctx.session_factory.begin() as session:  # kept sorted by ``propose``: unsorted here
        session.execute(
            sa.update(DishonestyCase)
            .where(DishonestyCase.id == case["id"])
            .values(record_ids=[second["id"], first["id"]])
        )

    both = [first["source_ref"], second["source_ref"]]
    assert both == ["宣市监知罚〔2026〕21号", "宣市监知罚〔2026〕22号"]
    assert _refs(ctx, case["id"]) == [both, both, both]

    with ctx.session_factory.begin() as session:  # the statement's own condition
        session.execute(
            sa.text("UPDATE credit_records SET status = 'revoked' WHERE id = :id"),
            {"id": first["id"]},
        )
    assert _refs(ctx, case["id"]) == [[second["source_ref"]]] * 3

    with ctx.session_factory.begin() as session:
        session.execute(
            sa.text("UPDATE credit_records SET status = 'revoked' WHERE id = :id"),
            {"id": second["id"]},
        )
    assert _refs(ctx, case["id"]) == [[]] * 3  # an empty list, never None
