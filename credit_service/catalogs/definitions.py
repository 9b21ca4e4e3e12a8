"""Catalog value types: what a loaded catalog, item, field and measure are.

Items round-trip through a plain ``document`` dict (stored with every catalog version),
so a record filed under an old version is read with the definition it was filed under.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

from credit_service.workdays import parse_period

# The field of a penalty record (双公示) that lists its penalty types (行政处罚法 Art. 9 kinds).
PENALTY_TYPES_FIELD = "CF_CFLB"
# The field holding the day the conduct ended, where an item records it: retention counts
# from it (D16).
CONDUCT_END_FIELD = "conduct_end_date"


def citations(bases: Iterable[Mapping[str, str | None]]) -> str:
    """Legal bases as a document cites them: 《instrument》article, joined by 、; an
    instrument cited without an article (none settled) stands alone."""
    return "、".join(f"《{b['instrument']}》{b.get('article') or ''}" for b in bases)


@dataclass(frozen=True)
class FieldSpec:
    """One field a record under an item carries."""

    name: str
    label: str
    type: str
    required: bool = False
    format: str | None = None
    values: tuple[str, ...] | None = None
    max_length: int | None = None
    min: str | None = None
    max: str | None = None
    required_if: dict[str, str] | None = None

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> FieldSpec:
        values = doc.get("values")
        return cls(**{**doc, "values": tuple(values) if values is not None else None})

    def to_document(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "name": self.name,
            "label": self.label,
            "type": self.type,
            "required": self.required,
        }
        for key in ("format", "max_length", "min", "max", "required_if"):
            if getattr(self, key) is not None:
                doc[key] = getattr(self, key)
        if self.values is not None:
            doc["values"] = list(self.values)
        return doc


@dataclass(frozen=True)
class Envelope:
    """Which fields of a record identify it: document number, date, authority."""

    source_ref: str
    decision_date: str
    source_authority: str


@dataclass(frozen=True)
class CatalogItem:
    """One item of a basic credit-information catalog (信用信息基础目录条目)."""

    code: str
    domain: str
    name: str
    category: str
    severity: str | None
    record_type: str
    cnipa_category: str | None
    legal_basis: tuple[dict[str, str], ...]
    provider: str
    disclosure: str
    publicity_min: str | None
    publicity_max: str | None
    has_publicity: bool
    retention: str | None
    repairable: bool
    heavier_penalty: bool
    listing_grounds: tuple[str, ...]
    measures: tuple[str, ...]
    measures_term: dict[str, str] | None
    violation_types: tuple[str, ...]
    envelope: Envelope
    fields: tuple[FieldSpec, ...]

    @property
    def can_ground_listing(self) -> bool:
        """Whether a record under it can support a severe-list proposal (D4)."""
        return bool(self.listing_grounds) or self.heavier_penalty or self.record_type == "penalty"

    @cached_property
    def field_map(self) -> dict[str, FieldSpec]:
        """Fields by name (computed once: record validation runs per imported row)."""
        return {f.name: f for f in self.fields}

    @cached_property
    def required_fields(self) -> tuple[FieldSpec, ...]:
        """Fields always required, then those required only under a condition."""
        return tuple(f for f in self.fields if f.required) + tuple(
            f for f in self.fields if not f.required and f.required_if
        )

    def publicity_months(self) -> tuple[int | None, int | None]:
        """(minimum, maximum) publicity in months from the item itself, if it sets them."""
        lo = parse_period(self.publicity_min) if self.publicity_min else None
        hi = parse_period(self.publicity_max) if self.publicity_max else None
        return lo, hi

    def to_document(self) -> dict[str, Any]:
        publicity = (
            {"min": self.publicity_min, "max": self.publicity_max} if self.has_publicity else None
        )
        return {
            "code": self.code,
            "domain": self.domain,
            "name": self.name,
            "category": self.category,
            "severity": self.severity,
            "record_type": self.record_type,
            "cnipa_category": self.cnipa_category,
            "legal_basis": [dict(b) for b in self.legal_basis],
            "provider": self.provider,
            "disclosure": self.disclosure,
            "publicity": publicity,
            "retention": self.retention,
            "repairable": self.repairable,
            "heavier_penalty": self.heavier_penalty,
            "listing_grounds": list(self.listing_grounds),
            "measures": list(self.measures),
            "measures_term": self.measures_term,
            "violation_types": list(self.violation_types),
            "envelope": {
                "source_ref": self.envelope.source_ref,
                "decision_date": self.envelope.decision_date,
                "source_authority": self.envelope.source_authority,
            },
            "fields": [f.to_document() for f in self.fields],
        }

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> CatalogItem:
        publicity = doc.get("publicity")
        return cls(
            code=doc["code"],
            domain=doc["domain"],
            name=doc["name"],
            category=doc["category"],
            severity=doc.get("severity"),
            record_type=doc["record_type"],
            cnipa_category=doc.get("cnipa_category"),
            legal_basis=tuple(doc["legal_basis"]),
            provider=doc["provider"],
            disclosure=doc["disclosure"],
            publicity_min=publicity["min"] if publicity else None,
            publicity_max=publicity["max"] if publicity else None,
            has_publicity=publicity is not None,
            retention=doc.get("retention"),
            repairable=doc["repairable"],
            heavier_penalty=doc.get("heavier_penalty", False),
            listing_grounds=tuple(doc.get("listing_grounds", ())),
            measures=tuple(doc.get("measures", ())),
            measures_term=doc.get("measures_term"),
            violation_types=tuple(doc.get("violation_types", ())),
            envelope=Envelope(**doc["envelope"]),
            fields=tuple(FieldSpec.from_document(f) for f in doc["fields"]),
        )


@dataclass(frozen=True)
class Catalog:
    """One domain's catalog as loaded from its file."""

    domain: str
    title: str
    edition: str
    issuer: str
    effective_from: date
    items: tuple[CatalogItem, ...]
    source: str

    def document(self) -> dict[str, Any]:
        return {
            "domain": self.domain,
            "title": self.title,
            "edition": self.edition,
            "issuer": self.issuer,
            "effective_from": self.effective_from.isoformat(),
            "items": [item.to_document() for item in self.items],
        }

    @property
    def content_hash(self) -> str:
        """SHA-256 of the resolved content: the same content always gives the same version."""
        canonical = json.dumps(self.document(), ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Measure:
    """A disciplinary measure (D9) and the credit-check purposes it affects."""

    code: str
    name: str
    effect: str
    purposes: tuple[str, ...]
    legal_basis: tuple[dict[str, str], ...]


@dataclass(frozen=True)
class BandEdition:
    """The publicity bands (months) for decisions made from ``applies_from`` on (D8)."""

    applies_from: date | None
    basis: dict[str, str]
    bands: dict[str, tuple[int | None, int | None]]


@dataclass(frozen=True)
class PublicityRules:
    """Penalty-publicity rules shared by all domains (D8, D16)."""

    band_editions: tuple[BandEdition, ...]
    never_published_penalty_types: frozenset[str]
    minor_penalty_types: frozenset[str]
    heavy_penalty_types: frozenset[str]
    no_early_stop_penalty_types: frozenset[str]
    default_retention_months: int
    roll_forward_past_holidays: bool

    def bands_for(self, decision_date: date) -> BandEdition:
        """The band edition in force on the decision date (the latest that applies)."""
        chosen = self.band_editions[0]
        for edition in self.band_editions:
            if edition.applies_from is None or edition.applies_from <= decision_date:
                chosen = edition
        return chosen


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    kind: str | None = None


@dataclass(frozen=True)
class CatalogSet:
    """Everything under ``catalogs/`` that the service runs on."""

    catalogs: dict[str, Catalog]
    measures: dict[str, Measure]
    purposes: dict[str, str]
    publicity: PublicityRules
    city: Region
    regions: tuple[Region, ...]
    industries: dict[str, str]
    directory: Path = field(compare=False, default=Path("."))

    @property
    def region_codes(self) -> frozenset[str]:
        """The codes a regulator's scope or an entity's region may take (D18)."""
        return frozenset({self.city.code, *(r.code for r in self.regions)})

    def region_name(self, code: str) -> str | None:
        for region in (self.city, *self.regions):
            if region.code == code:
                return region.name
        return None

    def item(self, code: str) -> CatalogItem | None:
        for catalog in self.catalogs.values():
            for item in catalog.items:
                if item.code == code:
                    return item
        return None
