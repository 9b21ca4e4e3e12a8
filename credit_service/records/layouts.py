"""CSV layouts of record feeds: the 双公示 penalty layout (current and older) and ours.

Each layout turns a CSV row into (party identifier, item code or violation type,
fields); validation against the catalog item happens afterwards, the same for all.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

# The party block (行政相对人): it identifies the entity and is not stored in the record's
# fields, which the registry already holds.
DSGS_PARTY = (
    "CF_XDR_MC",
    "CF_XDR_LB",
    "CF_XDR_SHXYM",
    "CF_XDR_GSZC",
    "CF_XDR_ZZJG",
    "CF_XDR_SWDJ",
    "CF_XDR_SYDW",
    "CF_XDR_SHZZ",
    "CF_FRDB",
    "CF_FR_ZJLX",
    "CF_FR_ZJHM",
    "CF_XDR_ZJLX",
    "CF_XDR_ZJHM",
)
DSGS_FACTS = (
    "CF_WSH",
    "CF_WFXW",
    "CF_SY",
    "CF_YJ",
    "CF_CFLB",
    "CF_NR",
    "CF_NR_FK",
    "CF_NR_WFFF",
    "CF_NR_ZKDX",
    "CF_JDRQ",
    "CF_YXQ",
    "CF_GSJZQ",
    "CF_CFJG",
    "CF_CFJGDM",
    "CF_SJLY",
    "CF_SJLYDM",
    "BZ",
)
# Our two optional extensions: the catalog item, and the heavier-penalty flag (D4).
EXTENSIONS = ("ITEM_CODE", "heavier_penalty")
DSGS_COLUMNS = DSGS_PARTY + DSGS_FACTS + EXTENSIONS

# The pre-2019 layout, as still found in older feeds.
LEGACY_COLUMNS = (
    "CF_WSH",
    "CF_CFMC",
    "CF_CFLB1",
    "CF_CFLB2",
    "CF_SY",
    "CF_YJ",
    "CF_XDR_MC",
    "CF_XDR_SHXYM",
    "CF_XDR_ZDM",
    "CF_XDR_GSDJ",
    "CF_XDR_SWDJ",
    "CF_XDR_SFZ",
    "CF_FR",
    "CF_JG",
    "CF_JDRQ",
    "CF_XZJG",
    "CF_ZT",
    "DFBM",
    "SJC",
    "BZ",
    *EXTENSIONS,
)
# Older column -> current field. Unlisted legacy columns (organisation code, old
# registration number, status, local code, timestamp) are read and not stored.
LEGACY_TO_CURRENT = {
    "CF_WSH": "CF_WSH",
    "CF_CFMC": "CF_WFXW",
    "CF_SY": "CF_SY",
    "CF_YJ": "CF_YJ",
    "CF_JG": "CF_NR",
    "CF_JDRQ": "CF_JDRQ",
    "CF_XZJG": "CF_CFJG",
    "BZ": "BZ",
    "heavier_penalty": "heavier_penalty",
}
AMOUNT_PATTERNS = {
    "CF_NR_FK": re.compile(r"罚款(?:人民币)?\s*([0-9]+(?:\.[0-9]+)?)\s*(万)?元"),
    "CF_NR_WFFF": re.compile(
        r"没收(?:违法所得|非法财物)(?:人民币)?\s*([0-9]+(?:\.[0-9]+)?)\s*(万)?元"
    ),
}
GENERIC_BASE = ("entity", "item_code")
NATURAL_PERSON_TYPES = {"自然人", "natural_person"}


@dataclass(frozen=True)
class MappedRow:
    """What a layout extracts from one row."""

    identifier: str
    item_code: str | None
    violation_type: str | None
    fields: dict[str, str]


def detect_layout(header: list[str]) -> str:
    """``dsgs`` (current 双公示), ``dsgs_legacy`` (pre-2019) or ``generic`` (ours)."""
    columns = set(header)
    if "item_code" in columns and "entity" in columns:
        return "generic"
    if columns & {"CF_CFMC", "CF_CFLB1", "CF_XZJG", "CF_JG"}:
        return "dsgs_legacy"
    return "dsgs"


def map_dsgs(row: Mapping[str, str]) -> MappedRow:
    natural = row.get("CF_XDR_LB", "") in NATURAL_PERSON_TYPES
    identifier = row.get("CF_XDR_ZJHM" if natural else "CF_XDR_SHXYM", "")
    fields = {name: row[name] for name in DSGS_FACTS if row.get(name)}
    if row.get("heavier_penalty"):
        fields["heavier_penalty"] = row["heavier_penalty"]
    return MappedRow(identifier, row.get("ITEM_CODE") or None, row.get("CF_WFXW") or None, fields)


def map_legacy(row: Mapping[str, str]) -> MappedRow:
    identifier = row.get("CF_XDR_SHXYM") or row.get("CF_XDR_SFZ", "")
    fields = {new: row[old] for old, new in LEGACY_TO_CURRENT.items() if row.get(old)}
    kinds = [row[c] for c in ("CF_CFLB1", "CF_CFLB2") if row.get(c)]
    if kinds:
        fields["CF_CFLB"] = ";".join(kinds)
    fields.update(amounts_from_result(row.get("CF_JG", "")))
    return MappedRow(identifier, row.get("ITEM_CODE") or None, fields.get("CF_WFXW"), fields)


def amounts_from_result(text: str) -> dict[str, str]:
    """Fine and confiscation amounts (万元) read from the older layout's result text.

    The older layout had no amount columns; its 处罚结果 (CF_JG) states them in words such
    as "罚款人民币5万元，没收违法所得3200元". Amounts not written in Arabic digits are not
    read, and the row is then refused for the missing amount.
    """
    amounts = {}
    for field, pattern in AMOUNT_PATTERNS.items():
        match = pattern.search(text)
        if match:
            value = Decimal(match.group(1))
            amounts[field] = str(value if match.group(2) else value / 10_000)
    return amounts


def map_generic(row: Mapping[str, str]) -> MappedRow:
    fields = {k: v for k, v in row.items() if k not in GENERIC_BASE and v}
    return MappedRow(row.get("entity", ""), row.get("item_code") or None, None, fields)


MAPPERS = {"dsgs": map_dsgs, "dsgs_legacy": map_legacy, "generic": map_generic}
