"""The one rule for the date of a procedural step: between the latest act it follows and
today (credit_service/step_dates.py)."""

from __future__ import annotations

from datetime import date

import pytest

from credit_service.errors import InvalidInput
from credit_service.step_dates import ensure_step_date, latest_act

TODAY = date(2026, 11, 25)
ACTS = {"notice": date(2026, 11, 2), "decision": date(2026, 11, 20), "removal": None}


@pytest.mark.parametrize("on", [date(2026, 11, 20), date(2026, 11, 22), TODAY])
def test_a_date_from_the_latest_act_to_today_is_taken(on):
    ensure_step_date(on, today=TODAY, follows=ACTS)


@pytest.mark.parametrize(
    ("on", "errors", "detail"),
    [
        (date(2026, 11, 26), {"on": ["in the future"]}, "日期不能晚于今天"),
        (date(9999, 12, 31), {"on": ["in the future"]}, "日期不能晚于今天"),
        (date(2026, 11, 19), {"on": ["before 2026-11-20"]}, "the decision it follows"),
        (date(1, 1, 1), {"on": ["before 2026-11-20"]}, "the decision it follows"),
    ],
)
def test_a_date_outside_is_refused_naming_the_field(on, errors, detail):
    with pytest.raises(InvalidInput) as refused:
        ensure_step_date(on, today=TODAY, follows=ACTS)
    assert refused.value.errors == errors
    assert detail in refused.value.detail


def test_the_latest_act_ignores_acts_not_taken():
    assert latest_act(ACTS) == ("decision", date(2026, 11, 20))
    assert latest_act({"notice": None}) is None
    ensure_step_date(date(1949, 10, 1), today=TODAY, follows={"notice": None})
