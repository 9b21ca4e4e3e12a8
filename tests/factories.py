"""Test data factories: small functions with unique defaults."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from typing import Any

from credit_service import identifiers
from credit_service.access import SYSTEM, Actor
from credit_service.auth import services as auth_services
from credit_service.auth import tokens
from credit_service.clock import local_noon
from credit_service.context import Context
from credit_service.dishonesty import services as dishonesty
from credit_service.entities import services as entity_services
from credit_service.records import services as record_services

_counter = itertools.count(1)
CITY = "341800"
XUANZHOU = "341802"
LANGXI = "341821"


# The party's written waiver (书面放弃陈述申辩): the ``waive`` step records at least one paper.
WRITTEN_WAIVER = ({"title": "放弃陈述申辩权利声明书", "reference": "宣市监收〔2026〕101号"},)


def step_papers(step: str) -> dict[str, Any]:
    """The papers a listing step needs besides its date and reason: the written waiver
    for ``waive``, none for the others (for loops that take a case through its steps)."""
    return {"documents": WRITTEN_WAIVER} if step == "waive" else {}


def unique_uscc(region: str = XUANZHOU, prefix: str = "91") -> str:
    return identifiers.make_uscc(f"{prefix}{region}MA{next(_counter):07d}")


def unique_resident_id(region: str = XUANZHOU, born: str = "19800101") -> str:
    return identifiers.make_resident_id(f"{region}{born}{next(_counter) % 1000:03d}")


def create_entity(ctx: Context, **overrides: Any) -> dict[str, Any]:
    region = overrides.get("region_code", XUANZHOU)
    data = {
        "kind": "organisation",
        "identifier": unique_uscc(region),
        "name": f"宣城测试{next(_counter)}科技有限公司",
        "region_code": region,
        "industry": "C",
        "legal_representative": "张三",
    }
    data.update(overrides)
    return entity_services.register_entity(ctx, SYSTEM, data)


def create_person(ctx: Context, **overrides: Any) -> dict[str, Any]:
    region = overrides.get("region_code", XUANZHOU)
    data = {
        "kind": "natural_person",
        "identifier": unique_resident_id(region),
        "name": "欧阳明华",
        "region_code": region,
        "phone": "13812345678",
        "address": "安徽省宣城市宣州区鳌峰路1号",
    }
    data.update(overrides)
    return entity_services.register_entity(ctx, SYSTEM, data)


def penalty_fields(**overrides: Any) -> dict[str, Any]:
    """A valid 双公示 penalty for the patent-counterfeiting item."""
    n = next(_counter)
    fields = {
        "CF_WSH": f"宣市监知罚〔2026〕{n}号",
        "CF_WFXW": "假冒专利",
        "CF_SY": "在产品上标注他人专利号",
        "CF_YJ": "《中华人民共和国专利法》第六十八条",
        "CF_CFLB": ["罚款"],
        "CF_NR": "罚款人民币五万元",
        "CF_NR_FK": "5",
        "CF_JDRQ": "2026-03-15",
        "CF_CFJG": "宣城市市场监督管理局",
    }
    fields.update(overrides)
    return fields


PENALTY_ITEM = "PAT-PEN-COUNTERFEIT"


def file_penalty(
    ctx: Context, entity: str, item_code: str = PENALTY_ITEM, **overrides: Any
) -> dict[str, Any]:
    view, _ = record_services.file_record(
        ctx, SYSTEM, entity=entity, item_code=item_code, fields=penalty_fields(**overrides)
    )
    return view


AWARD_ITEM = "PAT-TRU-DEMO-ENTERPRISE"


def file_award(
    ctx: Context, entity: str, item_code: str = AWARD_ITEM, **overrides: Any
) -> dict[str, Any]:
    """A public trustworthy record (an honour) about ``entity``, decided 2 March 2026."""
    fields = {
        "document_no": f"国知发〔2026〕{next(_counter)}号",
        "decision_date": "2026-03-02",
        "authority_code": "国家知识产权局",
        "honour_name": "国家知识产权示范企业",
        "honour_level": "国家级",
        **overrides,
    }
    view, _ = record_services.file_record(
        ctx, SYSTEM, entity=entity, item_code=item_code, fields=fields
    )
    return view


def bearer_for(
    ctx: Context,
    role: str,
    *,
    region: str | None = None,
    uscc: str | None = None,
    scopes: list[str] | None = None,
) -> dict[str, str]:
    username = f"{role}-{next(_counter)}"
    if role in ("regulator", "viewer") and region is None:
        region = CITY
    auth_services.create_user(
        ctx,
        SYSTEM,
        username=username,
        display_name=username,
        role=role,
        region_code=region,
        uscc=uscc,
    )
    token = tokens.create_token(ctx, SYSTEM, username=username, name="test", scopes=scopes)
    return {"Authorization": f"Bearer {token.secret}"}


LISTING_REGULATOR = Actor(
    role="regulator", username="listing-regulator", region_code=CITY, city_code=CITY
)


def listed_on(ctx: Context, name: str, region: str, decided: date) -> tuple[dict, dict]:
    """An organisation listed (decided and published) on ``decided``, through the whole
    procedure with a written waiver, for a penalty decided five days before (the day of
    the proposal); the clock ends where it was."""
    before = ctx.clock.now()
    proposed = decided - timedelta(days=5)
    ctx.clock.set(local_noon(proposed))
    owner = create_entity(ctx, name=name, region_code=region)
    record = file_penalty(
        ctx, owner["identifier"], CF_CFLB=["罚款", "责令停产停业"], CF_JDRQ=str(proposed)
    )
    case = dishonesty.propose(
        ctx,
        LISTING_REGULATOR,
        entity=owner["identifier"],
        record_ids=[record["id"]],
        reason="拟列入",
    )
    for step in ("serve_notice", "waive"):
        case = dishonesty.advance(
            ctx, LISTING_REGULATOR, case["id"], step, reason="书面放弃陈述申辩", **step_papers(step)
        )
    ctx.clock.set(local_noon(decided))
    for step in ("decide_list", "publish"):
        case = dishonesty.advance(ctx, LISTING_REGULATOR, case["id"], step)
    ctx.clock.set(before)
    return owner, case
