"""Credit repair against a real database (SQLite and PostgreSQL): eligibility, applications
with an idempotency key, evidence, the review with its legal deadlines and pauses (D10,
D14), a grant that reaches the public list, the change feed, the tier and the outbox in
one call (D11), revocation of a repair obtained with false materials (D7), concurrent
reviewers, the cool-down and the scope of each actor."""

from __future__ import annotations

import io
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import chinese_calendar
import pytest
from sqlalchemy import func, select

from credit_service.access import SYSTEM, Actor
from credit_service.audit import services as audit
from credit_service.auth import services as auth_services
from credit_service.clock import local_noon
from credit_service.config import PROJECT_ROOT
from credit_service.dishonesty import public, public_changes, public_search
from credit_service.dishonesty import services as dishonesty
from credit_service.errors import Conflict, Forbidden, InvalidInput, NotFound
from credit_service.holidays import load_holiday_file
from credit_service.records import services as record_services
from credit_service.repair import services
from credit_service.repair.models import RepairApplication, RepairEvidence
from credit_service.sync import outbox
from credit_service.sync.models import OutboxEvent
from credit_service.tiers import services as tier_services
from credit_service.tiers.models import TierAssignment, TierChange
from credit_service.web import create_app
from credit_service.workdays import WorkdayCalendar
from tests.factories import (
    CITY,
    LANGXI,
    XUANZHOU,
    bearer_for,
    create_entity,
    file_penalty,
    step_papers,
)

D = date.fromisoformat
TODAY = D("2026-11-25")  # Wednesday, the fixtures' start
HEAVIER = ["罚款", "责令停产停业"]
CITY_REGULATOR = Actor(role="regulator", username="r-city", region_code=CITY, city_code=CITY)
XUANZHOU_REGULATOR = Actor(
    role="regulator", username="r-xuanzhou", region_code=XUANZHOU, city_code=CITY
)
LANGXI_REGULATOR = Actor(role="regulator", username="r-langxi", region_code=LANGXI, city_code=CITY)
REVIEW = "/api/v1/repair-applications"
FIXTURE_2027 = PROJECT_ROOT / "tests" / "fixtures" / "holidays" / "2027.yaml"
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


# --- helpers ----------------------------------------------------------------------------------


def on(clock, day: date) -> None:
    clock.set(local_noon(day))


def enterprise_of(ctx, owner: dict, name: str = "ent") -> Actor:
    username = f"{name}-{owner['identifier'][-8:]}"
    auth_services.create_user(
        ctx,
        SYSTEM,
        username=username,
        display_name=username,
        role="enterprise",
        uscc=owner["identifier"],
    )
    return Actor(role="enterprise", username=username, uscc=owner["identifier"], city_code=CITY)


def listed(ctx, **penalty) -> tuple[dict, dict, dict]:
    """An entity on the published list since today (proposed, served, waived, decided,
    published on 2026-11-25); its penalty decided on 2024-06-03 leaves its own publicity
    (severe: 3 years) on 2027-06-03, so afterwards only the listing keeps it in D."""
    owner = create_entity(ctx)
    record = file_penalty(
        ctx, owner["identifier"], CF_CFLB=HEAVIER, CF_JDRQ=penalty.pop("CF_JDRQ", "2024-06-03")
    )
    case = dishonesty.propose(
        ctx, CITY_REGULATOR, entity=owner["identifier"], record_ids=[record["id"]], reason="拟列入"
    )
    for name in ("serve_notice", "waive", "decide_list", "publish"):
        case = dishonesty.advance(ctx, CITY_REGULATOR, case["id"], name, **step_papers(name))
    return owner, record, case


def general_penalty(ctx, owner: dict | None = None, decided: str = "2026-03-15") -> tuple:
    """A fine only (general severity): public for 1 year, repairable after 3 months."""
    owner = owner or create_entity(ctx)
    return owner, file_penalty(ctx, owner["identifier"], CF_JDRQ=decided)


def apply(ctx, actor: Actor, target: str, key: str | None = None) -> dict:
    view, _ = services.apply(ctx, actor, idempotency_key=key, **application(target))
    return view


def application(target: str) -> dict:
    return {
        "target": target,
        "reason": "已全面纠正失信行为，申请信用修复",
        "measures_taken": "已缴纳全部罚款，下架涉案产品并开展合规培训",
        "obligations_performed": True,
        "commitment_version": "2026-1",
        "contact": "李四 13900000000",
    }


def review(ctx, app_id: int, step: str, actor: Actor = CITY_REGULATOR, **kwargs) -> dict:
    return services.review(ctx, actor, app_id, step, **kwargs)


def searched_ids(ctx, **filters) -> list[int]:
    """The entries in force a search finds (not the removed ones it names, D22)."""
    found = public_search.search(ctx, public.Filters(**filters)).items
    return [e["id"] for e in found if e["status"] == "listed"]


def downloaded_ids(ctx) -> list[int]:
    return [e["id"] for e in public.download_rows(ctx, public.Filters())]


def feed_for(ctx, case_id: int) -> list[tuple[str, str | None]]:
    return [
        (c["kind"], c["reason"])
        for c in public_changes.changes(ctx)["items"]
        if c["entry_id"] == case_id
    ]


def tier_of(ctx, entity_id: int) -> tuple[str, str] | None:
    with ctx.session_factory() as session:
        found = session.get(TierAssignment, entity_id)
        return (found.tier, found.rule_id) if found else None


def tier_history(ctx, entity_id: int) -> list[tuple[str | None, str, str]]:
    with ctx.session_factory() as session:
        rows = session.execute(
            select(TierChange).where(TierChange.entity_id == entity_id).order_by(TierChange.id)
        ).scalars()
        return [(c.old_tier, c.new_tier, c.cause) for c in rows]


def outbox_events(ctx, event_type: str, subject: str) -> list[OutboxEvent]:
    with ctx.session_factory() as session:
        return list(
            session.execute(
                select(OutboxEvent).where(
                    OutboxEvent.event_type == event_type, OutboxEvent.subject == subject
                )
            ).scalars()
        )


