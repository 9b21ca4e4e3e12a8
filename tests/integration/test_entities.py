"""Entity registry services against a real database: register, update, read, search."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from credit_service.access import SYSTEM, Actor
from credit_service.audit.models import AuditEvent
from credit_service.entities import services as entity_services
from credit_service.entities.models import Entity
from credit_service.errors import Conflict, Forbidden, InvalidInput, NotFound
from credit_service.pagination import encode_cursor
from tests.factories import (
    CITY,
    LANGXI,
    XUANZHOU,
    create_entity,
    create_person,
    unique_resident_id,
    unique_uscc,
)

LANGXI_REGULATOR = Actor(role="regulator", username="r-langxi", region_code=LANGXI, city_code=CITY)
CITY_REGULATOR = Actor(role="regulator", username="r-city", region_code=CITY, city_code=CITY)
CITY_VIEWER = Actor(role="viewer", username="v-city", region_code=CITY, city_code=CITY)


def organisation(region: str = XUANZHOU, **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "kind": "organisation",
        "identifier": unique_uscc(region),
        "name": "宣城敬亭纸业有限公司",
        "region_code": region,
        "industry": "C",
    }
    data.update(overrides)
    return data


def audit_events(ctx, action: str, object_id: int) -> list[AuditEvent]:
    with ctx.session_factory() as session:
        return list(
            session.execute(
                select(AuditEvent)
                .where(AuditEvent.action == action, AuditEvent.object_id == str(object_id))
                .order_by(AuditEvent.seq)
            ).scalars()
        )


# --- register -------------------------------------------------------------------------------


def test_register_returns_the_stored_entity_with_a_normalised_identifier(ctx):
    uscc = unique_uscc()
    view = entity_services.register_entity(
        ctx, SYSTEM, organisation(identifier=f"  {uscc.lower()} ", industry="c")
    )

    assert view["id"] is not None
    assert view["identifier"] == uscc
    assert view["industry"] == "C"
    assert view["status"] == "active"
    assert view["created_at"] == ctx.now()
    with ctx.session_factory() as session:
        stored = session.execute(select(Entity).where(Entity.identifier == uscc)).scalar_one()
    assert stored.id == view["id"]
    assert [e.actor for e in audit_events(ctx, "entity.create", view["id"])] == ["system"]


def test_registering_an_identifier_twice_is_a_conflict_and_writes_nothing(ctx):
    first = create_entity(ctx)

    with pytest.raises(Conflict) as raised:
        entity_services.register_entity(
            ctx, SYSTEM, organisation(identifier=first["identifier"].lower(), name="另一家公司")
        )

    assert raised.value.code == "entity-exists"
    with ctx.session_factory() as session:
        rows = session.execute(
            select(Entity).where(Entity.identifier == first["identifier"])
        ).scalars()
        assert [e.name for e in rows] == [first["name"]]


def test_an_invalid_uscc_is_invalid_input_naming_the_identifier(ctx):
    good = unique_uscc()
    wrong_check = good[:17] + ("0" if good[17] != "0" else "1")

    with pytest.raises(InvalidInput) as raised:
        entity_services.register_entity(ctx, SYSTEM, organisation(identifier=wrong_check))

    assert set(raised.value.errors) == {"identifier"}
    assert raised.value.code == "entity-invalid"
    assert raised.value.errors["identifier"] == [
        {"code": "identifier-check-character", "expected": good[17]}
    ]
    with ctx.session_factory() as session:
        assert session.execute(select(Entity)).first() is None


def test_invalid_input_lists_every_faulty_field(ctx):
    with pytest.raises(InvalidInput) as raised:
        entity_services.register_entity(
            ctx,
            SYSTEM,
            {"kind": "organisation", "identifier": "91341802MA0000000", "region_code": "110000"},
        )

    assert {"identifier", "name", "region_code"} <= set(raised.value.errors)


# --- update ---------------------------------------------------------------------------------


def test_renaming_keeps_the_former_names_in_order(ctx):
    entity = create_entity(ctx, name="宣城甲公司")

    entity_services.update_entity(ctx, SYSTEM, entity["identifier"], {"name": "宣城乙公司"})
    view = entity_services.update_entity(ctx, SYSTEM, entity["identifier"], {"name": "宣城丙公司"})

    assert view["name"] == "宣城丙公司"
    assert view["former_names"] == ["宣城甲公司", "宣城乙公司"]
    again = entity_services.read_entity(ctx, SYSTEM, entity["identifier"])
    assert again["former_names"] == ["宣城甲公司", "宣城乙公司"]


def test_renaming_back_to_a_former_name_does_not_list_the_current_name_as_former(ctx):
    entity = create_entity(ctx, name="宣城甲公司")
    entity_services.update_entity(ctx, SYSTEM, entity["identifier"], {"name": "宣城乙公司"})

    view = entity_services.update_entity(ctx, SYSTEM, entity["identifier"], {"name": "宣城甲公司"})

    assert view["name"] == "宣城甲公司"
    assert view["former_names"] == ["宣城乙公司"]


def test_an_update_is_audited_with_the_changed_fields(ctx, clock):
    entity = create_entity(ctx)
    clock.advance(hours=1)

    view = entity_services.update_entity(
        ctx,
        CITY_REGULATOR,
        entity["identifier"],
        {"name": "宣城新名有限公司", "phone": "0563-1234567"},
    )

    assert view["updated_at"] == clock.now()
    events = audit_events(ctx, "entity.update", entity["id"])
    assert len(events) == 1
    assert events[0].actor == "r-city"
    assert events[0].role == "regulator"
    assert events[0].occurred_at == clock.now()
    assert events[0].details == {"changed": ["former_names", "name", "phone"]}


def test_an_update_that_changes_nothing_writes_no_audit_event(ctx):
    entity = create_entity(ctx)

    view = entity_services.update_entity(
        ctx, SYSTEM, entity["identifier"], {"name": entity["name"]}
    )

    assert view["former_names"] == []
    assert audit_events(ctx, "entity.update", entity["id"]) == []


def test_the_identifier_and_kind_cannot_be_changed(ctx):
    entity = create_entity(ctx)

    with pytest.raises(InvalidInput) as raised:
        entity_services.update_entity(
            ctx, SYSTEM, entity["identifier"], {"identifier": unique_uscc(), "kind": "agency"}
        )

    assert set(raised.value.errors) == {"identifier", "kind"}


def test_an_invalid_change_is_refused_and_leaves_the_entity_as_it_was(ctx):
    entity = create_entity(ctx)

    with pytest.raises(InvalidInput) as raised:
        entity_services.update_entity(ctx, SYSTEM, entity["identifier"], {"region_code": "999999"})

    assert "region_code" in raised.value.errors
    assert entity_services.read_entity(ctx, SYSTEM, entity["identifier"])["region_code"] == XUANZHOU


def test_updating_an_unknown_entity_is_not_found(ctx):
    with pytest.raises(NotFound):
        entity_services.update_entity(ctx, SYSTEM, unique_uscc(), {"name": "无"})


# --- region scope ---------------------------------------------------------------------------


def test_a_county_regulator_registers_reads_and_updates_in_its_own_county(ctx):
    view = entity_services.register_entity(ctx, LANGXI_REGULATOR, organisation(LANGXI))

    read = entity_services.read_entity(ctx, LANGXI_REGULATOR, view["identifier"])
    updated = entity_services.update_entity(
        ctx, LANGXI_REGULATOR, view["identifier"], {"address": "安徽省宣城市郎溪县建平镇1号"}
    )

    assert read["id"] == view["id"]
    assert updated["address"] == "安徽省宣城市郎溪县建平镇1号"


def test_a_county_regulator_cannot_register_in_another_county(ctx):
    data = organisation(XUANZHOU)

    with pytest.raises(Forbidden) as raised:
        entity_services.register_entity(ctx, LANGXI_REGULATOR, data)

    assert raised.value.code == "region-scope"
    with ctx.session_factory() as session:
        assert (
            session.execute(select(Entity).where(Entity.identifier == data["identifier"])).first()
            is None
        )


def test_a_county_regulator_cannot_read_or_update_another_countys_entity(ctx):
    entity = create_entity(ctx, region_code=XUANZHOU)

    with pytest.raises(Forbidden):
        entity_services.read_entity(ctx, LANGXI_REGULATOR, entity["identifier"])
    with pytest.raises(Forbidden):
        entity_services.update_entity(ctx, LANGXI_REGULATOR, entity["identifier"], {"name": "改"})

    assert entity_services.read_entity(ctx, SYSTEM, entity["identifier"])["name"] == entity["name"]


def test_a_county_regulator_cannot_move_its_entity_into_another_county(ctx):
    entity = create_entity(ctx, region_code=LANGXI)

    with pytest.raises(Forbidden):
        entity_services.update_entity(
            ctx, LANGXI_REGULATOR, entity["identifier"], {"region_code": XUANZHOU}
        )

    assert entity_services.read_entity(ctx, SYSTEM, entity["identifier"])["region_code"] == LANGXI


@pytest.mark.parametrize("region", [XUANZHOU, LANGXI, "341882"])
def test_a_city_regulator_acts_in_every_county(ctx, region):
    view = entity_services.register_entity(ctx, CITY_REGULATOR, organisation(region))

    read = entity_services.read_entity(ctx, CITY_REGULATOR, view["identifier"])
    updated = entity_services.update_entity(
        ctx, CITY_REGULATOR, view["identifier"], {"name": "宣城改名有限公司"}
    )

    assert read["region_code"] == region
    assert updated["name"] == "宣城改名有限公司"


# --- search ---------------------------------------------------------------------------------


def ids(page) -> list[int]:
    return [item["id"] for item in page.items]


def test_search_by_name_substring(ctx):
    wanted = create_entity(ctx, name="宣城桃花潭酒业有限公司")
    other = create_entity(ctx, name="宣城鳌峰纸业有限公司")

    page = entity_services.search_entities(ctx, SYSTEM, q="桃花潭")

    assert ids(page) == [wanted["id"]]
    assert other["id"] not in ids(page)
    assert page.next_cursor is None


def test_search_treats_like_wildcards_in_the_query_as_text(ctx):
    create_entity(ctx, name="宣城普通有限公司")
    percent = create_entity(ctx, name="宣城百分之100%有限公司")

    assert ids(entity_services.search_entities(ctx, SYSTEM, q="%")) == [percent["id"]]
    assert ids(entity_services.search_entities(ctx, SYSTEM, q="_")) == []


def test_search_by_exact_identifier_typed_in_lowercase(ctx):
    wanted = create_entity(ctx)
    create_entity(ctx)

    page = entity_services.search_entities(ctx, SYSTEM, q=f" {wanted['identifier'].lower()} ")

    assert ids(page) == [wanted["id"]]


def test_search_by_resident_id_finds_the_person_but_shows_it_masked(ctx):
    person = create_person(ctx)

    page = entity_services.search_entities(ctx, CITY_REGULATOR, q=person["identifier"])

    assert ids(page) == [person["id"]]
    assert page.items[0]["masked"] is True
    assert page.items[0]["identifier"] != person["identifier"]


def test_search_by_region(ctx):
    in_langxi = create_entity(ctx, region_code=LANGXI)
    create_entity(ctx, region_code=XUANZHOU)

    page = entity_services.search_entities(ctx, SYSTEM, region=LANGXI)

    assert ids(page) == [in_langxi["id"]]


def test_search_by_the_city_code_covers_every_county(ctx):
    created = [create_entity(ctx, region_code=r)["id"] for r in (LANGXI, XUANZHOU)]

    page = entity_services.search_entities(ctx, CITY_REGULATOR, region=CITY)

    assert ids(page) == created


def test_search_by_kind(ctx):
    person = create_person(ctx)
    create_entity(ctx)

    page = entity_services.search_entities(ctx, SYSTEM, kind="natural_person")

    assert ids(page) == [person["id"]]


def test_a_county_regulators_search_covers_only_its_county(ctx):
    own = create_entity(ctx, region_code=LANGXI, name="宣城同名有限公司甲")
    create_entity(ctx, region_code=XUANZHOU, name="宣城同名有限公司乙")

    assert ids(entity_services.search_entities(ctx, LANGXI_REGULATOR, q="同名")) == [own["id"]]
    with pytest.raises(Forbidden):
        entity_services.search_entities(ctx, LANGXI_REGULATOR, region=XUANZHOU)
    with pytest.raises(Forbidden):
        entity_services.search_entities(ctx, LANGXI_REGULATOR, region=CITY)


def test_keyset_pagination_returns_every_entity_once_in_id_order(ctx):
    created = [create_entity(ctx, name=f"宣城分页{n}有限公司")["id"] for n in range(8)]

    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        page = entity_services.search_entities(ctx, SYSTEM, q="分页", cursor=cursor, limit=3)
        pages += 1
        assert len(page.items) <= 3
        seen.extend(ids(page))
        cursor = page.next_cursor
        if cursor is None:
            break

    assert pages == 3
    assert seen == sorted(created)


def test_pagination_is_stable_when_entities_are_added_between_pages(ctx):
    first_batch = [create_entity(ctx, name=f"宣城稳定{n}有限公司")["id"] for n in range(4)]
    page1 = entity_services.search_entities(ctx, SYSTEM, q="稳定", limit=2)
    late = create_entity(ctx, name="宣城稳定晚到有限公司")["id"]

    page2 = entity_services.search_entities(
        ctx, SYSTEM, q="稳定", cursor=page1.next_cursor, limit=2
    )
    page3 = entity_services.search_entities(
        ctx, SYSTEM, q="稳定", cursor=page2.next_cursor, limit=2
    )

    assert ids(page1) + ids(page2) + ids(page3) == [*first_batch, late]


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor!",
        "游标",
        encode_cursor({"after": "12"}),
        encode_cursor({"after": True}),
        encode_cursor({"before": 3}),
        "WzEsMiwzXQ",  # base64 of [1,2,3]
    ],
)
def test_a_bogus_cursor_is_invalid_input(ctx, cursor):
    create_entity(ctx)

    with pytest.raises(InvalidInput) as raised:
        entity_services.search_entities(ctx, SYSTEM, cursor=cursor)

    assert "cursor" in raised.value.errors


# --- personal data --------------------------------------------------------------------------


def test_a_natural_person_is_read_masked_by_default(ctx):
    person = create_person(ctx, name="欧阳明华")

    view = entity_services.read_entity(ctx, CITY_REGULATOR, person["identifier"])

    assert view["masked"] is True
    assert view["name"] == "欧阳**"
    assert view["identifier"] == person["identifier"][:6] + "*" * 8 + person["identifier"][-4:]
    assert view["phone"] == "138****5678"
    assert view["address"] == "安徽省宣城市****"
    assert audit_events(ctx, "entity.read_personal_data", person["id"]) == []


def test_an_unmasked_read_shows_full_data_and_is_audited(ctx, clock):
    identifier = unique_resident_id()
    person = create_person(ctx, identifier=identifier)

    view = entity_services.read_entity(ctx, CITY_REGULATOR, identifier.lower(), unmask=True)

    assert view["masked"] is False
    assert view["identifier"] == identifier
    assert view["name"] == "欧阳明华"
    assert view["phone"] == "13812345678"
    events = audit_events(ctx, "entity.read_personal_data", person["id"])
    assert [(e.actor, e.role, e.object_type, e.occurred_at) for e in events] == [
        ("r-city", "regulator", "entity", clock.now())
    ]


def test_an_unmasked_read_of_an_organisation_writes_no_personal_data_event(ctx):
    entity = create_entity(ctx)

    view = entity_services.read_entity(ctx, CITY_REGULATOR, entity["identifier"], unmask=True)

    assert view["masked"] is False
    assert audit_events(ctx, "entity.read_personal_data", entity["id"]) == []


def test_a_viewer_asking_to_unmask_is_forbidden_and_nothing_is_audited(ctx):
    person = create_person(ctx)

    with pytest.raises(Forbidden) as raised:
        entity_services.read_entity(ctx, CITY_VIEWER, person["identifier"], unmask=True)

    assert raised.value.code == "unmask-forbidden"
    assert audit_events(ctx, "entity.read_personal_data", person["id"]) == []
    entity_services.search_entities(
        ctx, CITY_VIEWER, q=person["identifier"], purpose="投诉核查 2026-17"
    )
    assert entity_services.read_entity(ctx, CITY_VIEWER, person["identifier"])["masked"] is True


def test_a_county_regulator_cannot_unmask_a_person_of_another_county(ctx):
    person = create_person(ctx, region_code=XUANZHOU)

    # Not 403: that would confirm the number is registered (elsewhere).
    with pytest.raises(NotFound):
        entity_services.read_entity(ctx, LANGXI_REGULATOR, person["identifier"], unmask=True)

    assert audit_events(ctx, "entity.read_personal_data", person["id"]) == []


def test_an_enterprise_account_reads_only_its_own_entity(ctx):
    own = create_entity(ctx)
    other = create_entity(ctx)
    enterprise = Actor(role="enterprise", username="e", uscc=own["identifier"])

    assert entity_services.read_entity(ctx, enterprise, own["identifier"])["id"] == own["id"]
    with pytest.raises(Forbidden) as raised:
        entity_services.read_entity(ctx, enterprise, other["identifier"])
    assert raised.value.code == "not-own-entity"
