"""The OpenAPI document says what the service takes (issue #14): schemathesis found
schema-valid purposes, repair targets and identifiers that the service refused, because
the document did not state their formats."""

from __future__ import annotations

import re

import pytest

from tests.factories import create_entity, file_penalty


@pytest.fixture
def spec(client) -> dict:
    return client.get("/api/openapi.json").get_json()


def parameter(spec: dict, path: str, method: str, name: str) -> dict:
    operation = spec["paths"][path]
    every = [*operation.get("parameters", ()), *operation[method].get("parameters", ())]
    return next(p for p in every if p["name"] == name)


def test_the_purposes_are_the_catalogs_and_the_service_takes_each(spec, client, ctx, auth):
    single = parameter(spec, "/api/v1/credit-checks/{identifier}", "get", "purpose")
    batch = spec["components"]["schemas"]["BatchCheck"]["properties"]["purpose"]
    assert single["schema"]["enum"] == batch["enum"] == sorted(ctx.catalogs.purposes)
    entity = create_entity(ctx)["identifier"]
    for purpose in batch["enum"]:
        answer = client.get(
            f"/api/v1/credit-checks/{entity}", query_string={"purpose": purpose},
            headers=auth("checker"),
        )  # fmt: skip
        assert answer.status_code == 200, (purpose, answer.get_json())
    refused = client.get(
        f"/api/v1/credit-checks/{entity}", query_string={"purpose": "lunch"},
        headers=auth("checker"),
    )  # fmt: skip
    assert refused.status_code == 422 and "purpose" in refused.get_json()["errors"]


def test_a_repair_target_matches_the_documented_pattern(spec, client, ctx, auth):
    target = parameter(spec, "/api/v1/repair-eligibility", "get", "target")["schema"]
    create = spec["components"]["schemas"]["ApplicationCreate"]["properties"]["target"]
    assert target["pattern"] == create["pattern"]
    owner = create_entity(ctx)
    record = file_penalty(ctx, owner["identifier"])
    enterprise = auth("enterprise", uscc=owner["identifier"])
    for value, status in ((f"record:{record['id']}", 200), ("record:x", 422), ("rec:1", 422)):
        assert bool(re.search(target["pattern"], value)) is (status == 200)
        answer = client.get(
            "/api/v1/repair-eligibility", query_string={"target": value}, headers=enterprise
        )
        assert answer.status_code == status, (value, answer.get_json())


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/api/v1/entities/{identifier}", "get"),
        ("/api/v1/credit-checks/{identifier}", "get"),
        ("/api/v1/entities/{identifier}/tier", "get"),
    ],
)
def test_identifier_path_parameters_state_their_format(spec, path, method):
    assert parameter(spec, path, method, "identifier")["schema"]["format"] == "credit-identifier"


@pytest.mark.parametrize(
    ("schema", "field", "form"),
    [
        ("EntityCreate", "identifier", "credit-identifier"),
        ("RecordCreate", "entity", "credit-identifier"),
        ("Proposal", "entity", "credit-identifier"),
        ("OverrideCreate", "identifier", "credit-identifier"),
        ("EnterpriseRegistration", "uscc", "uscc"),
    ],
)
def test_identifier_fields_state_their_format(spec, schema, field, form):
    assert spec["components"]["schemas"][schema]["properties"][field]["format"] == form
