"""The repair rules (catalogs/repair.yaml): deadlines, cool-down, commitment, materials."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from marshmallow import Schema, fields, validate

from credit_service.catalogs.schema import LegalBasisSchema
from credit_service.rules_files import Period, load_rules_file, read_by, workdays
from credit_service.workdays import parse_period

EVIDENCE_TYPES = ("application/pdf", "image/jpeg", "image/png")


REPAIR_RULES = "repair/rules.py"
HOME = "web/templates/public/home.html"
COMMITMENT_READERS = ("repair/applications.py", "repair/eligibility.py")


class DeadlinesSchema(Schema):
    acceptance_workdays = workdays("acceptance_workdays", REPAIR_RULES)
    decision_workdays = workdays("decision_workdays", REPAIR_RULES)
    listing_decision_workdays = workdays("listing_decision_workdays", REPAIR_RULES)
    supplement_workdays = workdays("supplement_workdays", "repair/procedure.py")
    due_soon_workdays = workdays(
        "due_soon_workdays",
        "repair/views.py",
        "repair/deadlines.py",
        "dishonesty/pipeline.py",
        minimum=0,
    )


class CommitmentSchema(Schema):
    version = fields.String(
        required=True, metadata=read_by("commitment_version", *COMMITMENT_READERS)
    )
    text = fields.String(
        required=True,
        validate=validate.Length(min=10),
        metadata=read_by("commitment_text", *COMMITMENT_READERS),
    )


class MaterialsSchema(Schema):
    record = fields.List(fields.String(), required=True)
    listing = fields.List(fields.String(), required=True)


class EvidenceSchema(Schema):
    max_files = fields.Integer(
        required=True,
        validate=validate.Range(min=1, max=100),
        metadata=read_by("max_files", "repair/evidence.py"),
    )
    max_bytes = workdays("max_bytes", "repair/evidence.py")
    types = fields.List(
        fields.String(validate=validate.OneOf(EVIDENCE_TYPES)),
        required=True,
        metadata=read_by("evidence_types", "repair/evidence.py"),
    )


class RepairRulesSchema(Schema):
    edition = fields.String(required=True, metadata=read_by("edition", "web/cli.py"))
    basis = fields.List(
        fields.Nested(LegalBasisSchema), required=True, metadata=read_by("basis", HOME)
    )
    deadlines = fields.Nested(DeadlinesSchema, required=True)
    cooldown = Period(required=True, metadata=read_by("cooldown_months", REPAIR_RULES))
    commitment = fields.Nested(CommitmentSchema, required=True)
    materials = fields.Nested(
        MaterialsSchema, required=True, metadata=read_by("materials", REPAIR_RULES)
    )
    evidence = fields.Nested(EvidenceSchema, required=True)


@dataclass(frozen=True)
class RepairRules:
    edition: str
    basis: tuple[dict[str, str | None], ...]
    acceptance_workdays: int
    decision_workdays: int
    listing_decision_workdays: int
    supplement_workdays: int
    due_soon_workdays: int
    cooldown_months: int
    commitment_version: str
    commitment_text: str
    materials: dict[str, tuple[str, ...]]
    max_files: int
    max_bytes: int
    evidence_types: frozenset[str]


def load_repair_rules(path: Path) -> RepairRules:
    """Load and validate repair.yaml.

    :raises CatalogError: naming the file and the key.
    """
    data = load_rules_file(path, RepairRulesSchema())
    deadlines, evidence = data["deadlines"], data["evidence"]
    return RepairRules(
        edition=data["edition"],
        basis=tuple(dict(b) for b in data["basis"]),
        acceptance_workdays=deadlines["acceptance_workdays"],
        decision_workdays=deadlines["decision_workdays"],
        listing_decision_workdays=deadlines["listing_decision_workdays"],
        supplement_workdays=deadlines["supplement_workdays"],
        due_soon_workdays=deadlines["due_soon_workdays"],
        cooldown_months=parse_period(data["cooldown"]),
        commitment_version=data["commitment"]["version"],
        commitment_text=_unfold(data["commitment"]["text"]),
        materials={k: tuple(v) for k, v in data["materials"].items()},
        max_files=evidence["max_files"],
        max_bytes=evidence["max_bytes"],
        evidence_types=frozenset(evidence["types"]),
    )


CJK = r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]"
_BETWEEN_CJK = re.compile(rf"(?<={CJK})\s+(?={CJK})")


def _unfold(text: str) -> str:
    """One line of text from a folded YAML block: Chinese needs no space where a line
    was broken (YAML puts one there), other text keeps single spaces."""
    return _BETWEEN_CJK.sub("", " ".join(text.split()))
