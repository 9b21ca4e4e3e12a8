"""Catalog files: the shipped catalogs load and hold what D16 demands; bad files stop the load.

Bad catalogs are built in tmp_path: a copy of catalogs/ with one text edit each, so every
case differs from a known-good file by exactly the fault under test.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from marshmallow import ValidationError

from credit_service.catalogs import schema
from credit_service.catalogs.definitions import CatalogSet
from credit_service.catalogs.loader import DOMAIN_FILES, load_catalog_set
from credit_service.config import PROJECT_ROOT
from credit_service.errors import CatalogError

CATALOGS = PROJECT_ROOT / "catalogs"
SHIPPED: CatalogSet = load_catalog_set(CATALOGS)
ALL_ITEMS = [item for catalog in SHIPPED.catalogs.values() for item in catalog.items]
ENVELOPE_TYPES = {"source_ref": "string", "decision_date": "date", "source_authority": "string"}
CNIPA_BEHAVIOURS = set(schema.CNIPA_CATEGORIES) - {"other_catalogued"}


# --------------------------------------------------------------------------- helpers


@pytest.fixture
def catalogs_copy(tmp_path: Path) -> Path:
    target = tmp_path / "catalogs"
    shutil.copytree(CATALOGS, target)
    return target


def edit_file(path: Path, old: str, new: str) -> None:
    """Replace the one occurrence of ``old`` in the file (fails if it is not exactly once)."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {path.name}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def edit_item(path: Path, code: str, old: str, new: str) -> None:
    """Replace the first ``old`` inside the YAML block of item ``code`` only."""
    text = path.read_text(encoding="utf-8")
    start = text.index(f"  - code: {code}\n")
    end = text.find("\n  - code:", start + 1)
    end = len(text) if end == -1 else end
    block = text[start:end]
    assert old in block, f"{old!r} not in item {code}"
    path.write_text(text[:start] + block.replace(old, new, 1) + text[end:], encoding="utf-8")


def load_error(directory: Path) -> str:
    """The file and the problem the load names, as "file: problem"."""
    with pytest.raises(CatalogError) as caught:
        load_catalog_set(directory)
    assert caught.value.code == "catalog-invalid"
    return f"{caught.value.params['file']}: {caught.value.params['problem']}"


# --------------------------------------------------------------------------- shipped catalogs


@pytest.mark.parametrize(
    ("domain", "minimum"),
    [("patent", 8), ("trademark", 8), ("geographical_indication", 5)],
)
def test_each_shipped_domain_has_at_least_the_minimum_number_of_items(domain, minimum):
    catalog = SHIPPED.catalogs[domain]
    assert len(catalog.items) >= minimum
    assert catalog.domain == domain
    assert catalog.source.endswith(DOMAIN_FILES[domain])
    assert all(item.domain == domain for item in catalog.items)


def test_shipped_item_codes_are_unique_across_domains_and_well_formed():
    codes = [item.code for item in ALL_ITEMS]
    assert len(codes) == len(set(codes))
    assert all(re.fullmatch(schema.CODE_RE, code) for code in codes)


@pytest.mark.parametrize("item", ALL_ITEMS, ids=lambda item: item.code)
def test_every_shipped_item_states_basis_provider_disclosure_and_repairability(item):
    assert item.legal_basis, "an item needs at least one legal basis"
    for basis in item.legal_basis:
        # no article: the instrument alone, where none is settled (docs/catalogs.md)
        assert basis["instrument"].strip() and (
            basis["article"] is None or basis["article"].strip()
        )
    assert item.provider.strip()
    assert item.disclosure in schema.DISCLOSURES
    assert isinstance(item.repairable, bool)
    assert item.category in schema.CATEGORIES


@pytest.mark.parametrize("item", ALL_ITEMS, ids=lambda item: item.code)
def test_every_shipped_item_envelope_names_required_fields_of_the_right_type(item):
    fields = item.field_map
    for role, expected_type in ENVELOPE_TYPES.items():
        name = getattr(item.envelope, role)
        assert name in fields, f"{role} names missing field {name}"
        assert fields[name].required
        assert fields[name].type == expected_type


