"""Deterministic synthetic Xuancheng data: entities and records with valid identifiers.

The same seed always yields the same rows (no dependence on today's date), so seeding
twice, or importing the same generated file twice, changes nothing.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from credit_service import identifiers
from credit_service.catalogs.definitions import CatalogItem, CatalogSet, FieldSpec

TRADE_NAMES = (
    "宣纸",
    "敬亭",
    "宛陵",
    "桃花潭",
    "华阳",
    "绩溪",
    "徽韵",
    "江南",
    "青弋",
    "水东",
    "皖南",
    "鸿运",
    "恒信",
    "盛华",
    "瑞丰",
    "嘉禾",
    "金桥",
    "新宇",
    "天成",
    "和顺",
    "昌盛",
    "锦程",
    "宏达",
    "双桥",
    "云岭",
    "竹海",
    "泾川",
    "旌阳",
    "宁国",
    "广德",
    "郎川",
    "梅溪",
    "汇智",
    "卓越",
    "安泰",
    "永兴",
    "东方",
    "星火",
    "科创",
    "华夏",
    "绿源",
    "丰收",
    "润泽",
    "聚贤",
)
BUSINESSES = (
    ("C", "纸业"),
    ("C", "笔业"),
    ("C", "机械制造"),
    ("C", "电子科技"),
    ("C", "新材料"),
    ("C", "汽车零部件"),
    ("C", "食品"),
    ("C", "茶业"),
    ("C", "竹木制品"),
    ("C", "化工"),
    ("F", "商贸"),
    ("F", "电子商务"),
    ("I", "信息技术"),
    ("M", "科技"),
    ("A", "农业开发"),
    ("E", "建设工程"),
    ("L", "企业管理咨询"),
    ("R", "文化传媒"),
    ("H", "餐饮管理"),
)
FORMS = ("有限公司", "有限责任公司", "股份有限公司")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘汪方"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红文斌"
STREETS = ("鳌峰路", "梅溪路", "敬亭路", "叠嶂路", "薰化路", "昭亭路", "宝城路", "锦城路")
PENALTY_KINDS = (
    (["罚款"], 50),
    (["罚款", "没收违法所得"], 15),
    (["警告"], 8),
    (["警告", "罚款"], 10),
    (["通报批评"], 4),
    (["罚款", "没收非法财物"], 5),
    (["责令停产停业", "罚款"], 4),
    (["吊销许可证件"], 2),
    (["限制从业", "罚款"], 2),
)
KIND_WEIGHTS = (
    ("organisation", 70),
    ("individual_business", 20),
    ("agency", 4),
    ("natural_person", 6),
)
FIRST_DAY, LAST_DAY = date(2023, 1, 1), date(2026, 10, 31)


@dataclass(frozen=True)
class DemoEntity:
    """One generated entity row, as the entity importer takes it."""

    row: dict[str, str]

    @property
    def identifier(self) -> str:
        return self.row["identifier"]


def generate_entities(count: int, seed: int, catalogs: CatalogSet) -> Iterator[DemoEntity]:
    # Reproducible demo data, not security: a seeded PRNG is what is wanted.
    rng = random.Random(seed)  # nosec B311  # reproducible demo data
    regions = [r.code for r in catalogs.regions]
    used: set[str] = set()
    for index in range(count):
        kind = _weighted(rng, KIND_WEIGHTS)
        region = regions[index % len(regions)]
        row = _entity_row(rng, kind, region, index)
        if row["identifier"] in used:
            continue
        used.add(row["identifier"])
        yield DemoEntity(row)


def _entity_row(rng: random.Random, kind: str, region: str, index: int) -> dict[str, str]:
    industry, business = rng.choice(BUSINESSES)
    person = _person_name(rng)
    row = {
        "kind": kind,
        "region_code": region,
        "industry": industry,
        "status": "active",
        "address": f"安徽省宣城市{rng.choice(STREETS)}{rng.randint(1, 999)}号",
        "legal_representative": person,
        "former_names": "",
        "phone": "",
        "agency_type": "",
        "agency_licence_no": "",
    }
    trade = rng.choice(TRADE_NAMES) + rng.choice(TRADE_NAMES)
    if kind == "natural_person":
        row.update(
            identifier=_resident_id(rng, region),
            name=person,
            industry="",
            legal_representative="",
            phone=f"13{rng.randint(0, 999999999):09d}",
        )
    elif kind == "individual_business":
        row.update(identifier=_uscc(rng, "92", region, index), name=f"宣城市{trade}{business}店")
    elif kind == "agency":
        agency_type = rng.choice(("patent", "trademark"))
        row.update(
            identifier=_uscc(rng, "91", region, index),
            industry="M",
            name=f"宣城{trade}{'专利' if agency_type == 'patent' else '商标'}代理有限公司",
            agency_type=agency_type,
            agency_licence_no=f"34{rng.randint(100, 999)}",
        )
    else:
        row.update(
            identifier=_uscc(rng, "91", region, index),
            name=f"宣城{trade}{business}{rng.choice(FORMS)}",
        )
    return row


def _uscc(rng: random.Random, prefix: str, region: str, index: int) -> str:
    """A valid USCC whose nested organisation code is valid too (unique by ``index``)."""
    body = f"{rng.choice('MA')}{index:07d}"
    return identifiers.make_uscc(prefix + region + body + _org_check(body))


def _org_check(body: str) -> str:
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(c, 36) * w for c, w in zip(body, weights, strict=True))
    remainder = 11 - total % 11
    return {10: "X", 11: "0"}.get(remainder, str(remainder))


def _resident_id(rng: random.Random, region: str) -> str:
    born = date(1960, 1, 1) + timedelta(days=rng.randint(0, 365 * 40))
    return identifiers.make_resident_id(f"{region}{born:%Y%m%d}{rng.randint(0, 999):03d}")


def _person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.randint(1, 2)))


def _weighted(rng: random.Random, choices: tuple[tuple[Any, int], ...]) -> Any:
    values, weights = zip(*choices, strict=True)
    return rng.choices(values, weights=weights)[0]


def generate_records(
    entities: list[DemoEntity],
    count: int,
    seed: int,
    items: list[CatalogItem],
    *,
    authority: str = "宣城市市场监督管理局",
) -> Iterator[dict[str, Any]]:
    """Records as (entity, item_code, fields) rows with fields valid for their item."""
    rng = random.Random(seed + 1)  # nosec B311  # reproducible demo data
    if not entities or not items:
        return
    for index in range(count):
        entity = entities[rng.randrange(len(entities))]
        item = items[index % len(items)]
        yield {
            "entity": entity.identifier,
            "item_code": item.code,
            "fields": _fields(rng, item, index, authority),
            "party": entity.row,
        }


def _fields(rng: random.Random, item: CatalogItem, index: int, authority: str) -> dict[str, Any]:
    day = FIRST_DAY + timedelta(days=rng.randint(0, (LAST_DAY - FIRST_DAY).days))
    values: dict[str, Any] = {}
    if item.record_type == "penalty":
        values["CF_CFLB"] = _weighted(rng, PENALTY_KINDS)
        if item.violation_types:
            values["CF_WFXW"] = item.violation_types[0]
    for spec in item.fields:
        if spec.name in values:
            continue
        value = _value(rng, spec, day, index, authority, values)
        if value is not None:
            values[spec.name] = value
    return values


def _value(
    rng: random.Random,
    spec: FieldSpec,
    day: date,
    index: int,
    authority: str,
    values: dict[str, Any],
) -> Any:
    if not spec.required and not _required_now(spec, values):
        return None
    if spec.type == "date":
        return day.isoformat()
    if spec.type in ("decimal", "integer"):
        return str(rng.randint(1, 50)) if spec.type == "integer" else f"{rng.randint(1, 300) / 10}"
    if spec.type == "boolean":
        return False
    if spec.type == "enum":
        return (spec.values or ("",))[0]
    if spec.type == "enum_list":
        return [(spec.values or ("",))[0]]
    if spec.type == "string_list":
        return [_formatted(rng, spec.format, day)]
    return _text_value(rng, spec, day, index, authority)


def _required_now(spec: FieldSpec, values: dict[str, Any]) -> bool:
    if not spec.required_if:
        return False
    present = values.get(spec.required_if["field"]) or []
    return bool(set(present) & set(spec.required_if["contains"]))


def _text_value(rng: random.Random, spec: FieldSpec, day: date, index: int, authority: str) -> str:
    name = spec.name.lower()
    if spec.format:
        return _formatted(rng, spec.format, day)
    if name in ("cf_wsh", "document_no") or name.endswith("document_no"):
        return f"宣市监知罚〔{day.year}〕{index + 1}号"
    if name in ("cf_cfjg", "authority_code", "authority", "cf_sjly") or "authority" in name:
        return authority
    return f"{spec.label}（演示数据）"[: spec.max_length or 500]


def _formatted(rng: random.Random, fmt: str | None, day: date) -> str:
    if fmt == "patent_application_no":
        digits = f"{day.year}{rng.choice('123')}{rng.randint(0, 9_999_999):07d}"
        return f"{digits}.{identifiers.patent_check_char(digits)}"
    if fmt == "trademark_no":
        return str(rng.randint(10_000_000, 79_999_999))
    if fmt == "uscc":
        return identifiers.make_uscc("11341800MB0000001")
    return "演示"
