"""Objections through the exchange (D19, D11), against the simulated platform over real
HTTP, on both databases: the platform forwards an objection (twice: filed once), the city
answers it through the objection procedure, the push tells the platform by its own
reference, the platform checks the answers' deadlines in working days, a forward naming
something the city does not publish is quarantined with its code, and reconciliation
counts the forwarded objections."""

from __future__ import annotations

import json
from datetime import date

from credit_service.errors import read_stored
from credit_service.objections import services as objections
from credit_service.simulator.objections import ForwardedObjections
from credit_service.sync import push
from credit_service.sync import services as sync_services
from credit_service.sync.client import (
    CHANGES_PATH,
    EVENTS_PATH,
    RECONCILIATION_PATH,
    PlatformClient,
)
from tests.factories import create_entity, file_penalty
from tests.integration.test_repair import CITY_REGULATOR, listed, on
from tests.sync.test_protocol_spec import Recorder, check, schema
from tests.sync.test_pull import pull_all, quarantined

D = date.fromisoformat


def forward(record: dict, ref: str, **extra) -> dict:
    """The platform's forward of an objection to one field of a record of this city."""
    return {
        "platform_ref": ref,
        "target_type": "record",
        "source_authority": record["source_authority"],
        "source_ref": record["source_ref"],
        "field": "CF_NR",
        "value_claimed": "罚款人民币三万元",
        "reasons": "处罚决定书载明罚款三万元，公示为五万元",
        "contact": "李四 13900000002",
        "received_on": "2026-11-25",
        **extra,
    }


def forwarded(ctx, ref: str) -> list[dict]:
    found = objections.list_objections(ctx, CITY_REGULATOR, state=None)
    return [o for o in found if o["platform_ref"] == ref]


def step(ctx, objection_id: int, name: str, **kwargs) -> dict:
    kwargs.setdefault("reason", "经核查，原决定书载明罚款三万元")
    return objections.take_step(ctx, CITY_REGULATOR, objection_id, name, **kwargs)


def answered(control, ref: str, today: date | None = None) -> dict:
    [report] = [o for o in control.objections(today) if o["platform_ref"] == ref]
    return report


def test_a_forwarded_objection_is_filed_once_and_its_answers_reach_the_platform(
    live_ctx, simulator
):
    platform, control, client = simulator
    owner = create_entity(live_ctx)
    record = file_penalty(live_ctx, owner["identifier"])
    control.forward_objections([forward(record, "WANX-YY-1"), forward(record, "WANX-YY-1")])

    outcomes = pull_all(live_ctx, platform, client)
    assert outcomes["objection_filed"] == 1 and outcomes["objection_repeated"] == 1
    [objection] = forwarded(live_ctx, "WANX-YY-1")
    assert objection["channel"] == "platform" and objection["field"] == "CF_NR"
    assert objection["target"] == f"record:{record['id']}"
    assert objection["value_shown"] == "罚款人民币五万元"

    step(live_ctx, objection["id"], "accept")
    on(live_ctx.clock, D("2026-11-27"))
    upheld = step(live_ctx, objection["id"], "uphold")
    assert upheld["state"] == "upheld"
    push.push_pending(live_ctx, platform, client)

    report = answered(control, "WANX-YY-1")
    kinds = [a["event_type"] for a in report["answers"]]
    assert kinds == ["objection.marked", "objection.cleared", "objection.decided"]
    decided = report["answers"][-1]
    assert decided["platform"] == "anhui" and decided["platform_ref"] == "WANX-YY-1"
    assert decided["outcome"] == "upheld" and decided["action"] == "correct"
    assert decided["decided_on"] == "2026-11-27" and decided["accepted_on"] == "2026-11-25"
    assert report["outcome"] == "upheld" and report["late"] == []
    assert report["acceptance_due"] == "2026-11-30" and report["decision_due"] == "2026-12-04"


