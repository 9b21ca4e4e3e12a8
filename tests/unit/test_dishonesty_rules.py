"""Listing rules, pure: the case state machine, the grounds test (D4), the statement and
publication deadlines in working days (D5, D14), the term (D6) and the window boundary."""

from __future__ import annotations

from datetime import date

import pytest

from credit_service.catalogs.loader import load_catalog_set
from credit_service.config import PROJECT_ROOT
from credit_service.dishonesty import rules
from credit_service.dishonesty.definitions import ListRules, load_list_rules
from credit_service.dishonesty.procedure import LISTING
from credit_service.dishonesty.rules import GroundRecord
from credit_service.holidays import HolidayYear, load_holiday_file
from credit_service.procedures.office import Office, ReviewRight
from credit_service.workdays import WorkdayCalendar

FIXTURE_2027 = PROJECT_ROOT / "tests" / "fixtures" / "holidays" / "2027.yaml"
LIST_RULES = ListRules(
    edition="test",
    office_name="宣城市市场监督管理局（宣城市知识产权局）",
    notice_prefix="宣市监信告",
    decision_prefix="宣市监信列",
    removal_prefix="宣市监信移",
    check_prefix="宣市监信核",
    office=Office(
        name="宣城市市场监督管理局（宣城市知识产权局）",
        department="信用监管科",
        address="安徽省宣城市宣州区鳌峰中路50号",
        postcode="242000",
        phone="0563-3021234",
        hours="工作日",
        reconsideration=ReviewRight("宣城市人民政府", days=60),
        litigation=ReviewRight("宣城市宣州区人民法院", months=6),
    ),
    basis=(),
    statement_window_workdays=5,
    publication_deadline_workdays=20,
    term_months=36,
    early_removal_months=12,
    grounds={"intentional_infringement": "故意侵犯知识产权"},
    measures=(),
    removal_reasons={"expired": "公示期届满移出"},
)
# chinese_calendar only (2004–2026): any day of 2027 is provisional.
PACKAGE_ONLY = WorkdayCalendar.from_years([])


# --------------------------------------------------------------------------- the state machine

# What an officer may do by hand (D5, D11), written out independently of the definition.
EXPECTED_NEXT: dict[str, dict[str, str]] = {
    "proposed": {
        "serve_notice": "notice_served",
        "decide_not_list": "decided_not_list",
        "withdraw": "withdrawn",
    },
    "notice_served": {
        "receive_statement": "statement_received",
        "waive": "window_closed",
        "close_window": "window_closed",
        "decide_list": "decided_list",
        "decide_not_list": "decided_not_list",
        "withdraw": "withdrawn",
    },
    "statement_received": {
        "waive": "window_closed",
        "close_window": "window_closed",
        "decide_list": "decided_list",
        "decide_not_list": "decided_not_list",
        "withdraw": "withdrawn",
    },
    "window_closed": {
        "decide_list": "decided_list",
        "decide_not_list": "decided_not_list",
        "withdraw": "withdrawn",
    },
    "decided_list": {"publish": "published", "withdraw": "withdrawn"},
    "decided_not_list": {},
    "published": {"remove": "removed"},
    "removed": {},
    "withdrawn": {},
}
PROCEDURE_ORDER = [
    "serve_notice",
    "receive_statement",
    "waive",
    "close_window",
    "decide_list",
    "decide_not_list",
    "publish",
    "remove",
    "withdraw",
]
TABLE = [(state, step) for state in EXPECTED_NEXT for step in PROCEDURE_ORDER]


def next_by_hand(state: str, step: str) -> str | None:
    """The state an officer's step leads to from ``state``, or None when not allowed."""
    allowed = LISTING.steps[step].by_hand and LISTING.may_follow(state, step)
    return LISTING.steps[step].leads_to if allowed else None


def test_the_table_covers_every_state_and_step():
    assert set(rules.STATES) == set(EXPECTED_NEXT) == set(LISTING.states)
    assert list(LISTING.hand_steps()) == PROCEDURE_ORDER


@pytest.mark.parametrize(("state", "step"), TABLE, ids=[f"{a}-{b}" for a, b in TABLE])
def test_every_step_from_every_state(state, step):
    assert next_by_hand(state, step) == EXPECTED_NEXT[state].get(step)