def count(ctx, model, **where) -> int:
    with ctx.session_factory() as session:
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return session.execute(query).scalar_one()


def stored_row(ctx, app_id: int) -> RepairApplication:
    with ctx.session_factory() as session:
        return session.get(RepairApplication, app_id)


@pytest.fixture
def tiers(ctx):  # type: ignore[no-untyped-def]
    return tier_services.apply_rule_set(ctx, SYSTEM)


@pytest.fixture
def with_2027(ctx):  # type: ignore[no-untyped-def]
    ctx.calendar = WorkdayCalendar.from_years([load_holiday_file(FIXTURE_2027)])
    return ctx.calendar


# --- the whole way: a listing repaired --------------------------------------------------------


def test_a_granted_listing_repair_reaches_everywhere_in_one_call(ctx, clock, tiers, with_2027):
    owner, record, case = listed(ctx)
    target = f"listing:{case['id']}"
    enterprise = enterprise_of(ctx, owner)
    assert tier_of(ctx, owner["id"]) == ("D", "severe-list")

    # one year after the decision (its last day) the minimum period still runs
    on(clock, D("2027-11-25"))
    early = services.check_eligibility(ctx, enterprise, target)
    assert early["eligible"] is False and early["earliest"] == D("2027-11-26")
    (minimum,) = [c for c in early["conditions"] if c["code"] == "minimum_period"]
    assert (minimum["state"], minimum["passes_on"]) == ("not_met", D("2027-11-26"))

    on(clock, D("2027-11-26"))  # Friday
    eligibility = services.check_eligibility(ctx, enterprise, target)
    assert eligibility["eligible"] is True and eligibility["earliest"] is None
    assert {c["state"] for c in eligibility["conditions"]} == {"met", "to_declare"}
    assert eligibility["materials"] == list(ctx.repair_rules.materials["listing"])
    assert eligibility["commitment"]["version"] == "2026-1"

    # a double click: one application
    first, created = services.apply(ctx, enterprise, idempotency_key="k-1", **application(target))
    again, created_again = services.apply(
        ctx, enterprise, idempotency_key="k-1", **application(target)
    )
    assert (created, created_again) == (True, False)
    assert again["id"] == first["id"]
    assert count(ctx, RepairApplication, target_type="listing", target_id=case["id"]) == 1
    assert first["state"] == "submitted"
    assert first["commitment_version"] == "2026-1"
    assert first["commitment_text"] == ctx.repair_rules.commitment_text
    assert first["committed_at"] == ctx.now()
    assert first["acceptance_due"] == D("2027-12-01")  # Mon, Tue, Wed
    assert first["current_due"] == D("2027-12-01") and first["due_provisional"] is False

    evidence = services.add_evidence(
        ctx, enterprise, first["id"], filename="缴款凭证.pdf", stream=io.BytesIO(PDF)
    )
    assert evidence["content_type"] == "application/pdf" and evidence["size"] == len(PDF)

    accepted = review(ctx, first["id"], "accept")
    assert accepted["state"] == "accepted" and accepted["accepted_on"] == D("2027-11-26")
    assert accepted["decision_due"] == D("2027-12-17")  # 15 working days for a listing
    assert searched_ids(ctx, uscc=owner["identifier"]) == [case["id"]]

    granted = review(ctx, first["id"], "grant", reason="材料真实完整，符合提前移出条件")

    # everything at once, without any job
    assert granted["state"] == "granted" and granted["decided_on"] == D("2027-11-26")
    assert granted["decision_reasons"] == "材料真实完整，符合提前移出条件"
    assert granted["current_due"] is None
    assert searched_ids(ctx, uscc=owner["identifier"]) == []
    assert case["id"] not in downloaded_ids(ctx)
    gone = public.get_entry(ctx, case["id"])  # says it was removed, for a year (D22)
    assert (gone["status"], gone["removal_reason"]) == ("removed", "repaired")
    assert feed_for(ctx, case["id"]) == [("added", None), ("removed", "repaired")]
    removal = [c for c in public_changes.changes(ctx)["items"] if c["entry_id"] == case["id"]][-1]
    assert removal["effective_on"] == D("2027-11-26")
    assert removal["reason_text"] == ctx.list_rules.removal_reasons["repaired"]
    removed = dishonesty.get_case(ctx, SYSTEM, case["id"])
    assert (removed["state"], removed["removal_reason"]) == ("removed", "repaired")
    assert removed["removed_on"] == D("2027-11-26")
    # the penalty's own publicity ended 2027-06-03: nothing keeps the entity in D
    assert tier_of(ctx, owner["id"]) == ("B", "default")
    assert tier_history(ctx, owner["id"])[-1][:2] == ("D", "B")
    (event,) = outbox_events(ctx, "repair.granted", owner["identifier"])
    assert event.aggregate_type == "listing" and event.aggregate_id == str(case["id"])
    assert event.payload["application_id"] == first["id"]
    assert len(outbox_events(ctx, "listing.removed", owner["identifier"])) == 1
    assert [s["step"] for s in granted["steps"]] == ["submit", "accept", "grant"]


def test_a_grant_that_fails_changes_nothing(ctx, clock, tiers, monkeypatch):
    owner, _, case = listed(ctx)
    enterprise = enterprise_of(ctx, owner)
    on(clock, D("2027-11-26"))
    app = apply(ctx, enterprise, f"listing:{case['id']}")
    review(ctx, app["id"], "accept")

    def fail(*args, **kwargs):
        raise RuntimeError("the outbox is unavailable")

    monkeypatch.setattr(outbox, "write", fail)  # at the commit: after the listing came down
    with pytest.raises(RuntimeError):
        review(ctx, app["id"], "grant", reason="符合条件")

    assert searched_ids(ctx, uscc=owner["identifier"]) == [case["id"]]
    assert feed_for(ctx, case["id"]) == [("added", None)]
    assert dishonesty.get_case(ctx, SYSTEM, case["id"])["state"] == "published"
    assert services.get_application(ctx, enterprise, app["id"])["state"] == "accepted"
    assert tier_of(ctx, owner["id"])[0] == "D"


# --- a record repaired --------------------------------------------------------------------------


