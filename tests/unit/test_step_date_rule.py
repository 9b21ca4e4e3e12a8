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


FUTURE = ("step-date-in-future", {"on": ["step-date-in-future"]}, {})
BEFORE = (
    "step-date-before-previous",
    {"on": [{"code": "date-before", "day": "2026-11-20"}]},
    {"day": date(2026, 11, 20), "act": "decision"},
)


@pytest.mark.parametrize(
    ("on", "refusal"),
    [(date(2026, 11, 26), FUTURE), (date(9999, 12, 31), FUTURE)]
    + [(date(2026, 11, 19), BEFORE), (date(1, 1, 1), BEFORE)],
)
def test_a_date_outside_is_refused_naming_the_field(on, refusal):
    with pytest.raises(InvalidInput) as refused:
        ensure_step_date(on, today=TODAY, follows=ACTS)
    assert (refused.value.code, refused.value.errors, refused.value.params) == refusal


def test_the_latest_act_ignores_acts_not_taken():
    assert latest_act(ACTS) == ("decision", date(2026, 11, 20))
    assert latest_act({"notice": None}) is None
    ensure_step_date(date(1949, 10, 1), today=TODAY, follows={"notice": None})
