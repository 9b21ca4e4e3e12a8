"""Every write a regulator may call checks the region scope of what it writes: a county
regulator (郎溪县) is refused 403 ``region-scope`` on another county's (宣州区) entities,
records, cases, inspectors, plans and repair applications, through the API and through the
console's forms alike.

The walk takes the endpoints from the URL map, so a new write endpoint open to regulators
fails the build until it has a case here. Each case sends a body that passes validation,
so the answer comes from the object check and not from the schema.
"""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from typing import Any

import pytest
from sqlalchemy import func, select

from credit_service.access import SYSTEM
from credit_service.auth import accounts
from credit_service.auth import services as auth_services
from credit_service.auth.models import ActivationCode
from credit_service.config import Settings
from credit_service.dishonesty import services as dishonesty
from credit_service.inspections import services as inspections
from credit_service.inspections.models import InspectorConflict
from credit_service.objections import services as objections
from credit_service.repair import services as repair
from credit_service.tiers import services as tier_services
from credit_service.web import create_app
from credit_service.web.access import rule_for
from tests.api.test_object_access import pending_enterprise
from tests.api.test_sessions import PASSWORD, form_token, sign_in
from tests.factories import (
    LANGXI,
    PENALTY_ITEM,
    XUANZHOU,
    create_entity,
    file_penalty,
    penalty_fields,
    unique_uscc,
)
from tests.integration.test_repair import PDF, enterprise_of

HEAVIER = ["罚款", "责令停产停业"]
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_numbers = itertools.count(1)

# Regulator endpoints that write no object of a region, each with the reason.
NOT_REGION_OBJECTS = {
    "dishonesty.CreditCheckBatch": "a read by POST: 'not found' outside the region",
    "tiers.TierLookup": "a read by POST: 'not found' outside the region",
    "console_pages.run_credit_checks": "a read by POST, as the batch endpoint",
    "accounts.MyPassword": "the caller's own account",
    "auth_pages.change_password": "the caller's own account",
    "auth_pages.sign_out": "the caller's own session",
    # many rows: one about another county is reported and not written, the others are
    # (test_object_access walks that row by row)
    "entities.EntityImports": "an import reports other counties' rows",
    "records.RecordImports": "an import reports other counties' rows",
    # the console's upload queues the import, which reports them when it runs (as the
    # uploader: tests/integration/test_import_jobs.py)
    "console_pages.imports": "an import reports other counties' rows",
}


def regulator_writes() -> list[tuple[str, str]]:
    """(endpoint, method) of every write a regulator may call, API and pages."""
    settings = Settings(database_url="sqlite://", secret_key="collect", catalogs_autoload=False)
    app = create_app(settings)
    found = set()
    for rule in app.url_map.iter_rules():
        for method in (rule.methods or set()) & WRITE_METHODS:
            declared = rule_for(app, rule.endpoint, method)
            if declared and "regulator" in declared.roles:
                found.add((rule.endpoint, method))
    app.extensions["credit_service"].close()
    return sorted(found)


REGULATOR_WRITES = regulator_writes()