def test_a_general_record_is_repaired_after_its_minimum_period(ctx, clock, tiers):
    owner, record = general_penalty(ctx, decided="2026-09-10")
    assert record["severity"] == "general"
    assert record["repair_from"] == D("2026-12-11")  # 3 months, from the day after
    enterprise = enterprise_of(ctx, owner)
    target = f"record:{record['id']}"
    assert tier_of(ctx, owner["id"]) == ("C", "dishonest-record")

    on(clock, D("2026-12-10"))
    early = services.check_eligibility(ctx, enterprise, target)
    assert early["eligible"] is False and early["earliest"] == D("2026-12-11")
    assert early["materials"] == list(ctx.repair_rules.materials["record"])

    on(clock, D("2026-12-11"))  # Friday
    assert services.check_eligibility(ctx, enterprise, target)["eligible"] is True
    app = apply(ctx, enterprise, target)
    assert app["acceptance_due"] == D("2026-12-16")
    accepted = review(ctx, app["id"], "accept")
    assert accepted["decision_due"] == D("2026-12-25")  # 10 working days for a record
    granted = review(ctx, app["id"], "grant", reason="已履行处罚决定，准予修复")

    assert granted["state"] == "granted"
    repaired = record_services.read_record(ctx, CITY_REGULATOR, record["id"])
    assert repaired["status"] == "repaired"
    assert repaired["status_reason"] == f"repair application {app['id']}"
    listed_records = record_services.list_entity_records(ctx, CITY_REGULATOR, owner["identifier"])
    assert [r["status"] for r in listed_records.items] == ["repaired"]
    assert tier_of(ctx, owner["id"]) == ("B", "default")
    assert tier_history(ctx, owner["id"])[-1][:2] == ("C", "B")
    (event,) = outbox_events(ctx, "repair.granted", owner["identifier"])
    assert (event.aggregate_type, event.aggregate_id) == ("record", str(record["id"]))

    # once repaired the record is no longer in publicity: nothing left to repair
    on(clock, D("2026-12-14"))
    again = services.check_eligibility(ctx, enterprise, target)
    assert again["eligible"] is False and again["earliest"] is None


def test_revoking_a_record_repair_publishes_the_record_again(ctx, clock, tiers):
    owner, record = general_penalty(ctx)
    enterprise = enterprise_of(ctx, owner)
    app = apply(ctx, enterprise, f"record:{record['id']}")
    review(ctx, app["id"], "accept")
    review(ctx, app["id"], "grant", reason="准予修复")
    assert tier_of(ctx, owner["id"])[0] == "B"

    revoked = review(ctx, app["id"], "revoke", reason="提交的缴款凭证系伪造")
    assert revoked["state"] == "revoked" and revoked["revoked_on"] == TODAY
    assert record_services.read_record(ctx, CITY_REGULATOR, record["id"])["status"] == "active"
    assert tier_of(ctx, owner["id"]) == ("C", "dishonest-record")


def test_a_record_that_may_not_be_repaired_is_refused(ctx):
    owner = create_entity(ctx)
    # a penalty with a suspension of business cannot stop its publicity early
    record = file_penalty(ctx, owner["identifier"], CF_CFLB=HEAVIER)
    assert record["early_stop_allowed"] is False
    enterprise = enterprise_of(ctx, owner)
    result = services.check_eligibility(ctx, enterprise, f"record:{record['id']}")
    (repairable,) = [c for c in result["conditions"] if c["code"] == "repairable"]
    assert repairable["state"] == "not_met"
    assert result["eligible"] is False and result["earliest"] is None
    with pytest.raises(InvalidInput) as refused:
        apply(ctx, enterprise, f"record:{record['id']}")
    assert refused.value.code == "not-eligible"
    assert refused.value.extensions["earliest"] is None


# --- refusals when applying ---------------------------------------------------------------------


def test_an_application_too_early_names_the_unmet_conditions_and_the_earliest_date(ctx, clock):
    owner, _, case = listed(ctx)
    enterprise = enterprise_of(ctx, owner)
    on(clock, D("2027-03-01"))
    with pytest.raises(InvalidInput) as refused:
        apply(ctx, enterprise, f"listing:{case['id']}", key="early")
    assert refused.value.code == "not-eligible"
    assert refused.value.errors["target"] == [
        {"code": "minimum-period-running", "passes_on": "2027-11-26"}
    ]
    assert refused.value.extensions["earliest"] == D("2027-11-26")
    assert count(ctx, RepairApplication, entity_id=owner["id"]) == 0


def test_a_later_heavier_penalty_blocks_the_listing_repair_without_a_date(ctx, clock):
    owner, _, case = listed(ctx)
    enterprise = enterprise_of(ctx, owner)
    on(clock, D("2027-02-01"))
    file_penalty(ctx, owner["identifier"], CF_CFLB=HEAVIER, CF_JDRQ="2027-01-20")
    on(clock, D("2027-11-26"))
    result = services.check_eligibility(ctx, enterprise, f"listing:{case['id']}")
    unmet = [c["code"] for c in result["conditions"] if c["state"] == "not_met"]
    assert unmet == ["no_new_heavier_penalty"]
    assert result["earliest"] is None


def test_a_running_suspension_delays_the_listing_repair_to_the_day_after(ctx, clock):
    owner = create_entity(ctx)
    record = file_penalty(
        ctx, owner["identifier"], CF_CFLB=HEAVIER, CF_JDRQ="2026-10-10", CF_YXQ="2028-01-31"
    )
    case = dishonesty.propose(
        ctx, CITY_REGULATOR, entity=owner["identifier"], record_ids=[record["id"]], reason="拟列入"
    )
    for name in ("serve_notice", "waive", "decide_list", "publish"):
        dishonesty.advance(ctx, CITY_REGULATOR, case["id"], name, **step_papers(name))
    enterprise = enterprise_of(ctx, owner)
    on(clock, D("2027-11-26"))
    result = services.check_eligibility(ctx, enterprise, f"listing:{case['id']}")
    (restriction,) = [c for c in result["conditions"] if c["code"] == "no_restriction_running"]
    assert (restriction["state"], restriction["passes_on"]) == ("not_met", D("2028-02-01"))
    assert result["earliest"] == D("2028-02-01")
    on(clock, D("2028-02-01"))
    assert services.check_eligibility(ctx, enterprise, f"listing:{case['id']}")["eligible"]


