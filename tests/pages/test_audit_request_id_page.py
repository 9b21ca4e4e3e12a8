"""The console's audit trail searched by request id (issue #21): the rows one request
wrote, reached from any of them; a request id too long is the field's error."""

from __future__ import annotations

import pytest

from tests.factories import PENALTY_ITEM, bearer_for, create_entity, penalty_fields
from tests.pages.test_console_pages import get


def filed_with(client, ctx, request_id: str) -> None:  # type: ignore[no-untyped-def]
    filing = {
        "entity": create_entity(ctx)["identifier"],
        "item_code": PENALTY_ITEM,
        "fields": penalty_fields(),
    }
    headers = {**bearer_for(ctx, "regulator"), "X-Request-ID": request_id}
    assert client.post("/api/v1/records", json=filing, headers=headers).status_code == 201


@pytest.mark.parametrize("role", ["admin", "auditor"])
def test_the_trail_finds_the_rows_of_one_request(client, ctx, role):
    filed_with(client, ctx, "page-request-0001")
    filed_with(client, ctx, "page-request-0002")
    headers = bearer_for(ctx, role)

    html = get(client, "/console/audit?request_id=page-request-0001", headers)

    assert html.count('<tr id="event-') == 1 and "登记信用记录" in html
    assert 'value="page-request-0001"' in html  # the form keeps the filter
    assert "/console/audit?request_id=page-request-0001" in html  # the row's own link
    assert "同一请求的全部记录" in html
    assert "/api/v1/admin/audit/export.csv?request_id=page-request-0001" in html


def test_a_request_id_too_long_is_the_field_s_error(client, ctx):
    html = get(client, "/console/audit?request_id=" + "a" * 65, bearer_for(ctx, "admin"), 422)
    assert 'id="f-request_id-error"' in html and "请求编号不能超过64个字符" in html
    assert '<tr id="event-' not in html
