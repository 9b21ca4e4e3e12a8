"""Materials asked for (补正) and the day they are due, on both databases: the default day
counted in working days across National Day and its make-up Saturday, a day the
reviewer names (a working day after today, else refused naming ``due_on``), the party
told what and by when, the day cleared when the materials arrive, flagged once it has
passed (never closed by itself) and the closing steps it then allows, a provisional day
recomputed once its year's holiday file exists, and the regulators' digest."""

from __future__ import annotations

import chinese_calendar
import pytest
from sqlalchemy import select

from credit_service.access import SYSTEM
from credit_service.auth import services as auth_services
from credit_service.errors import Conflict, InvalidInput
from credit_service.holidays import load_holiday_file
from credit_service.notifications import services as notifications
from credit_service.objections import services as objections
from credit_service.procedures.models import ProcedureDocument, ProcedureStep
from credit_service.repair import services as repair
from credit_service.repair.models import RepairApplication
from credit_service.workdays import WorkdayCalendar
from tests.factories import CITY
from tests.integration.test_notifications import emails, messages_of, with_email
from tests.integration.test_objections import a_record, file, step
from tests.integration.test_repair import (
    CITY_REGULATOR,
    FIXTURE_2027,
    D,
    apply,
    enterprise_of,
    general_penalty,
    on,
    review,
)

ASKED = "请补充缴款凭证原件扫描件"
REQUESTED = D("2026-09-29")  # Tuesday before National Day (10-01..10-07 off)
DUE = D("2026-10-19")  # 30 Sep, 8, 9, Sat 10 (make-up), 12–16, 19 Oct


def asked_before_national_day(ctx, clock, *, accept: bool = False):  # type: ignore[no-untyped-def]
    """An application (by an account with an e-mail address) asked for materials on
    2026-09-29 with the default day; (enterprise, view)."""
    owner, record = general_penalty(ctx)
    enterprise = enterprise_of(ctx, owner)
    with_email(ctx, enterprise.username)
    on(clock, D("2026-09-28"))
    app = apply(ctx, enterprise, f"record:{record['id']}")
    if accept:
        review(ctx, app["id"], "accept")
    on(clock, REQUESTED)
    return enterprise, review(ctx, app["id"], "request_supplement", reason=ASKED)


def stored(ctx, app_id: int) -> RepairApplication:
    with ctx.session_factory() as session:
        return session.get(RepairApplication, app_id)


def field_code(exc: InvalidInput, field: str = "due_on") -> str:
    [entry] = exc.errors[field]
    return entry if isinstance(entry, str) else entry["code"]


# --- the default day ----------------------------------------------------------------------------


def test_the_default_day_is_ten_working_days_across_national_day_and_its_make_up_day(ctx, clock):
    assert ctx.repair_rules.supplement_workdays == ctx.objection_rules.supplement_workdays == 10
    # the calendar's facts, from the chinese_calendar package (the State Council notice)
    assert chinese_calendar.find_workday(10, REQUESTED) == DUE
    assert chinese_calendar.is_workday(D("2026-10-10")) and D("2026-10-10").weekday() == 5

    enterprise, paused = asked_before_national_day(ctx, clock)
    assert paused["state"] == "supplement_requested"
    assert (paused["supplement_due_on"], paused["supplement_overdue"]) == (DUE, False)
    assert paused["due_provisional"] is False and paused["current_due"] is None
    row = stored(ctx, paused["id"])
    assert (row.supplement_due_on, row.supplement_workdays) == (DUE, 10)
    [asked] = [s for s in paused["steps"] if s["step"] == "request_supplement"]
    assert asked["details"] == {"supplement_due_on": "2026-10-19"}


def test_the_party_is_told_what_and_by_when_in_a_message_and_an_email(ctx, clock):
    enterprise, paused = asked_before_national_day(ctx, clock)
    [message] = messages_of(ctx, enterprise.username)
    assert message.kind == "repair.request_supplement"
    assert f"补正材料：{ASKED}。请于2026年10月19日前补正" in message.body
    [email] = emails(ctx)
    assert email.subject == message.subject and "请于2026年10月19日前补正" in email.body
    assert ASKED in email.body


