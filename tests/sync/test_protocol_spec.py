"""docs/sync-openapi.yaml describes what really goes over the wire: every request the
city's client sends to the simulator and every answer it gets (successes, refusals,
outages) is checked against the document's schemas."""

from __future__ import annotations

import json
import time
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import jsonschema_rs
import pytest
import requests
import yaml

from credit_service.access import SYSTEM
from credit_service.config import PROJECT_ROOT
from credit_service.errors import UpstreamError
from credit_service.records import services as record_services
from credit_service.sync import push
from credit_service.sync import services as sync_services
from credit_service.sync.client import (
    CHANGES_PATH,
    EVENTS_PATH,
    RECONCILIATION_PATH,
    PlatformClient,
)
from tests.factories import create_entity, file_penalty
from tests.sync.test_pull import decision_change, record_change

SPEC = yaml.safe_load((PROJECT_ROOT / "docs" / "sync-openapi.yaml").read_text("utf-8"))


def schema(ref_or_schema: dict[str, Any]) -> Any:
    """A validator for a schema of the document (its $refs resolve inside the document)."""
    return jsonschema_rs.validator_for({**ref_or_schema, "components": SPEC["components"]})


def resolve(node: dict[str, Any]) -> dict[str, Any]:
    """Follow one local $ref of the document."""
    if "$ref" not in node:
        return node
    target: Any = SPEC
    for part in node["$ref"].lstrip("#/").split("/"):
        target = target[part]
    return target


class Recorder:
    """Keeps every request the client sends and the answer it gets."""

    def __init__(self) -> None:
        self.exchanges: list[requests.Response] = []

    def session(self) -> requests.Session:
        session = requests.Session()
        session.hooks["response"].append(lambda response, **_: self.exchanges.append(response))
        return session


def check(response: requests.Response) -> tuple[str, int]:
    """The exchange conforms: path and method documented, body of the request and of the
    answer valid for the documented schemas, signed headers present."""
    path, method = urlsplit(response.request.url).path, response.request.method.lower()
    operation = SPEC["paths"][path][method]
    for parameter in operation["parameters"]:
        parameter = resolve(parameter)
        if parameter["in"] == "header" and parameter.get("required"):
            assert parameter["name"] in response.request.headers, parameter["name"]
    if method == "post":
        body_schema = operation["requestBody"]["content"]["application/json"]["schema"]
        sent = json.loads(response.request.body)
        errors = [e.message for e in schema(body_schema).iter_errors(sent)]
        assert not errors, (path, errors)
    documented = resolve(operation["responses"][str(response.status_code)])
    media = response.headers["Content-Type"].split(";")[0]
    answer_schema = documented["content"][media]["schema"]
    errors = [e.message for e in schema(answer_schema).iter_errors(response.json())]
    assert not errors, (path, response.status_code, errors)
    return path, response.status_code


def test_the_document_is_openapi_and_names_the_clients_paths():
    assert SPEC["openapi"].startswith("3.1")
    assert {EVENTS_PATH, CHANGES_PATH, RECONCILIATION_PATH} == set(SPEC["paths"])
    for name, body in SPEC["components"]["schemas"].items():
        jsonschema_rs.validator_for({**body, "components": SPEC["components"]})  # compiles
        assert body.get("type"), name


def test_every_exchange_of_push_pull_and_reconciliation_conforms(live_ctx, simulator):
    platform, control, _ = simulator
    recorder = Recorder()
    client = PlatformClient(platform, recorder.session())

    owner = create_entity(live_ctx)
    record = file_penalty(live_ctx, owner["identifier"])
    record_services.revoke_record(live_ctx, SYSTEM, record["id"], reason="行政复议撤销")
    assert push.push_pending(live_ctx, platform, client).accepted == 2

    control.add_changes(
        [
            record_change(owner, 901, "2026-11-01T09:00:00"),
            decision_change("revocation", 901, "2026-11-02T09:00:00", reason="复议撤销"),
            decision_change("repair", 902, "2026-11-03T09:00:00"),
        ]
    )
    sync_services.pull_changes(live_ctx, platform, client)
    sync_services.reconcile(live_ctx, platform, client, live_ctx.today(), SYSTEM)

    control.set_faults(reject_event_types=["record.filed"])
    file_penalty(live_ctx, owner["identifier"])
    assert push.push_pending(live_ctx, platform, client).rejected == 1
    control.set_faults(outage_until=time.time() + 60)
    with pytest.raises(UpstreamError):
        client.reconciliation(date(2026, 11, 24))
    control.set_faults(bad_signature_rate=1.0)
    with pytest.raises(UpstreamError):
        client.pull(None, 10)
    control.set_faults()

    seen = {check(response) for response in recorder.exchanges}
    assert seen == {
        (EVENTS_PATH, 200),
        (CHANGES_PATH, 200),
        (RECONCILIATION_PATH, 200),
        (RECONCILIATION_PATH, 503),
        (CHANGES_PATH, 401),
    }


@pytest.mark.parametrize(
    ("path", "query"),
    [(CHANGES_PATH, {"limit": "many"}), (RECONCILIATION_PATH, {"date": "昨天"})],
)
def test_a_bad_query_is_a_documented_400(simulator, path, query):
    platform, _, _ = simulator
    recorder = Recorder()
    client = PlatformClient(platform, recorder.session())
    with pytest.raises(UpstreamError):
        client._call("GET", path, query, b"")
    [response] = recorder.exchanges
    assert check(response) == (path, 400)
