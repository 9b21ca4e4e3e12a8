"""The words of an error, in the language of the reader: one channel for every message.

A domain error carries a code and its params; its words are ``error.<code>`` in
``locales/<language>/``, filled with the params. The same holds for each entry of its
field errors (a code, or ``{"code": ..., **params}``). Field errors the API's schemas
find (marshmallow's own English sentences) are recognised by marshmallow's message
templates and said in the locale's words (``validation.*``). Where no words exist the
reader gets the status's general message (``problem.detail.<status>``), never a code.

The pages speak Chinese; the API speaks the language its client prefers (the
Accept-Language header, q-values honoured), Chinese unless English is preferred.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import marshmallow as ma
from flask import has_request_context, request
from werkzeug.datastructures import LanguageAccept

from credit_service.errors import CreditServiceError
from credit_service.web.i18n import DEFAULT_LANGUAGE, LANGUAGES, fill, text_of, translate

GENERIC_FIELD_ERROR = "validation.invalid"


def request_language(*, page: bool) -> str:
    """The language of the answer: Chinese on a page, else the client's preferred one."""
    if page or not has_request_context():
        return DEFAULT_LANGUAGE
    # By primary tag, so that "zh-TW;q=0.9, en;q=0.3" is Chinese: werkzeug's best_match
    # takes an exact tag (en) over a regional one (zh-TW) whatever their q-values.
    primary = LanguageAccept(
        [(re.split(r"[-_]", tag, maxsplit=1)[0], q) for tag, q in request.accept_languages]
    )
    return primary.best_match(LANGUAGES, default=DEFAULT_LANGUAGE)


def error_text(exc: CreditServiceError, language: str, status: int | None = None) -> str:
    """What ``exc`` says in ``language``: its code's words with its params; else the
    status's message."""
    return words(exc.code, exc.extensions, language) or status_text(status, language)


def words(code: str, params: Mapping[str, Any], language: str) -> str | None:
    """``error.<code>`` filled with ``params``; None when there are no such words, or they
    need a param the error did not bring."""
    text = text_of(f"error.{code}", language)
    if text is None:
        return None
    try:
        return fill(text, params, language)
    except (KeyError, IndexError, ValueError):
        return None


def status_text(status: int | None, language: str) -> str:
    """The general message of a status (the generic one when the status has none)."""
    return text_of(f"problem.detail.{status}", language) or translate(
        "problem.detail.generic", language
    )


def field_errors(errors: Any, language: str) -> Any:
    """Field errors in words, in the same shape: ``{field: [message, ...]}``, nested for
    nested fields (``{"documents": {0: {"title": [...]}}}``)."""
    if isinstance(errors, Mapping) and not _is_entry(errors):
        return {name: field_errors(value, language) for name, value in errors.items()}
    if isinstance(errors, list | tuple):
        return [field_errors(entry, language) for entry in errors]
    return field_error(errors, language)


def field_error(entry: Any, language: str) -> str:
    """One field error in words: a code, a ``{"code": ...}`` entry, or a schema's sentence."""
    if _is_entry(entry):
        params = {k: v for k, v in entry.items() if k != "code"}
        return words(entry["code"], params, language) or translate(GENERIC_FIELD_ERROR, language)
    text = str(entry)
    if _is_code(text):
        return words(text, {}, language) or translate(GENERIC_FIELD_ERROR, language)
    for pattern, key in SCHEMA_MESSAGES:
        found = pattern.match(text)
        if found:
            return translate(key, language, **found.groupdict())
    fallback = text if language == "en" else None  # a sentence we have no words for
    return legacy_text(text, language) or fallback or translate(GENERIC_FIELD_ERROR, language)


def _is_entry(value: Any) -> bool:
    return isinstance(value, Mapping) and isinstance(value.get("code"), str)


def _is_code(text: str) -> bool:
    return bool(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", text))


def legacy_text(prose: str | None, language: str) -> str | None:
    """A message kept before errors had codes (a quarantined row, a job run, a dead letter
    of an older release: "English; 中文") in ``language``: its half in that language (a
    message in English only has no Chinese half: the reader of Chinese gets the general
    message instead)."""
    if not prose:
        return None
    english, separator, chinese = prose.rpartition("; ")
    if language == "en":
        return english if separator else prose
    return chinese if separator and re.search(r"[\u4e00-\u9fff]", chinese) else None


def _pattern(template: str) -> re.Pattern[str]:
    """A marshmallow message template as a pattern capturing its placeholders."""
    parts = re.split(r"\{(\w+)(?:![rs])?\}", template)
    body = "".join(
        re.escape(part) if n % 2 == 0 else f"(?P<{part}>.+?)" for n, part in enumerate(parts)
    )
    return re.compile(f"^{body}$")


def _schema_messages() -> tuple[tuple[re.Pattern[str], str], ...]:
    """marshmallow's messages for the fields and validators the API uses, each with the
    key of its words. Taken from marshmallow itself, so an upgrade that rewords one
    fails the test that every message is recognised instead of passing it through."""
    field, validate = ma.fields, ma.validate
    range_ = validate.Range
    at_least, at_most = range_.message_gte, range_.message_lte
    templates = {
        "required": field.Field.default_error_messages["required"],
        "null": field.Field.default_error_messages["null"],
        "invalid": field.Field.default_error_messages["validator_failed"],
        "unknown-field": ma.Schema._default_error_messages["unknown"],
        "invalid-type": ma.Schema._default_error_messages["type"],
        "nested-type": field.Nested.default_error_messages["type"],
        "not-a-string": field.String.default_error_messages["invalid"],
        "not-utf8": field.String.default_error_messages["invalid_utf8"],
        "not-an-integer": field.Integer.default_error_messages["invalid"],
        "not-a-number": field.Number.default_error_messages["invalid"],
        "number-too-large": field.Number.default_error_messages["too_large"],
        "special-number": field.Float.default_error_messages["special"],
        "not-a-boolean": field.Boolean.default_error_messages["invalid"],
        "not-a-date": field.Date.default_error_messages["invalid"],
        "not-a-datetime": field.DateTime.default_error_messages["invalid"].format(
            obj_type="datetime"
        ),
        "not-aware": field.AwareDateTime.default_error_messages["invalid_awareness"].format(
            awareness="aware", obj_type="datetime"
        ),
        "not-a-list": field.List.default_error_messages["invalid"],
        "not-a-mapping": field.Dict.default_error_messages["invalid"],
        "not-an-email": field.Email.default_error_messages["invalid"],
        "not-a-url": field.URL.default_error_messages["invalid"],
        "one-of": validate.OneOf.default_message,
        "length-between": validate.Length.message_all,
        "length-equal": validate.Length.message_equal,
        "length-max": validate.Length.message_max,
        "length-min": validate.Length.message_min,
        "range-between": range_.message_all.format(min_op=at_least, max_op=at_most),
        "range-min": range_.message_min.format(min_op=at_least),
        "range-max": range_.message_max.format(max_op=at_most),
        "pattern": validate.Regexp.default_message,
    }
    return tuple((_pattern(text), f"validation.{name}") for name, text in templates.items())


SCHEMA_MESSAGES = _schema_messages()
