"""Repair rules, pure: eligibility condition by condition on its boundary days, the
earliest date, the review deadlines in working days (D10, D7, D14) with pauses, the
evidence checks (file type by content, file names) and the deadline flags.

Calendar facts relied on (chinesecalendar 1.11.0): Spring Festival 2026 Sun 02-15 .. Mon
02-23 off, Sat 02-14 and Sat 02-28 working days; National Day 2026 Thu 10-01 .. Wed 10-07
off, Sat 10-10 a working day. The 2027 fixture (tests/fixtures/holidays/2027.yaml, a made-up
sample): New Year 01-01..03, Spring Festival Fri 02-05 .. Thu 02-11, make-up Sun 01-31 and
Sat 02-20.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from credit_service.config import PROJECT_ROOT
from credit_service.holidays import load_holiday_file
from credit_service.procedures import deadlines
from credit_service.repair import rules
from credit_service.repair.definitions import _unfold, load_repair_rules
from credit_service.repair.rules import ApplicantFacts, TargetFacts
from credit_service.workdays import WorkdayCalendar

D = date.fromisoformat
ONE_DAY = timedelta(days=1)
RULES = load_repair_rules(PROJECT_ROOT / "catalogs" / "repair.yaml")
FIXTURE_2027 = PROJECT_ROOT / "tests" / "fixtures" / "holidays" / "2027.yaml"
PACKAGE_ONLY = WorkdayCalendar.from_years([])  # chinese_calendar only: 2027 is provisional
WITH_2027 = WorkdayCalendar.from_years([load_holiday_file(FIXTURE_2027)])

# A general penalty decided 2026-03-15: repairable from the day after its 3-month minimum.
RECORD = TargetFacts(
    kind="record",
    in_force=True,
    repairable=True,
    decided_on=D("2026-03-15"),
    minimum_passes_on=D("2026-06-16"),
)
# A listing decided 2026-11-25: early removal from the day after one year.
LISTING = TargetFacts(
    kind="listing",
    in_force=True,
    repairable=True,
    decided_on=D("2026-11-25"),
    minimum_passes_on=D("2027-11-26"),
)
CLEAN = ApplicantFacts()


def check(target: TargetFacts, today: date, applicant: ApplicantFacts = CLEAN):
    return rules.eligibility(target, applicant, RULES, today)


def condition(result: rules.Eligibility, code: str) -> rules.Condition:
    (found,) = [c for c in result.conditions if c.code == code]
    return found


def unmet(result: rules.Eligibility) -> list[str]:
    return [c.code for c in result.conditions if c.state == "not_met"]


# --------------------------------------------------------------------------- the rules file


def test_the_rules_file_has_the_legal_deadlines():
    assert (RULES.acceptance_workdays, RULES.decision_workdays) == (3, 10)
    assert RULES.listing_decision_workdays == 15
    assert RULES.cooldown_months == 12
    assert RULES.max_files == 10 and RULES.max_bytes == 10 * 1024 * 1024
    assert RULES.evidence_types == {"application/pdf", "image/jpeg", "image/png"}
    assert RULES.commitment_version == "2026-1" and "承诺" in RULES.commitment_text


# --------------------------------------------------------------------------- eligibility


def test_every_condition_is_listed_with_its_state():
    result = check(RECORD, D("2026-06-16"))
    assert [c.code for c in result.conditions] == [
        "in_publicity",
        "repairable",
        "minimum_period",
        "obligations_performed",
        "no_new_heavier_penalty",
        "cooldown",
        "no_restriction_running",
    ]
    assert result.eligible is True and result.earliest is None
    assert condition(result, "obligations_performed").state == "to_declare"
    assert result.materials == RULES.materials["record"]
    assert check(LISTING, D("2027-11-26")).materials == RULES.materials["listing"]


@pytest.mark.parametrize("target", [RECORD, LISTING], ids=["record", "listing"])
def test_the_minimum_period_passes_on_repair_from(target):
    first = target.minimum_passes_on
    before = check(target, first - ONE_DAY)
    assert before.eligible is False
    assert unmet(before) == ["minimum_period"]
    assert condition(before, "minimum_period").passes_on == first
    assert before.earliest == first
    assert before.refusals == [{"code": "minimum-period-running", "passes_on": first.isoformat()}]

    on_the_day = check(target, first)
    assert on_the_day.eligible is True
    assert condition(on_the_day, "minimum_period").state == "met"
    assert condition(on_the_day, "minimum_period").passes_on == first
    assert on_the_day.refusals == [] and condition(on_the_day, "minimum_period").refusal is None


def test_no_minimum_date_means_never_by_time():
    result = check(replace(RECORD, minimum_passes_on=None), D("2030-01-01"))
    assert unmet(result) == ["minimum_period"]
    assert result.earliest is None
    assert result.refusals == [{"code": "minimum-period-endless"}]


def test_the_cooldown_ends_the_day_after_one_year_from_the_last_repair():
    """D15: the year counts from the day after the repair; its last day, 2027-03-10, is
    still inside; a new repair is possible from 2027-03-11."""
    applicant = ApplicantFacts(last_repair_completed_on=D("2026-03-10"))
    last_day = check(RECORD, D("2027-03-10"), applicant)
    assert unmet(last_day) == ["cooldown"]
    assert condition(last_day, "cooldown").passes_on == D("2027-03-11")
    assert last_day.earliest == D("2027-03-11")
    assert last_day.refusals == [{"code": "repair-cooldown-running", "passes_on": "2027-03-11"}]

    after = check(RECORD, D("2027-03-11"), applicant)
    assert after.eligible is True
    assert condition(after, "cooldown").state == "met"


def test_a_month_end_repair_cools_down_to_the_same_day_next_year():
    applicant = ApplicantFacts(last_repair_completed_on=D("2024-02-29"))
    assert condition(check(RECORD, D("2025-02-28"), applicant), "cooldown").state == "not_met"
    assert condition(check(RECORD, D("2025-03-01"), applicant), "cooldown").state == "met"


def test_without_a_previous_repair_the_cooldown_is_met():
    result = check(RECORD, D("2026-06-16"))
    assert condition(result, "cooldown").state == "met"
    assert condition(result, "cooldown").passes_on is None


def test_a_later_heavier_penalty_is_not_met_and_has_no_date():
    applicant = ApplicantFacts(heavier_penalties_on=(D("2026-01-01"), D("2026-05-20")))
    result = check(RECORD, D("2026-07-01"), applicant)
    assert unmet(result) == ["no_new_heavier_penalty"]
    found = condition(result, "no_new_heavier_penalty")
    assert found.passes_on is None
    assert found.refusal == {"code": "heavier-penalty-since", "penalty_on": "2026-05-20"}
    assert result.eligible is False and result.earliest is None


def test_heavier_penalties_before_or_on_the_decision_do_not_count():
    applicant = ApplicantFacts(heavier_penalties_on=(D("2026-01-01"), RECORD.decided_on))
    result = check(RECORD, D("2026-07-01"), applicant)
    assert condition(result, "no_new_heavier_penalty").state == "met"
    assert result.eligible is True


def test_a_restriction_runs_through_its_last_day():
    target = replace(LISTING, restriction_until=D("2028-03-31"))
    running = check(target, D("2028-03-31"))
    assert unmet(running) == ["no_restriction_running"]
    assert condition(running, "no_restriction_running").passes_on == D("2028-04-01")
    assert running.earliest == D("2028-04-01")
    assert running.refusals == [{"code": "restriction-running", "passes_on": "2028-04-01"}]
    passed = check(target, D("2028-04-01"))
    assert passed.eligible is True
    assert condition(passed, "no_restriction_running").passes_on is None


def test_a_restriction_already_ended_is_met():
    target = replace(LISTING, restriction_until=D("2027-01-31"))
    assert check(target, D("2027-11-26")).eligible is True


def test_an_item_that_may_not_be_repaired_never_becomes_eligible():
    target = replace(RECORD, repairable=False)
    result = check(target, D("2026-01-01"))
    assert set(unmet(result)) == {"repairable", "minimum_period"}
    assert condition(result, "repairable").passes_on is None
    assert result.earliest is None
    assert result.refusals == [
        {"code": "not-repairable"},
        {"code": "minimum-period-running", "passes_on": "2026-06-16"},
    ]
    assert check(target, D("2026-12-01")).earliest is None


def test_a_target_no_longer_in_force_is_not_met():
    result = check(replace(RECORD, in_force=False), D("2026-07-01"))
    assert unmet(result) == ["in_publicity"] and result.earliest is None
    assert result.refusals == [{"code": "not-in-publicity"}]


def test_earliest_is_the_latest_date_of_the_unmet_time_conditions():
    target = replace(LISTING, restriction_until=D("2028-01-15"))
    applicant = ApplicantFacts(last_repair_completed_on=D("2026-12-01"))
    result = check(target, D("2027-06-01"), applicant)
    assert set(unmet(result)) == {"minimum_period", "cooldown", "no_restriction_running"}
    passes = {c.code: c.passes_on for c in result.conditions if c.state == "not_met"}
    assert passes == {
        "minimum_period": D("2027-11-26"),
        "cooldown": D("2027-12-02"),
        "no_restriction_running": D("2028-01-16"),
    }
    assert result.earliest == D("2028-01-16")
    later = check(target, D("2028-01-15"), applicant)
    assert unmet(later) == ["no_restriction_running"]
    assert later.earliest == D("2028-01-16")
    assert check(target, D("2028-01-16"), applicant).eligible is True


def test_earliest_is_none_when_any_unmet_condition_has_no_date():
    applicant = ApplicantFacts(heavier_penalties_on=(D("2027-01-10"),))
    result = check(LISTING, D("2027-06-01"), applicant)
    assert set(unmet(result)) == {"minimum_period", "no_new_heavier_penalty"}
    assert result.earliest is None


# --------------------------------------------------------------------------- deadlines


@pytest.mark.parametrize(
    ("submitted", "due"),
    [
        (D("2026-11-25"), D("2026-11-30")),  # Wed -> Thu Fri Mon
        (D("2026-11-27"), D("2026-12-02")),  # Fri -> Mon Tue Wed: the weekend is skipped
        (D("2026-11-28"), D("2026-12-02")),  # submitted on a Saturday
        (D("2026-02-13"), D("2026-02-25")),  # Sat 02-14 counts, then 02-15..23 off
        (D("2026-02-12"), D("2026-02-24")),  # Fri 13, make-up Sat 14, Tue 24
        (D("2026-09-30"), D("2026-10-10")),  # Oct 1-7 off; Thu 8, Fri 9, make-up Sat 10
        (D("2026-10-09"), D("2026-10-13")),  # Sat 10 counts, Sun 11 does not
    ],
)
def test_acceptance_is_due_three_working_days_after_submission(submitted, due):
    deadline = rules.acceptance_due(RULES, PACKAGE_ONLY, submitted)
    assert (deadline.due, deadline.provisional) == (due, False)


@pytest.mark.parametrize(
    ("accepted", "kind", "due"),
    [
        (D("2026-11-25"), "record", D("2026-12-09")),
        (D("2026-11-25"), "listing", D("2026-12-16")),
        # Spring Festival: Fri 13, Sat 14, Tue 24 .. Fri 27, Sat 28, Mon 2 .. Wed 4
        (D("2026-02-12"), "record", D("2026-03-04")),
        (D("2026-02-12"), "listing", D("2026-03-11")),
        # National Day: Thu 8, Fri 9, Sat 10, Mon 12 .. Fri 16, Mon 19, Tue 20 (.. Tue 27)
        (D("2026-09-30"), "record", D("2026-10-20")),
        (D("2026-09-30"), "listing", D("2026-10-27")),
    ],
)
def test_the_decision_is_due_ten_or_fifteen_working_days_after_acceptance(accepted, kind, due):
    deadline = rules.decision_due(RULES, PACKAGE_ONLY, accepted, kind)
    assert (deadline.due, deadline.provisional) == (due, False)


def test_a_deadline_into_a_year_without_a_calendar_is_provisional():
    submitted = D("2026-12-29")  # Tue: Wed 30, Thu 31, (Fri 01-01 a fixed holiday), Mon 4
    without = rules.acceptance_due(RULES, PACKAGE_ONLY, submitted)
    assert (without.due, without.provisional) == (D("2027-01-04"), True)
    decision = rules.decision_due(RULES, PACKAGE_ONLY, submitted, "listing")
    assert (decision.due, decision.provisional) == (D("2027-01-20"), True)

    with_file = rules.acceptance_due(RULES, WITH_2027, submitted)
    assert (with_file.due, with_file.provisional) == (D("2027-01-04"), False)
    decision = rules.decision_due(RULES, WITH_2027, submitted, "listing")
    assert (decision.due, decision.provisional) == (D("2027-01-20"), False)


def test_a_deadline_within_2026_is_never_provisional_even_in_late_december():
    deadline = rules.acceptance_due(RULES, PACKAGE_ONLY, D("2026-12-24"))
    assert (deadline.due, deadline.provisional) == (D("2026-12-29"), False)


def test_the_years_calendar_moves_a_provisional_deadline():
    """Without the 2027 notice only the fixed-date holidays are known; the file adds the
    Spring Festival (02-05 .. 02-11) and the deadline is recomputed later."""
    submitted = D("2027-02-04")
    guess = rules.acceptance_due(RULES, PACKAGE_ONLY, submitted)
    assert (guess.due, guess.provisional) == (D("2027-02-09"), True)
    final = rules.acceptance_due(RULES, WITH_2027, submitted)
    assert (final.due, final.provisional) == (D("2027-02-16"), False)
    decision = rules.decision_due(RULES, WITH_2027, D("2027-02-10"), "record")
    # Fri 12, Mon 15 .. Fri 19, make-up Sat 20, Mon 22 .. Wed 24
    assert (decision.due, decision.provisional) == (D("2027-02-24"), False)


# --------------------------------------------------------------------------- pauses


def test_a_pause_keeps_the_working_days_left_and_resumes_from_the_day_materials_arrive():
    due = rules.decision_due(RULES, PACKAGE_ONLY, D("2026-11-25"), "record").due
    assert due == D("2026-12-09")
    left = deadlines.remaining_workdays(PACKAGE_ONLY, D("2026-11-30"), due)
    assert left == 7  # Tue 1, Wed 2, Thu 3, Fri 4, Mon 7, Tue 8, Wed 9
    resumed = deadlines.resumed_due(PACKAGE_ONLY, D("2026-12-11"), left)
    assert (resumed.due, resumed.provisional) == (D("2026-12-22"), False)


def test_a_pause_across_the_spring_festival():
    left = deadlines.remaining_workdays(PACKAGE_ONLY, D("2026-02-13"), D("2026-02-25"))
    assert left == 3  # Sat 14, Tue 24, Wed 25
    resumed = deadlines.resumed_due(PACKAGE_ONLY, D("2026-02-27"), left)
    assert resumed.due == D("2026-03-03")  # Sat 28, Mon 2, Tue 3


def test_a_pause_on_the_due_day_leaves_one_working_day_after_resuming():
    assert deadlines.remaining_workdays(PACKAGE_ONLY, D("2026-12-09"), D("2026-12-09")) == 0
    assert deadlines.remaining_workdays(PACKAGE_ONLY, D("2026-12-10"), D("2026-12-09")) == 0
    resumed = deadlines.resumed_due(PACKAGE_ONLY, D("2026-12-11"), 0)
    assert resumed.due == D("2026-12-14")


def test_a_resumed_deadline_into_2027_is_provisional_without_the_file():
    assert deadlines.resumed_due(PACKAGE_ONLY, D("2026-12-30"), 2).provisional is True
    final = deadlines.resumed_due(WITH_2027, D("2026-12-30"), 2)
    assert (final.due, final.provisional) == (D("2027-01-04"), False)


# --------------------------------------------------------------------------- deadline flags


@pytest.mark.parametrize(
    ("due", "today", "flags"),
    [
        (None, D("2026-11-25"), (False, False)),
        (D("2026-11-24"), D("2026-11-25"), (True, False)),  # overdue the day after
        (D("2026-11-25"), D("2026-11-25"), (False, True)),  # due today: due soon
        (D("2026-11-26"), D("2026-11-25"), (False, True)),  # one working day left
        (D("2026-11-27"), D("2026-11-25"), (False, False)),  # two working days left
        (D("2026-11-30"), D("2026-11-27"), (False, True)),  # Fri -> Mon: one working day
        (D("2026-12-01"), D("2026-11-27"), (False, False)),
    ],
)
def test_due_flags(due, today, flags):
    assert deadlines.due_flags(due, today, PACKAGE_ONLY, RULES.due_soon_workdays) == flags


def test_due_flags_across_a_holiday():
    # Wed 09-30 to Thu 10-08: the holiday week holds one working day only
    assert deadlines.due_flags(D("2026-10-08"), D("2026-09-30"), PACKAGE_ONLY, 1) == (False, True)
    assert deadlines.due_flags(D("2026-10-09"), D("2026-09-30"), PACKAGE_ONLY, 1) == (False, False)
    assert deadlines.due_flags(D("2026-11-27"), D("2026-11-25"), PACKAGE_ONLY, 0) == (False, False)


# --------------------------------------------------------------------------- evidence checks

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (PDF, "application/pdf"),
        (JPEG, "image/jpeg"),
        (PNG, "image/png"),
        (EXE, None),
        (b"", None),
        (b"%PDF", None),  # too short for the signature
        (b"GIF89a\x01\x00", None),
        (b"PK\x03\x04", None),  # a zip, e.g. a .docx
        (b"<html><script>", None),
        (b" %PDF-1.4", None),  # the signature must come first
    ],
)
def test_sniff_judges_by_the_first_bytes(head, kind):
    assert rules.sniff(head) == kind


def test_a_pdf_named_exe_is_refused_and_an_exe_named_pdf_is_not_a_pdf():
    # the content decides the type; the name's extension must then agree with it
    assert rules.plain_name("x.exe") and rules.sniff(PDF[:16]) == "application/pdf"
    assert rules.extension_error("x.exe", "application/pdf") == {
        "code": "extension-mismatch",
        "extension": ".exe",
        "expected": ".pdf",
    }
    assert rules.plain_name("x.pdf") and rules.sniff(EXE[:16]) is None


@pytest.mark.parametrize(
    ("name", "kind", "agrees"),
    [
        ("证明材料.pdf", "application/pdf", True),
        ("SCAN.PDF", "application/pdf", True),
        ("photo.jpg", "image/jpeg", True),
        ("photo.JPEG", "image/jpeg", True),
        ("shot.Png", "image/png", True),
        ("缴款凭证", "application/pdf", True),  # no extension: the content alone decides
        ("trailing.", "image/png", True),  # an empty extension is none
        ("x.exe", "application/pdf", False),
        ("x.pdf.exe", "application/pdf", False),  # only the last extension counts
        ("x.exe.pdf", "application/pdf", True),
        (".exe", "application/pdf", False),
        ("photo.jpg", "image/png", False),
        ("photo.png", "image/jpeg", False),
        ("scan.pdf", "image/jpeg", False),
        ("a.jfif", "image/jpeg", False),
    ],
)
def test_the_name_extension_must_agree_with_the_content(name, kind, agrees):
    assert (rules.extension_error(name, kind) is None) is agrees


def test_a_refused_type_names_the_extensions_accepted():
    assert rules.accepted_extensions(RULES.evidence_types) == "JPEG/JPG/PDF/PNG"
    assert rules.extension_error("scan.pdf", "image/jpeg")["expected"] == ".jpeg/.jpg"


@pytest.mark.parametrize(
    "name",
    [
        "../etc/passwd",
        "../../evil.pdf",
        "a/b.pdf",
        "/etc/passwd",
        "a\\b.pdf",
        "..\\..\\evil.pdf",
        "..",
        ".",
        "",
        "a\x00.pdf",
        "a\x01b.pdf",
        "a\nb.pdf",
        "evil.pdf\n",
        "evil.pdf\r",
        "a\tb.pdf",
        "a\x1b[31m.pdf",
        "a\x7f.pdf",
        "x" * 201,
    ],
)
def test_a_name_with_a_path_or_a_control_character_is_not_plain(name):
    assert not rules.plain_name(name)


@pytest.mark.parametrize(
    "name", ["证明材料.pdf", "缴款凭证 2026-03.jpg", "scan (1).PNG", "x.exe", "a.b.c.pdf"]
)
def test_plain_names_are_kept(name):
    assert rules.plain_name(name)


# --------------------------------------------------------------------------- restrictions


def test_restriction_end_is_the_latest_validity_of_restricting_penalties():
    restricting = frozenset({"责令停产停业", "吊销许可证件"})
    fields = [
        {"CF_CFLB": ["罚款"], "CF_YXQ": "2029-01-01"},  # a fine restricts nothing
        {"CF_CFLB": ["罚款", "责令停产停业"], "CF_YXQ": "2027-06-30"},
        {"CF_CFLB": ["吊销许可证件"], "CF_YXQ": "2028-02-29"},
        {"CF_CFLB": ["责令停产停业"]},  # no validity date given
    ]
    assert rules.restriction_end(fields, restricting) == D("2028-02-29")
    assert rules.restriction_end(fields[:1], restricting) is None
    assert rules.restriction_end([], restricting) is None


@pytest.mark.parametrize(
    ("folded", "text"),
    [
        ("本单位郑重承诺：材料真实、\n 准确、完整", "本单位郑重承诺：材料真实、准确、完整"),
        ("遵守《Credit Act》\n  第三条", "遵守《Credit Act》第三条"),
        ("version 2026\n  edition", "version 2026 edition"),
    ],
)
def test_a_folded_commitment_keeps_no_space_between_chinese_characters(folded, text):
    assert _unfold(folded) == text


def test_the_shipped_commitment_has_no_stray_spaces():
    assert not any(ch.isspace() for ch in RULES.commitment_text)