def test_only_other_acts_restore_a_listing_and_they_also_remove_and_withdraw():
    """Expiry, a granted repair and a revoked penalty take listings down; only a revoked
    repair puts one back up (D7, D11); no officer restores a listing by hand."""
    by_consequence = {n for n, s in LISTING.steps.items() if s.by_consequence}
    assert by_consequence == {"remove", "withdraw", "restore"}
    assert "restore" not in LISTING.hand_steps()
    assert LISTING.steps["restore"].follows == {"removed"}
    assert LISTING.steps["restore"].leads_to == "published"


@pytest.mark.parametrize("state", list(EXPECTED_NEXT))
def test_allowed_steps_lists_the_allowed_steps_in_procedure_order(state):
    expected = [step for step in PROCEDURE_ORDER if step in EXPECTED_NEXT[state]]
    assert LISTING.allowed_steps(state) == expected


@pytest.mark.parametrize("state", ["decided_not_list", "removed", "withdrawn"])
def test_final_states_allow_nothing(state):
    assert LISTING.allowed_steps(state) == []


def test_a_listing_needs_a_decision_and_a_decision_needs_a_notice():
    assert "publish" not in LISTING.allowed_steps("proposed")
    assert "decide_list" not in LISTING.allowed_steps("proposed")
    assert "publish" not in LISTING.allowed_steps("window_closed")
    assert "remove" not in LISTING.allowed_steps("decided_list")


def test_an_unknown_state_allows_nothing():
    assert LISTING.allowed_steps("archived") == []
    assert next_by_hand("archived", "publish") is None


# --------------------------------------------------------------------------- grounds (D4)

ENTITY = 7
OTHER = 8


def record(
    n: int = 1,
    *,
    heavier: bool = True,
    grounds: tuple[str, ...] = ("intentional_infringement",),
    status: str = "active",
    entity_id: int = ENTITY,
) -> GroundRecord:
    return GroundRecord(n, heavier, grounds, status, entity_id)


def has_heavier(problems: list[str]) -> bool:
    return "no-heavier-penalty" not in problems


def has_ground(problems: list[str]) -> bool:
    return "no-listing-ground" not in problems


def test_a_heavier_ip_penalty_meets_the_grounds():
    assert rules.missing_conditions([record()], ENTITY) == []


def test_without_a_heavier_penalty_that_condition_is_named():
    problems = rules.missing_conditions([record(heavier=False)], ENTITY)
    assert problems == ["no-heavier-penalty"]


def test_without_an_ip_ground_that_condition_is_named():
    problems = rules.missing_conditions([record(grounds=())], ENTITY)
    assert problems == ["no-listing-ground"]


def test_without_either_both_conditions_are_named():
    problems = rules.missing_conditions([record(heavier=False, grounds=())], ENTITY)
    assert len(problems) == 2
    assert not has_heavier(problems) and not has_ground(problems)


def test_no_records_meet_nothing():
    problems = rules.missing_conditions([], ENTITY)
    assert not has_heavier(problems) and not has_ground(problems)


def test_a_revoked_record_grounds_nothing():
    problems = rules.missing_conditions([record(status="revoked")], ENTITY)
    assert not has_heavier(problems) and not has_ground(problems)


def test_a_revoked_heavier_penalty_does_not_count_beside_a_live_ground():
    records = [record(1, status="revoked"), record(2, heavier=False)]
    problems = rules.missing_conditions(records, ENTITY)
    assert not has_heavier(problems) and has_ground(problems)


def test_a_live_record_still_grounds_the_listing_beside_a_revoked_one():
    records = [record(1, status="revoked"), record(2)]
    assert rules.missing_conditions(records, ENTITY) == []


def test_a_heavier_penalty_and_a_ground_from_two_different_records_do_not_suffice():
    records = [record(1, grounds=()), record(2, heavier=False)]
    problems = rules.missing_conditions(records, ENTITY)
    assert problems == ["no-penalty-for-the-ground"]


def test_a_record_of_another_entity_is_refused():
    problems = rules.missing_conditions([record(1), record(2, entity_id=OTHER)], ENTITY)
    assert problems == ["record-of-another-entity"]


def test_only_records_of_another_entity_are_refused_for_that_reason():
    problems = rules.missing_conditions([record(entity_id=OTHER)], ENTITY)
    assert "record-of-another-entity" in problems