def test_a_second_open_application_for_the_target_names_the_first(ctx):
    owner, record = general_penalty(ctx)
    enterprise = enterprise_of(ctx, owner)
    target = f"record:{record['id']}"
    first = apply(ctx, enterprise, target, key="first")
    with pytest.raises(Conflict) as refused:
        apply(ctx, enterprise, target, key="second")
    assert refused.value.code == "application-open"
    assert refused.value.extensions["application_id"] == first["id"]
    with pytest.raises(Conflict):
        apply(ctx, enterprise, target)  # no key at all
    assert count(ctx, RepairApplication, entity_id=owner["id"]) == 1

    # once the first is closed a new one may be made
    review(ctx, first["id"], "not_accept", reason="申请材料不属于本机关管辖")
    assert apply(ctx, enterprise, target, key="third")["state"] == "submitted"


def test_the_commitment_must_be_signed_in_its_current_version(ctx):
    owner, record = general_penalty(ctx)
    enterprise = enterprise_of(ctx, owner)
    data = application(f"record:{record['id']}")
    with pytest.raises(InvalidInput) as old:
        services.apply(ctx, enterprise, **{**data, "commitment_version": "2025-1"})
    assert old.value.code == "commitment-incomplete"
    assert old.value.errors == {
        "commitment_version": [{"code": "commitment-not-current", "version": "2026-1"}]
    }
    with pytest.raises(InvalidInput) as undeclared:
        services.apply(ctx, enterprise, **{**data, "obligations_performed": False})
    assert undeclared.value.errors == {"obligations_performed": ["obligations-not-declared"]}
    with pytest.raises(InvalidInput) as bad_target:
        services.apply(ctx, enterprise, **{**data, "target": "case:1"})
    assert bad_target.value.code == "target-invalid"
    assert bad_target.value.errors["target"][0]["code"] == "pattern-mismatch"


def test_the_cooldown_refuses_a_new_repair_within_a_year_of_the_last(ctx, clock, with_2027):
    owner, first_record = general_penalty(ctx)
    enterprise = enterprise_of(ctx, owner)
    app = apply(ctx, enterprise, f"record:{first_record['id']}")
    review(ctx, app["id"], "accept")
    review(ctx, app["id"], "grant", reason="准予修复")  # granted 2026-11-25

    on(clock, D("2027-02-01"))
    _, second = general_penalty(ctx, owner, decided="2027-02-01")
    target = f"record:{second['id']}"
    on(clock, D("2027-11-25"))  # the last day of the year after the grant
    with pytest.raises(InvalidInput) as refused:
        apply(ctx, enterprise, target)
    cooling = {"code": "repair-cooldown-running", "passes_on": "2027-11-26"}
    assert cooling in refused.value.errors["target"]
    assert refused.value.extensions["earliest"] == D("2027-11-26")
    result = services.check_eligibility(ctx, enterprise, target)
    (cooldown,) = [c for c in result["conditions"] if c["code"] == "cooldown"]
    assert (cooldown["state"], cooldown["passes_on"]) == ("not_met", D("2027-11-26"))

    on(clock, D("2027-11-26"))
    assert apply(ctx, enterprise, target)["state"] == "submitted"


def test_an_enterprise_applies_only_for_its_own_entity(ctx):
    owner, record = general_penalty(ctx)
    other, theirs = general_penalty(ctx)
    enterprise = enterprise_of(ctx, owner)
    with pytest.raises((Forbidden, NotFound)):
        services.check_eligibility(ctx, enterprise, f"record:{theirs['id']}")
    with pytest.raises((Forbidden, NotFound)):
        apply(ctx, enterprise, f"record:{theirs['id']}")
    with pytest.raises(NotFound):
        apply(ctx, enterprise, "record:999999999")
    assert count(ctx, RepairApplication, entity_id=other["id"]) == 0

    # a regulator may look at eligibility but does not apply for the enterprise
    assert services.check_eligibility(ctx, CITY_REGULATOR, f"record:{record['id']}")["eligible"]
    with pytest.raises(Forbidden):
        apply(ctx, CITY_REGULATOR, f"record:{record['id']}")


# --- the review -------------------------------------------------------------------------------


def test_not_accepting_and_refusing_need_reasons(ctx):
    owner, record = general_penalty(ctx)
    enterprise = enterprise_of(ctx, owner)
    target = f"record:{record['id']}"
    first = apply(ctx, enterprise, target)
    with pytest.raises(InvalidInput) as no_reason:
        review(ctx, first["id"], "not_accept")
    assert "reason" in no_reason.value.errors
    not_accepted = review(ctx, first["id"], "not_accept", reason="申请人主体资格不符")
    assert not_accepted["state"] == "not_accepted"
    assert not_accepted["decision_reasons"] == "申请人主体资格不符"
    assert not_accepted["decided_on"] == TODAY

    second = apply(ctx, enterprise, target)
    review(ctx, second["id"], "accept")
    with pytest.raises(InvalidInput):
        review(ctx, second["id"], "refuse", reason=" ")
    refused = review(ctx, second["id"], "refuse", reason="缴款凭证与处罚决定金额不符")
    assert refused["state"] == "refused"
    assert refused["decision_reasons"] == "缴款凭证与处罚决定金额不符"
    assert services.get_application(ctx, enterprise, second["id"])["steps"][-1]["reason"] == (
        "缴款凭证与处罚决定金额不符"
    )
    with pytest.raises(Conflict):
        review(ctx, second["id"], "revoke", reason="撤销")  # only a grant can be revoked


def test_steps_out_of_order_are_conflicts(ctx):
    owner, record = general_penalty(ctx)
    enterprise = enterprise_of(ctx, owner)
    app = apply(ctx, enterprise, f"record:{record['id']}")
    for step in ("grant", "refuse", "revoke"):
        with pytest.raises(Conflict) as refused:
            review(ctx, app["id"], step, reason="理由说明")
        assert refused.value.extensions["state"] == "submitted"
    with pytest.raises(NotFound):
        review(ctx, app["id"], "approve")
    assert services.get_application(ctx, enterprise, app["id"])["version"] == 1