@pytest.mark.parametrize("item", ALL_ITEMS, ids=lambda item: item.code)
def test_dishonest_items_and_only_they_carry_a_severity(item):
    if item.category == "dishonest":
        assert item.severity in schema.SEVERITIES
    else:
        assert item.severity is None
    if item.severity == "by_penalty":
        assert item.record_type == "penalty"


@pytest.mark.parametrize("item", ALL_ITEMS, ids=lambda item: item.code)
def test_every_measure_an_item_triggers_is_a_loaded_measure(item):
    assert set(item.measures) <= set(SHIPPED.measures)


@pytest.mark.parametrize("domain", list(DOMAIN_FILES))
def test_every_domain_has_a_trustworthy_item_and_a_penalty_item(domain):
    items = SHIPPED.catalogs[domain].items
    assert any(item.category == "trustworthy" for item in items)
    assert any(item.record_type == "penalty" and item.category == "dishonest" for item in items)


def test_every_cnipa_finding_carries_a_cnipa_category_and_all_six_behaviours_are_covered():
    findings = [
        item
        for item in ALL_ITEMS
        if item.category == "dishonest" and item.record_type in ("finding", "ruling")
    ]
    assert findings
    assert all(item.cnipa_category in schema.CNIPA_CATEGORIES for item in findings)
    assert {item.cnipa_category for item in findings} >= CNIPA_BEHAVIOURS
    assert all(item.cnipa_category is None for item in ALL_ITEMS if item not in findings)


def test_shipped_publicity_rules_follow_d8_and_d16():
    rules = SHIPPED.publicity
    assert rules.default_retention_months == 60
    assert "警告" in rules.never_published_penalty_types
    assert "吊销许可证件" in rules.no_early_stop_penalty_types
    assert [e.applies_from for e in rules.band_editions][-1].isoformat() == "2026-04-01"
    for edition in rules.band_editions:
        assert edition.bands["general"] == (3, 12)
        assert edition.bands["severe"] == (12, 36)
        assert edition.bands["minor"] == (None, None)


def test_shipped_regions_are_the_city_and_its_seven_districts_and_counties():
    assert SHIPPED.city.code == "341800"
    assert SHIPPED.region_codes == {
        "341800",
        "341802",
        "341821",
        "341823",
        "341824",
        "341825",
        "341881",
        "341882",
    }
    assert sorted(SHIPPED.industries) == list("ABCDEFGHIJKLMNOPQRST")


# --------------------------------------------------------------------------- content hash


def test_content_hash_is_a_sha256_and_stable_across_loads_and_locations(catalogs_copy):
    again = load_catalog_set(CATALOGS)
    copied = load_catalog_set(catalogs_copy)
    for domain, catalog in SHIPPED.catalogs.items():
        assert re.fullmatch(r"[0-9a-f]{64}", catalog.content_hash)
        assert again.catalogs[domain].content_hash == catalog.content_hash
        assert copied.catalogs[domain].content_hash == catalog.content_hash


