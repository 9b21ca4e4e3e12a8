"""The procedure engine itself (SQLite and PostgreSQL), on a toy procedure kept on a row
it does not own (a repair application's table), so that only the engine is under test:
the checks that refuse a step (unknown, out of order, stale, a role that may not, a
consequence taken by hand, a date out of place) write nothing; a step taken moves the
state, bumps the version, keeps its step row and its audit row, and shows in the history.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from credit_service.access import Actor
from credit_service.audit.models import AuditEvent
from credit_service.errors import Conflict, Forbidden, InvalidInput, NotFound
from credit_service.procedures import engine
from credit_service.procedures.definition import Move, Procedure, Step
from credit_service.procedures.models import ProcedureStep
from credit_service.repair.models import RepairApplication
from tests.factories import CITY, LANGXI, XUANZHOU, create_entity

D = date.fromisoformat
TODAY = D("2026-11-25")  # the fixtures' clock
OFFICER = Actor(role="regulator", username="r-xuanzhou", region_code=XUANZHOU, city_code=CITY)
ELSEWHERE = Actor(role="regulator", username="r-langxi", region_code=LANGXI, city_code=CITY)


def _decide(move: Move) -> None:
    move.row.decided_on = move.on
    move.details["verdict"] = "granted" if move.reason else "silent"


def _pause(move: Move) -> None:
    move.row.paused_phase = "decision" if move.row.decided_on else "acceptance"


def _lapse(move: Move) -> None:
    move.row.revoked_on = move.on


TOY = Procedure(
    name="toy",
    audit_prefix="toy",
    object_type="toy_row",
    model=RepairApplication,
    acts=lambda ctx, row: {"submission": row.submitted_on, "decision": row.decided_on},
    not_found="toy-not-found",
    steps={
        "decide": Step(frozenset({"submitted"}), "accepted", _decide, audited=("verdict",)),
        "pause": Step(frozenset({"submitted", "accepted"}), "supplement_requested", _pause),
        # the state it leads to is read from the row as the step finds it
        "resume": Step(
            frozenset({"supplement_requested"}),
            lambda row: "accepted" if row.paused_phase == "decision" else "submitted",
            lambda move: setattr(move.row, "paused_phase", None),
        ),
        "close": Step(frozenset({"accepted"}), "refused", roles=frozenset({"admin"})),
        "lapse": Step(
            frozenset({"accepted"}), "revoked", _lapse, by_hand=False, by_consequence=True
        ),
    },
)


@pytest.fixture
def row_id(ctx) -> int:
    owner = create_entity(ctx)
    now = ctx.now()
    with ctx.session_factory.begin() as session:
        row = RepairApplication(
            target_type="record",
            target_id=1,
            entity_id=owner["id"],
            region_code=owner["region_code"],
            state="submitted",
            reason="申请",
            measures_taken="整改",
            commitment_version="2026-1",
            commitment_text="信用承诺",
            committed_at=now,
            contact="李四",
            applicant="ent",
            submitted_on=TODAY - timedelta(days=7),
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        session.flush()
        return row.id


def take(ctx, row_id: int, step: str, actor: Actor = OFFICER, **kwargs) -> RepairApplication:
    """The step in a transaction of its own; the row as it then stands."""
    return engine.advance(ctx, actor, TOY, row_id, step, lambda session, ctx, row: row, **kwargs)


def stored(ctx, row_id: int) -> tuple[str, int, list[str]]:
    """The row's state and version and the steps kept for it."""
    with ctx.session_factory() as session:
        row = session.get(RepairApplication, row_id)
        steps = session.execute(
            select(ProcedureStep.step).where(
                ProcedureStep.procedure == "toy", ProcedureStep.subject_id == row_id
            )
        ).scalars()
        return row.state, row.version, list(steps)


def test_a_step_moves_the_state_and_keeps_its_step_audit_row_and_history_view(ctx, row_id):
    on = TODAY - timedelta(days=2)
    row = take(ctx, row_id, "decide", on=on, reason="准予")

    assert (row.state, row.version, row.decided_on) == ("accepted", 2, on)
    assert row.updated_at == ctx.now()
    with ctx.session_factory() as session:
        (step,) = session.execute(
            select(ProcedureStep).where(ProcedureStep.subject_id == row_id)
        ).scalars()
        (event,) = session.execute(
            select(AuditEvent).where(AuditEvent.action == "toy.decide")
        ).scalars()
        history = engine.history(session, TOY, row_id)
        shown = engine.standing(session, TOY, session.get(RepairApplication, row_id))
    assert (step.procedure, step.step, step.state_after, step.actor) == (
        "toy",
        "decide",
        "accepted",
        "r-xuanzhou",
    )
    assert (step.effective_on, step.reason, step.details) == (on, "准予", {"verdict": "granted"})
    assert (event.object_type, event.object_id, event.actor) == (
        "toy_row",
        str(row_id),
        "r-xuanzhou",
    )
    assert event.details == {"state": "accepted", "on": on.isoformat(), "verdict": "granted"}
    assert history == [
        {
            "step": "decide",
            "state_after": "accepted",
            "actor": "r-xuanzhou",
            "at": ctx.now(),
            "effective_on": on,
            "reason": "准予",
            "details": {"verdict": "granted"},
        }
    ]
    assert shown == {
        "state": "accepted",
        "allowed_steps": ["pause", "close"],
        "version": 2,
        "steps": history,
    }


