"""`flask inspectors …` and `flask tiers …` through Flask's CLI runner (both databases): the
same services as the API, audited as the console operator, errors on stderr with exit 1."""

from __future__ import annotations

import getpass
from datetime import date

import pytest
from sqlalchemy import select

from credit_service.access import SYSTEM
from credit_service.audit.models import AuditEvent
from credit_service.clock import local_noon
from credit_service.entities.models import Entity
from credit_service.inspections import services as inspection_services
from credit_service.inspections.models import Inspector, InspectorConflict
from credit_service.tiers import services as tier_services
from credit_service.tiers.models import TierAssignment, TierChange, TierRuleSetVersion
from tests.factories import LANGXI, XUANZHOU, create_entity, file_penalty

CLI_ACTOR = f"cli:{getpass.getuser()}"[:100]


@pytest.fixture
def runner(app):  # type: ignore[no-untyped-def]
    return app.test_cli_runner()


def invoke_ok(runner, *args: str):  # type: ignore[no-untyped-def]
    result = runner.invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result


def audited(ctx, action: str) -> list[AuditEvent]:
    with ctx.session_factory() as session:
        return list(
            session.execute(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
            ).scalars()
        )


def tier_of(ctx, identifier: str) -> str | None:
    with ctx.session_factory() as session:
        found = session.execute(
            select(TierAssignment.tier)
            .join(Entity, Entity.id == TierAssignment.entity_id)
            .where(Entity.identifier == identifier)
        ).scalar_one_or_none()
        return found


# --- the inspector roster -----------------------------------------------------------------------


def test_inspectors_are_added_listed_deactivated_and_activated(ctx, runner):
    added = invoke_ok(
        runner, "inspectors", "add", "皖执-CLI-1", "--name", "李四", "--office", LANGXI
    )
    (made,) = inspection_services.list_inspectors(ctx, SYSTEM)
    assert made == {
        "id": made["id"],
        "badge_no": "皖执-CLI-1",
        "name": "李四",
        "office_region": LANGXI,
        "active": True,
    }
    assert added.stdout == f"added inspector {made['id']}\t皖执-CLI-1\t李四\t{LANGXI}\tactive\n"
    invoke_ok(runner, "inspectors", "add", "皖执-CLI-2", "--name", "王五", "--office", XUANZHOU)

    off = invoke_ok(runner, "inspectors", "deactivate", str(made["id"]))

    assert off.stdout == f"inspector {made['id']}\t皖执-CLI-1\t李四\t{LANGXI}\tinactive\n"
    listed = invoke_ok(runner, "inspectors", "list")
    lines = listed.stdout.splitlines()
    assert lines[0] == f"{made['id']}\t皖执-CLI-1\t李四\t{LANGXI}\tinactive"
    assert lines[1].endswith(f"\t皖执-CLI-2\t王五\t{XUANZHOU}\tactive") and len(lines) == 2
    assert listed.stderr == "2 inspectors\n"
    with ctx.session_factory() as session:
        assert session.get(Inspector, made["id"]).active is False

    invoke_ok(runner, "inspectors", "activate", str(made["id"]))

    with ctx.session_factory() as session:
        assert session.get(Inspector, made["id"]).active is True
    updates = audited(ctx, "inspector.update")
    assert [(e.actor, e.details["active"]) for e in updates] == [
        (CLI_ACTOR, False),
        (CLI_ACTOR, True),
    ]
    assert {e.actor for e in audited(ctx, "inspector.create")} == {CLI_ACTOR}


@pytest.mark.parametrize(
    ("office", "message"),
    [("110101", "office-region-unknown"), ("34182", "office_region: ['Length must be 6.']")],
    ids=["unknown region", "not six digits"],
)
def test_an_inspector_with_a_bad_office_is_refused(ctx, runner, office, message):
    result = runner.invoke(
        args=["inspectors", "add", "皖执-CLI-3", "--name", "赵六", "--office", office]
    )

    assert result.exit_code == 1
    assert result.stdout == "" and message in result.stderr
    assert inspection_services.list_inspectors(ctx, SYSTEM) == []


def test_a_taken_badge_number_and_an_unknown_inspector_are_errors(ctx, runner):
    invoke_ok(runner, "inspectors", "add", "皖执-CLI-4", "--name", "王五", "--office", LANGXI)

    taken = runner.invoke(
        args=["inspectors", "add", "皖执-CLI-4", "--name", "赵六", "--office", LANGXI]
    )
    unknown = runner.invoke(args=["inspectors", "deactivate", "999999"])

    assert taken.exit_code == 1 and "inspector-exists (badge_no=皖执-CLI-4)" in taken.stderr
    assert unknown.exit_code == 1 and "inspector-not-found (inspector_id=999999)" in unknown.stderr
    assert [i["name"] for i in inspection_services.list_inspectors(ctx, SYSTEM)] == ["王五"]