# --- a day the reviewer names -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("named", "code"),
    [
        ("2026-09-28", "supplement-day-not-after-today"),  # yesterday
        ("2026-09-29", "supplement-day-not-after-today"),  # today
        ("2026-10-03", "supplement-day-not-workday"),  # National Day
        ("2026-10-11", "supplement-day-not-workday"),  # a Sunday
    ],
)
def test_a_named_day_must_be_a_working_day_after_today(ctx, clock, named, code):
    owner, record = general_penalty(ctx)
    on(clock, D("2026-09-28"))
    app = apply(ctx, enterprise_of(ctx, owner), f"record:{record['id']}")
    on(clock, REQUESTED)
    with pytest.raises(InvalidInput) as refused:
        review(ctx, app["id"], "request_supplement", reason=ASKED, due_on=D(named))
    assert refused.value.code == code and field_code(refused.value) == code
    assert refused.value.params == {"day": named, "today": "2026-09-29"}
    assert stored(ctx, app["id"]).state == "submitted"  # nothing was asked


def test_a_named_working_day_is_kept_as_given_even_a_make_up_saturday(ctx, clock):
    owner, record = general_penalty(ctx)
    enterprise = enterprise_of(ctx, owner)
    on(clock, D("2026-09-28"))
    app = apply(ctx, enterprise, f"record:{record['id']}")
    on(clock, REQUESTED)
    paused = review(ctx, app["id"], "request_supplement", reason=ASKED, due_on=D("2026-10-10"))
    assert paused["supplement_due_on"] == D("2026-10-10")
    assert stored(ctx, app["id"]).supplement_workdays is None
    assert "请于2026年10月10日前补正" in messages_of(ctx, enterprise.username)[0].body


def test_only_a_request_for_materials_takes_a_day(ctx, clock):
    owner, record = general_penalty(ctx)
    app = apply(ctx, enterprise_of(ctx, owner), f"record:{record['id']}")
    with pytest.raises(InvalidInput) as refused:
        review(ctx, app["id"], "accept", due_on=D("2026-12-01"))
    assert refused.value.code == "supplement-day-not-for-step"
    assert field_code(refused.value) == "not-for-step"


# --- cleared, flagged, closed -------------------------------------------------------------------


def test_the_day_is_cleared_when_the_materials_arrive(ctx, clock):
    enterprise, paused = asked_before_national_day(ctx, clock)
    on(clock, D("2026-10-12"))
    resumed = repair.supplement_received(ctx, enterprise, paused["id"])
    assert resumed["state"] == "submitted"
    assert (resumed["supplement_due_on"], resumed["supplement_overdue"]) == (None, False)
    row = stored(ctx, paused["id"])
    assert (row.supplement_due_on, row.supplement_workdays) == (None, None)
    on(clock, D("2026-10-20"))  # the old day has passed: nothing is late
    assert repair.supplements_late(ctx, CITY_REGULATOR, D("2026-10-20")) == ()


def test_late_materials_are_flagged_and_only_then_close_the_application(ctx, clock):
    enterprise, paused = asked_before_national_day(ctx, clock)
    app_id = paused["id"]
    on(clock, DUE)  # the due day itself is still in time
    shown = repair.get_application(ctx, CITY_REGULATOR, app_id)
    assert shown["supplement_overdue"] is False and shown["allowed_steps"] == [
        "supplement_received"
    ]
    with pytest.raises(Conflict) as early:
        review(ctx, app_id, "not_accept", reason="逾期未补正")
    assert early.value.code == "supplement-not-lapsed"
    assert early.value.params == {"due_on": "2026-10-19", "closable_from": "2026-10-20"}

    on(clock, D("2026-10-20"))
    assert repair.flag_deadlines(ctx) == {"overdue": 0, "due_soon": 0}  # no clock runs
    shown = repair.get_application(ctx, CITY_REGULATOR, app_id)
    assert shown["state"] == "supplement_requested"  # flagged, never closed by itself
    assert shown["supplement_overdue"] is True
    assert shown["allowed_steps"] == ["not_accept", "supplement_received"]
    late = repair.supplements_late(ctx, CITY_REGULATOR, D("2026-10-20"))
    assert [a["id"] for a in late] == [app_id]
    with pytest.raises(Conflict) as wrong_phase:  # paused before acceptance: not a refusal
        review(ctx, app_id, "refuse", reason="逾期未补正")
    assert wrong_phase.value.code == "supplement-other-phase"

    closed = review(ctx, app_id, "not_accept", reason="逾期未补正")
    assert (closed["state"], closed["decision_reasons"]) == ("not_accepted", "逾期未补正")
    assert closed["supplement_overdue"] is False
    assert [m.kind for m in messages_of(ctx, enterprise.username)] == [
        "repair.request_supplement",
        "repair.not_accept",
    ]