def test_late_answers_are_reported_by_the_platform(live_ctx, simulator):
    platform, control, client = simulator
    owner = create_entity(live_ctx)
    late = file_penalty(live_ctx, owner["identifier"])
    refused = file_penalty(live_ctx, owner["identifier"])
    waiting = file_penalty(live_ctx, owner["identifier"])
    control.forward_objections(
        [forward(late, "LATE-1"), forward(refused, "REFUSED-1"), forward(waiting, "WAIT-1")]
    )
    pull_all(live_ctx, platform, client)
    [late_one] = forwarded(live_ctx, "LATE-1")
    [refused_one] = forwarded(live_ctx, "REFUSED-1")

    # refused in time (received Wed 11-25: due Mon 11-30)
    on(live_ctx.clock, D("2026-11-30"))
    step(
        live_ctx,
        refused_one["id"],
        "refuse",
        reason="异议人并非该信息所涉主体",
        details={"refusal_reason": "not_subject"},
    )
    # accepted late (12-01), then decided late: 7 working days after 12-01 is 12-10
    on(live_ctx.clock, D("2026-12-01"))
    step(live_ctx, late_one["id"], "accept")
    on(live_ctx.clock, D("2026-12-11"))
    step(live_ctx, late_one["id"], "not_uphold", reason="原公示内容无误")
    push.push_pending(live_ctx, platform, client)

    refusal = answered(control, "REFUSED-1")
    assert refusal["outcome"] == "refused" and refusal["late"] == []
    assert refusal["answers"][-1]["refusal_reason"] == "not_subject"
    late_report = answered(control, "LATE-1")
    assert late_report["late"] == ["acceptance", "decision"]
    assert late_report["decision_due"] == "2026-12-10"
    # unanswered: in time until its due day, late after it
    assert answered(control, "WAIT-1", D("2026-11-30"))["late"] == []
    assert answered(control, "WAIT-1", D("2026-12-01"))["late"] == ["acceptance"]


def platform_hearing(*events: tuple[str, dict]) -> ForwardedObjections:
    """The simulator's objections (the service's calendar, as it runs), having forwarded
    P-1 received on 2026-09-30 and heard these answers."""
    platform = ForwardedObjections()
    platform.forward({"platform_ref": "P-1", "received_on": "2026-09-30"}, D("2026-09-30"))
    for event_type, payload in events:
        platform.hear({"event_type": event_type, "payload": {"platform_ref": "P-1", **payload}})
    return platform


def test_the_platform_counts_working_days_and_an_extension():
    """Received on the eve of National Day 2026 (Oct 1–7 off, Saturday Oct 10 worked):
    acceptance due on Oct 10; a decision has 7 working days (Oct 19), 14 when extended
    (Oct 28, the due day itself in time)."""
    assert platform_hearing().report()[0]["acceptance_due"] == "2026-10-10"
    marked = ("objection.marked", {"on": "2026-10-09"})
    assert platform_hearing(marked).report()[0]["decision_due"] == "2026-10-19"
    decided = {"outcome": "upheld", "decided_on": "2026-10-28", "accepted_on": "2026-10-09"}
    extended = platform_hearing(
        marked, ("objection.decided", {**decided, "extended_on": "2026-10-12"})
    )
    [report] = extended.report()
    assert report["late"] == [] and report["decision_due"] == "2026-10-28"
    assert extended.counts() == {"forwarded": 1, "answered": 1}
    not_extended = platform_hearing(marked, ("objection.decided", decided))
    assert not_extended.report()[0]["late"] == ["decision"]
    extended.hear({"event_type": "objection.decided", "payload": {"platform_ref": "nobody"}})
    assert extended.counts() == {"forwarded": 1, "answered": 1}


def test_a_forward_the_city_cannot_file_is_quarantined_with_its_code(live_ctx, simulator):
    platform, control, client = simulator
    owner = create_entity(live_ctx)
    record = file_penalty(live_ctx, owner["identifier"])
    control.forward_objections(
        [
            forward(record, "UNKNOWN-1", source_ref="皖市监罚〔2026〕404号"),
            forward(record, "UNKNOWN-2", target_type="listing", case_id=987654),
            forward(record, "BAD-1", reasons=""),
            forward(record, "FIELD-1", field="CF_NO_SUCH_FIELD"),
        ]
    )
    outcomes = pull_all(live_ctx, platform, client)
    assert outcomes["quarantined"] == 4
    reasons = {q.row["platform_ref"]: read_stored(q.reason) for q in quarantined(live_ctx)}
    assert reasons["UNKNOWN-1"]["code"] == "objection-target-unknown"
    assert reasons["UNKNOWN-2"] == {
        "code": "objection-target-unknown",
        "target": "listing:987654",
    }
    assert reasons["BAD-1"]["code"] == "objection-forward-invalid"
    assert reasons["BAD-1"]["errors"] == {"reasons": ["forward-value-invalid"]}
    assert reasons["FIELD-1"]["code"] == "objection-field-unknown"
    assert objections.list_objections(live_ctx, CITY_REGULATOR, state=None) == []
    # the cursor moved past them: pulling again files and quarantines nothing more
    assert sync_services.pull_changes(live_ctx, platform, client) == {}
    assert len(quarantined(live_ctx)) == 4