def test_content_hash_ignores_comments_and_layout(catalogs_copy):
    path = catalogs_copy / "patents.yaml"
    path.write_text(
        "# 注释不是内容 / a comment is not content\n\n" + path.read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    edit_item(path, "PAT-PEN-AGENCY", "    disclosure: public\n", "    disclosure:   public\n")
    loaded = load_catalog_set(catalogs_copy)
    assert loaded.catalogs["patent"].content_hash == SHIPPED.catalogs["patent"].content_hash


def test_content_hash_changes_when_an_item_name_changes(catalogs_copy):
    edit_item(
        catalogs_copy / "patents.yaml",
        "PAT-PEN-COUNTERFEIT",
        "name: 假冒专利行政处罚信息",
        "name: 假冒专利行政处罚信息（修订）",
    )
    loaded = load_catalog_set(catalogs_copy)
    assert loaded.catalogs["patent"].content_hash != SHIPPED.catalogs["patent"].content_hash
    assert loaded.catalogs["trademark"].content_hash == SHIPPED.catalogs["trademark"].content_hash


def test_content_hash_changes_when_a_shared_field_set_changes(catalogs_copy):
    """The hash covers the resolved content: a field-set edit changes every domain using it."""
    edit_file(catalogs_copy / "field_sets.yaml", "label: 违法事实\n", "label: 违法事实（摘要）\n")
    loaded = load_catalog_set(catalogs_copy)
    for domain in DOMAIN_FILES:  # every domain has a dsgs_penalty item
        assert loaded.catalogs[domain].content_hash != SHIPPED.catalogs[domain].content_hash


def test_content_hash_changes_with_the_edition_label(catalogs_copy):
    edit_file(catalogs_copy / "patents.yaml", 'edition: "2026年版"', 'edition: "2026年版（修订）"')
    loaded = load_catalog_set(catalogs_copy)
    assert loaded.catalogs["patent"].content_hash != SHIPPED.catalogs["patent"].content_hash


# --------------------------------------------------------------------------- bad item files

# (case, file, item code to edit, old text, new text, item code in message, field in message)
BAD_ITEMS = [
    (
        "missing disclosure",
        "patents.yaml",
        "PAT-PEN-COUNTERFEIT",
        "    disclosure: public\n",
        "",
        "PAT-PEN-COUNTERFEIT",
        "disclosure",
    ),
    (
        "missing legal basis",
        "trademarks.yaml",
        "TM-PEN-AGENCY",
        "    legal_basis:\n",
        "    legal_basis_removed:\n",
        "TM-PEN-AGENCY",
        "legal_basis",
    ),
    (
        "bad disclosure value",
        "patents.yaml",
        "PAT-PEN-COUNTERFEIT",
        "disclosure: public",
        "disclosure: publik",
        "PAT-PEN-COUNTERFEIT",
        "disclosure",
    ),
    (
        "bad category value",
        "geographical_indications.yaml",
        "GI-TRU-PROMOTION-LIST",
        "category: trustworthy",
        "category: honest",
        "GI-TRU-PROMOTION-LIST",
        "category",
    ),
    (
        "bad listing ground",
        "patents.yaml",
        "PAT-PEN-COUNTERFEIT",
        "listing_grounds: [intentional_infringement]",
        "listing_grounds: [wilful_infringement]",
        "PAT-PEN-COUNTERFEIT",
        "listing_grounds.0",
    ),
    (
        "period in days",
        "patents.yaml",
        "PAT-DIS-FALSE-MATERIALS",
        "publicity: {min: P6M, max: P1Y}",
        "publicity: {min: P3D, max: P1Y}",
        "PAT-DIS-FALSE-MATERIALS",
        "publicity.min",
    ),
    (
        "measures term in weeks",
        "patents.yaml",
        "PAT-DIS-FALSE-MATERIALS",
        "measures_term: {base: P1Y, max: P3Y}",
        "measures_term: {base: P2W, max: P3Y}",
        "PAT-DIS-FALSE-MATERIALS",
        "measures_term.base",
    ),
    (
        "unknown measure",
        "patents.yaml",
        "PAT-DIS-FALSE-MATERIALS",
        "      - no_awards\n",
        "      - no_such_measure\n",
        "PAT-DIS-FALSE-MATERIALS",
        "measures",
    ),
    (
        "unknown field set",
        "patents.yaml",
        "PAT-PEN-AGENCY",
        "field_set: dsgs_penalty",
        "field_set: no_such_set",
        "PAT-PEN-AGENCY",
        "field_set",
    ),
    (
        "envelope names a missing field",
        "patents.yaml",
        "PAT-PEN-AGENCY",
        "field_set: dsgs_penalty",
        "field_set: dsgs_penalty\n"
        "    envelope: {source_ref: CF_MISSING, decision_date: CF_JDRQ, source_authority: CF_CFJG}",
        "PAT-PEN-AGENCY",
        "envelope.source_ref",
    ),
    (
        "envelope date is not a date field",
        "patents.yaml",
        "PAT-PEN-AGENCY",
        "field_set: dsgs_penalty",
        "field_set: dsgs_penalty\n"
        "    envelope: {source_ref: CF_WSH, decision_date: CF_WSH, source_authority: CF_CFJG}",
        "PAT-PEN-AGENCY",
        "envelope.decision_date",
    ),
    (
        "unknown item key",
        "patents.yaml",
        "PAT-PEN-AGENCY",
        "field_set: dsgs_penalty",
        "field_set: dsgs_penalty\n    colour: red",
        "PAT-PEN-AGENCY",
        "colour",
    ),
    (
        "unknown key in a field of an item",
        "patents.yaml",
        "PAT-DIS-COMMITMENT-BREACH",
        "        type: enum\n",
        "        type: enum\n        colour: red\n",
        "PAT-DIS-COMMITMENT-BREACH",
        "fields.2.colour",
    ),
    (
        "unknown field type",
        "patents.yaml",
        "PAT-DIS-COMMITMENT-BREACH",
        "        type: enum\n",
        "        type: choice\n",
        "PAT-DIS-COMMITMENT-BREACH",
        "fields.2.type",
    ),
    (
        "dishonest item without severity",
        "patents.yaml",
        "PAT-DIS-FALSE-MATERIALS",
        "    severity: general\n",
        "",
        "PAT-DIS-FALSE-MATERIALS",
        "severity",
    ),
    (
        "by_penalty on a finding",
        "patents.yaml",
        "PAT-DIS-FALSE-MATERIALS",
        "severity: general",
        "severity: by_penalty",
        "PAT-DIS-FALSE-MATERIALS",
        "severity",
    ),
    (
        "severity on a trustworthy item",
        "patents.yaml",
        "PAT-TRU-DEMO-ENTERPRISE",
        "    record_type: award\n",
        "    record_type: award\n    severity: general\n",
        "PAT-TRU-DEMO-ENTERPRISE",
        "severity",
    ),
    (
        "cnipa category on a trustworthy item",
        "patents.yaml",
        "PAT-TRU-DEMO-ENTERPRISE",
        "    record_type: award\n",
        "    record_type: award\n    cnipa_category: false_materials\n",
        "PAT-TRU-DEMO-ENTERPRISE",
        "cnipa_category",
    ),
    (
        "duplicate field name",
        "patents.yaml",
        "PAT-DIS-FALSE-MATERIALS",
        "      - name: confirmation_matter\n",
        "      - name: document_no\n",
        "PAT-DIS-FALSE-MATERIALS",
        "fields",
    ),
]


@pytest.mark.parametrize(
    ("file_name", "code", "old", "new", "named_item", "field"),
    [case[1:] for case in BAD_ITEMS],
    ids=[case[0] for case in BAD_ITEMS],
)
def test_a_bad_item_stops_the_load_naming_file_item_and_field(
    catalogs_copy, file_name, code, old, new, named_item, field
):
    path = catalogs_copy / file_name
    edit_item(path, code, old, new)
    message = load_error(catalogs_copy)
    assert message.startswith(f"{path}: item {named_item}: field '{field}': ")


def test_a_missing_required_field_error_says_it_is_missing(catalogs_copy):
    path = catalogs_copy / "patents.yaml"
    edit_item(path, "PAT-PEN-COUNTERFEIT", "    disclosure: public\n", "")
    message = load_error(catalogs_copy)
    assert message == (
        f"{path}: item PAT-PEN-COUNTERFEIT: field 'disclosure': Missing data for required field."
    )


def test_a_bad_enum_value_error_lists_the_allowed_values(catalogs_copy):
    path = catalogs_copy / "patents.yaml"
    edit_item(path, "PAT-PEN-COUNTERFEIT", "disclosure: public", "disclosure: publik")
    assert load_error(catalogs_copy) == (
        f"{path}: item PAT-PEN-COUNTERFEIT: field 'disclosure': "
        "Must be one of: public, shared, internal."
    )


def test_an_item_without_a_code_is_named_by_its_position(catalogs_copy):
    path = catalogs_copy / "patents.yaml"
    edit_file(path, "  - code: PAT-PEN-AGENCY\n    name:", "  - name:")
    position = [item.code for item in SHIPPED.catalogs["patent"].items].index("PAT-PEN-AGENCY") + 1
    message = load_error(catalogs_copy)
    assert message.startswith(f"{path}: item #{position}: field 'code': ")


def test_a_code_used_in_two_domain_files_is_rejected_naming_both_files(catalogs_copy):
    edit_file(
        catalogs_copy / "trademarks.yaml",
        "code: TM-BAS-AGENCY-FILING",
        "code: PAT-BAS-AGENCY-LICENCE",
    )
    message = load_error(catalogs_copy)
    assert message.startswith(
        f"{catalogs_copy / 'trademarks.yaml'}: item PAT-BAS-AGENCY-LICENCE: field 'code': "
    )
    assert str(catalogs_copy / "patents.yaml") in message


def test_a_code_used_twice_in_one_file_is_rejected(catalogs_copy):
    path = catalogs_copy / "patents.yaml"
    edit_file(path, "code: PAT-PEN-AGENCY\n", "code: PAT-PEN-COUNTERFEIT\n")
    assert load_error(catalogs_copy).startswith(
        f"{path}: item PAT-PEN-COUNTERFEIT: field 'code': already used in {path}"
    )


def test_a_badly_formed_code_is_rejected(catalogs_copy):
    path = catalogs_copy / "patents.yaml"
    edit_file(path, "code: PAT-PEN-AGENCY\n", "code: pat pen agency\n")
    assert load_error(catalogs_copy).startswith(f"{path}: item pat pen agency: field 'code': ")


def test_a_required_if_naming_a_missing_field_is_rejected(catalogs_copy):
    path = catalogs_copy / "patents.yaml"
    edit_item(
        path,
        "PAT-DIS-COMMITMENT-BREACH",
        "        type: date\n",
        "        type: date\n        required_if: {field: no_such_field, contains: x}\n",
    )
    assert load_error(catalogs_copy).startswith(
        f"{path}: item PAT-DIS-COMMITMENT-BREACH: field 'commitment_date.required_if': "
    )


# --------------------------------------------------------------------------- bad documents


def test_an_unknown_top_level_key_is_rejected(catalogs_copy):
    path = catalogs_copy / "patents.yaml"
    edit_file(path, 'edition: "2026年版"\n', 'edition: "2026年版"\ncolour: red\n')
    assert load_error(catalogs_copy) == f"{path}: field 'colour': Unknown field."


@pytest.mark.parametrize(
    ("file_name", "old", "new", "field"),
    [
        ("patents.yaml", "domain: patent\n", "domain: patents\n", "domain"),
        ("publicity.yaml", "default_retention: P5Y", "default_retention: P5D", None),
        ("publicity.yaml", "roll_forward_past_holidays: false\n", "", None),
        ("measures.yaml", "effect: supervision", "effect: punish", None),
        ("regions.yaml", '{code: "341802"', '{code: "3418022"', None),
        ("industries.yaml", '{code: "T"', '{code: "TT"', None),
        ("field_sets.yaml", "        type: decimal\n", "        type: money\n", None),
    ],
    ids=[
        "bad domain",
        "retention in days",
        "missing publicity setting",
        "bad measure effect",
        "bad region code",
        "bad industry letter",
        "bad field type in a field set",
    ],
)
def test_a_bad_value_in_any_catalog_file_stops_the_load_naming_the_file(
    catalogs_copy, file_name, old, new, field
):
    path = catalogs_copy / file_name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    message = load_error(catalogs_copy)
    assert message.startswith(f"{path}: ")
    if field:
        assert f"field '{field}'" in message


def test_a_region_outside_the_city_is_rejected(catalogs_copy):
    path = catalogs_copy / "regions.yaml"
    edit_file(path, '{code: "341882"', '{code: "340100"')
    assert load_error(catalogs_copy).startswith(f"{path}: region 340100: field 'code': ")


def test_a_measure_with_an_unknown_purpose_is_rejected(catalogs_copy):
    path = catalogs_copy / "measures.yaml"
    edit_item(
        path,
        "strict_review_fiscal_projects",
        "purposes: [fiscal_funding]",
        "purposes: [space_travel]",
    )
    assert load_error(catalogs_copy).startswith(
        f"{path}: measure strict_review_fiscal_projects: field 'purposes': "
    )


def test_a_domain_file_with_another_domain_is_rejected(catalogs_copy):
    path = catalogs_copy / "patents.yaml"
    edit_file(path, "domain: patent\n", "domain: trademark\n")
    assert load_error(catalogs_copy) == f"{path}: domain 'trademark' belongs in trademarks.yaml."


@pytest.mark.parametrize(
    ("file_name", "old", "new"),
    [
        ("patents.yaml", "effective_from: 2026-01-01", "effective_from: 2026-02-30"),
        ("publicity.yaml", "applies_from: 2026-04-01", "applies_from: 2026-13-01"),
    ],
)
def test_an_impossible_yaml_date_is_a_catalog_error_naming_the_file(
    catalogs_copy, file_name, old, new
):
    path = catalogs_copy / file_name
    edit_file(path, old, new)
    assert load_error(catalogs_copy).startswith(f"{path}: not valid YAML: ")


def test_invalid_yaml_is_rejected_naming_the_file(catalogs_copy):
    path = catalogs_copy / "trademarks.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "\n  - code: [unclosed\n", "utf-8")
    assert load_error(catalogs_copy).startswith(f"{path}: not valid YAML: ")


@pytest.mark.parametrize("content", ["", "- just\n- a list\n", "plain text\n"])
def test_a_document_that_is_not_a_mapping_is_rejected(catalogs_copy, content):
    path = catalogs_copy / "patents.yaml"
    path.write_text(content, encoding="utf-8")
    assert load_error(catalogs_copy) == f"{path}: document: expected a mapping."


@pytest.mark.parametrize(
    "file_name",
    [*DOMAIN_FILES.values(), "field_sets.yaml", "measures.yaml", "publicity.yaml"],
)
def test_a_missing_file_is_rejected_naming_it(catalogs_copy, file_name):
    path = catalogs_copy / file_name
    path.unlink()
    assert load_error(catalogs_copy) == f"{path}: file not found."


# --------------------------------------------------------------------------- required_if


@pytest.mark.parametrize(
    ("field", "contains"),
    [
        ("CF_NR_FK", ["罚款"]),
        ("CF_NR_WFFF", ["没收违法所得", "没收非法财物"]),
        ("CF_NR_ZKDX", ["暂扣许可证件", "吊销许可证件"]),
    ],
)
def test_required_if_loads_as_a_list_of_values(field, contains):
    spec = SHIPPED.item("PAT-PEN-COUNTERFEIT").field_map[field]
    assert spec.required_if == {"field": "CF_CFLB", "contains": contains}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("罚款", ["罚款"]), (["罚款"], ["罚款"]), (["警告", "罚款"], ["警告", "罚款"])],
)
def test_required_if_schema_accepts_a_value_or_a_list(raw, expected):
    loaded = schema.RequiredIfSchema().load({"field": "CF_CFLB", "contains": raw})
    assert loaded == {"field": "CF_CFLB", "contains": expected}


@pytest.mark.parametrize("raw", [[], [1], {"a": "b"}, 5, ["罚款", None]])
def test_required_if_schema_rejects_anything_but_text_values(raw):
    with pytest.raises(ValidationError) as caught:
        schema.RequiredIfSchema().load({"field": "CF_CFLB", "contains": raw})
    assert "contains" in caught.value.messages


def test_an_empty_required_if_list_in_a_field_set_stops_the_load(catalogs_copy):
    path = catalogs_copy / "field_sets.yaml"
    edit_file(
        path,
        "required_if: {field: CF_CFLB, contains: 罚款}",
        "required_if: {field: CF_CFLB, contains: []}",
    )
    message = load_error(catalogs_copy)
    assert message.startswith(f"{path}: field 'field_sets.dsgs_penalty.")
    assert "required_if.contains" in message
