"""Credit reports (D21): who may request one, what it states, its signature, key
rotation, an altered byte, and the holder's comparison with today."""

from __future__ import annotations

import base64
import io
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import text

from credit_service.access import SYSTEM, Actor
from credit_service.config import Settings
from credit_service.dishonesty import services as dishonesty
from credit_service.objections import services as objections
from credit_service.reports import services as reports
from credit_service.signing_keys import new_seed
from tests.factories import CITY, LANGXI, create_entity, create_person, file_penalty, listed_on

PROBLEM = "application/problem+json"
URL = "/api/v1/credit-reports"


def _issue(client, headers, **body):  # type: ignore[no-untyped-def]
    return client.post(URL, json=body, headers=headers)


@pytest.fixture
def owner(ctx):  # type: ignore[no-untyped-def]
    entity = create_entity(ctx)
    file_penalty(ctx, entity["identifier"])
    return entity


def test_enterprise_issues_its_own_report(client, auth, owner):  # type: ignore[no-untyped-def]
    headers = auth("enterprise", uscc=owner["identifier"])
    response = _issue(client, headers)
    assert response.status_code == 201, response.json
    report = response.json
    assert report["number"].startswith("XCXY-2026-")
    assert report["requester_kind"] == "subject"
    assert len(report["holder_code"]) == 8
    content = report["content"]
    assert content["entity"]["identifier"] == owner["identifier"]
    assert content["records"][0]["item_name"] and content["records"][0]["legal_basis"]
    assert "tier" not in str(content).lower()
    again = client.get(f"{URL}/{report['number']}", headers=headers)
    assert again.status_code == 200 and again.json["content"] == content
    pdf = client.get(f"{URL}/{report['number']}.pdf", headers=headers)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"


def test_enterprise_may_not_report_on_another(client, auth, owner, ctx):  # type: ignore[no-untyped-def]
    other = create_entity(ctx)
    response = _issue(client, auth("enterprise", uscc=owner["identifier"]), identifier=other["identifier"])
    assert response.status_code == 403 and response.mimetype == PROBLEM


@pytest.mark.parametrize("role", ["checker", "regulator", "viewer"])
def test_checkers_issue_for_a_purpose(client, auth, owner, role):  # type: ignore[no-untyped-def]
    headers = auth(role)
    refused = _issue(client, headers, identifier=owner["identifier"])
    assert refused.status_code == 422 and refused.mimetype == PROBLEM
    response = _issue(client, headers, identifier=owner["identifier"], purpose="government_procurement")
    assert response.status_code == 201, response.json
    assert response.json["requester_kind"] == "checker"
    assert response.json["content"]["purpose_name"] == "政府采购"


@pytest.mark.parametrize("role", ["admin", "auditor", "sync"])
def test_other_roles_are_refused(client, auth, owner, role):  # type: ignore[no-untyped-def]
    response = _issue(client, auth(role), identifier=owner["identifier"], purpose="awards")
    assert response.status_code == 403 and response.mimetype == PROBLEM


def test_anonymous_is_refused(client, owner):  # type: ignore[no-untyped-def]
    assert _issue(client, {}, identifier=owner["identifier"], purpose="awards").status_code == 401