class Xuanzhou:
    """Another county's objects, made by the system only when a case asks for them."""

    def __init__(self, ctx) -> None:  # type: ignore[no-untyped-def]
        self.ctx = ctx

    @cached_property
    def entity(self) -> dict[str, Any]:
        return create_entity(self.ctx, region_code=XUANZHOU)

    @cached_property
    def record(self) -> dict[str, Any]:
        return file_penalty(self.ctx, self.entity["identifier"], CF_CFLB=HEAVIER)

    @cached_property
    def case(self) -> dict[str, Any]:
        return dishonesty.propose(
            self.ctx,
            SYSTEM,
            entity=self.entity["identifier"],
            record_ids=[self.record["id"]],
            reason="拟列入严重失信主体名单",
        )

    @cached_property
    def inspector(self) -> int:
        badge = f"皖执-宣州-{next(_numbers)}"
        made = inspections.add_inspector(
            self.ctx, SYSTEM, badge_no=badge, name="王五", office_region=XUANZHOU
        )
        return made["id"]

    @cached_property
    def plan_item(self) -> tuple[int, int]:
        tier_services.apply_rule_set(self.ctx, SYSTEM)
        plan = inspections.create_plan(
            self.ctx,
            SYSTEM,
            region=XUANZHOU,
            period_start=date(2026, 1, 1),
            period_end=date(2026, 12, 31),
            triggered=[self.entity["identifier"]],
        )
        return plan["id"], plan["items"][0]["id"]

    @cached_property
    def application(self) -> int:
        """A repair application of a fine (repairable after three months)."""
        owner = create_entity(self.ctx, region_code=XUANZHOU)
        fine = file_penalty(self.ctx, owner["identifier"], CF_JDRQ="2026-03-15")
        clerk = enterprise_of(self.ctx, owner)
        view, _ = repair.apply(
            self.ctx,
            clerk,
            idempotency_key=None,
            target=f"record:{fine['id']}",
            reason="已全面纠正失信行为，申请信用修复",
            measures_taken="已缴纳全部罚款，下架涉案产品并开展合规培训",
            obligations_performed=True,
            commitment_version=self.ctx.repair_rules.commitment_version,
            contact="李四 13900000000",
        )
        return view["id"]

    @cached_property
    def objection(self) -> int:
        """An objection the county's enterprise filed to its own record."""
        clerk = enterprise_of(self.ctx, self.entity)
        view, _ = objections.file_objection(
            self.ctx,
            clerk,
            target=f"record:{self.record['id']}",
            reasons="处罚决定书文号登记有误",
            contact="李四 13900000000",
        )
        return view["id"]

    @cached_property
    def activation_code(self) -> int:
        """An open activation code of the county's entity, by its row id."""
        accounts.issue_activation_code(self.ctx, SYSTEM, self.entity["identifier"])
        with self.ctx.session_factory() as session:
            return session.execute(select(func.max(ActivationCode.id))).scalar_one()

    @cached_property
    def pending_account(self) -> str:
        return pending_enterprise(self.ctx, self.entity["identifier"])


@dataclass(frozen=True)
class Write:
    """One request: where, and its body (JSON for the API, a form for the pages)."""

    url: str
    json: dict[str, Any] | None = None
    form: dict[str, Any] | None = None
    upload: bool = False  # a file in the body (multipart): an evidence PDF


