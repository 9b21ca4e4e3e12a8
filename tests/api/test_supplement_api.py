"""The day materials are due (补正期限) through HTTP, on both databases: a reviewer names
it with ``due_on`` or gets the rules' default; a day that is not a working day after
today is 422 problem+json naming ``due_on`` with the code and its values, in Chinese or
English; the views of the reviewer and of the party carry ``supplement_due_on`` and
``supplement_overdue``; a closing step before the day has passed is 409."""

from __future__ import annotations

import pytest

from credit_service.web.error_text import field_error
from tests.api.test_repair_api import BASE, D, on, step, submitted
from tests.api.test_repair_api import penalised as penalised  # noqa: F401  (fixture)
from tests.api.test_sessions import assert_problem
from tests.factories import create_entity, file_penalty


def objection_step(client, headers: dict, objection_id: int, name: str, **data):  # type: ignore[no-untyped-def]
    return client.post(
        f"/api/v1/objections/{objection_id}/steps/{name}", json=data, headers=headers
    )


@pytest.mark.parametrize(
    ("due_on", "code"),
    [
        ("2026-09-28", "supplement-day-not-after-today"),
        ("2026-10-05", "supplement-day-not-workday"),  # National Day
    ],
)
def test_a_day_that_is_no_working_day_after_today_is_422_naming_due_on(
    client, clock, auth, penalised, due_on, code
):
    _, record, enterprise = penalised
    on(clock, D("2026-09-29"))
    app = submitted(client, enterprise, f"record:{record['id']}")
    regulator = auth("regulator")
    for language in ("zh", "en"):
        response = step(
            client,
            {**regulator, "Accept-Language": language},
            app["id"],
            "request_supplement",
            reason="请补充缴款凭证",
            due_on=due_on,
        )
        problem = assert_problem(response, 422, code)
        assert (problem["day"], problem["today"]) == (due_on, "2026-09-29")
        entry = {"code": code, "day": due_on, "today": "2026-09-29"}
        assert problem["errors"] == {"due_on": [field_error(entry, language)]}
        assert due_on in problem["errors"]["due_on"][0]
    shown = client.get(f"{BASE}/{app['id']}", headers=regulator).get_json()
    assert (shown["state"], shown["supplement_due_on"]) == ("submitted", None)


def test_the_day_is_in_both_views_and_a_closing_step_waits_for_it(client, clock, auth, penalised):
    _, record, enterprise = penalised
    on(clock, D("2026-09-29"))
    app = submitted(client, enterprise, f"record:{record['id']}")
    regulator = auth("regulator")
    malformed = step(client, regulator, app["id"], "request_supplement", reason="x2", due_on="soon")
    assert "due_on" in assert_problem(malformed, 422)["errors"]
    named = step(
        client,
        regulator,
        app["id"],
        "request_supplement",
        reason="请补充缴款凭证",
        due_on="2026-10-10",
    )
    assert named.status_code == 200, named.get_json()
    assert (named.get_json()["supplement_due_on"], named.get_json()["supplement_overdue"]) == (
        "2026-10-10",
        False,
    )
    own = client.get(f"{BASE}/{app['id']}", headers=enterprise).get_json()
    assert own["supplement_due_on"] == "2026-10-10"

    too_early = step(client, regulator, app["id"], "not_accept", reason="逾期未补正")
    problem = assert_problem(too_early, 409, "supplement-not-lapsed")
    assert (problem["due_on"], problem["closable_from"]) == ("2026-10-10", "2026-10-11")

    on(clock, D("2026-10-12"))
    late = client.get(BASE, headers=regulator).get_json()
    [queued] = [a for a in late if a["id"] == app["id"]]
    assert queued["supplement_overdue"] is True and "not_accept" in queued["allowed_steps"]
    closed = step(client, regulator, app["id"], "not_accept", reason="逾期未补正")
    assert closed.status_code == 200 and closed.get_json()["state"] == "not_accepted"


def test_only_the_request_takes_a_day(client, auth, penalised):
    _, record, enterprise = penalised
    app = submitted(client, enterprise, f"record:{record['id']}")
    response = step(client, auth("regulator"), app["id"], "accept", due_on="2026-12-01")
    problem = assert_problem(response, 422, "supplement-day-not-for-step")
    assert list(problem["errors"]) == ["due_on"]


def test_an_objection_takes_a_day_too_and_the_party_reads_it(ctx, client, clock, auth):
    owner = create_entity(ctx)
    record = file_penalty(ctx, owner["identifier"])
    enterprise = auth("enterprise", uscc=owner["identifier"])
    filed = client.post(
        "/api/v1/objections",
        json={
            "target": f"record:{record['id']}",
            "reasons": "该处罚决定书文号登记有误，与原决定书不一致",
            "contact": "王五 13900000001",
        },
        headers=enterprise,
    )
    assert filed.status_code == 201, filed.get_json()
    objection = filed.get_json()
    regulator = auth("regulator")
    sunday = objection_step(
        client,
        regulator,
        objection["id"],
        "request_supplement",
        reason="请补充",
        due_on="2026-11-29",
    )
    assert_problem(sunday, 422, "supplement-day-not-workday")
    default = objection_step(
        client, regulator, objection["id"], "request_supplement", reason="请补充原处罚决定书"
    )
    assert default.status_code == 200, default.get_json()
    assert default.get_json()["supplement_due_on"] == "2026-12-09"  # 10 working days
    own = client.get(f"/api/v1/objections/{objection['id']}", headers=enterprise).get_json()
    assert own["supplement_due_on"] == "2026-12-09" and own["supplement_overdue"] is False
    lapse = objection_step(
        client,
        regulator,
        objection["id"],
        "refuse",
        reason="逾期未补正",
        refusal_reason="supplement_overdue",
    )
    assert_problem(lapse, 409, "supplement-not-lapsed")
