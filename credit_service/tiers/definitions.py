"""The tier rule set (catalogs/tiers.yaml): tiers, ordered rules, per-tier measures.

Loaded and validated like the catalogs; a bad file raises CatalogError naming the file
and the key. The rule set's version is its edition plus the hash of its content.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from credit_service.catalogs.schema import CATEGORIES, DOMAINS, LegalBasisSchema, Period
from credit_service.errors import CatalogError
from credit_service.workdays import parse_period

TIER_CODES = ("A", "B", "C", "D")
SEVERITIES = ("minor", "general", "severe")


class MeasuresSchema(Schema):
    sampling_ratio = fields.Float(required=True, validate=validate.Range(min=0, max=1))
    inspections_per_year = fields.Float(required=True, validate=validate.Range(min=0))
    proactive_inspection = fields.Boolean(required=True)


class TierSchema(Schema):
    code = fields.String(required=True, validate=validate.OneOf(TIER_CODES))
    name = fields.String(required=True)
    measures = fields.Nested(MeasuresSchema, required=True)


class RecordMatchSchema(Schema):
    category = fields.String(validate=validate.OneOf(CATEGORIES))
    severity = fields.String(validate=validate.OneOf(SEVERITIES))
    domain = fields.String(validate=validate.OneOf(DOMAINS))


class WithinSchema(Schema):
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    period = Period(required=True)


class ConditionSchema(Schema):
    listed = fields.Boolean()
    active_record = fields.Nested(RecordMatchSchema)
    no_record_within = fields.Nested(WithinSchema)


class RuleSchema(Schema):
    id = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9-]{0,39}$"))
    tier = fields.String(required=True, validate=validate.OneOf(TIER_CODES))
    description = fields.String(required=True)
    when = fields.Nested(ConditionSchema, required=True)


class RuleSetSchema(Schema):
    edition = fields.String(required=True)
    basis = fields.List(fields.Nested(LegalBasisSchema), required=True)
    tiers = fields.List(fields.Nested(TierSchema), required=True)
    rules = fields.List(fields.Nested(RuleSchema), required=True, validate=validate.Length(min=1))

    @validates_schema
    def _check(self, data, **kwargs):  # type: ignore[no-untyped-def]
        codes = [t["code"] for t in data["tiers"]]
        if sorted(codes) != sorted(TIER_CODES):
            raise ValidationError("must define each of the tiers A, B, C, D once.", "tiers")
        ids = [r["id"] for r in data["rules"]]
        if len(ids) != len(set(ids)):
            raise ValidationError("rule ids must be unique.", "rules")
        if data["rules"][-1]["when"]:
            raise ValidationError("the last rule must have no conditions (the default).", "rules")


@dataclass(frozen=True)
class Condition:
    """All of the given clauses must hold."""

    listed: bool | None = None
    active_record: dict[str, str] | None = None
    within_category: str | None = None
    within_months: int | None = None


@dataclass(frozen=True)
class Rule:
    id: str
    tier: str
    description: str
    when: Condition


@dataclass(frozen=True)
class TierMeasures:
    sampling_ratio: float
    inspections_per_year: float
    proactive_inspection: bool


@dataclass(frozen=True)
class RuleSet:
    """A loaded tier rule set; ``document`` is what is stored with its version."""

    edition: str
    names: dict[str, str]
    measures: dict[str, TierMeasures]
    rules: tuple[Rule, ...]
    document: dict[str, Any]

    @property
    def content_hash(self) -> str:
        canonical = json.dumps(self.document, ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    @property
    def label(self) -> str:
        return f"{self.edition}+{self.content_hash[:12]}"

    def rule(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)


def load_rule_set(path: Path) -> RuleSet:
    """Load and validate ``tiers.yaml``.

    :raises CatalogError: naming the file and the failing key.
    """
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, ValueError) as exc:
        raise CatalogError(f"{path}: cannot be read as YAML: {exc}") from exc
    try:
        data = RuleSetSchema().load(raw if isinstance(raw, dict) else {})
    except ValidationError as exc:
        raise CatalogError(f"{path}: {_first_error(exc.messages)}") from exc
    return rule_set_from_document(_plain(data))


def rule_set_from_document(doc: dict[str, Any]) -> RuleSet:
    """Rebuild a rule set from its stored document (versions stay readable)."""
    rules = tuple(
        Rule(id=r["id"], tier=r["tier"], description=r["description"], when=_condition(r["when"]))
        for r in doc["rules"]
    )
    return RuleSet(
        edition=doc["edition"],
        names={t["code"]: t["name"] for t in doc["tiers"]},
        measures={t["code"]: TierMeasures(**t["measures"]) for t in doc["tiers"]},
        rules=rules,
        document=doc,
    )


def _condition(when: dict[str, Any]) -> Condition:
    within = when.get("no_record_within")
    return Condition(
        listed=when.get("listed"),
        active_record=dict(when["active_record"]) if "active_record" in when else None,
        within_category=within["category"] if within else None,
        within_months=parse_period(within["period"]) if within else None,
    )


def _plain(data: Any) -> Any:
    return json.loads(json.dumps(data, ensure_ascii=False))


def _first_error(messages: Any, path: str = "") -> str:
    if isinstance(messages, dict):
        key, value = next(iter(messages.items()))
        return _first_error(value, f"{path}.{key}" if path else str(key))
    if isinstance(messages, list) and messages and isinstance(messages[0], str):
        return f"key '{path or 'document'}': {' '.join(messages)}"
    return f"key '{path}': invalid"