def test_a_supplement_request_pauses_the_decision_clock(ctx, clock):
    owner, record = general_penalty(ctx)
    enterprise = enterprise_of(ctx, owner)
    app = apply(ctx, enterprise, f"record:{record['id']}")
    accepted = review(ctx, app["id"], "accept")
    assert accepted["decision_due"] == D("2026-12-09")

    on(clock, D("2026-11-30"))
    with pytest.raises(InvalidInput):
        review(ctx, app["id"], "request_supplement")  # say what is missing
    paused = review(ctx, app["id"], "request_supplement", reason="请补充缴款凭证原件扫描件")
    assert paused["state"] == "supplement_requested"
    assert paused["paused_on"] == D("2026-11-30")
    assert paused["paused_remaining"] == 7  # Dec 1, 2, 3, 4, 7, 8, 9
    assert paused["current_due"] is None
    assert paused["overdue"] is False and paused["due_soon"] is False
    with pytest.raises(Conflict):
        review(ctx, app["id"], "grant", reason="准予")

    with pytest.raises(Forbidden):
        services.supplement_received(ctx, CITY_REGULATOR, app["id"])
    with pytest.raises(Forbidden) as not_theirs:  # the same entity's other account
        services.supplement_received(ctx, enterprise_of(ctx, owner, name="colleague"), app["id"])
    assert not_theirs.value.code == "not-applicant"
    with pytest.raises(NotFound):  # the applicant's own step is no review step
        review(ctx, app["id"], "supplement_received")
    on(clock, D("2026-12-11"))  # the paused days do not count
    services.add_evidence(ctx, enterprise, app["id"], filename="补正.pdf", stream=io.BytesIO(PDF))
    resumed = services.supplement_received(ctx, enterprise, app["id"])
    assert resumed["state"] == "accepted"
    assert resumed["decision_due"] == D("2026-12-22")  # 7 working days from the 11th
    assert resumed["current_due"] == D("2026-12-22")
    assert resumed["paused_on"] is None and resumed["paused_remaining"] is None
    assert [s["step"] for s in resumed["steps"]] == [
        "submit",
        "accept",
        "request_supplement",
        "supplement_received",
    ]
    with pytest.raises(Conflict):
        services.supplement_received(ctx, enterprise, app["id"])
    assert review(ctx, app["id"], "grant", reason="准予修复")["state"] == "granted"


def test_a_supplement_request_before_acceptance_pauses_the_acceptance_clock(ctx, clock):
    owner, record = general_penalty(ctx)
    enterprise = enterprise_of(ctx, owner)
    app = apply(ctx, enterprise, f"record:{record['id']}")
    assert app["acceptance_due"] == D("2026-11-30")
    on(clock, D("2026-11-26"))
    paused = review(ctx, app["id"], "request_supplement", reason="请补充授权委托书")
    assert paused["paused_remaining"] == 2  # Fri 27, Mon 30
    on(clock, D("2026-12-01"))
    resumed = services.supplement_received(ctx, enterprise, app["id"])
    assert resumed["state"] == "submitted"
    assert resumed["acceptance_due"] == resumed["current_due"] == D("2026-12-03")
    assert review(ctx, app["id"], "accept")["accepted_on"] == D("2026-12-01")


def test_a_deadline_across_national_day_2026_skips_the_holiday_and_counts_the_make_up_day(
    ctx, clock
):
    # the calendar facts, from the chinese_calendar package (the State Council notice)
    national_day = [D("2026-10-01") + timedelta(days=n) for n in range(7)]
    holiday = (True, "National Day")
    assert all(chinese_calendar.get_holiday_detail(day) == holiday for day in national_day)
    make_up = D("2026-10-10")
    assert make_up.weekday() == 5 and chinese_calendar.is_workday(make_up)
    days = ctx.repair_rules
    acceptance = chinese_calendar.find_workday(days.acceptance_workdays, D("2026-09-30"))
    decision = chinese_calendar.find_workday(days.decision_workdays, make_up)
    assert (acceptance, decision) == (make_up, D("2026-10-23"))  # Thu 8, Fri 9, Sat 10

    owner, record = general_penalty(ctx)
    on(clock, D("2026-09-30"))
    app = apply(ctx, enterprise_of(ctx, owner), f"record:{record['id']}")
    assert (app["acceptance_due"], app["due_provisional"]) == (acceptance, False)
    row = stored_row(ctx, app["id"])
    assert (row.acceptance_due, row.due_provisional) == (acceptance, False)

    on(clock, D("2026-10-09"))  # a working day left: due soon, not overdue
    queue = services.list_applications(ctx, CITY_REGULATOR)
    (queued,) = [a for a in queue if a["id"] == app["id"]]
    assert (queued["overdue"], queued["due_soon"]) == (False, True)
    assert queued["current_due"] == acceptance

    on(clock, make_up)  # accepted on the working Saturday, in time
    accepted = review(ctx, app["id"], "accept")
    assert (accepted["accepted_on"], accepted["decision_due"]) == (make_up, decision)
    assert stored_row(ctx, app["id"]).decision_due == decision


