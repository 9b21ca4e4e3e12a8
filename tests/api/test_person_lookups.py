"""Natural persons cannot be de-anonymised through staff search (issue #14, item 1).

The masked number ``341802********1234`` hides only the birth date; the check character
leaves about 33 candidates a year. A viewer must not be able to tell the right candidate
from the others, nor confirm a masked name, and every natural person a search, lookup
or read returns is in the audit trail (docs/security.md, *Personal data*).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from credit_service import identifiers
from credit_service.audit import services as audit
from tests.factories import LANGXI, XUANZHOU, create_entity, create_person, file_penalty

ENTITIES = "/api/v1/entities"
LOOKUP = "/api/v1/tiers/lookup"
PURPOSE = "投诉核查 宣市监投〔2026〕17号"
BORN = date(1969, 12, 17)  # late in the year: candidates are tried in date order


def candidates(masked: str, year: int) -> list[str]:
    """Every valid resident ID of ``year`` that masks to ``masked``: what an attacker
    holding the masked number has to try, in date order."""
    region, tail = masked[:6], masked[-4:]
    numbers = []
    day = date(year, 1, 1)
    while day.year == year:
        number = identifiers.make_resident_id(f"{region}{day:%Y%m%d}{tail[:3]}")
        if number[-1] == tail[-1]:
            numbers.append(number)
        day += timedelta(days=1)
    return numbers


@pytest.fixture
def person(ctx) -> dict:
    number = identifiers.make_resident_id(f"{XUANZHOU}{BORN:%Y%m%d}123")
    person = create_person(ctx, identifier=number, name="欧阳明杰", region_code=XUANZHOU)
    file_penalty(ctx, number)
    return person


def answer(response) -> tuple:  # type: ignore[no-untyped-def]
    """What a response tells the caller, without the echo of its own request."""
    body = response.get_json(force=True)
    body = {k: v for k, v in body.items() if k != "instance"} if isinstance(body, dict) else body
    return response.status_code, repr(body)


def names(response) -> list[str]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.get_json()
    return [item["name"] for item in response.get_json()["items"]]


def lookups_of(ctx, client, headers) -> list[audit.AuditEvent]:  # type: ignore[no-untyped-def]
    username = client.get("/api/v1/accounts/me", headers=headers).get_json()["username"]
    with ctx.session_factory() as session:
        return audit.query_events(session, actor=username, action="entity.lookup")


def test_a_viewer_cannot_recover_a_resident_id_from_its_masked_form(client, ctx, auth, person):
    viewer = auth("viewer", region=XUANZHOU)
    masked = identifiers.mask_resident_id(person["identifier"])
    guesses = candidates(masked, BORN.year)
    assert person["identifier"] in guesses and len(guesses) > 30
    # Without a purpose: the same answer for the right number and every wrong one, on
    # every door that takes a number (search, the entity's paths, the tier lookup).
    doors = {
        "search": lambda n: client.get(
            ENTITIES, query_string={"q": n, "kind": "natural_person"}, headers=viewer
        ),
        "read": lambda n: client.get(f"{ENTITIES}/{n}", headers=viewer),
        "records": lambda n: client.get(f"{ENTITIES}/{n}/records", headers=viewer),
        "tier": lambda n: client.get(f"{ENTITIES}/{n}/tier", headers=viewer),
        "cases": lambda n: client.get(
            "/api/v1/dishonesty-cases", query_string={"entity": n}, headers=viewer
        ),
        "tier lookup": lambda n: client.post(LOOKUP, json={"identifiers": [n]}, headers=viewer),
    }
    for door, ask in doors.items():
        answers = {answer(ask(number)) for number in guesses}
        assert len(answers) == 1, (door, answers)
        assert next(iter(answers))[0] in (403, 422), (door, answers)
    # With a purpose: each guess is a lookup, audited, and the day's limit ends the
    # attempt long before the birth date is reached (the attack took 309 requests).
    limit = ctx.settings.natural_person_lookups_per_day
    answered, refused = [], []
    for number in guesses:
        response = client.get(
            ENTITIES, query_string={"q": number, "purpose": PURPOSE}, headers=viewer
        )
        (answered if response.status_code == 200 else refused).append((number, response))
    assert len(answered) == limit < len(guesses)
    assert person["identifier"] not in [number for number, _ in answered]
    assert {(r.status_code, r.get_json()["code"]) for _, r in refused} == {(429, "lookup-limit")}
    rows = lookups_of(ctx, client, viewer)
    assert len(rows) == limit
    assert {(r.outcome, r.details["purpose"], r.details["resident_id"]) for r in rows} == {
        ("not_found", PURPOSE, masked)
    }
    # Nor does a batch of credit checks or tier lookups slip past the limit.
    batch = {"identifiers": guesses, "purpose": "awards"}
    checks = client.post("/api/v1/credit-checks", json=batch, headers=viewer)
    assert (checks.status_code, checks.get_json()["code"]) == (429, "lookup-limit")
    tiers = client.post(LOOKUP, json={**batch, "purpose": PURPOSE}, headers=viewer)
    assert (tiers.status_code, tiers.get_json()["code"]) == (429, "lookup-limit")


def test_a_viewer_cannot_confirm_a_masked_name_but_finds_the_masked_number(
    client, ctx, auth, person
):
    company = create_entity(ctx, region_code=XUANZHOU, name="欧阳杰出科技有限公司")
    viewer, regulator = auth("viewer", region=XUANZHOU), auth("regulator", region=XUANZHOU)
    masked = identifiers.mask_resident_id(person["identifier"])

    for q in ("欧阳", "杰", "欧阳明杰"):
        assert "欧阳**" not in names(client.get(ENTITIES, query_string={"q": q}, headers=viewer))
    assert names(client.get(ENTITIES, query_string={"q": "杰"}, headers=viewer)) == [
        company["name"]
    ]
    by_masked = client.get(ENTITIES, query_string={"q": masked}, headers=viewer)
    assert names(by_masked) == ["欧阳**"]
    assert by_masked.get_json()["items"][0]["identifier"] == masked
    # Regulators may unmask the person anyway (audited): a name tells them nothing new.
    assert "欧阳**" in names(client.get(ENTITIES, query_string={"q": "杰"}, headers=regulator))
    assert lookups_of(ctx, client, viewer) == []  # the masked number is no lookup


def test_a_lookup_with_a_purpose_opens_that_person_and_no_other(client, ctx, auth, person):
    other = create_person(ctx, region_code=XUANZHOU)
    viewer = auth("viewer", region=XUANZHOU)
    path = f"{ENTITIES}/{person['identifier']}"
    assert client.get(path, headers=viewer).get_json()["code"] == "lookup-required"

    no_purpose = client.get(ENTITIES, query_string={"q": person["identifier"]}, headers=viewer)
    assert (no_purpose.status_code, no_purpose.get_json()["code"]) == (422, "purpose-required")
    assert "purpose" in no_purpose.get_json()["errors"]
    found = client.get(
        ENTITIES, query_string={"q": person["identifier"], "purpose": PURPOSE}, headers=viewer
    )
    assert names(found) == ["欧阳**"]

    for url in (path, f"{path}/records", f"{path}/tier/history"):
        assert client.get(url, headers=viewer).status_code == 200, url
    refused = client.get(f"{ENTITIES}/{other['identifier']}", headers=viewer)
    assert (refused.status_code, refused.get_json()["code"]) == (403, "lookup-required")
    [row] = lookups_of(ctx, client, viewer)
    assert (row.object_id, row.outcome, row.details["channel"]) == (
        str(person["id"]),
        "success",
        "entity.search",
    )


def test_the_daily_limit_is_per_user_and_ends_at_midnight(client, ctx, auth, person):
    viewer, colleague = auth("viewer", region=XUANZHOU), auth("viewer", region=XUANZHOU)
    limit = ctx.settings.natural_person_lookups_per_day
    ask = {"identifiers": [person["identifier"]], "purpose": PURPOSE}
    for _ in range(limit):
        assert client.post(LOOKUP, json=ask, headers=viewer).status_code == 200
    assert client.post(LOOKUP, json=ask, headers=viewer).status_code == 429
    assert client.post(LOOKUP, json=ask, headers=colleague).status_code == 200

    ctx.clock.advance(days=1)

    response = client.post(LOOKUP, json=ask, headers=viewer)
    assert response.status_code == 200
    assert response.get_json()["items"][0]["found"] is True


def test_a_person_outside_the_region_is_answered_as_unregistered(client, ctx, auth, person):
    regulator = auth("regulator", region=LANGXI)
    unknown = candidates(identifiers.mask_resident_id(person["identifier"]), 1970)[0]

    answers = {
        answer(client.get(f"{ENTITIES}/{number}", headers=regulator))
        for number in (person["identifier"], unknown)
    }
    items = client.post(
        LOOKUP, json={"identifiers": [person["identifier"], unknown]}, headers=regulator
    ).get_json()["items"]

    assert [status for status, _ in answers] == [404]
    assert [(i["found"], i["error"]) for i in items] == [(False, "entity-not-found")] * 2


def test_every_natural_person_a_search_lookup_or_read_returns_is_audited(client, ctx, auth, person):
    regulator, viewer = auth("regulator", region=XUANZHOU), auth("viewer", region=XUANZHOU)
    by_name = client.get(ENTITIES, query_string={"q": "欧阳明"}, headers=regulator)
    by_masked = client.get(
        ENTITIES,
        query_string={"q": identifiers.mask_resident_id(person["identifier"])},
        headers=viewer,
    )
    looked_up = client.get(
        ENTITIES, query_string={"q": person["identifier"], "purpose": PURPOSE}, headers=viewer
    )
    read = client.get(f"{ENTITIES}/{person['identifier']}", headers=viewer)
    tiers = client.post(LOOKUP, json={"identifiers": [person["identifier"]]}, headers=regulator)
    unmasked = client.get(
        f"{ENTITIES}/{person['identifier']}", query_string={"unmask": "true"}, headers=regulator
    )
    assert {r.status_code for r in (by_name, by_masked, looked_up, read, tiers, unmasked)} == {200}

    with ctx.session_factory() as session:
        rows = audit.query_events(session, object_type="entity", object_id=str(person["id"]))
    seen = [(r.role, r.action, r.details.get("purpose")) for r in rows if r.actor != "system"]
    assert seen == [
        ("regulator", "entity.search", None),
        ("viewer", "entity.search", None),
        ("viewer", "entity.lookup", PURPOSE),
        ("viewer", "entity.read", None),
        ("regulator", "tiers.lookup", None),
        ("regulator", "entity.read_personal_data", None),
    ]
