"""The patent-counterfeiting penalties the demo stories rest on, filed through the
records service on the day they were decided (what a listing, a repair or an objection
is about); each story says what differs from the common fields."""

from __future__ import annotations

from datetime import date
from typing import Any

from credit_service.access import Actor
from credit_service.context import Context
from credit_service.demo.days import on
from credit_service.records import services as records

COMMON = {
    "CF_WFXW": "假冒专利",
    "CF_YJ": "《中华人民共和国专利法》第六十八条",
    "CF_CFJG": "宣城市市场监督管理局",
}


def file_penalty(
    ctx: Context,
    actor: Actor,
    identifier: str,
    decided: date,
    *,
    filed: date | None = None,
    **fields: Any,
) -> int:
    """File a penalty decided on ``decided`` (filed then, or on ``filed``); its id."""
    record, _ = records.file_record(
        on(ctx, filed or decided),
        actor,
        entity=identifier,
        item_code="PAT-PEN-COUNTERFEIT",
        fields={**COMMON, **fields, "CF_JDRQ": decided.isoformat()},
    )
    return int(record["id"])
