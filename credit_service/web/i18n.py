"""User-facing strings of the pages, kept in one place so another language can be added.

The strings live in ``locales/<language>/*.yaml`` (one file per area of the site); keys
are unique across the files of a language. A missing key shows as the key itself, so a
gap is visible on the page instead of failing it; a test checks that every key used in
the templates exists.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml

DEFAULT_LANGUAGE = "zh"
LOCALES = Path(__file__).parent / "locales"


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


def translate(
    key: str, language: str = DEFAULT_LANGUAGE, *, default: str | None = None, **values: Any
) -> str:
    """The text for ``key`` (else ``default``, else the key itself), with ``{name}``
    placeholders filled from ``values``."""
    text = messages(language).get(key) or messages(DEFAULT_LANGUAGE).get(key)
    if text is None:
        text = key if default is None else default
    return text.format(**values) if values else text