def test_grounds_of_lists_the_grounds_of_live_records_once_sorted():
    records = [
        record(1, grounds=("serious_illegal_agency", "intentional_infringement")),
        record(2, grounds=("intentional_infringement",)),
        record(3, grounds=("abnormal_or_bad_faith_application",), status="revoked"),
    ]
    assert rules.grounds_of(records) == ["intentional_infringement", "serious_illegal_agency"]


# --------------------------------------------------------------------------- deadlines (D5, D14)


def statement(served_on: date, calendar: WorkdayCalendar = PACKAGE_ONLY):
    return rules.statement_deadline(LIST_RULES, calendar, served_on)


def publication(decided_on: date, calendar: WorkdayCalendar = PACKAGE_ONLY):
    return rules.publication_deadline(LIST_RULES, calendar, decided_on)


@pytest.mark.parametrize(
    ("served_on", "due"),
    [
        # Wed: Thu, Fri, Mon, Tue, Wed (the day of service never counts)
        (date(2026, 11, 25), date(2026, 12, 2)),
        # Thu, across a weekend: Fri, Mon, Tue, Wed, Thu
        (date(2026, 11, 26), date(2026, 12, 3)),
        # Sat: counting starts on Mon
        (date(2026, 11, 28), date(2026, 12, 4)),
        # Spring Festival 2026 (Feb 15–23 off): make-up Sat Feb 14 counts, then Feb 24–27
        (date(2026, 2, 13), date(2026, 2, 27)),
        # make-up Sat Feb 28 counts: Feb 27, Feb 28, Mar 2, 3, 4
        (date(2026, 2, 26), date(2026, 3, 4)),
        # National Day 2026 (Oct 1–7 off): Oct 8, 9, make-up Sat Oct 10, Oct 12, 13
        (date(2026, 9, 30), date(2026, 10, 13)),
        # all before the year end: Dec 23, 24, 25, 28, 29
        (date(2026, 12, 22), date(2026, 12, 29)),
    ],
)
def test_statement_deadline(served_on, due):
    deadline = statement(served_on)
    assert deadline.due == due
    assert deadline.provisional is False


@pytest.mark.parametrize(
    ("decided_on", "due"),
    [
        # 20 working days from a Wednesday across four weekends
        (date(2026, 11, 25), date(2026, 12, 23)),
        # across the Spring Festival, with both make-up Saturdays (Feb 14 and 28) counted
        (date(2026, 2, 10), date(2026, 3, 16)),
        # across the Mid-Autumn/National Day break, make-up Sat Oct 10 counted
        (date(2026, 9, 28), date(2026, 10, 30)),
        # ending on the last working day of 2026
        (date(2026, 12, 3), date(2026, 12, 31)),
    ],
)
def test_publication_deadline(decided_on, due):
    deadline = publication(decided_on)
    assert deadline.due == due
    assert deadline.provisional is False


def test_a_make_up_working_day_is_counted():
    """Sat 2026-10-10 is a make-up working day; the Sunday after it is not."""
    # Oct 9, 10 (Sat), 12, 13, 14
    assert statement(date(2026, 10, 8)).due == date(2026, 10, 14)
    plain_weekends = WorkdayCalendar.from_years(
        [HolidayYear(2026, "no make-up days (test)", frozenset(), frozenset())]
    )
    assert statement(date(2026, 10, 8), plain_weekends).due == date(2026, 10, 15)


def test_a_statement_window_into_2027_without_a_calendar_is_provisional():
    # Dec 31, (Jan 1 is a fixed holiday even provisionally), Jan 4, 5, 6, 7
    deadline = statement(date(2026, 12, 30))
    assert deadline.provisional is True
    assert deadline.due == date(2027, 1, 7)


def test_a_publication_deadline_into_2027_without_a_calendar_is_provisional():
    deadline = publication(date(2026, 12, 30))
    assert deadline.provisional is True
    assert deadline.due == date(2027, 1, 28)


