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

from credit_service.catalogs.schema import CATEGORIES, DOMAINS
from credit_service.errors import CatalogError
from credit_service.rules_files import Period, read_by
from credit_service.workdays import parse_period

TIER_CODES = ("A", "B", "C", "D")
SEVERITIES = ("minor", "general", "severe")


TIER_RULES = "tiers/rules.py"
TIER_SQL = "tiers/sql.py"
INSPECTIONS = "inspections/rules.py"


class MeasuresSchema(Schema):
    sampling_ratio = fields.Float(
        required=True,
        validate=validate.Range(min=0, max=1),
        metadata=read_by("sampling_ratio", INSPECTIONS),
    )
    inspections_per_year = fields.Float(
        required=True,
        validate=validate.Range(min=0),
        metadata=read_by("inspections_per_year", "web/templates/console/entity.html"),
    )
    proactive_inspection = fields.Boolean(
        required=True, metadata=read_by("proactive_inspection", INSPECTIONS)
    )


class TierSchema(Schema):
    code = fields.String(
        required=True,
        validate=validate.OneOf(TIER_CODES),
        metadata=read_by("names", "web/pages/console.py"),
    )
    name = fields.String(required=True, metadata=read_by("names", "web/pages/console.py"))
    measures = fields.Nested(MeasuresSchema, required=True)


class RecordMatchSchema(Schema):
    category = fields.String(validate=validate.OneOf(CATEGORIES))
    severity = fields.String(validate=validate.OneOf(SEVERITIES))
    domain = fields.String(validate=validate.OneOf(DOMAINS))


class WithinSchema(Schema):
    category = fields.String(
        required=True,
        validate=validate.OneOf(CATEGORIES),
        metadata=read_by("within_category", TIER_RULES, TIER_SQL),
    )
    period = Period(required=True, metadata=read_by("within_months", TIER_RULES, TIER_SQL))


def _hundredths(value: float) -> bool:
    return abs(value * 100 - round(value * 100)) < 1e-9


class DecayStepSchema(Schema):
    within = Period(required=True)
    factor = fields.Float(required=True, validate=validate.Range(min=0, max=1))

    @validates_schema
    def _check(self, data, **kwargs):  # type: ignore[no-untyped-def]
        if not _hundredths(data["factor"]):
            raise ValidationError("must have at most two decimal places.", "factor")


WEIGHT_KEY = validate.Regexp(
    rf"^({'|'.join(CATEGORIES)})(\.({'|'.join(SEVERITIES)}))?$",
    error="must be a category or category.severity, e.g. dishonest.severe.",
)


class ScoringSchema(Schema):
    weights = fields.Dict(
        keys=fields.String(validate=WEIGHT_KEY),
        values=fields.Integer(strict=True, validate=validate.Range(min=-1000, max=1000)),
        required=True,
        validate=validate.Length(min=1),
        metadata=read_by("weights", "tiers/definitions.py"),
    )
    decay = fields.List(
        fields.Nested(DecayStepSchema),
        required=True,
        validate=validate.Length(min=1),
        metadata=read_by("steps", TIER_RULES, TIER_SQL),
    )

    @validates_schema
    def _check(self, data, **kwargs):  # type: ignore[no-untyped-def]
        months = [parse_period(step["within"]) for step in data["decay"]]
        if months != sorted(set(months)):
            raise ValidationError("steps must be in strictly increasing periods.", "decay")


class ConditionSchema(Schema):
    listed = fields.Boolean(metadata=read_by("listed", TIER_RULES, TIER_SQL))
    active_record = fields.Nested(
        RecordMatchSchema, metadata=read_by("active_record", TIER_RULES, TIER_SQL)
    )
    no_record_within = fields.Nested(WithinSchema)
    score_at_least = fields.Float(
        validate=validate.Range(min=-100000, max=100000),
        metadata=read_by("min_score", TIER_RULES, TIER_SQL),
    )

    @validates_schema
    def _check(self, data, **kwargs):  # type: ignore[no-untyped-def]
        if "score_at_least" in data and not _hundredths(data["score_at_least"]):
            raise ValidationError("must have at most two decimal places.", "score_at_least")