def write_for(endpoint: str, theirs: Xuanzhou, ours: dict[str, Any]) -> Write:
    """A valid request of ``endpoint`` about another county's object (``ours`` is an entity
    of the caller's own county, where a write names two objects)."""
    steps = "/api/v1/dishonesty-cases/{}/steps/serve_notice"
    cases = {
        "accounts.ApproveBinding": lambda: Write(
            f"/api/v1/accounts/{theirs.pending_account}/approve-binding"
        ),
        "accounts.ActivationCodes": lambda: Write(
            f"/api/v1/entities/{theirs.entity['identifier']}/activation-codes"
        ),
        "entities.Entities": lambda: Write(
            "/api/v1/entities",
            json={
                "kind": "organisation",
                "identifier": unique_uscc(XUANZHOU),
                "name": "宣州越权登记有限公司",
                "region_code": XUANZHOU,
            },
        ),
        "entities.EntityByIdentifier": lambda: Write(
            f"/api/v1/entities/{theirs.entity['identifier']}", json={"address": "越权改址"}
        ),
        "records.Records": lambda: Write(
            "/api/v1/records",
            json={
                "entity": theirs.entity["identifier"],
                "item_code": PENALTY_ITEM,
                "fields": penalty_fields(),
            },
        ),
        "records.RecordCorrections": lambda: Write(
            f"/api/v1/records/{theirs.record['id']}/corrections",
            json={"fields": {**theirs.record["fields"], "CF_SY": "越权更正"}, "reason": "更正"},
        ),
        "dishonesty.RecordRevocation": lambda: Write(
            f"/api/v1/records/{theirs.record['id']}/revocation", json={"reason": "复议撤销处罚"}
        ),
        "dishonesty.Cases": lambda: Write(
            "/api/v1/dishonesty-cases",
            json={
                "entity": theirs.entity["identifier"],
                "record_ids": [theirs.record["id"]],
                "reason": "拟列入严重失信主体名单",
            },
        ),
        "dishonesty.CaseStep": lambda: Write(steps.format(theirs.case["id"]), json={}),
        "console_pages.take_step": lambda: Write(
            f"/console/cases/{theirs.case['id']}/steps/serve_notice", form={}
        ),
        "console_pages.propose": lambda: Write(
            f"/console/entities/{theirs.entity['identifier']}/cases",
            form={"record_ids": [theirs.record["id"]], "reason": "拟列入严重失信主体名单"},
        ),
        "inspections.Inspectors": lambda: Write(
            "/api/v1/inspectors",
            json={"badge_no": "皖执-越权", "name": "赵六", "office_region": XUANZHOU},
        ),
        "inspections.InspectorById": lambda: Write(
            f"/api/v1/inspectors/{theirs.inspector}", json={"active": False}
        ),
        "inspections.InspectorConflicts": lambda: Write(
            f"/api/v1/inspectors/{theirs.inspector}/conflicts",
            json={"entity": ours["identifier"], "reason": "近亲属任职"},
        ),
        "inspections.InspectionPlans": lambda: Write(
            "/api/v1/inspection-plans",
            json={"region": XUANZHOU, "period_start": "2026-01-01", "period_end": "2026-12-31"},
        ),
        "operations_pages.draw_plan": lambda: Write(
            "/console/inspections",
            form={"region": XUANZHOU, "period_start": "2026-01-01", "period_end": "2026-12-31"},
        ),
        "inspections.InspectionResult": lambda: Write(
            "/api/v1/inspection-plans/{}/items/{}/result".format(*theirs.plan_item),
            json={"outcome": "passed", "note": "越权登记"},
        ),
        "operations_pages.record_result": lambda: Write(
            "/console/inspections/{}/items/{}/result".format(*theirs.plan_item),
            form={"outcome": "passed", "note": "越权登记"},
        ),
        "repair.Review": lambda: Write(
            f"/api/v1/repair-applications/{theirs.application}/review/accept", json={}
        ),
        "operations_pages.review": lambda: Write(
            f"/console/repairs/{theirs.application}/review/accept", form={}
        ),
        "objections.Objections": lambda: Write(
            "/api/v1/objections",
            json={
                "target": f"record:{theirs.record['id']}",
                "reasons": "当事人到场对处罚信息提出异议",
                "contact": "李四 13900000000",
                "applicant_name": "李四",
            },
        ),
        "objections.ObjectionStep": lambda: Write(
            f"/api/v1/objections/{theirs.objection}/steps/accept", json={}
        ),
        "objections.ObjectionEvidence": lambda: Write(
            f"/api/v1/objections/{theirs.objection}/evidence", upload=True
        ),
        "console_pages.new_office_objection": lambda: Write(
            "/console/objections/new",
            form={
                "kind": "record",
                "number": str(theirs.record["id"]),
                "applicant_name": "李四",
                "reasons": "当事人到场对处罚信息提出异议",
                "contact": "李四 13900000000",
            },
            upload=True,
        ),
        "console_pages.objection_step": lambda: Write(
            f"/console/objections/{theirs.objection}/steps/accept", form={}
        ),
        "credit_reports.CreditReports": lambda: Write(
            "/api/v1/credit-reports",
            json={"identifier": theirs.entity["identifier"], "purpose": "awards"},
        ),
        "console_pages.credit_reports_console": lambda: Write(
            "/console/credit-reports",
            form={"identifier": theirs.entity["identifier"], "purpose": "awards"},
        ),
        "console_pages.approve_binding": lambda: Write(
            f"/console/bindings/{theirs.pending_account}/approve", form={}
        ),
        "console_pages.refuse_binding": lambda: Write(
            f"/console/bindings/{theirs.pending_account}/refuse", form={"reason": "非本单位人员"}
        ),
        "console_pages.issue_activation_code": lambda: Write(
            "/console/activation-codes", form={"uscc": theirs.entity["identifier"]}
        ),
        "console_pages.revoke_activation_code": lambda: Write(
            f"/console/activation-codes/{theirs.activation_code}/revoke", form={}
        ),
        "console_pages.new_record": lambda: Write(
            f"/console/entities/{theirs.entity['identifier']}/records/new",
            form={
                "item": PENALTY_ITEM,
                **{k: v for k, v in penalty_fields().items() if k != "CF_CFLB"},
            },
        ),
        "console_pages.correct_record": lambda: Write(
            f"/console/records/{theirs.record['id']}/correction",
            form={"reason": "越权更正", "revision": "1"},
        ),
        "console_pages.revoke_record": lambda: Write(
            f"/console/records/{theirs.record['id']}/revocation",
            form={"reason": "越权撤销", "on": "2026-11-25"},
        ),
        "console_pages.objection_evidence": lambda: Write(
            f"/console/objections/{theirs.objection}/evidence", form={}, upload=True
        ),
    }
    assert endpoint in cases, f"{endpoint}: a regulator's write without a region-scope case"
    return cases[endpoint]()


