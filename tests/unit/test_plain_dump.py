"""``plain_dump`` dumps the public list's answers exactly as their schemas do, and refuses
a schema it could not dump exactly."""

from __future__ import annotations

from datetime import UTC, date, datetime

import marshmallow as ma
import pytest

from credit_service.web.api import public_list
from credit_service.web.api.plain_dump import compile_dump

LISTED = {
    "id": 7,
    "status": "listed",
    "name": "宣城市某某商贸有限公司",
    "kind": "organisation",
    "uscc": "91341800MA2N0A0A0A",
    "region_code": "341802",
    "region": "宣州区",
    "grounds": [{"code": "intentional_infringement", "name": "故意侵权"}],
    "basis": ["《知识产权领域严重失信主体名单管理办法》第六条"],
    "decision_no": "宣市监信列〔2026〕1号",
    "authority": "宣城市市场监督管理局",
    "decided_on": date(2026, 1, 5),
    "published_on": date(2026, 1, 15),
    "term_ends_on": date(2029, 1, 4),
    "measures": [{"code": "m1", "name": "列为重点监管对象", "effect": "inspection"}],
    "penalty_refs": ["宣市监罚〔2025〕12号", "宣市监罚〔2025〕13号"],
    "objection_pending": True,
    "objection_id": 3,
}
PERSON = {**LISTED, "id": 8, "name": "张*", "kind": "natural_person", "uscc": None}
REMOVED = {
    "id": 9,
    "status": "removed",
    "name": "王*",
    "kind": "natural_person",
    "uscc": None,
    "decision_no": None,
    "removed_on": date(2026, 6, 1),
    "removal_reason": "repaired",
    "removal_reason_text": "信用修复",
    "authority": "宣城市市场监督管理局",
    "answered_until": date(2027, 6, 1),
}
ODD = {**LISTED, "id": True, "name": 12, "objection_pending": 1, "region": None, "basis": []}


@pytest.mark.parametrize(
    "entry", [LISTED, PERSON, REMOVED, ODD], ids=["listed", "person", "removed", "odd"]
)
def test_the_entries_dump_as_their_schemas_do(entry):
    assert public_list.dump_entry(entry) == public_list.PublicEntrySchema().dump(entry)
    assert public_list.dump_download_entry(entry) == public_list.EntrySchema().dump(entry)


def test_a_page_dumps_as_its_schema_does():
    for cursor in (None, "eyJwIjoiMjAyNi0wMS0xNSIsImlkIjo3fQ"):
        page = {"items": [LISTED, PERSON, REMOVED], "next_cursor": cursor}
        assert public_list.dump_page(page) == public_list.EntryPageSchema().dump(page)


def test_a_download_entry_leaves_out_what_its_schema_does_not_declare():
    dumped = public_list.dump_download_entry(LISTED)
    assert "status" not in dumped and dumped["decided_on"] == "2026-01-05"


def test_dates_and_times_are_iso_strings():
    class Stamped(ma.Schema):
        on = ma.fields.Date()
        at = ma.fields.DateTime()

    value = {"on": date(2026, 12, 31), "at": datetime(2026, 12, 31, 23, 59, tzinfo=UTC)}
    assert compile_dump(Stamped())(value) == Stamped().dump(value)
    assert compile_dump(Stamped())(value)["at"] == "2026-12-31T23:59:00+00:00"

    class Formatted(ma.Schema):
        on = ma.fields.Date(format="%Y年%m月%d日")

    assert compile_dump(Formatted())(value) == {"on": "2026年12月31日"}


class WithMethod(ma.Schema):
    total = ma.fields.Method("count")

    def count(self, value):  # pragma: no cover - only compiled, never dumped
        return 1


class WithDefault(ma.Schema):
    state = ma.fields.String(dump_default="listed")


class WithHook(ma.Schema):
    name = ma.fields.String()

    @ma.post_dump
    def upper(self, data, **kwargs):  # pragma: no cover - only compiled, never dumped
        return data


class WithAttribute(ma.Schema):
    name = ma.fields.String(attribute="full_name")


class WithOwnGetter(ma.Schema):
    name = ma.fields.String()

    def get_attribute(self, obj, attr, default):  # pragma: no cover - only compiled
        return obj.get(attr.upper(), default)


class WithPluck(ma.Schema):
    ground = ma.fields.Pluck(public_list.EntryGroundSchema, "code")


class WithManyInside(ma.Schema):
    grounds = ma.fields.Nested(public_list.EntryGroundSchema(many=True))
    measures = ma.fields.Nested(public_list.EntryMeasureSchema, many=True)


def test_a_nested_many_dumps_as_its_schema_does():
    value = {"grounds": LISTED["grounds"] * 2, "measures": LISTED["measures"]}
    assert compile_dump(WithManyInside())(value) == WithManyInside().dump(value)


def test_a_schema_for_many_is_refused():
    with pytest.raises(TypeError):
        compile_dump(public_list.EntryGroundSchema(many=True))


@pytest.mark.parametrize(
    "schema",
    [WithMethod, WithDefault, WithHook, WithAttribute, WithOwnGetter, WithPluck],
)
def test_a_schema_it_cannot_dump_exactly_is_refused(schema):
    with pytest.raises(TypeError):
        compile_dump(schema())