def test_a_2027_calendar_built_in_code_makes_the_deadline_final_and_recomputed():
    """A made-up 2027 arrangement: Jan 1–4 off, made up on Sat Jan 9."""
    year = HolidayYear(
        2027,
        "测试用2027年安排（非官方）",
        holidays=frozenset(date(2027, 1, d) for d in (1, 2, 3, 4)),
        makeup_workdays=frozenset({date(2027, 1, 9)}),
    )
    calendar = WorkdayCalendar.from_years([year])
    before = statement(date(2026, 12, 30))
    after = statement(date(2026, 12, 30), calendar)
    assert after.provisional is False
    # Dec 31, Jan 5, 6, 7, 8: Monday Jan 4 is now a holiday
    assert after.due == date(2027, 1, 8) != before.due
    # 20 working days: Dec 31, Jan 5–8, Sat Jan 9, Jan 11–15, 18–22, 25–28
    decided = publication(date(2026, 12, 30), calendar)
    assert decided == publication(date(2026, 12, 30), calendar)
    assert decided.provisional is False and decided.due == date(2027, 1, 28)


def test_the_2027_fixture_file_makes_the_year_end_window_final():
    calendar = WorkdayCalendar.from_years([load_holiday_file(FIXTURE_2027)])
    # notice served Mon 2026-12-28: Dec 29, 30, 31, (Jan 1–3 off), Jan 4, 5
    provisional = statement(date(2026, 12, 28))
    final = statement(date(2026, 12, 28), calendar)
    assert provisional.provisional is True
    assert final.provisional is False
    assert final.due == date(2027, 1, 5)


def test_the_2027_fixture_file_recomputes_a_window_over_its_spring_festival():
    """Served Fri 2027-01-29: the fixture makes Sun Jan 31 a working day."""
    calendar = WorkdayCalendar.from_years([load_holiday_file(FIXTURE_2027)])
    provisional = statement(date(2027, 1, 29))
    final = statement(date(2027, 1, 29), calendar)
    assert (provisional.due, provisional.provisional) == (date(2027, 2, 5), True)
    assert (final.due, final.provisional) == (date(2027, 2, 4), False)
    # 20 working days from the eve of the fixture's Spring Festival (Feb 5–11 off):
    # Feb 12, 15–19, make-up Sat Feb 20, 22–26, Mar 1–5, 8, 9, 10
    assert publication(date(2027, 2, 4), calendar).due == date(2027, 3, 10)


# --------------------------------------------------------------------------- term (D6)


@pytest.mark.parametrize(
    ("decided_on", "last_day"),
    [
        (date(2024, 2, 29), date(2027, 2, 28)),  # no Feb 29 in 2027: the month's last day
        (date(2026, 11, 25), date(2029, 11, 25)),
        (date(2026, 1, 31), date(2029, 1, 31)),
        (date(2026, 12, 31), date(2029, 12, 31)),
        (date(2027, 2, 28), date(2030, 2, 28)),
        (date(2028, 2, 29), date(2031, 2, 28)),
    ],
)
def test_term_end_is_three_years_from_the_decision(decided_on, last_day):
    assert rules.term_end(LIST_RULES, decided_on) == last_day


def test_the_shipped_rules_are_the_ones_tested_here():
    catalogs = load_catalog_set(PROJECT_ROOT / "catalogs")
    shipped = load_list_rules(
        PROJECT_ROOT / "catalogs" / "dishonesty.yaml", known_measures=frozenset(catalogs.measures)
    )
    assert shipped.statement_window_workdays == LIST_RULES.statement_window_workdays
    assert shipped.publication_deadline_workdays == LIST_RULES.publication_deadline_workdays
    assert shipped.term_months == LIST_RULES.term_months
    assert (shipped.notice_prefix, shipped.decision_prefix) == ("宣市监信告", "宣市监信列")


# --------------------------------------------------------------------------- the window


DEADLINE = date(2026, 12, 2)


def test_the_deadline_day_is_still_inside_the_window():
    assert rules.window_closed(waived=False, deadline=DEADLINE, on=DEADLINE) is False


def test_the_day_before_the_deadline_is_inside_the_window():
    assert rules.window_closed(waived=False, deadline=DEADLINE, on=date(2026, 12, 1)) is False


def test_the_day_after_the_deadline_the_window_is_closed():
    assert rules.window_closed(waived=False, deadline=DEADLINE, on=date(2026, 12, 3)) is True


def test_a_written_waiver_closes_the_window_at_once():
    assert rules.window_closed(waived=True, deadline=DEADLINE, on=date(2026, 11, 26)) is True
    assert rules.window_closed(waived=True, deadline=None, on=date(2026, 11, 26)) is True


def test_without_a_deadline_or_a_waiver_the_window_is_not_closed():
    assert rules.window_closed(waived=False, deadline=None, on=date(2026, 12, 3)) is False