def test_a_conflict_of_interest_is_declared_once(ctx, runner):
    made = inspection_services.add_inspector(
        ctx, SYSTEM, badge_no="皖执-CLI-5", name="钱七", office_region=XUANZHOU
    )
    entity = create_entity(ctx, region_code=LANGXI)["identifier"]

    declared = invoke_ok(
        runner, "inspectors", "conflict", str(made["id"]), entity, "--reason", "近亲属任职"
    )

    assert declared.stdout == f"inspector {made['id']} is never drawn for {entity}\n"
    with ctx.session_factory() as session:
        (row,) = session.execute(select(InspectorConflict)).scalars()
        owner = session.execute(select(Entity).where(Entity.identifier == entity)).scalar_one()
    assert (row.inspector_id, row.entity_id, row.reason) == (made["id"], owner.id, "近亲属任职")
    (event,) = audited(ctx, "inspector.conflict")
    assert (event.actor, event.object_id) == (CLI_ACTOR, str(made["id"]))

    again = runner.invoke(
        args=["inspectors", "conflict", str(made["id"]), entity, "--reason", "再次申报"]
    )
    too_short = runner.invoke(
        args=["inspectors", "conflict", str(made["id"]), entity, "--reason", "x"]
    )
    unknown_entity = runner.invoke(
        args=[
            "inspectors",
            "conflict",
            str(made["id"]),
            "91341800MA0000000X",
            "--reason",
            "无此主体",
        ]
    )

    assert again.exit_code == 1 and "conflict-exists" in again.stderr
    assert too_short.exit_code == 1 and "reason" in too_short.stderr
    assert unknown_entity.exit_code == 1 and "entity-not-found" in unknown_entity.stderr
    with ctx.session_factory() as session:
        assert len(session.execute(select(InspectorConflict)).all()) == 1


# --- tiers: preview, apply, recompute ------------------------------------------------------------


@pytest.fixture
def applied(ctx):  # type: ignore[no-untyped-def]
    return tier_services.apply_rule_set(ctx, SYSTEM)


def test_tiers_preview_shows_the_moves_and_apply_makes_them(ctx, runner, applied, edited_rules):
    identifier = create_entity(ctx, region_code=LANGXI, industry="I")["identifier"]
    file_penalty(ctx, identifier)
    untouched = create_entity(ctx, region_code=XUANZHOU)["identifier"]
    assert (tier_of(ctx, identifier), tier_of(ctx, untouched)) == ("C", "B")

    preview = invoke_ok(runner, "tiers", "preview")

    label = tier_services.file_rule_set(ctx).label
    assert label != applied.rule_set
    assert preview.stdout == (
        f"rule set {label} as of 2026-11-25: 1 entities would change tier\n"
        f"  {LANGXI} I: C -> D: 1\n"
    )
    assert tier_of(ctx, identifier) == "C"  # the preview wrote nothing

    applied_now = invoke_ok(runner, "tiers", "apply")

    assert applied_now.stdout == f"rule set {label} applied: 1 tiers changed\n"
    assert (tier_of(ctx, identifier), tier_of(ctx, untouched)) == ("D", "B")
    with ctx.session_factory() as session:
        current = session.execute(
            select(TierRuleSetVersion).where(TierRuleSetVersion.is_current)
        ).scalar_one()
        last = session.execute(select(TierChange).order_by(TierChange.id.desc())).scalars().first()
    assert (current.label, current.applied_by) == (label, CLI_ACTOR)
    assert (last.old_tier, last.new_tier, last.rule_set_id) == ("C", "D", current.id)
    assert label in last.cause
    assert invoke_ok(runner, "tiers", "preview").stdout == (
        f"rule set {label} as of 2026-11-25: 0 entities would change tier\n"
    )


def test_tiers_apply_refuses_an_invalid_rule_file(ctx, runner, applied, edited_rules):
    text = edited_rules.read_text(encoding="utf-8")
    edited_rules.write_text(text.replace("period: P3Y", "period: three-years"), "utf-8")

    for command in ("preview", "apply"):
        result = runner.invoke(args=["tiers", command])
        assert result.exit_code == 1, result.output
        assert "tiers.yaml" in result.stderr and "no_record_within.period" in result.stderr
    with ctx.session_factory() as session:
        labels = session.execute(select(TierRuleSetVersion)).scalars().all()
    assert [v.label for v in labels] == [applied.rule_set]


def test_tiers_recompute_since_a_date_takes_only_what_changed_after_it(ctx, runner, applied):
    recent = create_entity(ctx)["identifier"]
    older = create_entity(ctx)["identifier"]
    file_penalty(ctx, recent, CF_JDRQ="2026-03-15")  # publicity ends 2027-03-15
    file_penalty(ctx, older, CF_JDRQ="2026-03-10")  # publicity ends 2027-03-10
    assert (tier_of(ctx, recent), tier_of(ctx, older)) == ("C", "C")
    ctx.clock.set(local_noon(date(2027, 3, 16)))

    since = invoke_ok(runner, "tiers", "recompute", "--since", "2027-03-15")

    assert since.stdout == f"1 tiers changed as of 2027-03-16 ({applied.rule_set})\n"
    assert (tier_of(ctx, recent), tier_of(ctx, older)) == ("B", "C")
    (event,) = [e for e in audited(ctx, "tiers.recompute") if e.actor == CLI_ACTOR]
    assert (event.details["considered"], event.details["changed"]) == (1, 1)

    everything = invoke_ok(runner, "tiers", "recompute")

    assert everything.stdout == f"1 tiers changed as of 2027-03-16 ({applied.rule_set})\n"
    assert (tier_of(ctx, recent), tier_of(ctx, older)) == ("B", "B")


def test_tiers_recompute_needs_a_date_and_an_applied_rule_set(ctx, runner):
    bad_date = runner.invoke(args=["tiers", "recompute", "--since", "2027-13-01"])
    assert bad_date.exit_code == 2 and "--since" in bad_date.stderr

    unapplied = runner.invoke(args=["tiers", "recompute"])
    assert unapplied.exit_code == 1
    assert "no-tier-rules" in unapplied.stderr