def test_late_materials_after_acceptance_lead_to_a_refusal(ctx, clock):
    _, paused = asked_before_national_day(ctx, clock, accept=True)
    on(clock, D("2026-10-20"))
    shown = repair.get_application(ctx, CITY_REGULATOR, paused["id"])
    assert shown["allowed_steps"] == ["supplement_received", "refuse"]
    with pytest.raises(Conflict) as wrong_phase:
        review(ctx, paused["id"], "not_accept", reason="逾期未补正")
    assert wrong_phase.value.code == "supplement-other-phase"
    refused = review(ctx, paused["id"], "refuse", reason="逾期未补正")
    assert refused["state"] == "refused"


def test_a_request_made_without_a_day_is_never_late(ctx, clock):
    """Rows asked before days were set (the migration leaves them without one)."""
    owner, record = general_penalty(ctx)
    enterprise = enterprise_of(ctx, owner)
    app = apply(ctx, enterprise, f"record:{record['id']}")
    review(ctx, app["id"], "request_supplement", reason=ASKED)
    with ctx.session_factory.begin() as session:
        row = session.get(RepairApplication, app["id"])
        row.supplement_due_on = row.supplement_workdays = None
    on(clock, D("2027-03-01"))
    shown = repair.get_application(ctx, CITY_REGULATOR, app["id"])
    assert (shown["supplement_due_on"], shown["supplement_overdue"]) == (None, False)
    with pytest.raises(Conflict) as refused:
        review(ctx, app["id"], "not_accept", reason="逾期未补正")
    assert refused.value.code == "supplement-no-day"


# --- a provisional day (D14) --------------------------------------------------------------------


def test_a_day_into_a_year_without_its_holiday_file_is_provisional_until_it_arrives(ctx, clock):
    owner, record = general_penalty(ctx)
    on(clock, D("2026-12-28"))
    app = apply(ctx, enterprise_of(ctx, owner), f"record:{record['id']}")
    paused = review(ctx, app["id"], "request_supplement", reason=ASKED)
    provisional = ctx.calendar.add_workdays(D("2026-12-28"), 10)
    assert provisional.provisional
    assert (paused["supplement_due_on"], paused["due_provisional"]) == (provisional.due, True)

    # past the provisional day, but not past the latest the 2027 notice could make it
    margin = ctx.calendar_rules.provisional_margin_workdays
    latest = ctx.calendar.latest_due(D("2026-12-28"), 10, margin)
    on(clock, latest)
    assert repair.get_application(ctx, CITY_REGULATOR, app["id"])["supplement_overdue"]
    with pytest.raises(Conflict) as waits:
        review(ctx, app["id"], "not_accept", reason="逾期未补正")
    assert waits.value.code == "supplement-not-lapsed"

    ctx.calendar = WorkdayCalendar.from_years([load_holiday_file(FIXTURE_2027)])
    assert repair.refresh_provisional_deadlines(ctx) == 1
    final = ctx.calendar.add_workdays(D("2026-12-28"), 10)
    shown = repair.get_application(ctx, CITY_REGULATOR, app["id"])
    assert (shown["supplement_due_on"], shown["due_provisional"]) == (final.due, False)
    assert review(ctx, app["id"], "not_accept", reason="逾期未补正")["state"] == "not_accepted"


# --- objections ---------------------------------------------------------------------------------


def objection_asked(ctx, clock, *, accept: bool):  # type: ignore[no-untyped-def]
    on(clock, D("2026-09-28"))
    owner, record = a_record(ctx)
    enterprise = enterprise_of(ctx, owner)
    objection = file(ctx, enterprise, f"record:{record['id']}", field="CF_NR")
    if accept:
        step(ctx, objection["id"], "accept")
    on(clock, REQUESTED)
    paused = step(ctx, objection["id"], "request_supplement", reason="原处罚决定书复印件")
    return enterprise, paused