def test_an_unknown_or_out_of_order_step_is_refused_naming_the_steps_allowed(ctx, row_id):
    for step in ("approve", "resume", "close"):
        with pytest.raises(Conflict) as refused:
            take(ctx, row_id, step)
        assert refused.value.code == "step-out-of-order"
        assert refused.value.extensions == {
            "step": step,
            "state": "submitted",
            "version": 1,
            "allowed_steps": ["decide", "pause"],
        }
    assert stored(ctx, row_id) == ("submitted", 1, [])


def test_a_stale_version_is_refused_and_the_current_one_is_taken(ctx, row_id):
    with pytest.raises(Conflict) as stale:
        take(ctx, row_id, "decide", expected_version=0)
    assert (stale.value.extensions["state"], stale.value.extensions["version"]) == ("submitted", 1)
    assert stored(ctx, row_id) == ("submitted", 1, [])
    assert take(ctx, row_id, "decide", expected_version=1).version == 2


def test_a_role_that_may_not_take_the_step_is_forbidden(ctx, row_id):
    take(ctx, row_id, "decide")
    with pytest.raises(Forbidden) as forbidden:
        take(ctx, row_id, "close")
    assert forbidden.value.code == "step-role"
    assert stored(ctx, row_id) == ("accepted", 2, ["decide"])
    admin = Actor(role="admin", username="admin", city_code=CITY)
    assert take(ctx, row_id, "close", actor=admin).state == "refused"


def test_a_step_only_another_act_causes_is_never_taken_by_hand(ctx, row_id):
    decided = TODAY - timedelta(days=2)
    take(ctx, row_id, "decide", on=decided)
    with pytest.raises(Conflict) as refused:
        take(ctx, row_id, "lapse")
    assert refused.value.extensions["allowed_steps"] == ["pause", "close"]  # not lapse
    assert stored(ctx, row_id) == ("accepted", 2, ["decide"])

    # caused by an act dated before the decision: dated no earlier than the decision
    lapsed = take(ctx, row_id, "lapse", on=decided - timedelta(days=5), consequence=True)
    assert (lapsed.state, lapsed.revoked_on) == ("revoked", decided)


def test_a_step_by_hand_lies_between_the_latest_act_and_today(ctx, row_id):
    decided = TODAY - timedelta(days=2)
    take(ctx, row_id, "decide", on=decided)
    for on in (decided - timedelta(days=1), TODAY + timedelta(days=1)):
        with pytest.raises(InvalidInput) as refused:
            take(ctx, row_id, "pause", on=on)
        assert list(refused.value.errors) == ["on"]
    assert stored(ctx, row_id) == ("accepted", 2, ["decide"])
    assert take(ctx, row_id, "pause", on=decided).state == "supplement_requested"


def test_the_state_a_step_leads_to_may_depend_on_the_row_as_the_step_finds_it(ctx, row_id):
    take(ctx, row_id, "pause")
    assert take(ctx, row_id, "resume").state == "submitted"  # paused before a decision
    take(ctx, row_id, "decide")
    take(ctx, row_id, "pause")
    resumed = take(ctx, row_id, "resume")
    assert (resumed.state, resumed.paused_phase) == ("accepted", None)
    assert stored(ctx, row_id)[2] == ["pause", "resume", "decide", "pause", "resume"]


def test_the_row_is_locked_only_for_an_actor_of_its_region(ctx, row_id):
    with pytest.raises(NotFound) as missing:
        take(ctx, row_id + 1000, "decide")
    assert missing.value.code == "toy-not-found"
    with pytest.raises(Forbidden) as outside:
        take(ctx, row_id, "decide", actor=ELSEWHERE)
    assert outside.value.code == "region-scope"
    assert stored(ctx, row_id) == ("submitted", 1, [])


def _forgets_its_notice(move: Move) -> None:
    move.row.decided_on = move.on


FORGETFUL = Procedure(
    name="toy",
    audit_prefix="toy",
    object_type="toy_row",
    model=RepairApplication,
    acts=TOY.acts,
    steps={
        "notify": Step(
            frozenset({"submitted"}), "accepted", _forgets_its_notice, issues=("notice",)
        ),
        "sign": Step(frozenset({"submitted"}), "accepted", paper_required="signature-missing"),
    },
)


def test_a_step_that_does_not_issue_the_documents_it_declares_is_not_kept(ctx, row_id):
    """The definition's list of documents is held: an effect that forgets one fails the
    step (a programming error, answered 500) and nothing of it stays."""
    with pytest.raises(RuntimeError, match="notify issued"):
        engine.advance(ctx, OFFICER, FORGETFUL, row_id, "notify", lambda s, c, row: row)
    assert stored(ctx, row_id) == ("submitted", 1, [])


def test_a_step_that_rests_on_a_paper_is_refused_without_one_and_keeps_the_papers(ctx, row_id):
    with pytest.raises(InvalidInput) as refused:
        engine.advance(ctx, OFFICER, FORGETFUL, row_id, "sign", lambda s, c, row: row)
    assert refused.value.code == "signature-missing"
    assert refused.value.errors == {"documents": ["signature-missing"]}
    assert stored(ctx, row_id) == ("submitted", 1, [])
    paper = {"title": "当事人签字的确认书", "reference": "收文2026-1", "received_on": TODAY}
    engine.advance(ctx, OFFICER, FORGETFUL, row_id, "sign", lambda s, c, row: row, papers=[paper])
    with ctx.session_factory() as session:
        (kept,) = engine.history(session, FORGETFUL, row_id)
    assert kept["details"]["documents"] == [{**paper, "received_on": TODAY.isoformat()}]
