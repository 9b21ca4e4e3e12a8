"""What a credit check concludes from what it read about one entity: the measures that
bear on the purpose, each until when (D9 for CNIPA findings), and the conclusion
("not eligible", "strict review" or no restriction). No database here: ``checks`` reads,
audits and calls ``assess``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from credit_service import objection_marks
from credit_service.catalogs.definitions import CatalogItem, citations
from credit_service.context import Context
from credit_service.entities.rules import masked_identity
from credit_service.workdays import parse_period, period_end

EFFECT_ORDER = {"not_eligible": 2, "strict_review": 1}


@dataclass(frozen=True)
class Finding:
    """A dishonest record's decision date and the measures-term rule of its item."""

    decision_date: date
    base_months: int
    max_months: int


def measures_until(findings: Sequence[Finding], as_of: date) -> date | None:
    """When CNIPA measures end (D9): a base term from identification, extended by each new
    finding inside the term, never beyond the cap from the first finding of the chain."""
    end: date | None = None
    chain_start: date | None = None
    for f in sorted(findings, key=lambda f: f.decision_date):
        if end is None or f.decision_date > end:
            chain_start = f.decision_date
            cap = period_end(chain_start, f.max_months)
        end = min(period_end(f.decision_date, f.base_months), cap)
    return end if end is not None and end >= as_of else None


@dataclass(frozen=True)
class Facts:
    """What the batch's queries read about one entity."""

    listing: Any | None
    records: list[Any]  # dishonest, active or expired
    items: dict[int, CatalogItem]
    today: date
    marks: dict[tuple[str, int], int]  # the batch's marks 异议处理中, by (kind, id)

    @property
    def in_publicity(self) -> list[Any]:
        return in_publicity(self.records, self.today)


def in_publicity(records: list[Any], today: date) -> list[Any]:
    """The active records still in publicity: the ones a check reports."""
    return [
        r
        for r in records
        if r.status == "active" and r.publicity_end is not None and r.publicity_end >= today
    ]


def assess(ctx: Context, entity: Any, facts: Facts, purpose: str | None) -> dict[str, Any]:
    listing, records = facts.listing, facts.in_publicity
    applicable = _listing_measures(ctx, listing, purpose) + _record_measures(
        ctx, facts, records, purpose
    )
    conclusion = max(
        (m["effect"] for m in applicable),
        key=lambda e: EFFECT_ORDER.get(e, 0),
        default="no_restriction",
    )
    return {
        "entity": {
            **masked_identity(entity),
            "kind": entity.kind,
            "region_code": entity.region_code,
        },
        "purpose": purpose,
        "purpose_name": ctx.catalogs.purposes.get(purpose or ""),
        "checked_on": facts.today,
        "listed": listing is not None,
        "listing": None
        if listing is None
        else {
            "decision_no": listing.decision_no,
            "decided_on": listing.decided_on,
            "term_ends_on": listing.term_ends_on,
            "grounds": listing.grounds,
            **objection_marks.fields(facts.marks.get(("listing", listing.case_id))),
        },
        "dishonest_records": [
            {
                "item_code": r.item_code,
                "severity": r.severity,
                "source_ref": r.source_ref,
                "decision_date": r.decision_date,
                "publicity_end": r.publicity_end,
                **objection_marks.fields(facts.marks.get(("record", r.record_id))),
            }
            for r in records
        ],
        "measures": applicable,
        "conclusion": conclusion if conclusion in EFFECT_ORDER else "no_restriction",
    }


def _listing_measures(
    ctx: Context, listing: Any | None, purpose: str | None
) -> list[dict[str, Any]]:
    if listing is None:
        return []
    return [
        _measure(ctx, code, f"listing {listing.decision_no}", listing.term_ends_on)
        for code in _for_purpose(ctx, listing.measures, purpose)
    ]


def _record_measures(
    ctx: Context, facts: Facts, records: list[Any], purpose: str | None
) -> list[dict[str, Any]]:
    """Measures of active dishonest records: until the end of publicity, or for CNIPA
    findings until the end of the entity's chain of findings (D9)."""
    chain_end = measures_until(_findings(facts), facts.today) if records else None
    out = []
    for record in records:
        item = facts.items[record.catalog_item_id]
        until = chain_end if item.measures_term else record.publicity_end
        if until is None:
            continue
        out.extend(
            _measure(ctx, code, f"record {record.source_ref}", until)
            for code in _for_purpose(ctx, item.measures, purpose)
        )
    return out


def _for_purpose(ctx: Context, codes: Sequence[str], purpose: str | None) -> list[str]:
    """The measures among ``codes`` that bear on ``purpose`` (the others are not shown:
    chosen before any is described, a batch describes thousands fewer); all of them
    without a purpose."""
    known = ctx.catalogs.measures
    return [
        code
        for code in codes
        if code in known and (purpose is None or purpose in known[code].purposes)
    ]


def _findings(facts: Facts) -> list[Finding]:
    """The entity's standing CNIPA findings, in publicity or not: a chain's cap counts from
    its first finding, which may have left publicity already (D9)."""
    out = []
    for record in facts.records:
        term = facts.items[record.catalog_item_id].measures_term
        if term:
            base, cap = parse_period(term["base"]), parse_period(term["max"])
            out.append(Finding(record.decision_date, base, cap))
    return out


def _measure(ctx: Context, code: str, source: str, until: date | None) -> dict[str, Any]:
    measure = ctx.catalogs.measures[code]
    basis = citations(measure.legal_basis)
    return {
        "code": code,
        "name": measure.name,
        "effect": measure.effect,
        "basis": basis,
        "source": source,
        "until": until,
    }
