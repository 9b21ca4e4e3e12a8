"""Record rules: field validation against the item, severity, publicity dates (D8, D15, D16).

Items come from the shipped catalogs; the calendar is the package calendar with no data
files. Dates are chosen so that month-end clamping and the day-after rule are visible.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from credit_service.catalogs.definitions import CatalogItem, CatalogSet, FieldSpec, PublicityRules
from credit_service.errors import InvalidInput
from credit_service.identifiers import patent_check_char
from credit_service.records.preparation import prepare_record
from credit_service.records.rules import (
    PublicityDates,
    canonical_fields,
    content_hash,
    convert_value,
    effective_status,
    envelope_of,
    is_heavier_penalty,
    publicity_dates,
    severity_of,
    validate_fields,
)
from credit_service.workdays import WorkdayCalendar

CALENDAR = WorkdayCalendar(None)
D = date.fromisoformat
TODAY = D("2026-11-25")  # the suite's TEST_START
PENALTY = "PAT-PEN-COUNTERFEIT"
FINDING = "PAT-DIS-ABNORMAL-APPLICATION"
COMMITMENT = "PAT-DIS-COMMITMENT-BREACH"
AWARD = "PAT-TRU-DEMO-ENTERPRISE"
BASIC = "PAT-BAS-AGENCY-LICENCE"
ItemGetter = Callable[[str], CatalogItem]
PATENT_DIGITS = "202310123456"
PATENT_NO = f"{PATENT_DIGITS}.{patent_check_char(PATENT_DIGITS)}"  # 202310123456.6
OTHER_PATENT_DIGITS = "202320654321"
OTHER_PATENT_NO = f"{OTHER_PATENT_DIGITS}.{patent_check_char(OTHER_PATENT_DIGITS)}"

# Amount fields each penalty type makes required (required_if in field_sets.yaml).
CONDITIONAL = {
    "罚款": {"CF_NR_FK": "5"},
    "没收违法所得": {"CF_NR_WFFF": "1"},
    "没收非法财物": {"CF_NR_WFFF": "1"},
    "暂扣许可证件": {"CF_NR_ZKDX": "营业执照 913418…"},
    "吊销许可证件": {"CF_NR_ZKDX": "营业执照 913418…"},
}


@pytest.fixture(scope="module")
def rules(catalog_set: CatalogSet) -> PublicityRules:
    return catalog_set.publicity


@pytest.fixture(scope="module")
def item(catalog_set: CatalogSet) -> ItemGetter:
    def get(code: str) -> CatalogItem:
        found = catalog_set.item(code)
        assert found is not None, code
        return found

    return get


def penalty_raw(types: list[str] | None = None, **overrides: Any) -> dict[str, Any]:
    """Raw 双公示 fields for the counterfeiting item, with the amounts the types require."""
    types = ["罚款"] if types is None else types
    raw: dict[str, Any] = {
        "CF_WSH": "宣市监知罚〔2026〕12号",
        "CF_WFXW": "假冒专利",
        "CF_SY": "在产品上标注他人专利号",
        "CF_YJ": "《中华人民共和国专利法》第六十八条",
        "CF_CFLB": types,
        "CF_NR": "依法处罚",
        "CF_JDRQ": "2026-03-15",
        "CF_CFJG": "宣城市市场监督管理局",
    }
    for penalty_type in types:
        raw.update(CONDITIONAL.get(penalty_type, {}))
    raw.update(overrides)
    return raw


def finding_raw(**overrides: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "document_no": "国知认〔2026〕3号",
        "decision_date": "2026-05-10",
        "authority_code": "国家知识产权局",
        "conduct_facts": "批量提交非正常专利申请",
        "basis_text": "国知发保字〔2022〕8号第六条",
        "commitment_matter": "专利费用减缴",
        "breach_type": "未履行承诺",
    }
    raw.update(overrides)
    return raw


def errors_of(item: CatalogItem, raw: dict[str, Any]) -> dict[str, list[str]]:
    with pytest.raises(InvalidInput) as caught:
        validate_fields(item, raw, TODAY)
    assert caught.value.errors
    return caught.value.errors


def penalty_values(item: ItemGetter, types: list[str], **overrides: Any) -> dict[str, Any]:
    return validate_fields(item(PENALTY), penalty_raw(types, **overrides), TODAY)


# --------------------------------------------------------------------------- validate_fields


def test_a_complete_penalty_validates_to_json_ready_values(item):
    values = validate_fields(item(PENALTY), penalty_raw(["罚款", "没收违法所得"]), TODAY)
    assert values["CF_CFLB"] == ["罚款", "没收违法所得"]
    assert values["CF_NR_FK"] == "5"
    assert values["CF_JDRQ"] == "2026-03-15"
    assert "CF_NR_ZKDX" not in values  # blank optional fields are left out


@pytest.mark.parametrize(
    ("code", "field", "raw", "expected"),
    [
        # string: trimmed, up to its max_length (CF_WSH: 200)
        (PENALTY, "CF_WSH", "  宣市监知罚〔2026〕7号 ", "宣市监知罚〔2026〕7号"),
        (PENALTY, "CF_WSH", "文" * 200, "文" * 200),
        (PENALTY, "CF_CFJGDM", "号" * 500, "号" * 500),  # default string limit 500
        # text: default limit 10000
        (PENALTY, "CF_SY", "事" * 10_000, "事" * 10_000),
        # date: three input formats, or a date object
        (PENALTY, "CF_JDRQ", "2026-03-15", "2026-03-15"),
        (PENALTY, "CF_JDRQ", "2026/03/15", "2026-03-15"),
        (PENALTY, "CF_JDRQ", "20260315", "2026-03-15"),
        (PENALTY, "CF_JDRQ", " 2024-02-29 ", "2024-02-29"),
        (PENALTY, "CF_JDRQ", date(2026, 3, 15), "2026-03-15"),
        # decimal (万元) with min 0: normalised text
        (PENALTY, "CF_NR_FK", "5", "5"),
        (PENALTY, "CF_NR_FK", "5.50", "5.5"),
        (PENALTY, "CF_NR_FK", 0, "0"),
        (PENALTY, "CF_NR_FK", "1,200.00", "1200"),
        (PENALTY, "CF_NR_FK", 0.25, "0.25"),
        # boolean words
        (PENALTY, "heavier_penalty", "是", True),
        (PENALTY, "heavier_penalty", "否", False),
        (PENALTY, "heavier_penalty", "Y", True),
        (PENALTY, "heavier_penalty", "0", False),
        (PENALTY, "heavier_penalty", True, True),
        # enum_list from CSV-like text or a list, duplicates dropped, order kept
        (PENALTY, "CF_CFLB", "罚款;没收违法所得", ["罚款", "没收违法所得"]),
        (PENALTY, "CF_CFLB", "罚款、没收违法所得", ["罚款", "没收违法所得"]),
        (PENALTY, "CF_CFLB", "没收违法所得；罚款", ["罚款", "没收违法所得"]),  # catalog order
        (PENALTY, "CF_CFLB", ["罚款", "罚款"], ["罚款"]),
        # string_list with a format: each member normalised
        (PENALTY, "patent_numbers", f"CN{PATENT_DIGITS}{PATENT_NO[-1]}", [PATENT_NO]),
        (
            PENALTY,
            "patent_numbers",
            f"ZL {PATENT_DIGITS[:4]} {PATENT_DIGITS[4:]}.{PATENT_NO[-1]}; {OTHER_PATENT_NO}",
            [PATENT_NO, OTHER_PATENT_NO],
        ),
        (PENALTY, "patent_numbers", [f"cn{PATENT_NO}"], [PATENT_NO]),
        # enum
        (COMMITMENT, "breach_type", " 承诺内容不实 ", "承诺内容不实"),
    ],
)
def test_field_values_are_converted_to_their_stored_form(item, code, field, raw, expected):
    base = penalty_raw(["罚款", "没收违法所得"]) if code == PENALTY else finding_raw()
    values = validate_fields(item(code), {**base, field: raw}, TODAY)
    assert values[field] == expected


@pytest.mark.parametrize(
    ("code", "field", "raw", "expected"),
    [
        (PENALTY, "CF_WSH", "文" * 201, {"code": "length-at-most", "max": 200}),
        (PENALTY, "CF_CFJGDM", "号" * 501, {"code": "length-at-most", "max": 500}),
        (PENALTY, "CF_SY", "事" * 10_001, {"code": "length-at-most", "max": 10_000}),
        (PENALTY, "CF_WSH", {"no": 1}, "not-text"),
        (PENALTY, "CF_WSH", True, "not-text"),
        (PENALTY, "CF_JDRQ", "2026-02-30", "not-a-date"),
        (PENALTY, "CF_JDRQ", "15/03/2026", "not-a-date"),
        (PENALTY, "CF_JDRQ", "昨天", "not-a-date"),
        (PENALTY, "CF_JDRQ", datetime(2026, 3, 15, 9, 30), "date-with-time"),
        (PENALTY, "CF_NR_FK", "-0.01", {"code": "below-minimum", "min": "0"}),
        (PENALTY, "CF_NR_FK", "五万", "not-a-number"),
        (PENALTY, "CF_NR_FK", "NaN", "not-finite"),
        (PENALTY, "CF_NR_FK", True, "not-a-number"),
        (PENALTY, "heavier_penalty", "也许", "not-boolean"),
        (PENALTY, "CF_CFLB", "罚款;坐牢", {"code": "values-not-allowed", "values": "坐牢"}),
        (PENALTY, "CF_CFLB", 5, "not-a-list"),
        (
            PENALTY,
            "patent_numbers",
            f"{PATENT_DIGITS}.X",
            {"code": "identifier-check-character", "expected": PATENT_NO[-1]},
        ),
        (PENALTY, "patent_numbers", [PATENT_NO, "12345"], "patent-number-shape"),
        (COMMITMENT, "breach_type", "其他", {"code": "not-one-of"}),
    ],
)
def test_a_bad_field_value_is_reported_under_its_field(item, code, field, raw, expected):
    base = penalty_raw(["罚款", "没收违法所得"]) if code == PENALTY else finding_raw()
    errors = errors_of(item(code), {**base, field: raw})
    assert list(errors) == [f"fields.{field}"]
    assert_entry(errors[f"fields.{field}"], expected)


def assert_entry(entries: list[Any], expected: str | dict[str, Any]) -> None:
    """One field error: the code, or the code and (at least) the params given."""
    [entry] = entries
    if isinstance(expected, str):
        assert entry == expected
    else:
        assert {key: entry.get(key) for key in expected} == expected


@pytest.fixture
def counted_item(item: ItemGetter) -> CatalogItem:
    """An item with an integer field (none of the shipped items has one)."""
    base = item(COMMITMENT)
    extra = FieldSpec("repeat_count", "重复次数", "integer", min="1", max="10")
    return replace(base, fields=(*base.fields, extra))


@pytest.mark.parametrize(("raw", "expected"), [("3", 3), (" 7 ", 7), (10, 10), (2.0, 2)])
def test_integer_fields_take_whole_numbers(counted_item, raw, expected):
    values = validate_fields(counted_item, finding_raw(repeat_count=raw), TODAY)
    assert values["repeat_count"] == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2.5", "not-whole-number"),
        (2.5, "not-whole-number"),
        (True, "not-whole-number"),
        ("三", "not-whole-number"),
        ("0", {"code": "below-minimum", "min": "1"}),
        (11, {"code": "above-maximum", "max": "10"}),
    ],
)
def test_integer_fields_reject_fractions_words_and_out_of_range(counted_item, raw, expected):
    errors = errors_of(counted_item, finding_raw(repeat_count=raw))
    assert_entry(errors["fields.repeat_count"], expected)


def test_an_unknown_field_is_rejected_under_its_own_key(item):
    errors = errors_of(item(PENALTY), penalty_raw(CF_XDR_COLOUR="red"))
    assert list(errors) == ["fields.CF_XDR_COLOUR"]
    assert errors["fields.CF_XDR_COLOUR"] == [{"code": "unknown-item-field", "item_code": PENALTY}]


@pytest.mark.parametrize("blank", [None, "", "   ", []])
def test_a_blank_required_field_is_reported_missing_with_its_label(item, blank):
    errors = errors_of(item(PENALTY), penalty_raw(CF_SY=blank))
    assert errors == {"fields.CF_SY": [{"code": "field-required", "label": "违法事实"}]}


def test_every_faulty_field_is_reported_at_once(item):
    raw = penalty_raw(["罚款"], CF_JDRQ="2026-02-30", bogus=1)
    del raw["CF_CFJG"], raw["CF_NR_FK"]
    errors = errors_of(item(PENALTY), raw)
    assert set(errors) == {"fields.CF_JDRQ", "fields.CF_CFJG", "fields.CF_NR_FK", "fields.bogus"}


@pytest.mark.parametrize(
    ("types", "field"),
    [
        (["罚款"], "CF_NR_FK"),
        (["警告", "罚款"], "CF_NR_FK"),
        (["没收非法财物"], "CF_NR_WFFF"),
        (["罚款", "没收违法所得"], "CF_NR_WFFF"),
        (["罚款", "吊销许可证件"], "CF_NR_ZKDX"),
        (["暂扣许可证件"], "CF_NR_ZKDX"),
    ],
)
def test_required_if_makes_a_field_required_when_the_penalty_type_includes_a_value(
    item, types, field
):
    raw = penalty_raw(types)
    del raw[field]
    errors = errors_of(item(PENALTY), raw)
    assert list(errors) == [f"fields.{field}"]
    assert errors[f"fields.{field}"][0]["code"] == "field-required"


def test_required_if_is_triggered_by_csv_text_too(item):
    raw = penalty_raw([], CF_CFLB="警告;罚款")
    assert errors_of(item(PENALTY), raw) == {
        "fields.CF_NR_FK": [{"code": "field-required", "label": "罚款金额（万元）"}]
    }


@pytest.mark.parametrize("types", [["警告"], ["通报批评"], "警告;通报批评", ["责令停产停业"]])
def test_required_if_is_not_triggered_by_other_penalty_types(item, types):
    raw = penalty_raw([], CF_CFLB=types)
    assert "CF_NR_FK" not in raw
    values = validate_fields(item(PENALTY), raw, TODAY)
    assert "CF_NR_FK" not in values


def test_a_required_if_field_when_given_is_still_checked(item):
    errors = errors_of(item(PENALTY), penalty_raw(["罚款"], CF_NR_FK="-1"))
    assert errors["fields.CF_NR_FK"] == [{"code": "below-minimum", "min": "0"}]


def test_envelope_reads_the_fields_the_item_names(item):
    values = validate_fields(item(PENALTY), penalty_raw(CF_JDRQ="2026/03/15"), TODAY)
    envelope = envelope_of(item(PENALTY), values)
    assert envelope.source_ref == "宣市监知罚〔2026〕12号"
    assert envelope.source_authority == "宣城市市场监督管理局"
    assert envelope.decision_date == date(2026, 3, 15)


# --------------------------------------------------------------------------- severity


@pytest.mark.parametrize(
    ("types", "heavier", "severity", "heavy"),
    [
        (["警告"], None, "minor", False),
        (["通报批评"], None, "minor", False),
        (["警告", "通报批评"], None, "minor", False),
        (["罚款"], None, "general", False),
        (["警告", "罚款"], None, "general", False),
        (["罚款", "没收违法所得"], None, "general", False),
        (["暂扣许可证件"], None, "general", False),
        (["罚款"], "否", "general", False),
        (["责令停产停业"], None, "severe", True),
        (["罚款", "吊销许可证件"], None, "severe", True),
        (["限制从业"], None, "severe", True),
        (["责令关闭"], None, "severe", True),
        (["罚款"], "是", "severe", True),
    ],
)
def test_by_penalty_severity_follows_the_penalty(item, rules, types, heavier, severity, heavy):
    overrides = {} if heavier is None else {"heavier_penalty": heavier}
    values = penalty_values(item, types, **overrides)
    assert severity_of(item(PENALTY), values, rules) == severity
    assert is_heavier_penalty(item(PENALTY), values, rules) is heavy


@pytest.mark.parametrize(("code", "severity"), [(FINDING, "general"), (AWARD, None), (BASIC, None)])
def test_items_with_a_fixed_severity_keep_it_whatever_the_values(item, rules, code, severity):
    values = {"CF_CFLB": ["吊销许可证件"], "heavier_penalty": True}
    assert severity_of(item(code), values, rules) == severity


def test_only_penalties_or_heavier_penalty_items_are_heavier_penalties(item, rules):
    heavy_values = {"CF_CFLB": ["吊销许可证件"], "heavier_penalty": True}
    assert is_heavier_penalty(item(FINDING), heavy_values, rules) is False
    flagged = replace(item(FINDING), heavier_penalty=True)
    assert is_heavier_penalty(flagged, {}, rules) is True


# --------------------------------------------------------------------------- publicity dates


def dates_for(
    item: ItemGetter, rules: PublicityRules, code: str, values: dict[str, Any], decided: str
) -> PublicityDates:
    catalog_item = item(code)
    severity = severity_of(catalog_item, values, rules)
    return publicity_dates(catalog_item, severity, values, D(decided), rules, CALENDAR)


@pytest.mark.parametrize(
    ("types", "heavier", "decided", "end", "repair_from", "early_stop"),
    [
        # general: P3M..P1Y; public through the end day, repair the day after P3M ends
        (["罚款"], None, "2026-03-15", "2027-03-15", "2026-06-16", True),
        (["罚款"], None, "2026-11-30", "2027-11-30", "2027-03-01", True),
        (["罚款", "没收违法所得"], None, "2026-08-31", "2027-08-31", "2026-12-01", True),
        # severe: P1Y..P3Y; a decision on 29 February clamps to 28 February
        (["罚款"], "是", "2024-02-29", "2027-02-28", "2025-03-01", True),
        (["责令关闭"], None, "2026-04-01", "2029-04-01", None, False),
        # severe penalty types that cannot stop early: no repair date
        (["吊销许可证件"], None, "2026-03-15", "2029-03-15", None, False),
        (["罚款", "责令停产停业"], None, "2026-05-20", "2029-05-20", None, False),
        (["降低资质等级"], None, "2026-05-20", "2029-05-20", None, False),
        # never or not published: warning only, criticism only (minor)
        (["警告"], None, "2026-03-15", None, None, True),
        (["通报批评"], None, "2026-03-15", None, None, True),
        (["警告", "通报批评"], None, "2026-03-15", None, None, True),
    ],
)
def test_penalty_publicity_dates_follow_the_bands(
    item, rules, types, heavier, decided, end, repair_from, early_stop
):
    overrides = {} if heavier is None else {"heavier_penalty": heavier}
    values = penalty_values(item, types, **overrides)
    result = dates_for(item, rules, PENALTY, values, decided)
    assert result.publicity_end == (D(end) if end else None)
    assert result.repair_from == (D(repair_from) if repair_from else None)
    assert result.early_stop_allowed is early_stop


# D8: the five kinds of penalty whose publicity cannot stop early, as CF_CFLB names them.
D8_NO_EARLY_STOP = {
    "suspension": "责令停产停业",
    "restriction": "限制开展生产经营活动",
    "closure": "责令关闭",
    "grade lowering": "降低资质等级",
    "licence revocation": "吊销许可证件",
}


@pytest.mark.parametrize("kind", D8_NO_EARLY_STOP)
def test_each_d8_kind_with_a_fine_cannot_stop_early(item, rules, kind):
    values = penalty_values(item, ["罚款", D8_NO_EARLY_STOP[kind]])
    result = dates_for(item, rules, PENALTY, values, "2025-06-01")
    assert result.publicity_end == D("2028-06-01")  # severe: public for the full 3 years
    assert result.early_stop_allowed is False
    assert result.repair_from is None


def test_warning_only_penalty_is_never_published(item, rules):
    values = penalty_values(item, ["警告"])
    result = dates_for(item, rules, PENALTY, values, "2026-03-15")
    assert result.publicity_end is None
    assert result.repair_from is None
    assert result.retention_end == D("2031-03-15")  # kept, not shown (D16 default P5Y)


@pytest.mark.parametrize(
    ("decided", "end", "repair_from"),
    [
        ("2026-05-10", "2027-05-10", "2026-11-11"),
        ("2026-08-31", "2027-08-31", "2027-03-01"),  # P6M ends 2027-02-28, clamped
        ("2027-03-31", "2028-03-31", "2027-10-01"),
    ],
)
def test_cnipa_finding_uses_its_own_period_of_six_months_to_a_year(
    item, rules, decided, end, repair_from
):
    result = dates_for(item, rules, FINDING, {}, decided)
    assert result.publicity_end == D(end)
    assert result.repair_from == D(repair_from)
    assert result.early_stop_allowed is True


def test_retention_counts_from_the_end_of_the_conduct_where_the_record_has_it(item, rules):
    """D16: kept at most 5 years from the end of the conduct, not from the decision."""
    values = validate_fields(item(COMMITMENT), finding_raw(conduct_end_date="2022-08-31"), TODAY)
    result = dates_for(item, rules, COMMITMENT, values, "2026-05-10")
    assert result.publicity_end == D("2027-05-10")
    assert result.retention_end == D("2027-08-31")  # 2022-08-31 + 5 years
    assert result.retention_from == "conduct_end_date"


def test_retention_never_ends_before_publication_does(item, rules):
    values = validate_fields(item(COMMITMENT), finding_raw(conduct_end_date="2020-01-15"), TODAY)
    result = dates_for(item, rules, COMMITMENT, values, "2026-05-10")
    assert result.retention_end == result.publicity_end == D("2027-05-10")
    assert result.retention_from == "conduct_end_date"


def test_retention_counts_from_the_decision_without_an_end_of_conduct(item, rules):
    values = validate_fields(item(COMMITMENT), finding_raw(), TODAY)
    result = dates_for(item, rules, COMMITMENT, values, "2026-05-10")
    assert result.retention_end == D("2031-05-10")
    assert result.retention_from == "decision_date"


def test_a_bulk_import_reuses_dates_only_for_the_same_end_of_conduct(item, rules):
    memo: dict = {}
    prepared = [
        prepare_record(
            1, item(COMMITMENT), raw, publicity=rules, calendar=CALENDAR, today=TODAY, memo=memo
        )
        for raw in (finding_raw(conduct_end_date="2022-08-31"), finding_raw())
    ]
    assert [p.dates.retention_end for p in prepared] == [D("2027-08-31"), D("2031-05-10")]


def test_trustworthy_award_is_public_for_its_maximum_and_is_not_repairable(item, rules):
    result = dates_for(item, rules, AWARD, {}, "2026-05-10")
    assert result.publicity_end == D("2029-05-10")
    assert result.repair_from is None
    assert result.early_stop_allowed is False


def test_basic_public_item_without_a_period_is_public_for_the_default_retention(item, rules):
    result = dates_for(item, rules, BASIC, {}, "2026-05-10")
    assert result.publicity_end == D("2031-05-10")
    assert result.retention_end == D("2031-05-10")
    assert result.repair_from is None


@pytest.mark.parametrize("disclosure", ["shared", "internal"])
def test_basic_item_that_is_not_public_has_no_publicity_end(item, rules, disclosure):
    hidden = replace(item(BASIC), disclosure=disclosure)
    result = publicity_dates(hidden, None, {}, D("2026-05-10"), rules, CALENDAR)
    assert result.publicity_end is None
    assert result.repair_from is None
    assert result.retention_end == D("2031-05-10")


def test_a_not_public_dishonest_item_is_never_published(item, rules):
    hidden = replace(item(FINDING), disclosure="shared")
    result = publicity_dates(hidden, "general", {}, D("2026-05-10"), rules, CALENDAR)
    assert result.publicity_end is None
    assert result.repair_from is None


def test_basic_item_with_its_own_retention_is_public_for_that_retention(item, rules):
    kept_two_years = replace(item(BASIC), retention="P2Y")
    result = publicity_dates(kept_two_years, None, {}, D("2026-05-10"), rules, CALENDAR)
    assert result.publicity_end == D("2028-05-10")
    assert result.retention_end == D("2028-05-10")


def test_retention_never_ends_before_publicity(item, rules):
    short = replace(item(PENALTY), retention="P1Y")
    values = penalty_values(item, ["吊销许可证件"])
    result = publicity_dates(short, "severe", values, D("2026-03-15"), rules, CALENDAR)
    assert result.publicity_end == D("2029-03-15")
    assert result.retention_end == result.publicity_end


@pytest.mark.parametrize(
    ("decided", "index"),
    [
        ("2020-01-01", 0),
        ("2026-03-31", 0),
        ("2026-04-01", 1),
        ("2026-04-02", 1),
        ("2030-12-31", 1),
    ],
)
def test_bands_for_picks_the_edition_in_force_on_the_decision_date(rules, decided, index):
    assert rules.band_editions[0].applies_from is None
    assert rules.band_editions[1].applies_from == D("2026-04-01")
    assert rules.bands_for(D(decided)) is rules.band_editions[index]


@pytest.mark.parametrize(
    ("decided", "end", "repair_from"),
    [
        ("2026-03-31", "2028-03-31", "2026-10-01"),  # earlier edition: general P6M..P2Y
        ("2026-04-01", "2027-04-01", "2026-07-02"),  # current edition: general P3M..P1Y
    ],
)
def test_publicity_dates_use_the_band_edition_of_the_decision_date(
    item, rules, decided, end, repair_from
):
    earlier, current = rules.band_editions
    marked = replace(earlier, bands={**earlier.bands, "general": (6, 24)})
    changed = replace(rules, band_editions=(marked, current))
    values = penalty_values(item, ["罚款"])
    result = publicity_dates(item(PENALTY), "general", values, D(decided), changed, CALENDAR)
    assert result.publicity_end == D(end)
    assert result.repair_from == D(repair_from)


def test_period_ends_roll_past_holidays_only_when_configured(item, rules):
    values = penalty_values(item, ["罚款"])
    plain = publicity_dates(item(PENALTY), "general", values, D("2025-10-01"), rules, CALENDAR)
    assert plain.publicity_end == D("2026-10-01")  # National Day
    assert plain.repair_from == D("2026-01-02")
    rolling = replace(rules, roll_forward_past_holidays=True)
    rolled = publicity_dates(item(PENALTY), "general", values, D("2025-10-01"), rolling, CALENDAR)
    assert rolled.publicity_end == D("2026-10-08")  # first working day after the holiday
    assert rolled.repair_from == D("2026-01-05")  # P3M ends on the make-up Sunday 01-04


# --------------------------------------------------------------------------- status and hash

TODAY = date(2026, 11, 25)


@pytest.mark.parametrize(
    ("status", "publicity_end", "expected"),
    [
        ("active", TODAY - timedelta(days=1), "expired"),
        ("active", TODAY - timedelta(days=400), "expired"),
        ("active", TODAY, "active"),
        ("active", TODAY + timedelta(days=1), "active"),
        ("active", None, "active"),
        ("repaired", TODAY - timedelta(days=1), "repaired"),
        ("revoked", TODAY - timedelta(days=1), "revoked"),
        ("expired", TODAY + timedelta(days=1), "expired"),
    ],
)
def test_effective_status_expires_active_records_the_day_after_publicity_ends(
    status, publicity_end, expected
):
    assert effective_status(status, publicity_end, TODAY) == expected


REFERENCE = {"CF_WSH": "宣市监知罚〔2026〕1号", "CF_NR_FK": "5", "CF_CFLB": ["罚款"]}


def digest(code: str, values: dict[str, Any]) -> str:
    """The content hash as filing computes it: over the canonical JSON of the fields."""
    return content_hash(code, canonical_fields(values))


def test_canonical_fields_is_the_same_text_in_any_key_order():
    reordered = {"CF_CFLB": ["罚款"], "CF_NR_FK": "5", "CF_WSH": "宣市监知罚〔2026〕1号"}
    assert canonical_fields(REFERENCE) == canonical_fields(reordered)
    assert json.loads(canonical_fields(REFERENCE)) == REFERENCE
    assert "宣市监知罚" in canonical_fields(REFERENCE)  # stored readable, not \u-escaped


@pytest.mark.parametrize(
    "values",
    [
        REFERENCE,
        {"BZ": "".join(map(chr, range(0x80))), "CF_JDRQ": "2026-01-02"},  # every ASCII char
        {"BZ": "\u2028\u2029\ufeff\U0001f600 ＡＢ　", "B": True, "C": False, "D": None},
        {"CF_NR_FK": 10**15, "N": -1, "L": [], "E": "", "Z": ["甲", "乙"]},
        {"N": 2**70},  # past 64 bits: orjson refuses it, the standard library writes it
    ],
)
def test_canonical_fields_is_the_standard_librarys_text_to_the_byte(values):
    """Stored content hashes were computed over the standard library's text: a record
    filed before the change must hash the same after it, or a re-import would correct it."""
    expected = json.dumps(values, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    assert canonical_fields(values) == expected


def test_content_hash_is_equal_for_equal_content_in_any_key_order():
    reordered = {"CF_CFLB": ["罚款"], "CF_NR_FK": "5", "CF_WSH": "宣市监知罚〔2026〕1号"}
    assert digest(PENALTY, REFERENCE) == digest(PENALTY, dict(REFERENCE))
    assert digest(PENALTY, REFERENCE) == digest(PENALTY, reordered)
    assert re.fullmatch(r"[0-9a-f]{64}", digest(PENALTY, REFERENCE))


@pytest.mark.parametrize(
    ("code", "values"),
    [
        (PENALTY, {**REFERENCE, "CF_NR_FK": "6"}),
        (PENALTY, {**REFERENCE, "CF_WSH": "宣市监知罚〔2026〕2号"}),
        (PENALTY, {k: v for k, v in REFERENCE.items() if k != "CF_NR_FK"}),
        (PENALTY, {**REFERENCE, "BZ": "备注"}),
        ("PAT-PEN-AGENCY", REFERENCE),
    ],
)
def test_content_hash_differs_for_different_content_or_item(code, values):
    assert digest(code, values) != digest(PENALTY, REFERENCE)


def test_penalty_types_in_any_order_are_the_same_value(catalog_set):
    spec = catalog_set.item("PAT-PEN-COUNTERFEIT").field_map["CF_CFLB"]
    assert convert_value(spec, "没收违法所得;罚款") == convert_value(spec, ["罚款", "没收违法所得"])
