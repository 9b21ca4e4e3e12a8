"""The one message channel: an error's code and params become words in Chinese or English
(credit_service/web/error_text.py, credit_service/web/i18n.py)."""

from __future__ import annotations

import re
import string

import marshmallow as ma
import pytest

from credit_service.errors import Conflict, Forbidden, NotFound
from credit_service.web import i18n
from credit_service.web.error_text import (
    SCHEMA_MESSAGES,
    error_text,
    field_error,
    field_errors,
    legacy_text,
)
from credit_service.web.pages.wording import tier_cause

# The words every API answer may need: both languages hold each of them.
API_PREFIXES = ("error.", "problem.", "validation.", "list.", "upstream.")


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def api_keys(language: str) -> dict[str, str]:
    return {k: v for k, v in i18n.messages(language).items() if k.startswith(API_PREFIXES)}


def test_the_api_words_exist_in_both_languages_with_the_same_placeholders():
    chinese, english = api_keys("zh"), api_keys("en")
    assert sorted(set(chinese) ^ set(english)) == []
    differ = [k for k in chinese if placeholders(chinese[k]) != placeholders(english[k])]
    assert differ == []


def test_english_holds_only_the_api_words():
    """The pages speak Chinese only: an English page string would never be read."""
    assert set(i18n.messages("en")) == set(api_keys("en"))


def test_a_placeholder_takes_a_list_and_words_for_a_code():
    assert i18n.fill("可办理：{steps}", {"steps": ["a", "b"]}) == "可办理：a、b"
    assert i18n.fill("may take: {steps}", {"steps": ["a", "b"]}, "en") == "may take: a, b"
    assert i18n.fill("当前角色：{role:role}", {"role": "viewer"}) == "当前角色：查询人员"
    shown = i18n.fill("{steps:console.step}", {"steps": ["serve_notice", "no_such_step"]})
    assert shown == "送达告知书、no_such_step"  # a value without words shows as it is
    assert i18n.fill("{n:03d}", {"n": 7}) == "007"  # a format spec stays one


def test_an_error_reads_in_the_language_asked_for():
    refused = Forbidden("role-forbidden", role="viewer")
    assert error_text(refused, "zh", 403) == "当前角色（查询人员）无权使用此功能。"
    assert error_text(refused, "en", 403) == "The role 'viewer' may not call this endpoint."


def test_an_error_without_words_reads_as_its_status_never_as_its_code():
    unknown = Conflict("no-such-code-anywhere", state="proposed")
    assert error_text(unknown, "zh", 409) == i18n.translate("problem.detail.409")
    assert error_text(unknown, "en", 409) == i18n.translate("problem.detail.409", "en")
    assert "no-such-code" not in error_text(unknown, "zh", 409)


def test_words_missing_a_param_are_not_used():
    """A call that does not bring what its words need reads as its status instead of
    failing (or showing a placeholder)."""
    assert error_text(Forbidden("role-forbidden"), "zh", 403) == i18n.translate(
        "problem.detail.403"
    )


def test_a_message_kept_before_errors_had_codes_reads_as_its_half_in_the_language():
    """Rows an older release kept ("English; 中文") still read in either language."""
    kept = "no such entry on the list; 名单中无此条目"
    assert legacy_text(kept, "zh") == "名单中无此条目"
    assert legacy_text(kept, "en") == "no such entry on the list"
    assert legacy_text("the cursor is not ours", "zh") is None
    assert legacy_text("the cursor is not ours", "en") == "the cursor is not ours"


def test_an_error_without_words_for_its_code_says_its_status_message():
    unknown = NotFound("no-such-code-anywhere")
    assert error_text(unknown, "zh", 404) == i18n.translate("problem.detail.404")
    assert error_text(unknown, "en", 404) == i18n.translate("problem.detail.404", "en")


def test_field_errors_keep_their_shape_in_words():
    errors = {
        "records": ["idempotency-key-invalid", {"code": "no-such-code", "limit": 3}],
        "documents": {0: {"title": ["Missing data for required field."]}},
        "reason": ["Length must be between 4 and 2000."],
    }
    assert field_errors(errors, "zh") == {
        "records": ["Idempotency-Key 须为 1 至 100 个字符。", "此项有误。"],
        "documents": {0: {"title": ["此项必填。"]}},
        "reason": ["长度须在 4 至 2000 之间。"],
    }


@pytest.mark.parametrize(
    ("pattern", "key"), SCHEMA_MESSAGES, ids=lambda v: getattr(v, "pattern", v)
)
def test_every_schema_message_has_words_in_both_languages(pattern, key):
    assert key in i18n.messages("zh") and key in i18n.messages("en")
    assert set(pattern.groupindex) == placeholders(i18n.messages("zh")[key])


def test_what_the_apis_schemas_say_is_recognised():
    class Body(ma.Schema):
        name = ma.fields.String(required=True, validate=ma.validate.Length(min=2, max=5))
        limit = ma.fields.Integer(validate=ma.validate.Range(min=1, max=500))
        kind = ma.fields.String(validate=ma.validate.OneOf(["a", "b"]))
        day = ma.fields.Date()

    said = Body().validate({"limit": 0, "kind": "c", "day": "soon", "extra": 1})
    assert field_errors(said, "zh") == {
        "name": ["此项必填。"],
        "limit": ["须在 1 至 500 之间。"],
        "kind": ["须为下列之一：a, b。"],
        "day": ["须为日期（YYYY-MM-DD）。"],
        "extra": ["不接受此字段。"],
    }
    assert field_error("Longer than maximum length 5.", "en") == "Longer than maximum length 5."
    assert not any(re.search(r"[a-z]{3}", m[0]) for m in field_errors(said, "zh").values() if m)


def test_a_tier_change_reads_as_its_facts_in_words():
    """The tier handler keeps a change's facts as text joined by "; " (changes.py)."""
    cause = "record 12 filed; listing 3 added; record 7 published again elsewhere"
    assert tier_cause(cause) == (
        "登记信用信息（第12号）；列入严重失信主体名单（案件第3号）；信用信息恢复公示（第7号）"
    )
    assert tier_cause("nightly: time passed") == "时间推移（定期重新计算）"
    assert tier_cause("a fact nobody words") == "a fact nobody words"  # the page test names it
