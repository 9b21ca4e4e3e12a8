"""The name a listing is found by in the public search (``dishonesty/search_names.py``):
written when the case opens, following a rename made by hand or by an import, never kept
for a natural person (the plans that read it: ``test_listing_search_plans``)."""

from __future__ import annotations

import io
from datetime import date

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import text

from credit_service.access import SYSTEM
from credit_service.dishonesty import public, public_search
from credit_service.dishonesty.models import DishonestyCase
from credit_service.entities import importer as entity_importer
from credit_service.entities import services as entity_services
from credit_service.health import alembic_config
from tests.factories import XUANZHOU, create_person, file_penalty, listed_on

DECIDED = date(2026, 10, 12)
INDEX = "ix_dishonesty_cases_search_name_trgm"
GRAMS_INDEX = "ix_dishonesty_cases_search_name_grams"


def _found(ctx, fragment: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [entry["name"] for entry in public_search.search(ctx, public.Filters(q=fragment)).items]


def _search_name(ctx, case_id: int) -> str | None:  # type: ignore[no-untyped-def]
    with ctx.session_factory() as session:
        return session.get(DishonestyCase, case_id).search_name


def test_a_listing_is_found_by_its_organisations_current_name(ctx):
    owner, case = listed_on(ctx, "宣城永兴江南商贸有限公司", XUANZHOU, DECIDED)
    assert _search_name(ctx, case["id"]) == "宣城永兴江南商贸有限公司"
    assert _found(ctx, "永兴江南") == ["宣城永兴江南商贸有限公司"]

    entity_services.update_entity(
        ctx, SYSTEM, owner["identifier"], {"name": "宣城北辰光电有限公司"}
    )

    assert _search_name(ctx, case["id"]) == "宣城北辰光电有限公司"
    assert _found(ctx, "北辰光电") == ["宣城北辰光电有限公司"]
    assert _found(ctx, "永兴江南") == []


def test_a_rename_by_import_is_followed_and_other_changes_leave_the_name(ctx):
    owner, case = listed_on(ctx, "宣城永兴江南商贸有限公司", XUANZHOU, DECIDED)
    row = f"organisation,{owner['identifier']},{{name}},{XUANZHOU},{{industry}}\n"
    header = "kind,identifier,name,region_code,industry\n"

    def imported(name: str, industry: str) -> None:
        stream = io.StringIO(header + row.format(name=name, industry=industry))
        report = entity_importer.import_entities(ctx, SYSTEM, stream)
        assert report.updated == 1, report

    imported("宣城永兴江南商贸有限公司", "F")  # changed, but not renamed
    assert _search_name(ctx, case["id"]) == "宣城永兴江南商贸有限公司"

    imported("宣城南湖贸易有限公司", "F")
    assert _search_name(ctx, case["id"]) == "宣城南湖贸易有限公司"
    assert _found(ctx, "南湖贸易") == ["宣城南湖贸易有限公司"]
    assert _found(ctx, "永兴江南") == []


def test_a_natural_persons_case_keeps_no_name_to_be_found_by(ctx):
    from credit_service.dishonesty import services as dishonesty
    from tests.factories import LISTING_REGULATOR

    person = create_person(ctx, name="欧阳明华")
    record = file_penalty(ctx, person["identifier"], CF_CFLB=["罚款", "责令停产停业"])
    case = dishonesty.propose(
        ctx, LISTING_REGULATOR, entity=person["identifier"], record_ids=[record["id"]], reason="拟"
    )
    assert _search_name(ctx, case["id"]) is None

    entity_services.update_entity(ctx, SYSTEM, person["identifier"], {"name": "欧阳明辉"})
    assert _search_name(ctx, case["id"]) is None


def test_the_migration_fills_the_names_of_cases_already_open(tmp_path):
    """Cases opened before the column came are found by name at once after it."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    at = "'2026-11-01 02:00:00'"
    with engine.begin() as connection:
        _upgrade(connection, "c4e6a8b0d2f4")
        for id_, kind, name in (
            (1, "organisation", "宣城永兴商贸有限公司"),
            (2, "natural_person", "欧阳明华"),
        ):
            connection.execute(
                sa.text(
                    "INSERT INTO entities (id, kind, identifier, name, former_names, region_code,"
                    f" status, content_hash, created_at, updated_at) VALUES (:id, :kind, :id,"
                    f" :name, '[]', '341802', 'active', 'h', {at}, {at})"
                ),
                {"id": id_, "kind": kind, "name": name},
            )
            connection.execute(
                sa.text(
                    "INSERT INTO dishonesty_cases (id, entity_id, region_code, state, grounds,"
                    " record_ids, proposal_reason, statement_deadline_provisional,"
                    " statement_waived, publication_deadline_provisional, measures, version,"
                    f" created_at, updated_at) VALUES (:id, :id, '341802', 'published', '[]',"
                    f" '[]', '拟', 0, 0, 0, '[]', 1, {at}, {at})"
                ),
                {"id": id_},
            )
        _upgrade(connection, "e1a3c5b7d9f2")
        names = connection.execute(
            sa.text("SELECT id, search_name FROM dishonesty_cases ORDER BY id")
        ).all()
    engine.dispose()
    assert names == [(1, "宣城永兴商贸有限公司"), (2, None)]


def _upgrade(connection: sa.Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


def test_a_natural_person_is_never_found_by_name_whatever_the_copy_says(ctx):
    """The search chooses its page by the case's copy of the name; should a person's case
    ever hold one (a defect, or an entity recorded as a person since), the page still
    leaves the person out (D12)."""
    owner, case = listed_on(ctx, "宣城永兴江南商贸有限公司", XUANZHOU, DECIDED)
    assert _found(ctx, "永兴江南") == ["宣城永兴江南商贸有限公司"]
    with ctx.session_factory.begin() as session:
        session.execute(
            sa.text("UPDATE entities SET kind = 'natural_person' WHERE identifier = :id"),
            {"id": owner["identifier"]},
        )
    assert _search_name(ctx, case["id"]) == "宣城永兴江南商贸有限公司"  # the copy stayed
    assert _found(ctx, "永兴江南") == []
    by_number = public_search.search(ctx, public.Filters(uscc=owner["identifier"]))
    assert by_number.items == []


def test_a_name_search_takes_the_wildcards_and_the_escape_as_typed(live_ctx):
    """The pattern is built in Python for the statement compiled once
    (``public_search.contains_pattern``): ``%``, ``_`` and the escape character match
    only themselves. On a database whose commits are real, so that the search runs
    as served: compiled once, through the driver (``read_rows``)."""
    ctx = live_ctx
    listed_on(ctx, "宣城百分%_/商贸有限公司", XUANZHOU, DECIDED)
    listed_on(ctx, "宣城百分百商贸有限公司", XUANZHOU, DECIDED)
    assert _found(ctx, "百分%") == ["宣城百分%_/商贸有限公司"]
    assert _found(ctx, "%_/") == ["宣城百分%_/商贸有限公司"]
    assert _found(ctx, "百分_") == []
    assert _found(ctx, "百%商") == []
    assert sorted(_found(ctx, "百分")) == ["宣城百分%_/商贸有限公司", "宣城百分百商贸有限公司"]


def test_a_fragment_of_one_or_two_characters_is_found_as_typed(live_ctx):
    """Too short for a trigram, such a fragment is also looked up in the index of each
    name's characters and pairs on PostgreSQL (migration d4f6a8c0e2b4), which must find
    exactly what the LIKE finds: a character anywhere in the name, a pair only where its
    two characters stand side by side, wildcards as typed."""
    ctx = live_ctx
    listed_on(ctx, "宣城百分%_/商贸有限公司", XUANZHOU, DECIDED)
    listed_on(ctx, "宣城百分百商贸有限公司", XUANZHOU, DECIDED)
    listed_on(ctx, "宣城北辰光电有限公司", XUANZHOU, DECIDED)
    both = ["宣城百分%_/商贸有限公司", "宣城百分百商贸有限公司"]
    assert _found(ctx, "辰") == ["宣城北辰光电有限公司"]
    assert _found(ctx, "北辰") == ["宣城北辰光电有限公司"]
    assert sorted(_found(ctx, "百分")) == both
    assert _found(ctx, "分百") == ["宣城百分百商贸有限公司"]
    assert _found(ctx, "辰北") == []  # both characters, not side by side in this order
    assert _found(ctx, "龘") == []
    assert _found(ctx, "%") == ["宣城百分%_/商贸有限公司"]
    assert _found(ctx, "_/") == ["宣城百分%_/商贸有限公司"]
    assert _found(ctx, "百%") == []
    assert len(_found(ctx, "宣")) == 3


def test_the_pages_of_a_name_search_follow_their_cursors(live_ctx):
    """A cursor is a value of the statement compiled once (its shape ``after``), run
    through the driver as served."""
    ctx = live_ctx
    for day in (date(2026, 10, 12), date(2026, 10, 20), date(2026, 10, 28)):
        listed_on(ctx, f"宣城永兴{day.day}商贸有限公司", XUANZHOU, day)
    names, cursor = [], None
    while True:
        page = public_search.search(ctx, public.Filters(q="永兴"), cursor=cursor, limit=2)
        names += [entry["name"] for entry in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert names == ["宣城永兴28商贸有限公司", "宣城永兴20商贸有限公司", "宣城永兴12商贸有限公司"]


def test_a_page_never_names_a_person_not_even_in_its_cursor(ctx):
    """Chosen again without persons when a page found by name would show one: the page
    and its cursor name only organisations, and no result is lost."""
    listed_on(ctx, "宣城永兴江南商贸有限公司", XUANZHOU, DECIDED)
    newer, hidden = listed_on(ctx, "宣城永兴江南电子有限公司", XUANZHOU, date(2026, 10, 20))
    with ctx.session_factory.begin() as session:
        session.execute(
            sa.text("UPDATE entities SET kind = 'natural_person' WHERE identifier = :id"),
            {"id": newer["identifier"]},
        )
    page = public_search.search(ctx, public.Filters(q="永兴江南"), limit=1)
    assert [entry["name"] for entry in page.items] == ["宣城永兴江南商贸有限公司"]
    assert page.next_cursor is None


def test_the_lists_trigram_index_keeps_no_pending_list(live_ctx, db_kind):
    """A GIN pending list is read whole by every search until VACUUM merges it: the
    list's indexes (a few listings a day) take their entries directly, the registry's
    (written in bulk) keeps a short one (migrations b7d9f1a3c5e7, d4f6a8c0e2b4)."""
    if db_kind != "postgresql":
        pytest.skip("GIN indexes are PostgreSQL's")
    with live_ctx.session_factory() as session:
        options = dict(
            session.execute(
                text(
                    "SELECT relname, array_to_string(reloptions, ',') FROM pg_class"
                    " WHERE relname IN (:list, :grams, 'ix_entities_name_trgm')"
                    " AND relnamespace = to_regnamespace(current_schema())::oid"
                ),
                {"list": INDEX, "grams": GRAMS_INDEX},
            ).all()
        )
    assert options == {
        INDEX: "fastupdate=off",
        GRAMS_INDEX: "fastupdate=off",
        "ix_entities_name_trgm": "gin_pending_list_limit=256",
    }


def test_a_uscc_typed_in_lower_case_or_full_width_is_found(live_ctx):
    """A USCC typed in lower case or in full-width characters finds its listing, alike in
    the search (``public_search``) and in the download (``public.download_rows``): both
    compare it in the registry's form (``identifiers.canonical``, which also drops
    spaces; the API and the pages take 18 characters, spaces around it stripped)."""
    ctx = live_ctx
    owner, _ = listed_on(ctx, "宣城永兴江南商贸有限公司", XUANZHOU, DECIDED)
    code = owner["identifier"]
    full_width = "".join(chr(ord(char) + 0xFEE0) for char in code[:4])
    typed = f" {full_width}{code[4:9].lower()} {code[9:]} "
    found = public_search.search(ctx, public.Filters(uscc=typed)).items
    assert [entry["name"] for entry in found] == ["宣城永兴江南商贸有限公司"]
    downloaded = list(public.download_rows(ctx, public.Filters(uscc=typed)))
    assert [entry["name"] for entry in downloaded] == ["宣城永兴江南商贸有限公司"]
