"""Entity rules: registry validation per kind (D13, D18), renames, masking (D12), lookups."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from credit_service.catalogs.definitions import CatalogSet
from credit_service.entities.rules import (
    ENTITY_STATUSES,
    apply_changes,
    content_hash,
    lookup_key,
    masked_view,
    validate_entity,
)
from credit_service.errors import InvalidInput
from credit_service.identifiers import make_resident_id, make_uscc

TODAY = date(2026, 11, 25)
ORG_USCC = make_uscc("91341802MA0000001")  # 91341802MA00000011
BUSINESS_USCC = make_uscc("92341802MA0000002")  # 个体工商户
AGENCY_USCC = make_uscc("91341802MA0000003")
PERSON_ID = make_resident_id("34180219800101001")  # 341802198001010019
PERSON_ID_X = make_resident_id("34180219800101006")  # ends in X
REGIONS = ["341800", "341802", "341821", "341823", "341824", "341825", "341881", "341882"]


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def entity(kind: str = "organisation", **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "organisation": {"identifier": ORG_USCC, "name": "宣城测试科技有限公司"},
        "agency": {
            "identifier": AGENCY_USCC,
            "name": "宣城专利代理事务所",
            "agency_type": "patent",
            "agency_licence_no": "34123",
        },
        "individual_business": {"identifier": BUSINESS_USCC, "name": "宣州区李记茶叶店"},
        "natural_person": {
            "identifier": PERSON_ID,
            "name": "张三",
            "phone": "13812345678",
            "address": "安徽省宣城市宣州区鳌峰路1号",
        },
    }[kind]
    data = {"kind": kind, "region_code": "341802", **data}
    data.update(overrides)
    return data


def errors_of(data: dict[str, Any], catalog_set: CatalogSet, today: date = TODAY) -> dict:
    with pytest.raises(InvalidInput) as caught:
        validate_entity(data, catalog_set, today=today)
    assert caught.value.errors
    return caught.value.errors


# --------------------------------------------------------------------------- validate_entity


@pytest.mark.parametrize(
    ("kind", "identifier"),
    [
        ("organisation", ORG_USCC),
        ("agency", AGENCY_USCC),
        ("individual_business", BUSINESS_USCC),
        ("natural_person", PERSON_ID),
    ],
)
def test_each_kind_validates_with_its_identifier(catalog_set, kind, identifier):
    out = validate_entity(entity(kind), catalog_set, today=TODAY)
    assert out["kind"] == kind
    assert out["identifier"] == identifier
    assert out["region_code"] == "341802"
    assert out["status"] == "active"
    if kind == "agency":
        assert (out["agency_type"], out["agency_licence_no"]) == ("patent", "34123")
    else:
        assert out["agency_type"] is None and out["agency_licence_no"] is None


@pytest.mark.parametrize(
    ("kind", "typed", "canonical"),
    [
        ("organisation", ORG_USCC.lower(), ORG_USCC),
        ("organisation", full_width(ORG_USCC.lower()), ORG_USCC),
        ("organisation", f" {ORG_USCC[:9]} {ORG_USCC[9:]} ", ORG_USCC),
        ("natural_person", PERSON_ID_X.lower(), PERSON_ID_X),
        ("natural_person", full_width(PERSON_ID), PERSON_ID),
    ],
)
def test_identifiers_are_stored_in_canonical_form(catalog_set, kind, typed, canonical):
    out = validate_entity(entity(kind, identifier=typed), catalog_set, today=TODAY)
    assert out["identifier"] == canonical


@pytest.mark.parametrize(
    ("kind", "identifier"),
    [
        ("organisation", PERSON_ID),  # a resident ID is not a USCC
        ("agency", PERSON_ID),
        ("individual_business", ORG_USCC[:-1] + ("0" if ORG_USCC[-1] != "0" else "1")),
        ("natural_person", ORG_USCC),  # a USCC is not a resident ID
        ("natural_person", PERSON_ID[:-1] + ("0" if PERSON_ID[-1] != "0" else "1")),
        ("organisation", "not an id"),
    ],
)
def test_an_identifier_of_the_wrong_standard_is_rejected(catalog_set, kind, identifier):
    errors = errors_of(entity(kind, identifier=identifier), catalog_set)
    assert list(errors) == ["identifier"]


@pytest.mark.parametrize("missing", [None, ""])
def test_an_identifier_is_required(catalog_set, missing):
    assert errors_of(entity(identifier=missing), catalog_set) == {"identifier": ["required"]}


def test_a_resident_id_born_after_today_is_rejected(catalog_set):
    errors = errors_of(entity("natural_person"), catalog_set, today=date(1979, 12, 31))
    assert errors["identifier"] == ["resident-id-born-in-future"]  # not the ID


@pytest.mark.parametrize("kind", [None, "company", "Organisation"])
def test_an_unknown_kind_is_rejected(catalog_set, kind):
    errors = errors_of(entity(kind="organisation") | {"kind": kind}, catalog_set)
    assert list(errors) == ["kind"]


@pytest.mark.parametrize(
    ("overrides", "faulty"),
    [
        ({"agency_type": None}, {"agency_type"}),
        ({"agency_type": "copyright"}, {"agency_type"}),
        ({"agency_licence_no": None}, {"agency_licence_no"}),
        ({"agency_licence_no": "   "}, {"agency_licence_no"}),
        ({"agency_type": None, "agency_licence_no": None}, {"agency_type", "agency_licence_no"}),
    ],
)
def test_an_agency_needs_its_agency_type_and_licence_number(catalog_set, overrides, faulty):
    errors = errors_of(entity("agency", **overrides), catalog_set)
    assert set(errors) == faulty


@pytest.mark.parametrize("agency_type", ["patent", "trademark"])
def test_an_agency_may_be_a_patent_or_trademark_agency(catalog_set, agency_type):
    out = validate_entity(entity("agency", agency_type=agency_type), catalog_set, today=TODAY)
    assert out["agency_type"] == agency_type


@pytest.mark.parametrize("kind", ["organisation", "individual_business", "natural_person"])
@pytest.mark.parametrize(
    "overrides",
    [
        {"agency_type": "patent"},
        {"agency_licence_no": "34123"},
        {"agency_type": "trademark", "agency_licence_no": "34123"},
    ],
)
def test_a_non_agency_with_agency_details_is_rejected(catalog_set, kind, overrides):
    errors = errors_of(entity(kind, **overrides), catalog_set)
    assert set(errors) == set(overrides)
    assert all(entries == ["agency-details-not-agency"] for entries in errors.values())


@pytest.mark.parametrize("region", REGIONS)
def test_the_city_and_each_of_its_districts_and_counties_is_a_valid_region(catalog_set, region):
    out = validate_entity(entity(region_code=region), catalog_set, today=TODAY)
    assert out["region_code"] == region


@pytest.mark.parametrize("region", ["340100", "341803", "3418", "", None, 341802])
def test_a_region_outside_the_configured_ones_is_rejected(catalog_set, region):
    errors = errors_of(entity(region_code=region), catalog_set)
    assert list(errors) == ["region_code"]
    [entry] = errors["region_code"]
    assert entry["code"] == "not-one-of"
    assert "341882" in entry["allowed"]  # the error lists the allowed codes


@pytest.mark.parametrize(
    ("industry", "stored"), [("A", "A"), ("T", "T"), ("c", "C"), (" i ", "I"), (None, None)]
)
def test_industry_is_a_section_letter_a_to_t(catalog_set, industry, stored):
    out = validate_entity(entity(industry=industry), catalog_set, today=TODAY)
    assert out["industry"] == stored


@pytest.mark.parametrize("industry", ["U", "Z", "CC", "1", "制造业"])
def test_an_industry_outside_a_to_t_is_rejected(catalog_set, industry):
    assert list(errors_of(entity(industry=industry), catalog_set)) == ["industry"]


@pytest.mark.parametrize("status", ENTITY_STATUSES)
def test_each_registry_status_is_accepted(catalog_set, status):
    out = validate_entity(entity(status=status), catalog_set, today=TODAY)
    assert out["status"] == status


def test_status_defaults_to_active(catalog_set):
    data = entity()
    data.pop("status", None)
    assert validate_entity(data, catalog_set, today=TODAY)["status"] == "active"


@pytest.mark.parametrize("status", ["closed", "ACTIVE", "注销"])
def test_an_unknown_status_is_rejected(catalog_set, status):
    assert list(errors_of(entity(status=status), catalog_set)) == ["status"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": None}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "名" * 201}, "name"),
        ({"address": "路" * 301}, "address"),
        ({"phone": "1" * 31}, "phone"),
        ({"legal_representative": "张" * 101}, "legal_representative"),
        ({"former_names": "旧名称"}, "former_names"),
        ({"former_names": ["旧名称", 3]}, "former_names"),
    ],
)
def test_bad_text_fields_are_reported_under_their_own_key(catalog_set, overrides, field):
    assert list(errors_of(entity(**overrides), catalog_set)) == [field]


def test_text_is_trimmed_and_inner_whitespace_collapsed(catalog_set):
    out = validate_entity(
        entity(name="  宣城  测试\n有限公司 ", former_names=[" 旧名 ", "", "  "]),
        catalog_set,
        today=TODAY,
    )
    assert out["name"] == "宣城 测试 有限公司"
    assert out["former_names"] == ["旧名"]


def test_every_faulty_field_is_reported_at_once_keyed_by_field(catalog_set):
    data = entity(
        "natural_person",
        identifier=ORG_USCC,
        name="",
        region_code="340100",
        industry="Z",
        status="gone",
        agency_type="patent",
    )
    errors = errors_of(data, catalog_set)
    assert set(errors) == {"identifier", "name", "region_code", "industry", "status", "agency_type"}
    assert all(isinstance(m, list) and m for m in errors.values())


# --------------------------------------------------------------------------- apply_changes


def test_a_rename_moves_the_old_name_into_former_names(catalog_set):
    current = validate_entity(entity(former_names=["宣城旧名公司"]), catalog_set, today=TODAY)
    out = apply_changes(current, {"name": "宣城新名科技有限公司"}, catalog_set, today=TODAY)
    assert out["name"] == "宣城新名科技有限公司"
    assert out["former_names"] == ["宣城旧名公司", "宣城测试科技有限公司"]


def test_renaming_back_to_a_former_name_does_not_list_it_as_former(catalog_set):
    current = validate_entity(entity(former_names=["宣城旧名公司"]), catalog_set, today=TODAY)
    out = apply_changes(current, {"name": "宣城旧名公司"}, catalog_set, today=TODAY)
    assert out["name"] == "宣城旧名公司"
    assert out["former_names"] == ["宣城测试科技有限公司"]


@pytest.mark.parametrize(
    "changes",
    [{"name": "宣城测试科技有限公司"}, {"phone": "0563-1234567"}, {"region_code": "341821"}],
)
def test_changes_without_a_new_name_leave_former_names_alone(catalog_set, changes):
    current = validate_entity(entity(former_names=["宣城旧名公司"]), catalog_set, today=TODAY)
    out = apply_changes(current, changes, catalog_set, today=TODAY)
    assert out["former_names"] == ["宣城旧名公司"]
    for key, value in changes.items():
        assert out[key] == value


def test_changes_are_validated_like_a_new_entity(catalog_set):
    current = validate_entity(entity(), catalog_set, today=TODAY)
    with pytest.raises(InvalidInput) as caught:
        apply_changes(current, {"region_code": "340100"}, catalog_set, today=TODAY)
    assert list(caught.value.errors) == ["region_code"]


# --------------------------------------------------------------------------- masked_view


@pytest.mark.parametrize(
    ("name", "masked"), [("张三", "张*"), ("李小明", "李**"), ("欧阳明华", "欧阳**")]
)
def test_a_natural_persons_name_shows_only_the_surname(catalog_set, name, masked):
    person = validate_entity(entity("natural_person", name=name), catalog_set, today=TODAY)
    assert masked_view(person)["name"] == masked


def test_a_natural_persons_id_phone_address_and_former_names_are_masked(catalog_set):
    person = validate_entity(
        entity("natural_person", former_names=["张四"]), catalog_set, today=TODAY
    )
    view = masked_view(person)
    assert view["identifier"] == PERSON_ID[:6] + "*" * 8 + PERSON_ID[-4:]
    assert view["phone"] == "138****5678"
    assert view["address"] == "安徽省宣城市****"
    assert view["former_names"] == ["张*"]
    shown = repr(view)
    for secret in (PERSON_ID, "13812345678", "鳌峰路", "张三"):
        assert secret not in shown
    assert person["identifier"] == PERSON_ID  # the input is not changed


def test_a_natural_person_without_phone_or_address_keeps_them_empty(catalog_set):
    person = validate_entity(
        entity("natural_person", phone=None, address=None), catalog_set, today=TODAY
    )
    view = masked_view(person)
    assert view["phone"] is None and view["address"] is None


@pytest.mark.parametrize("kind", ["organisation", "agency", "individual_business"])
def test_organisations_are_shown_unmasked(catalog_set, kind):
    data = validate_entity(
        entity(kind, legal_representative="张三", phone="13812345678", address="宣州区鳌峰路1号"),
        catalog_set,
        today=TODAY,
    )
    assert masked_view(data) == data


# --------------------------------------------------------------------------- lookup_key


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        (ORG_USCC, ORG_USCC),
        (ORG_USCC.lower(), ORG_USCC),
        (full_width(ORG_USCC.lower()), ORG_USCC),
        (f"  {ORG_USCC}\t", ORG_USCC),
        (PERSON_ID_X.lower(), PERSON_ID_X),
        (full_width(PERSON_ID_X.lower()), PERSON_ID_X),
        (f"{PERSON_ID[:6]} {PERSON_ID[6:14]} {PERSON_ID[14:]}", PERSON_ID),
        ("  abc123 ", "ABC123"),
    ],
)
def test_lookup_key_normalises_what_a_user_types(typed, key):
    assert lookup_key(typed) == key


# --------------------------------------------------------------------------- content_hash


def test_entity_content_hash_covers_registry_fields_only(catalog_set):
    data = validate_entity(entity(), catalog_set, today=TODAY)
    assert content_hash(data) == content_hash({**data, "id": 7, "created_at": "now"})
    assert content_hash(data) != content_hash({**data, "name": "宣城另名公司"})
    assert content_hash(data) != content_hash({**data, "region_code": "341821"})
