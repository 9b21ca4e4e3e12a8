"""The public CSVs' Chinese headers and the documented mapping to the JSON keys agree."""

from __future__ import annotations

import re

from credit_service.config import PROJECT_ROOT
from credit_service.dishonesty import public
from credit_service.inspections import services as inspections
from credit_service.web import i18n

MAPPING = re.compile(r"^\| `([a-z_]+)` \| (.+?) \|$", re.M)


def documented() -> dict[str, str]:
    text = (PROJECT_ROOT / "docs" / "open-data.md").read_text(encoding="utf-8")
    return dict(MAPPING.findall(text))


def headers() -> dict[str, str]:
    words = i18n.messages("zh")
    return {key[4:]: text for key, text in words.items() if key.startswith("csv.")}


def test_the_documented_mapping_is_the_locales():
    assert documented() == headers()


def test_every_public_list_column_has_a_chinese_header():
    assert set(public.DOWNLOAD_COLUMNS) <= set(headers())


def test_every_inspection_download_column_has_a_chinese_header():
    assert set(inspections.PLAN_COLUMNS) | set(inspections.RESULT_COLUMNS) <= set(headers())