def test_the_queue_is_sorted_by_the_nearest_deadline_and_flag_deadlines_marks_it(ctx, clock):
    first_owner, first_record = general_penalty(ctx)
    first = apply(ctx, enterprise_of(ctx, first_owner), f"record:{first_record['id']}")
    on(clock, D("2026-11-27"))
    second_owner, second_record = general_penalty(ctx)
    second = apply(ctx, enterprise_of(ctx, second_owner), f"record:{second_record['id']}")
    third_owner, third_record = general_penalty(ctx)
    third = apply(ctx, enterprise_of(ctx, third_owner), f"record:{third_record['id']}")
    review(ctx, third["id"], "accept")  # decision due 2026-12-11
    assert (first["acceptance_due"], second["acceptance_due"]) == (
        D("2026-11-30"),
        D("2026-12-02"),
    )

    on(clock, D("2026-12-01"))
    queue = services.list_applications(ctx, CITY_REGULATOR)
    assert [a["id"] for a in queue] == [first["id"], second["id"], third["id"]]
    assert [(a["overdue"], a["due_soon"], a["due_today"]) for a in queue] == [
        (True, False, False),
        (False, True, False),
        (False, False, False),
    ]

    assert services.flag_deadlines(ctx) == {"overdue": 1, "due_soon": 1}
    flags = {
        a: (stored_row(ctx, a).overdue, stored_row(ctx, a).due_soon)
        for a in (first["id"], second["id"], third["id"])
    }
    assert flags == {
        first["id"]: (True, False),
        second["id"]: (False, True),
        third["id"]: (False, False),
    }

    on(clock, D("2026-12-02"))  # the second's due day
    assert services.flag_deadlines(ctx) == {"overdue": 1, "due_soon": 1}
    today = {a["id"]: a["due_today"] for a in services.list_applications(ctx, CITY_REGULATOR)}
    assert today == {first["id"]: False, second["id"]: True, third["id"]: False}
    review(ctx, first["id"], "accept")  # late, but accepted: its decision clock starts
    assert services.flag_deadlines(ctx) == {"overdue": 0, "due_soon": 1}
    assert stored_row(ctx, first["id"]).overdue is False


def test_provisional_deadlines_are_recomputed_once_the_years_calendar_exists(ctx, clock):
    ctx.calendar = WorkdayCalendar.from_years([])  # chinese_calendar only: 2027 unknown
    owner, record = general_penalty(ctx, decided="2026-10-01")
    enterprise = enterprise_of(ctx, owner)
    on(clock, D("2027-02-04"))
    app = apply(ctx, enterprise, f"record:{record['id']}")
    assert app["acceptance_due"] == D("2027-02-09") and app["due_provisional"] is True
    assert services.refresh_provisional_deadlines(ctx) == 0  # still no notice

    ctx.calendar = WorkdayCalendar.from_years([load_holiday_file(FIXTURE_2027)])
    assert services.refresh_provisional_deadlines(ctx) == 1
    refreshed = services.get_application(ctx, enterprise, app["id"])
    assert refreshed["acceptance_due"] == D("2027-02-16")  # after the Spring Festival
    assert refreshed["due_provisional"] is False
    assert services.refresh_provisional_deadlines(ctx) == 0


def test_a_deadline_into_next_year_is_provisional_without_its_calendar(ctx, clock):
    ctx.calendar = WorkdayCalendar.from_years([])
    owner, record = general_penalty(ctx)
    enterprise = enterprise_of(ctx, owner)
    on(clock, D("2026-12-29"))
    app = apply(ctx, enterprise, f"record:{record['id']}")
    assert (app["acceptance_due"], app["due_provisional"]) == (D("2027-01-04"), True)
    ctx.calendar = WorkdayCalendar.from_years([load_holiday_file(FIXTURE_2027)])
    assert services.refresh_provisional_deadlines(ctx) == 1
    refreshed = services.get_application(ctx, enterprise, app["id"])
    assert (refreshed["acceptance_due"], refreshed["due_provisional"]) == (D("2027-01-04"), False)


# --- revocation (D7) ------------------------------------------------------------------------------


def test_revoking_a_repair_obtained_with_false_materials_restores_the_listing(
    ctx, clock, tiers, with_2027
):
    owner, _, case = listed(ctx)
    enterprise = enterprise_of(ctx, owner)
    on(clock, D("2027-11-26"))
    app = apply(ctx, enterprise, f"listing:{case['id']}")
    review(ctx, app["id"], "accept")
    review(ctx, app["id"], "grant", reason="符合提前移出条件")
    assert searched_ids(ctx, uscc=owner["identifier"]) == []
    assert tier_of(ctx, owner["id"])[0] == "B"

    on(clock, D("2028-03-01"))
    with pytest.raises(InvalidInput):
        review(ctx, app["id"], "revoke")
    revoked = review(ctx, app["id"], "revoke", reason="经核查，申请人提交的缴款凭证系伪造")
    assert revoked["state"] == "revoked" and revoked["revoked_on"] == D("2028-03-01")

    restored = dishonesty.get_case(ctx, SYSTEM, case["id"])
    assert restored["state"] == "published"
    assert restored["published_on"] == D("2028-03-01")
    assert restored["term_ends_on"] == D("2031-03-01")  # the term restarts
    assert restored["removed_on"] is None and restored["removal_reason"] is None
    assert searched_ids(ctx, uscc=owner["identifier"]) == [case["id"]]
    assert case["id"] in downloaded_ids(ctx)
    assert public.get_entry(ctx, case["id"])["term_ends_on"] == D("2031-03-01")
    assert feed_for(ctx, case["id"]) == [
        ("added", None),
        ("removed", "repaired"),
        ("added", "repair_revoked"),
    ]
    last = [c for c in public_changes.changes(ctx)["items"] if c["entry_id"] == case["id"]][-1]
    assert last["effective_on"] == D("2028-03-01")
    assert "信用修复决定被撤销" in last["reason_text"]
    assert tier_of(ctx, owner["id"]) == ("D", "severe-list")
    assert len(outbox_events(ctx, "listing.published", owner["identifier"])) == 2
    with pytest.raises(Conflict):
        review(ctx, app["id"], "revoke", reason="再次撤销")


# --- concurrency and scope ----------------------------------------------------------------------


