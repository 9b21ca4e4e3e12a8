"""A record event's payload: built as a dict (one record) or as JSON text from parts
already serialized (bulk import); both say the same."""

from __future__ import annotations

import json
import uuid
from datetime import date
from types import SimpleNamespace

import pytest

from credit_service.records import exchange
from credit_service.records.rules import canonical_fields

VALUES = {
    "source_authority": "宣城市市场监督管理局",
    "source_ref": "宣市监处罚〔2026〕7号",
    "item_code": "PT-P-01",
    "domain": "patent",
    "decision_date": date(2026, 3, 2),
    "publicity_end": date(2029, 3, 2),
    "severity": "general",
    "status": "active",
    "revision": 1,
    "fields": {"CF_WSH": "宣市监处罚〔2026〕7号", "CF_CFLB": ["罚款"], "CF_FKJE": 5000.5},
}
ORGANISATION = SimpleNamespace(
    kind="organisation", name="宣城“测试”科技有限公司", identifier="91341800MA2N0TEST0",
    legal_representative="张三",
)  # fmt: skip
PERSON = SimpleNamespace(
    kind="natural_person", name="李四", identifier="341802198001010012", legal_representative=None
)


@pytest.mark.parametrize("party", [ORGANISATION, PERSON], ids=["organisation", "person"])
def test_the_json_payload_says_what_the_dict_payload_says(party):
    # the import worker's columns: no id, status or revision yet (the insert sets them),
    # and the fields as their stored JSON text
    columns = {k: v for k, v in VALUES.items() if k not in ("status", "revision")}
    columns["fields"] = canonical_fields(VALUES["fields"])
    event_id, key, head = exchange.filed_event_parts(columns)
    text = exchange.complete_payload(
        head, json.dumps(exchange.party_block(party), ensure_ascii=False), columns["fields"]
    )
    as_dict = exchange.record_payload(VALUES, party)
    assert json.loads(text) == json.loads(json.dumps(as_dict, ensure_ascii=False, default=str))
    assert list(json.loads(text))[-2:] == ["party", "fields"]
    assert (
        key
        == as_dict["record_key"]
        == exchange.record_key(VALUES["source_authority"], VALUES["source_ref"])
    )
    assert uuid.UUID(event_id).version == 7
