"""The dates of procedural steps lie where the procedure allows (issue 14): not after
today, not before the act they follow. The review's probes were a revocation dated
9999-12-31 and a removal dated 0001-01-01, both accepted and published in the change feed.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from credit_service.access import SYSTEM
from credit_service.clock import local_noon
from credit_service.dishonesty import public_changes
from credit_service.dishonesty import services as dishonesty
from credit_service.errors import InvalidInput
from credit_service.records import services as record_services
from credit_service.web.error_text import field_error
from tests.factories import LISTING_REGULATOR, XUANZHOU, create_entity, file_penalty, listed_on

TODAY = date(2026, 11, 25)  # the fixtures' clock
PUBLISHED = date(2026, 11, 20)
DECIDED = PUBLISHED - timedelta(days=5)  # the penalty (tests.factories.listed_on)
# Dates outside every act's range are refused by the API's generic date field first.
TOO_EARLY = "must not be before 1949-10-01"  # the API's date fields (web/api/common.py)
TOO_LATE = "must not be after 2126-11-25"
FUTURE = "step-date-in-future"  # the step's own rule (credit_service/step_dates.py)


def before(day: date) -> dict[str, str]:
    return {"code": "date-before", "day": day.isoformat()}


HEAVIER = ["罚款", "责令停产停业"]
REVOKED = "复议决定撤销原处罚"


def feed(ctx, case_id: int) -> list[tuple[str, date]]:  # type: ignore[no-untyped-def]
    return [
        (c["kind"], c["effective_on"])
        for c in public_changes.changes(ctx)["items"]
        if c["entry_id"] == case_id
    ]


def assert_refused(response, message: str | dict) -> None:  # type: ignore[no-untyped-def]
    body = response.get_json()
    assert response.status_code == 422, body
    assert response.mimetype == "application/problem+json"
    words = field_error(message, "en")  # the tests ask in English
    assert words != field_error("no-such-code", "en")  # the reason's own words
    assert body["errors"] == {"on": [words]}, body


def listing(ctx) -> tuple[dict, int]:  # type: ignore[no-untyped-def]
    """A listing published on PUBLISHED (its penalty decided on DECIDED), and its record."""
    _, case = listed_on(ctx, "宣城日期测试有限公司", XUANZHOU, PUBLISHED)
    return case, case["record_ids"][0]


def proposed(ctx, **penalty: str) -> tuple[dict, dict]:  # type: ignore[no-untyped-def]
    """A case proposed today (by the clock) on a heavier penalty, and that penalty."""
    owner = create_entity(ctx)
    record = file_penalty(ctx, owner["identifier"], CF_CFLB=HEAVIER, **penalty)
    case = dishonesty.propose(
        ctx,
        LISTING_REGULATOR,
        entity=owner["identifier"],
        record_ids=[record["id"]],
        reason="拟列入",
    )
    return case, record


@pytest.mark.parametrize(
    ("on", "message"),
    [
        ("9999-12-31", TOO_LATE),
        ("2026-11-26", FUTURE),
        ("2026-11-14", before(DECIDED)),  # before the penalty it revokes
        ("0001-01-01", TOO_EARLY),
    ],
)
def test_a_revocation_outside_its_bounds_is_refused_and_nothing_published(
    client, ctx, auth, on, message
):
    case, record_id = listing(ctx)
    url = f"/api/v1/records/{record_id}/revocation"

    english = {**auth("regulator"), "Accept-Language": "en"}  # the messages below are English
    answer = client.post(url, json={"reason": REVOKED, "on": on}, headers=english)

    assert_refused(answer, message)
    assert feed(ctx, case["id"]) == [("added", PUBLISHED)]
    assert record_services.read_record(ctx, SYSTEM, record_id)["status"] == "active"
    assert dishonesty.get_case(ctx, SYSTEM, case["id"])["state"] == "published"


def test_a_revocation_within_its_bounds_takes_the_listing_down_on_its_date(client, ctx, auth):
    case, record_id = listing(ctx)
    url = f"/api/v1/records/{record_id}/revocation"

    answer = client.post(
        url, json={"reason": REVOKED, "on": "2026-11-24"}, headers=auth("regulator")
    )

    assert answer.status_code == 200, answer.get_json()
    assert feed(ctx, case["id"]) == [("added", PUBLISHED), ("removed", date(2026, 11, 24))]


@pytest.mark.parametrize(
    ("on", "message"),
    [
        ("2026-11-19", before(PUBLISHED)),
        ("2026-11-26", FUTURE),
        ("0001-01-01", TOO_EARLY),
        ("9999-12-31", TOO_LATE),
    ],
)
def test_a_removal_outside_its_bounds_is_refused_and_nothing_published(
    client, ctx, auth, on, message
):
    case, _ = listing(ctx)
    url = f"/api/v1/dishonesty-cases/{case['id']}/steps/remove"
    body = {"on": on, "removal_reason": "corrected", "reason": "列入主体有误，予以更正"}

    english = {**auth("regulator"), "Accept-Language": "en"}  # the messages above are English
    refused = client.post(url, json=body, headers=english)

    assert_refused(refused, message)
    assert feed(ctx, case["id"]) == [("added", PUBLISHED)]
    removed = client.post(url, json={**body, "on": str(PUBLISHED)}, headers=auth("regulator"))
    assert removed.status_code == 200, removed.get_json()
    assert feed(ctx, case["id"]) == [("added", PUBLISHED), ("removed", PUBLISHED)]


@pytest.mark.parametrize("step", ["serve_notice", "decide_not_list", "withdraw"])
def test_no_step_precedes_the_proposal(ctx, step):
    case, _ = proposed(ctx)

    with pytest.raises(InvalidInput) as refused:
        dishonesty.advance(
            ctx, LISTING_REGULATOR, case["id"], step, on=TODAY - timedelta(days=1), reason="理由"
        )

    assert refused.value.errors == {"on": [before(TODAY)]}
    assert dishonesty.get_case(ctx, SYSTEM, case["id"])["state"] == "proposed"


def test_a_statement_received_is_not_followed_by_an_earlier_step(ctx, clock):
    clock.set(local_noon(date(2026, 11, 2)))
    case, _ = proposed(ctx)
    dishonesty.advance(ctx, LISTING_REGULATOR, case["id"], "serve_notice")
    clock.set(local_noon(TODAY))
    dishonesty.advance(
        ctx, LISTING_REGULATOR, case["id"], "receive_statement", on=date(2026, 11, 6)
    )

    with pytest.raises(InvalidInput) as refused:
        dishonesty.advance(ctx, LISTING_REGULATOR, case["id"], "close_window", on=date(2026, 11, 5))

    assert refused.value.errors == {"on": [before(date(2026, 11, 6))]}


def test_a_revocation_heard_of_after_publication_dates_the_removal_at_the_publication(ctx, clock):
    """The penalty was revoked on 11-12, before the city published the listing on 11-20,
    and the city hears of it afterwards: the listing comes down (the revocation is not
    refused), dated no earlier than it went up; the step keeps the revocation's date."""
    clock.set(local_noon(date(2026, 11, 2)))
    case, record = proposed(ctx, CF_JDRQ="2026-11-02")
    for step in ("serve_notice", "close_window", "decide_list", "publish"):
        clock.set(local_noon(date(2026, 11, 20)))
        dishonesty.advance(ctx, LISTING_REGULATOR, case["id"], step, on=_day_of(step))
    clock.set(local_noon(TODAY))

    record_services.revoke_record(
        ctx, LISTING_REGULATOR, record["id"], reason=REVOKED, on=date(2026, 11, 12)
    )

    removed = dishonesty.get_case(ctx, SYSTEM, case["id"])
    assert (removed["state"], removed["removed_on"]) == ("removed", PUBLISHED)
    assert feed(ctx, case["id"]) == [("added", PUBLISHED), ("removed", PUBLISHED)]
    assert removed["steps"][-1]["details"]["revoked_on"] == "2026-11-12"


def _day_of(step: str) -> date:
    """Notice on 11-02; the five-working-day window ends 11-09; decided and published 11-20."""
    return {
        "serve_notice": date(2026, 11, 2),
        "close_window": date(2026, 11, 10),
        "decide_list": date(2026, 11, 20),
        "publish": date(2026, 11, 20),
    }[step]