SCOPED = [(e, m) for e, m in REGULATOR_WRITES if e not in NOT_REGION_OBJECTS]


def test_the_walk_covers_every_regulator_write():
    """Nothing open to regulators is left out silently: each write is walked below or is
    named, with its reason, as writing no object of a region (and still exists)."""
    endpoints = {endpoint for endpoint, _ in REGULATOR_WRITES}
    assert set(NOT_REGION_OBJECTS) <= endpoints
    assert len(SCOPED) >= 20


@pytest.mark.parametrize(("endpoint", "method"), SCOPED, ids=[f"{m} {e}" for e, m in SCOPED])
def test_a_county_regulator_cannot_write_another_countys_objects(app, ctx, auth, endpoint, method):
    theirs = Xuanzhou(ctx)
    ours = create_entity(ctx, region_code=LANGXI)
    write = write_for(endpoint, theirs, ours)
    field = "file" if write.form is None else "files"  # the API's part, the pages' input
    files = {field: (io.BytesIO(PDF), "scan.pdf")} if write.upload else {}
    if write.form is None:
        response = app.test_client().open(
            write.url,
            method=method,
            json=write.json,
            data=files or None,
            headers=auth("regulator", region=LANGXI),
        )
    else:
        browser = signed_in_regulator(app, ctx, LANGXI)
        response = browser.open(
            write.url,
            method=method,
            data={"csrf_token": form_token(browser, "/console"), **write.form, **files},
        )
    body = response.get_json(force=True, silent=True) or {}
    assert response.status_code == 403, (response.status_code, response.get_data(as_text=True))
    assert response.mimetype == "application/problem+json"
    assert body["code"] == "region-scope", body


def signed_in_regulator(app, ctx, region: str):  # type: ignore[no-untyped-def]
    """A browser with a regulator's session (the console's forms need its CSRF token)."""
    username = f"scope-regulator-{next(_numbers)}"
    auth_services.create_user(
        ctx,
        SYSTEM,
        username=username,
        display_name=username,
        role="regulator",
        region_code=region,
        password=PASSWORD,
    )
    browser = app.test_client()
    assert sign_in(browser, username).status_code == 303
    return browser


def conflicts_of(ctx, inspector_id: int) -> int:
    with ctx.session_factory() as session:
        query = select(func.count()).where(InspectorConflict.inspector_id == inspector_id)
        return session.execute(query).scalar_one()


def test_a_conflict_on_another_countys_inspector_is_refused_and_not_written(client, ctx, auth):
    """The review's probe: 郎溪县 declared a conflict on a 宣州区 inspector (201), while the
    same regulator's PATCH of that inspector was refused."""
    theirs = Xuanzhou(ctx)
    ours = create_entity(ctx, region_code=LANGXI)
    url = f"/api/v1/inspectors/{theirs.inspector}"
    body = {"entity": ours["identifier"], "reason": "近亲属任职"}
    county = auth("regulator", region=LANGXI)

    patched = client.patch(url, json={"active": False}, headers=county)
    declared = client.post(f"{url}/conflicts", json=body, headers=county)

    assert (patched.status_code, declared.status_code) == (403, 403)
    assert declared.get_json()["code"] == "region-scope"
    assert conflicts_of(ctx, theirs.inspector) == 0
    city = client.post(f"{url}/conflicts", json=body, headers=auth("regulator"))
    assert city.status_code == 201, city.get_json()
    assert conflicts_of(ctx, theirs.inspector) == 1