def test_reconciliation_counts_the_forwarded_objections(live_ctx, simulator):
    platform, control, client = simulator
    owner, record, case = listed(live_ctx)
    control.forward_objections(
        [
            forward(record, "REC-1"),
            {
                **forward(record, "LIST-1", target_type="listing", case_id=case["id"]),
                "field": "grounds",
            },
        ]
    )
    pull_all(live_ctx, platform, client)
    [record_one] = forwarded(live_ctx, "REC-1")
    [listing_one] = forwarded(live_ctx, "LIST-1")
    assert listing_one["target"] == f"listing:{case['id']}"
    step(live_ctx, record_one["id"], "accept")
    step(live_ctx, record_one["id"], "not_uphold", reason="原公示内容无误")
    push.push_pending(live_ctx, platform, client)

    report = sync_services.reconcile(live_ctx, platform, client, live_ctx.today(), CITY_REGULATOR)
    assert report["objections"] == {
        "received": 2,
        "answered": 1,
        "outstanding": 1,
        "remote": {"forwarded": 2, "answered": 1},
        "matches": True,
    }
    assert report["matches"] is True


def test_a_forward_the_city_has_not_pulled_shows_as_a_difference(live_ctx, simulator):
    platform, control, client = simulator
    owner = create_entity(live_ctx)
    record = file_penalty(live_ctx, owner["identifier"])
    control.forward_objections([forward(record, "NOT-YET-1")])
    report = sync_services.reconcile(live_ctx, platform, client, live_ctx.today(), CITY_REGULATOR)
    assert report["objections"]["received"] == 0
    assert report["objections"]["remote"] == {"forwarded": 1, "answered": 0}
    assert report["objections"]["matches"] is False


def test_the_objection_exchanges_conform_to_the_document(live_ctx, simulator):
    """Forwards pulled, answers pushed and the reconciliation's counts, as documented in
    docs/sync-openapi.yaml (each objection event's payload as ObjectionPayload)."""
    platform, control, _ = simulator
    recorder = Recorder()
    client = PlatformClient(platform, recorder.session())
    owner = create_entity(live_ctx)
    refused, decided = (file_penalty(live_ctx, owner["identifier"]) for _ in range(2))
    control.forward_objections([forward(refused, "SPEC-1"), forward(decided, "SPEC-2")])
    pull_all(live_ctx, platform, client)
    [first], [second] = forwarded(live_ctx, "SPEC-1"), forwarded(live_ctx, "SPEC-2")
    step(live_ctx, first["id"], "refuse", details={"refusal_reason": "repeat"})
    step(live_ctx, second["id"], "accept")
    step(live_ctx, second["id"], "extend", reason="需原处罚机关核实")
    step(live_ctx, second["id"], "partly_uphold", details={"action": "none"})
    push.push_pending(live_ctx, platform, client)
    sync_services.reconcile(live_ctx, platform, client, live_ctx.today(), CITY_REGULATOR)

    seen = {check(response) for response in recorder.exchanges}
    assert seen == {(EVENTS_PATH, 200), (CHANGES_PATH, 200), (RECONCILIATION_PATH, 200)}
    payload_schema = schema({"$ref": "#/components/schemas/ObjectionPayload"})
    pushed = [
        event
        for response in recorder.exchanges
        if response.request.method == "POST"
        for event in json.loads(response.request.body)["events"]
        if event["aggregate_type"] == "objection"
    ]
    assert sorted(e["event_type"] for e in pushed) == [
        "objection.cleared",
        "objection.decided",
        "objection.decided",
        "objection.marked",
    ]
    for event in pushed:
        errors = [e.message for e in payload_schema.iter_errors(event["payload"])]
        assert not errors, (event["event_type"], errors)
    assert {e["payload"]["platform_ref"] for e in pushed} == {"SPEC-1", "SPEC-2"}
