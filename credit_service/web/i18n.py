"""User-facing strings, kept in one place per language.

The strings live in ``locales/<language>/*.yaml`` (one file per area of the site); keys
are unique across the files of a language. The pages speak Chinese (``zh``); the API's
problem details speak Chinese or English (``en``), as the client's Accept-Language asks,
so the error words (``error.*``, ``problem.*``, ``validation.*``) exist in both languages,
which a test holds. A key missing from ``en`` falls back to its Chinese text; a key
missing everywhere shows as the key itself, so a gap is visible on the page instead of
failing it; a test checks that every key used in the templates exists.

A placeholder is filled with its value as text, a list with its items joined (``、`` in
Chinese). A placeholder whose format names a key prefix (``{state:console.state}``)
shows the words of the value under that prefix (``console.state.proposed``) instead of
the value itself: a code passed as a parameter reads as words, never as a code.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import yaml

DEFAULT_LANGUAGE = "zh"
LANGUAGES = ("zh", "en")
TAGS = {"zh": "zh-CN", "en": "en"}  # as the Content-Language header names them
LOCALES = Path(__file__).parent / "locales"
KEY_PREFIX = re.compile(r"^[a-z][a-z0-9_.-]+$")  # not a format spec ("d", ".2f", "02d")


@cache
def messages(language: str = DEFAULT_LANGUAGE) -> dict[str, str]:
    """All strings of a language, merged from its files.

    :raises ValueError: a key defined in two files, or a file that is not a mapping.
    """
    merged: dict[str, str] = {}
    for path in sorted((LOCALES / language).glob("*.yaml")):
        strings = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(strings, dict):
            raise ValueError(f"{path}: must map keys to strings")
        twice = sorted(set(strings) & set(merged))
        if twice:
            raise ValueError(f"{path}: keys already defined in another file: {twice}")
        merged.update({str(k): str(v) for k, v in strings.items()})
    return merged


def text_of(key: str, language: str = DEFAULT_LANGUAGE) -> str | None:
    """The text for ``key`` in ``language`` (else in Chinese), unfilled; None if absent."""
    return messages(language).get(key) or messages(DEFAULT_LANGUAGE).get(key)


def translate(
    key: str, language: str = DEFAULT_LANGUAGE, *, default: str | None = None, **values: Any
) -> str:
    """The text for ``key`` (else ``default``, else the key itself), with ``{name}``
    placeholders filled from ``values``.

    :raises KeyError: the text names a placeholder that ``values`` lacks.
    """
    text = text_of(key, language)
    if text is None:
        text = key if default is None else default
    return fill(text, values, language) if values else text


def fill(text: str, values: Mapping[str, Any], language: str = DEFAULT_LANGUAGE) -> str:
    """``text`` with its placeholders filled from ``values`` (see the module's doc)."""
    return _Filler(language).vformat(text, (), values)


class _Filler(string.Formatter):
    def __init__(self, language: str) -> None:
        self.language = language

    def format_field(self, value: Any, format_spec: str) -> str:
        prefix = format_spec if KEY_PREFIX.match(format_spec) else None
        items = value if isinstance(value, list | tuple | set | frozenset) else None
        if prefix is not None:
            format_spec = ""
        if items is None:
            return self._one(value, prefix, format_spec)
        separator = translate("list.separator", self.language)
        return separator.join(self._one(item, prefix, "") for item in items)

    def _one(self, value: Any, prefix: str | None, format_spec: str) -> str:
        if prefix is not None:
            return translate(f"{prefix}.{value}", self.language, default=str(value))
        return super().format_field(value, format_spec)