def test_two_reviewers_deciding_at_once_one_wins(ctx):
    owner, record = general_penalty(ctx)
    enterprise = enterprise_of(ctx, owner)
    app = apply(ctx, enterprise, f"record:{record['id']}")
    seen = services.get_application(ctx, CITY_REGULATOR, app["id"])["version"]
    assert seen == 1

    first = review(ctx, app["id"], "accept", expected_version=seen)
    with pytest.raises(Conflict) as second:
        review(
            ctx,
            app["id"],
            "not_accept",
            actor=XUANZHOU_REGULATOR,
            reason="不予受理",
            expected_version=seen,
        )
    assert second.value.code == "application-changed"
    assert second.value.extensions == {
        "step": "not_accept",
        "state": "accepted",
        "version": 2,
        "allowed_steps": ["request_supplement", "grant", "refuse"],
    }
    assert first["version"] == 2

    # the same step sent by both: the state moved on, the second is refused
    granted = review(ctx, app["id"], "grant", reason="准予", expected_version=2)
    with pytest.raises(Conflict):
        review(ctx, app["id"], "grant", actor=XUANZHOU_REGULATOR, reason="准予", expected_version=2)
    after = services.get_application(ctx, CITY_REGULATOR, app["id"])
    assert after["version"] == granted["version"] == 3
    assert [s["step"] for s in after["steps"]] == ["submit", "accept", "grant"]
    assert len(outbox_events(ctx, "repair.granted", owner["identifier"])) == 1


def decide_together(live_ctx, app_id: int, steps: tuple[str, str]) -> list[tuple[int, dict]]:
    """Two regulators send ``steps`` on the same application at the same moment: each
    from a thread of its own with its own client, token, request and database session.
    Each one's (status, body)."""
    app = create_app(context=live_ctx)
    tokens = [bearer_for(live_ctx, "regulator", region=region) for region in (CITY, XUANZHOU)]
    barrier = threading.Barrier(2, timeout=10)

    def decide(headers: dict[str, str], step: str) -> tuple[int, dict]:
        client = app.test_client()
        body = {"reason": "决定", "expected_version": 2}
        barrier.wait()  # both requests start together
        response = client.post(f"{REVIEW}/{app_id}/review/{step}", json=body, headers=headers)
        return response.status_code, response.get_json()

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(decide, h, s) for h, s in zip(tokens, steps, strict=True)]
        return [f.result(timeout=60) for f in futures]


@pytest.mark.parametrize("steps", [("grant", "grant"), ("grant", "refuse")])
def test_two_reviewers_deciding_in_two_threads_at_once_one_wins(live_ctx, steps):
    owner, record = general_penalty(live_ctx)
    enterprise = enterprise_of(live_ctx, owner)
    app = apply(live_ctx, enterprise, f"record:{record['id']}")
    review(live_ctx, app["id"], "accept", expected_version=1)

    results = decide_together(live_ctx, app["id"], steps)

    assert sorted(status for status, _ in results) == [200, 409], results
    (won,) = [body for status, body in results if status == 200]
    (lost,) = [body for status, body in results if status == 409]
    assert lost["code"] == "application-changed"
    assert (lost["state"], lost["version"]) == (won["state"], 3)
    after = services.get_application(live_ctx, CITY_REGULATOR, app["id"])
    assert after["version"] == won["version"] == 3 and after["state"] == won["state"]
    decided = {"granted": "grant", "refused": "refuse"}[won["state"]]
    assert [s["step"] for s in after["steps"]] == ["submit", "accept", decided]
    granted = outbox_events(live_ctx, "repair.granted", owner["identifier"])
    assert len(granted) == (1 if won["state"] == "granted" else 0)


def test_a_county_regulator_cannot_review_another_countys_application(ctx):
    owner, record = general_penalty(ctx)  # in Xuanzhou
    enterprise = enterprise_of(ctx, owner)
    app = apply(ctx, enterprise, f"record:{record['id']}")
    with pytest.raises(Forbidden):
        review(ctx, app["id"], "accept", actor=LANGXI_REGULATOR)
    with pytest.raises(Forbidden):
        services.get_application(ctx, LANGXI_REGULATOR, app["id"])
    assert app["id"] not in [a["id"] for a in services.list_applications(ctx, LANGXI_REGULATOR)]
    assert app["id"] in [a["id"] for a in services.list_applications(ctx, XUANZHOU_REGULATOR)]
    assert review(ctx, app["id"], "accept", actor=XUANZHOU_REGULATOR)["state"] == "accepted"


def test_applications_and_evidence_belong_to_the_applicant(ctx):
    owner, record = general_penalty(ctx)
    enterprise = enterprise_of(ctx, owner)
    colleague = enterprise_of(ctx, owner, name="colleague")  # same entity, other account
    stranger = enterprise_of(ctx, create_entity(ctx))
    app = apply(ctx, enterprise, f"record:{record['id']}")
    evidence = services.add_evidence(
        ctx, enterprise, app["id"], filename="凭证.pdf", stream=io.BytesIO(PDF)
    )

    meta, content = services.get_evidence(ctx, enterprise, app["id"], evidence["id"])
    assert content == PDF and meta.sha256 == evidence["sha256"]
    assert services.get_evidence(ctx, CITY_REGULATOR, app["id"], evidence["id"])[1] == PDF
    for outsider in (stranger, colleague, LANGXI_REGULATOR):
        with pytest.raises((Forbidden, NotFound)):
            services.get_evidence(ctx, outsider, app["id"], evidence["id"])
        with pytest.raises((Forbidden, NotFound)):
            services.get_application(ctx, outsider, app["id"])
    with pytest.raises((Forbidden, NotFound)):
        services.add_evidence(ctx, stranger, app["id"], filename="x.pdf", stream=io.BytesIO(PDF))
    with pytest.raises(Forbidden):
        services.add_evidence(
            ctx, CITY_REGULATOR, app["id"], filename="x.pdf", stream=io.BytesIO(PDF)
        )
    assert [a["id"] for a in services.list_applications(ctx, enterprise)] == [app["id"]]
    assert services.list_applications(ctx, stranger) == []
    assert count(ctx, RepairEvidence, application_id=app["id"]) == 1


# --- after a revocation, dates of steps, changes before the grant ------------------------------


