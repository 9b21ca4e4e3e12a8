"""The objection rules (catalogs/objections.yaml): deadlines, refusal reasons, the
documents' numbering and contact, and the review rights a decision names."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from marshmallow import Schema, fields, validate

from credit_service.catalogs.schema import LegalBasisSchema
from credit_service.rules_files import load_rules_file, read_by, workdays

REFUSAL_REASONS = ("not_subject", "out_of_scope", "repeat")
PROCEDURE = "objections/procedure.py"
LETTERS = "objections/letters.py"
DEADLINES = "objections/deadlines.py"


def _prefix(attribute: str) -> fields.String:
    return fields.String(
        required=True, validate=validate.Length(min=2, max=20), metadata=read_by(attribute, LETTERS)
    )


class DocumentsSchema(Schema):
    acceptance_prefix = _prefix("acceptance_prefix")
    extension_prefix = _prefix("extension_prefix")
    decision_prefix = _prefix("decision_prefix")
    contact = fields.String(
        required=True, validate=validate.Length(min=4), metadata=read_by("contact", LETTERS)
    )


class DeadlinesSchema(Schema):
    acceptance_workdays = workdays("acceptance_workdays", DEADLINES)
    decision_workdays = workdays("decision_workdays", DEADLINES)
    extension_workdays = workdays("extension_workdays", DEADLINES, LETTERS)
    due_soon_workdays = workdays("due_soon_workdays", "objections/views.py", DEADLINES, minimum=0)


class ReconsiderationSchema(Schema):
    body = fields.String(required=True, validate=validate.Length(min=2))
    days = fields.Integer(required=True, validate=validate.Range(min=1))


class LitigationSchema(Schema):
    body = fields.String(required=True, validate=validate.Length(min=2))
    months = fields.Integer(required=True, validate=validate.Range(min=1))


class ReviewRightsSchema(Schema):
    reconsideration = fields.Nested(ReconsiderationSchema, required=True)
    litigation = fields.Nested(LitigationSchema, required=True)


class ObjectionRulesSchema(Schema):
    edition = fields.String(required=True, metadata=read_by("edition", "web/cli.py"))
    basis = fields.List(
        fields.Nested(LegalBasisSchema), required=True, metadata=read_by("basis", LETTERS)
    )
    documents = fields.Nested(DocumentsSchema, required=True)
    deadlines = fields.Nested(DeadlinesSchema, required=True)
    refusal_reasons = fields.Dict(
        keys=fields.String(validate=validate.OneOf(REFUSAL_REASONS)),
        values=fields.String(validate=validate.Length(min=2)),
        required=True,
        validate=validate.Length(equal=len(REFUSAL_REASONS)),
        metadata=read_by("refusal_reasons", PROCEDURE, LETTERS),
    )
    review_rights = fields.Nested(
        ReviewRightsSchema, required=True, metadata=read_by("review_rights", LETTERS)
    )


@dataclass(frozen=True)
class ReviewRight:
    """A way to contest a decision: the body that hears it and its time limit."""

    body: str
    days: int | None = None
    months: int | None = None


@dataclass(frozen=True)
class ObjectionRules:
    edition: str
    basis: tuple[dict[str, str | None], ...]
    acceptance_prefix: str
    extension_prefix: str
    decision_prefix: str
    contact: str
    acceptance_workdays: int
    decision_workdays: int
    extension_workdays: int
    due_soon_workdays: int
    refusal_reasons: dict[str, str]
    review_rights: dict[str, ReviewRight]


def load_objection_rules(path: Path) -> ObjectionRules:
    """Load and validate objections.yaml.

    :raises CatalogError: naming the file and the key.
    """
    data = load_rules_file(path, ObjectionRulesSchema())
    documents, deadlines = data["documents"], data["deadlines"]
    return ObjectionRules(
        edition=data["edition"],
        basis=tuple(dict(b) for b in data["basis"]),
        acceptance_prefix=documents["acceptance_prefix"],
        extension_prefix=documents["extension_prefix"],
        decision_prefix=documents["decision_prefix"],
        contact=documents["contact"],
        acceptance_workdays=deadlines["acceptance_workdays"],
        decision_workdays=deadlines["decision_workdays"],
        extension_workdays=deadlines["extension_workdays"],
        due_soon_workdays=deadlines["due_soon_workdays"],
        refusal_reasons=dict(data["refusal_reasons"]),
        review_rights={k: ReviewRight(**v) for k, v in data["review_rights"].items()},
    )