class RuleSchema(Schema):
    id = fields.String(
        required=True,
        validate=validate.Regexp(r"^[a-z][a-z0-9-]{0,39}$"),
        metadata=read_by("id", TIER_RULES),
    )
    tier = fields.String(
        required=True, validate=validate.OneOf(TIER_CODES), metadata=read_by("tier", TIER_SQL)
    )
    description = fields.String(required=True, metadata=read_by("description", TIER_RULES))
    when = fields.Nested(ConditionSchema, required=True)


class RuleSetSchema(Schema):
    edition = fields.String(required=True, metadata=read_by("edition", "tiers/definitions.py"))
    tiers = fields.List(fields.Nested(TierSchema), required=True)
    scoring = fields.Nested(ScoringSchema)
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
        scored = [r["id"] for r in data["rules"] if "score_at_least" in r["when"]]
        if scored and "scoring" not in data:
            raise ValidationError(
                f"rule '{scored[0]}' uses score_at_least but there is no scoring section.",
                "rules",
            )


@dataclass(frozen=True)
class Condition:
    """All of the given clauses must hold."""

    listed: bool | None = None
    active_record: dict[str, str] | None = None
    within_category: str | None = None
    within_months: int | None = None
    min_score: int | None = None  # in hundredths of a point


@dataclass(frozen=True)
class Scoring:
    """Points per record by category (and severity), scaled down as the record ages.

    Kept in hundredths of a point so Python and SQL add exact integers and always agree.
    ``steps`` are (months, factor in hundredths), shortest period first: a record decided
    within the first period counts at its factor, and so on; older records count nothing.
    """

    weights: dict[str, int]
    steps: tuple[tuple[int, int], ...]

    def weight(self, category: str, severity: str | None) -> int:
        return self.weights.get(f"{category}.{severity}", self.weights.get(category, 0))

    def weight_keys(self) -> list[tuple[str, str | None, int]]:
        """(category, severity or None, weight), the specific keys before the general."""
        keys = [
            (*k.split(".", 1), w) if "." in k else (k, None, w) for k, w in self.weights.items()
        ]
        return sorted(keys, key=lambda key: (key[1] is None, key[0], key[1] or ""))


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
    scoring: Scoring | None = None

    @property
    def content_hash(self) -> str:
        canonical = json.dumps(self.document, ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    @property
    def label(self) -> str:
        return f"{self.edition}+{self.content_hash[:12]}"

    def rule(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)

    def window_months(self) -> set[int]:
        """Periods after which a record's age changes a rule's outcome: the look-backs
        and, when a rule scores, the decay steps."""
        months = {r.when.within_months for r in self.rules if r.when.within_months}
        if self.scoring and any(r.when.min_score is not None for r in self.rules):
            months.update(m for m, _ in self.scoring.steps)
        return months


def load_rule_set(path: Path) -> RuleSet:
    """Load and validate ``tiers.yaml``.

    :raises CatalogError: naming the file and the failing key.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, ValueError) as exc:
        raise CatalogError.in_file(path, f"cannot be read as YAML: {exc}") from exc
    return rule_set_from_text(text, path)


def rule_set_from_text(text: str, path: object = "tiers.yaml") -> RuleSet:
    """Validate a rule set given as YAML text (a candidate an administrator pastes into
    the console); ``path`` names it in the error.

    :raises CatalogError: naming ``path`` and the failing key.
    """
    try:
        raw = yaml.safe_load(text)
    except (yaml.YAMLError, ValueError) as exc:
        raise CatalogError.in_file(path, f"cannot be read as YAML: {exc}") from exc
    try:
        data = RuleSetSchema().load(raw if isinstance(raw, dict) else {})
    except ValidationError as exc:
        raise CatalogError.in_file(path, _first_error(exc.messages)) from exc
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
        scoring=_scoring(doc.get("scoring")),
    )


def _scoring(section: dict[str, Any] | None) -> Scoring | None:
    if not section:
        return None
    steps = tuple(
        (parse_period(step["within"]), round(step["factor"] * 100)) for step in section["decay"]
    )
    return Scoring(weights=dict(section["weights"]), steps=steps)


def _condition(when: dict[str, Any]) -> Condition:
    within = when.get("no_record_within")
    return Condition(
        listed=when.get("listed"),
        active_record=dict(when["active_record"]) if "active_record" in when else None,
        within_category=within["category"] if within else None,
        within_months=parse_period(within["period"]) if within else None,
        min_score=round(when["score_at_least"] * 100) if "score_at_least" in when else None,
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