def test_after_a_revoked_listing_repair_the_year_restarts_and_the_cooldown_counts(
    ctx, clock, tiers, with_2027
):
    owner, _, case = listed(ctx)
    enterprise = enterprise_of(ctx, owner)
    target = f"listing:{case['id']}"
    on(clock, D("2027-11-26"))
    app = apply(ctx, enterprise, target)
    review(ctx, app["id"], "accept")
    review(ctx, app["id"], "grant", reason="符合提前移出条件")  # granted 2027-11-26
    on(clock, D("2028-03-01"))
    review(ctx, app["id"], "revoke", reason="缴款凭证系伪造")

    on(clock, D("2028-03-02"))
    result = services.check_eligibility(ctx, enterprise, target)
    conditions = {c["code"]: (c["state"], c["passes_on"]) for c in result["conditions"]}
    assert conditions["minimum_period"] == ("not_met", D("2029-03-02"))  # a year from 03-01
    assert conditions["cooldown"] == ("not_met", D("2028-11-27"))  # a year from the grant
    assert result["earliest"] == D("2029-03-02")
    with pytest.raises(InvalidInput) as refused:
        apply(ctx, enterprise, target)
    assert refused.value.extensions["earliest"] == D("2029-03-02")


@pytest.mark.parametrize(
    ("day", "message"),
    [
        (D("2026-11-26"), "step-date-in-future"),
        (D("2026-11-24"), {"code": "date-before", "day": "2026-11-25"}),
    ],
)
def test_a_review_step_is_dated_between_the_last_step_and_today(ctx, day, message):
    owner, record = general_penalty(ctx)
    app = apply(ctx, enterprise_of(ctx, owner), f"record:{record['id']}")
    with pytest.raises(InvalidInput) as refused:
        review(ctx, app["id"], "accept", on=day)
    assert refused.value.errors == {"on": [message]}
    assert stored_row(ctx, app["id"]).state == "submitted"


def test_a_grant_is_refused_when_a_heavier_penalty_came_after_the_acceptance(ctx, clock):
    owner, record = general_penalty(ctx)
    app = apply(ctx, enterprise_of(ctx, owner), f"record:{record['id']}")
    review(ctx, app["id"], "accept")
    on(clock, D("2026-11-27"))
    file_penalty(ctx, owner["identifier"], CF_CFLB=HEAVIER, CF_JDRQ="2026-11-27")
    with pytest.raises(Conflict) as refused:
        review(ctx, app["id"], "grant", reason="准予修复")
    assert refused.value.code == "no-longer-eligible"
    assert refused.value.extensions["unmet"] == [
        {"code": "heavier-penalty-since", "penalty_on": "2026-11-27"}
    ]
    assert stored_row(ctx, app["id"]).state == "accepted"
    assert review(ctx, app["id"], "refuse", reason="受理后又受到较重行政处罚")["state"] == "refused"


def test_no_evidence_after_the_decision_and_no_orphan_file_when_storing_fails(ctx, monkeypatch):
    owner, record = general_penalty(ctx)
    enterprise = enterprise_of(ctx, owner)
    app = apply(ctx, enterprise, f"record:{record['id']}")
    folder = ctx.settings.data_dir / "evidence"

    def broken_audit(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(audit, "append", broken_audit)
    with pytest.raises(RuntimeError):
        services.add_evidence(ctx, enterprise, app["id"], filename="a.pdf", stream=io.BytesIO(PDF))
    monkeypatch.undo()
    assert count(ctx, RepairEvidence, application_id=app["id"]) == 0
    assert not folder.exists() or list(folder.iterdir()) == []

    review(ctx, app["id"], "accept")
    review(ctx, app["id"], "grant", reason="准予修复")
    with pytest.raises(Conflict) as closed:
        services.add_evidence(ctx, enterprise, app["id"], filename="b.pdf", stream=io.BytesIO(PDF))
    assert closed.value.code == "application-closed"
    assert not folder.exists() or list(folder.iterdir()) == []


def test_a_paused_application_loses_its_old_overdue_flag(ctx, clock):
    owner, record = general_penalty(ctx)
    app = apply(ctx, enterprise_of(ctx, owner), f"record:{record['id']}")
    on(clock, D("2026-12-01"))  # acceptance was due 2026-11-30
    assert services.flag_deadlines(ctx) == {"overdue": 1, "due_soon": 0}
    review(ctx, app["id"], "request_supplement", reason="请补充授权委托书")
    services.flag_deadlines(ctx)
    row = stored_row(ctx, app["id"])
    assert (row.overdue, row.due_soon) == (False, False)


def test_a_provisional_deadline_after_a_pause_keeps_the_days_left(ctx, clock):
    ctx.calendar = WorkdayCalendar.from_years([])  # 2027 unknown
    owner, record = general_penalty(ctx)
    enterprise = enterprise_of(ctx, owner)
    on(clock, D("2027-02-01"))
    app = apply(ctx, enterprise, f"record:{record['id']}")
    review(ctx, app["id"], "accept")  # decision provisionally due 2027-02-15
    on(clock, D("2027-02-03"))
    paused = review(ctx, app["id"], "request_supplement", reason="请补充缴款凭证")
    assert paused["paused_remaining"] == 8  # 02-04 … 02-15 on weekends only
    on(clock, D("2027-02-05"))
    resumed = services.supplement_received(ctx, enterprise, app["id"])
    assert (resumed["decision_due"], resumed["due_provisional"]) == (D("2027-02-17"), True)

    ctx.calendar = WorkdayCalendar.from_years([load_holiday_file(FIXTURE_2027)])
    assert services.refresh_provisional_deadlines(ctx) == 1
    refreshed = services.get_application(ctx, enterprise, app["id"])
    # eight working days from 02-05 in the fixture year: the Spring Festival (to 02-11)
    # is skipped and Saturday 02-20 is a make-up day: 12, 15–19, 20, 22
    assert refreshed["decision_due"] == D("2027-02-22")
    assert refreshed["due_provisional"] is False


def test_an_idempotency_key_cannot_be_reused_for_another_target(ctx):
    owner, first = general_penalty(ctx)
    _, second = general_penalty(ctx, owner)
    enterprise = enterprise_of(ctx, owner)
    made = apply(ctx, enterprise, f"record:{first['id']}", key="k-1")
    with pytest.raises(InvalidInput) as refused:
        apply(ctx, enterprise, f"record:{second['id']}", key="k-1")
    assert refused.value.code == "idempotency-key-reused"
    assert refused.value.extensions == {
        "application_id": made["id"],
        "target": f"record:{first['id']}",
    }
    assert count(ctx, RepairApplication, target_id=second["id"]) == 0