def test_an_objection_is_told_its_day_and_refused_for_the_lapse_only_once_late(ctx, clock):
    enterprise, paused = objection_asked(ctx, clock, accept=False)
    assert paused["supplement_due_on"] == DUE
    [told] = messages_of(ctx, enterprise.username)
    assert "补正材料：原处罚决定书复印件。请于2026年10月19日前补正" in told.body

    on(clock, DUE)
    with pytest.raises(Conflict) as early:
        step(ctx, paused["id"], "refuse", details={"refusal_reason": "supplement_overdue"})
    assert early.value.code == "supplement-not-lapsed"

    on(clock, D("2026-10-20"))
    late = objections.get_objection(ctx, CITY_REGULATOR, paused["id"])
    assert late["supplement_overdue"] is True
    assert late["allowed_steps"] == ["refuse", "supplement_received"]
    assert [o["id"] for o in objections.supplements_late(ctx, CITY_REGULATOR, D("2026-10-20"))] == [
        paused["id"]
    ]
    refused = step(
        ctx,
        paused["id"],
        "refuse",
        reason="逾期未补正",
        details={"refusal_reason": "supplement_overdue"},
    )
    assert (refused["state"], refused["refusal_reason"]) == ("refused", "supplement_overdue")
    with ctx.session_factory() as session:
        notice = session.execute(
            select(ProcedureDocument).where(
                ProcedureDocument.procedure == "objection",
                ProcedureDocument.subject_id == paused["id"],
            )
        ).scalar_one()
    assert "异议人逾期未补正所需材料" in notice.html


def test_the_lapse_is_no_reason_to_refuse_an_objection_not_asked_for_materials(ctx, clock):
    owner, record = a_record(ctx)
    objection = file(ctx, enterprise_of(ctx, owner), f"record:{record['id']}")
    with pytest.raises(InvalidInput) as refused:
        step(ctx, objection["id"], "refuse", details={"refusal_reason": "supplement_overdue"})
    assert refused.value.errors["refusal_reason"] == [
        {"code": "not-one-of", "allowed": "not_subject, out_of_scope, repeat"}
    ]


def test_late_materials_after_acceptance_lead_to_not_upheld_and_the_mark_goes(ctx, clock):
    enterprise, paused = objection_asked(ctx, clock, accept=True)
    on(clock, D("2026-10-20"))
    late = objections.get_objection(ctx, CITY_REGULATOR, paused["id"])
    assert late["allowed_steps"] == ["supplement_received", "not_uphold"]
    with pytest.raises(Conflict) as wrong_phase:
        step(ctx, paused["id"], "refuse", details={"refusal_reason": "supplement_overdue"})
    assert wrong_phase.value.code == "supplement-other-phase"
    decided = step(ctx, paused["id"], "not_uphold", reason="逾期未补正，异议理由无证据支持")
    assert (decided["state"], decided["marked"]) == ("not_upheld", False)


def test_an_officer_recording_the_materials_clears_the_objections_day(ctx, clock):
    _, paused = objection_asked(ctx, clock, accept=True)
    on(clock, D("2026-10-09"))
    resumed = step(ctx, paused["id"], "supplement_received")
    assert (resumed["state"], resumed["supplement_due_on"]) == ("accepted", None)
    with ctx.session_factory() as session:
        [kept] = session.execute(
            select(ProcedureStep).where(
                ProcedureStep.subject_id == paused["id"],
                ProcedureStep.procedure == "objection",
                ProcedureStep.step == "request_supplement",
            )
        ).scalars()
    assert kept.details == {"supplement_due_on": "2026-10-19"}  # the history keeps the day


# --- the regulators' digest ---------------------------------------------------------------------


def test_the_digest_names_the_applications_and_objections_whose_materials_are_late(ctx, clock):
    _, application = asked_before_national_day(ctx, clock)
    _, objection = objection_asked(ctx, clock, accept=True)
    auth_services.create_user(
        ctx, SYSTEM, username="r-late", display_name="r", role="regulator", region_code=CITY
    )
    with_email(ctx, "r-late", "late@example.gov.cn")
    before = len(emails(ctx))
    assert notifications.queue_digests(ctx, DUE) == 0  # in time on the due day: nothing
    assert notifications.queue_digests(ctx, D("2026-10-20")) == 1
    [digest] = emails(ctx)[before:]
    assert digest.to == "late@example.gov.cn"
    late = "补正期限2026年10月19日，逾期未补正"
    assert f"信用修复申请第{application['id']}号" in digest.body
    assert f"异议第{objection['id']}号" in digest.body
    assert digest.body.count(late) == 2
