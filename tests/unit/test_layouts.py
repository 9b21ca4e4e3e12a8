"""Record CSV layouts: detection and mapping of the 双公示 current and older layouts."""

import pytest

from credit_service.records import layouts


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("罚款人民币5万元，没收违法所得3200元", {"CF_NR_FK": "5", "CF_NR_WFFF": "0.32"}),
        ("罚款3000元", {"CF_NR_FK": "0.3"}),
        ("责令停产停业并罚款人民币 1.5 万元", {"CF_NR_FK": "1.5"}),
        ("没收非法财物2万元", {"CF_NR_WFFF": "2"}),
        ("警告", {}),
        ("罚款人民币伍万元", {}),  # amounts in Chinese numerals are not read
    ],
)
def test_older_layout_amounts_are_read_from_the_result_text(text, expected):
    assert layouts.amounts_from_result(text) == expected


def test_older_layout_row_maps_to_current_fields():
    row = {
        "CF_WSH": "宣工商罚字〔2018〕7号",
        "CF_CFMC": "假冒专利",
        "CF_CFLB1": "罚款",
        "CF_CFLB2": "没收违法所得",
        "CF_JG": "罚款人民币2万元，没收违法所得500元",
        "CF_XZJG": "宣城市工商行政管理局",
        "CF_XDR_SHXYM": "91341802MA0000001X",
        "CF_JDRQ": "2018-05-02",
        "CF_ZT": "1",
    }
    mapped = layouts.map_legacy(row)
    assert mapped.identifier == "91341802MA0000001X"
    assert mapped.violation_type == "假冒专利"
    assert mapped.fields["CF_CFLB"] == "罚款;没收违法所得"
    assert mapped.fields["CF_CFJG"] == "宣城市工商行政管理局"
    assert mapped.fields["CF_NR"] == row["CF_JG"]
    assert mapped.fields["CF_NR_FK"] == "2" and mapped.fields["CF_NR_WFFF"] == "0.05"
    assert "CF_ZT" not in mapped.fields


@pytest.mark.parametrize(
    ("header", "layout"),
    [
        (["CF_XDR_MC", "CF_WSH", "CF_JDRQ", "CF_CFJG"], "dsgs"),
        (["CF_XDR_MC", "CF_WSH", "CF_CFLB1", "CF_XZJG"], "dsgs_legacy"),
        (["entity", "item_code", "document_no"], "generic"),
    ],
)
def test_layout_is_detected_from_the_header(header, layout):
    assert layouts.detect_layout(header) == layout
