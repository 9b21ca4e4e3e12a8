"""The list rules (catalogs/dishonesty.yaml): office, procedure periods, grounds, measures."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml
from marshmallow import Schema, ValidationError, fields, validate

from credit_service.catalogs.schema import LISTING_GROUNDS, LegalBasisSchema, Period
from credit_service.errors import CatalogError
from credit_service.workdays import parse_period

REMOVAL_REASONS = ("expired", "repaired", "revoked", "corrected")


class OfficeSchema(Schema):
    name = fields.String(required=True)
    notice_prefix = fields.String(required=True, validate=validate.Length(min=2, max=20))
    decision_prefix = fields.String(required=True, validate=validate.Length(min=2, max=20))
    removal_prefix = fields.String(required=True, validate=validate.Length(min=2, max=20))


class ProcedureSchema(Schema):
    statement_window_workdays = fields.Integer(required=True, validate=validate.Range(min=1))
    publication_deadline_workdays = fields.Integer(required=True, validate=validate.Range(min=1))
    term = Period(required=True)
    early_removal_after = Period(required=True)
    removal_decision_workdays = fields.Integer(required=True, validate=validate.Range(min=1))
    withdrawal_workdays = fields.Integer(required=True, validate=validate.Range(min=1))


class ListRulesSchema(Schema):
    edition = fields.String(required=True)
    office = fields.Nested(OfficeSchema, required=True)
    basis = fields.List(fields.Nested(LegalBasisSchema), required=True)
    procedure = fields.Nested(ProcedureSchema, required=True)
    grounds = fields.Dict(
        keys=fields.String(validate=validate.OneOf(LISTING_GROUNDS)),
        values=fields.String(),
        required=True,
    )
    measures = fields.List(fields.String(), required=True)
    removal_reasons = fields.Dict(
        keys=fields.String(validate=validate.OneOf(REMOVAL_REASONS)),
        values=fields.String(),
        required=True,
    )


@dataclass(frozen=True)
class ListRules:
    """How the list is run: who decides, the periods, what grounds and measures mean."""

    edition: str
    office_name: str
    notice_prefix: str
    decision_prefix: str
    removal_prefix: str
    basis: tuple[dict[str, str], ...]
    statement_window_workdays: int
    publication_deadline_workdays: int
    term_months: int
    early_removal_months: int
    removal_decision_workdays: int
    withdrawal_workdays: int
    grounds: dict[str, str]
    measures: tuple[str, ...]
    removal_reasons: dict[str, str]


def load_list_rules(path: Path, *, known_measures: frozenset[str]) -> ListRules:
    """Load and validate dishonesty.yaml.

    :raises CatalogError: naming the file and the key.
    """
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        data = ListRulesSchema().load(raw if isinstance(raw, dict) else {})
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogError(f"{path}: cannot be read as YAML: {exc}") from exc
    except ValidationError as exc:
        key, message = next(iter(exc.messages.items()))
        raise CatalogError(f"{path}: key '{key}': {message}") from exc
    unknown = [m for m in data["measures"] if m not in known_measures]
    if unknown:
        raise CatalogError(f"{path}: key 'measures': unknown measures {unknown}")
    missing = sorted(set(LISTING_GROUNDS) - set(data["grounds"]))
    if missing:
        raise CatalogError(f"{path}: key 'grounds': missing {missing}")
    procedure, office = data["procedure"], data["office"]
    return ListRules(
        edition=data["edition"],
        office_name=office["name"],
        notice_prefix=office["notice_prefix"],
        decision_prefix=office["decision_prefix"],
        removal_prefix=office["removal_prefix"],
        basis=tuple(dict(b) for b in data["basis"]),
        statement_window_workdays=procedure["statement_window_workdays"],
        publication_deadline_workdays=procedure["publication_deadline_workdays"],
        term_months=parse_period(procedure["term"]),
        early_removal_months=parse_period(procedure["early_removal_after"]),
        removal_decision_workdays=procedure["removal_decision_workdays"],
        withdrawal_workdays=procedure["withdrawal_workdays"],
        grounds=dict(data["grounds"]),
        measures=tuple(data["measures"]),
        removal_reasons=dict(data["removal_reasons"]),
    )
