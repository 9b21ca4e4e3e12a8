"""Credit reports (D21) on the service layer: the signature and a changed byte, key
rotation, masking of natural persons, and what the holder's code shows has changed
after a new record, an objection and a removal."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from credit_service.access import PUBLIC, Actor
from credit_service.audit import services as audit
from credit_service.errors import Forbidden, InvalidInput
from credit_service.reports import services as reports
from credit_service.signing_keys import new_seed
from tests.factories import CITY, LANGXI, create_entity, create_person, file_penalty
from tests.integration.test_objections import file, step
from tests.integration.test_repair import CITY_REGULATOR, enterprise_of, listed

CHECKER = Actor(role="checker", username="checker-dept")
LANGXI_VIEWER = Actor(role="viewer", username="v-langxi", region_code=LANGXI, city_code=CITY)


def issue(ctx, actor, **kwargs):  # type: ignore[no-untyped-def]
    view, created = reports.issue_report(ctx, actor, **kwargs)
    assert created
    return view


def verify(ctx, view, code: str | None = None):  # type: ignore[no-untyped-def]
    return reports.verify(ctx, PUBLIC, view["number"], code)


def tamper(ctx, number: str, old: str, new: str) -> None:
    with ctx.session_factory.begin() as session:
        session.execute(
            text(
                "UPDATE credit_reports SET content = replace(content, :old, :new) WHERE number = :n"
            ),
            {"old": old, "new": new, "n": number},
        )


def test_a_report_verifies_and_one_changed_byte_does_not(ctx):  # type: ignore[no-untyped-def]
    owner = create_entity(ctx)
    file_penalty(ctx, owner["identifier"])
    view = issue(ctx, enterprise_of(ctx, owner))
    result = verify(ctx, view)
    assert result["authentic"] and result["changes"] is None  # no code: no comparison
    assert result["requester"]["kind"] == "subject"
    assert result["requester"]["name"].startswith("en") and "*" in result["requester"]["name"]
    tamper(ctx, view["number"], '"as_of":"2026-11-25"', '"as_of":"2026-11-26"')
    assert verify(ctx, view)["authentic"] is False
    with ctx.session_factory() as session:
        events = audit.query_events(session, action="credit_report.verify")
    assert [e.details["authentic"] for e in events][-2:] == [True, False]


def test_an_old_report_verifies_after_key_rotation(ctx):  # type: ignore[no-untyped-def]
    first, second = new_seed(), new_seed()
    ctx.settings = ctx.settings.replace(audit_signing_key=first)
    owner = create_entity(ctx)
    enterprise = enterprise_of(ctx, owner)
    old = issue(ctx, enterprise)
    ctx.settings = ctx.settings.replace(audit_signing_key=second, audit_retired_keys=first)
    new = issue(ctx, enterprise)
    assert old["key_id"] != new["key_id"]
    assert verify(ctx, old)["authentic"] and verify(ctx, new)["authentic"]
    assert verify(ctx, old, old["holder_code"])["unchanged"] is True
    ctx.settings = ctx.settings.replace(audit_signing_key=second, audit_retired_keys=None)
    assert verify(ctx, old)["authentic"] is False  # its key is no longer published


def test_a_natural_person_is_masked_unless_the_subject_asks(ctx):  # type: ignore[no-untyped-def]
    person = create_person(ctx, name="欧阳明华")
    view = issue(ctx, CITY_REGULATOR, identifier=person["identifier"], purpose="awards")
    entity = view["content"]["entity"]
    assert entity["name"] == "欧阳**" and "*" in entity["identifier"]
    assert person["identifier"] not in str(view)
    assert verify(ctx, view)["authentic"]


def test_who_may_ask_and_for_what(ctx):  # type: ignore[no-untyped-def]
    owner = create_entity(ctx)  # in Xuanzhou
    with pytest.raises(InvalidInput) as missing:
        reports.issue_report(ctx, CHECKER, identifier=owner["identifier"])
    assert missing.value.code == "report-purpose-required"
    with pytest.raises(InvalidInput):
        reports.issue_report(ctx, CHECKER, identifier=owner["identifier"], purpose="lunch")
    with pytest.raises(Forbidden):
        reports.issue_report(ctx, LANGXI_VIEWER, identifier=owner["identifier"], purpose="awards")
    with pytest.raises(Forbidden):
        reports.issue_report(
            ctx, Actor(role="auditor", username="a"), identifier=owner["identifier"]
        )
    view = issue(ctx, CHECKER, identifier=owner["identifier"], purpose="awards")
    assert view["holder_code"]
    with ctx.session_factory() as session:
        events = audit.query_events(session, action="credit_report.issue")
    assert events[-1].object_id == view["number"] and events[-1].details["purpose"] == "awards"


def test_the_same_idempotency_key_returns_the_same_report(ctx):  # type: ignore[no-untyped-def]
    owner = create_entity(ctx)
    enterprise = enterprise_of(ctx, owner)
    first, created = reports.issue_report(ctx, enterprise, idempotency_key="k-1")
    again, created_again = reports.issue_report(ctx, enterprise, idempotency_key="k-1")
    assert created and not created_again and again["number"] == first["number"]


def test_the_code_shows_a_new_record(ctx, clock):  # type: ignore[no-untyped-def]
    owner = create_entity(ctx)
    view = issue(ctx, enterprise_of(ctx, owner))
    code = view["holder_code"]
    assert verify(ctx, view, "WRONG123")["code_accepted"] is False
    assert verify(ctx, view, "WRONG123")["changes"] is None
    assert verify(ctx, view, code.lower())["unchanged"] is True
    clock.advance(days=1)
    record = file_penalty(ctx, owner["identifier"])
    result = verify(ctx, view, code)
    assert result["authentic"] and result["unchanged"] is False
    assert result["changes"] == [
        {"kind": "record_added", "ref": record["source_ref"], "name": result["changes"][0]["name"]}
    ]


def test_the_code_shows_an_objection_and_a_removal(ctx, clock):  # type: ignore[no-untyped-def]
    owner, record, case = listed(ctx)
    enterprise = enterprise_of(ctx, owner)
    view = issue(ctx, enterprise)
    listing = view["content"]["listings"][0]
    assert listing["status"] == "in_force" and listing["decision_no"]
    objection = file(ctx, enterprise, f"listing:{case['id']}")
    kinds = [c["kind"] for c in verify(ctx, view, view["holder_code"])["changes"]]
    assert kinds == ["objection_opened"]
    step(ctx, objection["id"], "accept")
    marked = issue(ctx, enterprise)
    assert marked["content"]["listings"][0]["objection_pending"] is True
    assert marked["content"]["objections"][0]["marking"] is True
    step(ctx, objection["id"], "uphold", reason="列入所依据的事实认定错误")
    kinds = [c["kind"] for c in verify(ctx, view, view["holder_code"])["changes"]]
    assert kinds == ["listing_removed", "objection_opened", "objection_decided"]
    removed = issue(ctx, enterprise)["content"]["listings"][0]
    assert removed["status"] == "removed" and removed["removal_reason"] == "objection_upheld"
