"""What a credit check leaves and shows of the identifiers it was given: one audit row
per identifier, found or not, naming the batch answer's reference number; a number that
breaks its standard as its own answer (with the reason), not as "not found"; and the
identifier as the trail keeps it (a resident ID masked, D12)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from credit_service.access import Actor
from credit_service.context import Context
from credit_service.entities import lookups
from credit_service.identifiers import (
    InvalidIdentifier,
    is_valid_resident_id,
    looks_like_resident_id,
    mask_resident_id,
)
from credit_service.procedures import documents


def shown(identifier: str) -> str:
    """An identifier as the audit trail keeps it: a resident ID masked (D12), and a
    mistyped one too (a wrong check digit leaves the rest of the person's number; it may
    even pass as a USCC)."""
    value = identifier.strip()
    if is_valid_resident_id(value) or looks_like_resident_id(value):
        return mask_resident_id(value)
    return value[:40]


def reference(session: Any, ctx: Context) -> str:
    return documents.next_number(session, ctx.list_rules.check_prefix, ctx.today().year)


def invalid(raw: str, problem: InvalidIdentifier) -> dict[str, Any]:
    """A batch line whose number breaks its standard: the error and the rule broken (as a
    field error: ``{"code": "identifier-check-character", "expected": "1"}``)."""
    reason = problem.field_error
    return {
        "identifier": raw,
        "found": False,
        "error": problem.code,
        "reason": reason if isinstance(reason, dict) else {"code": reason},
    }


def audit_entries(
    ctx: Context,
    actor: Actor,
    purpose: str,
    wanted: Sequence[str],
    keys: list[str],
    results: list[dict[str, Any]],
    reference: str | None = None,
) -> list[dict[str, Any]]:
    """One audit row per identifier checked, found or not (naming the answer's reference)."""
    now = ctx.now()
    return [
        {
            "actor": actor,
            "action": "credit.check",
            "now": now,
            "object_type": "entity",
            "object_id": result.pop("_entity_id", None),
            "outcome": "success" if result["found"] else "not_found",
            "details": {
                "purpose": purpose,
                **({"reference": reference} if reference else {}),
                "conclusion": result["conclusion"] if result["found"] else result["error"],
                **({} if result["found"] else {"identifier": shown(raw)}),
                **lookups.person_marker(key),
            },
        }
        for raw, key, result in zip(wanted, keys, results, strict=True)
    ]
