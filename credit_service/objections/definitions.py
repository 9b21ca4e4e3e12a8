"""The objection rules (catalogs/objections.yaml): deadlines, refusal reasons and the
documents' numbering. The office's contact and the review rights a decision names are
the office's facts, set once in dishonesty.yaml (procedures/office.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from marshmallow import Schema, fields, validate

from credit_service.catalogs.schema import LegalBasisSchema
from credit_service.rules_files import load_rules_file, read_by, workdays

REFUSAL_REASONS = ("not_subject", "out_of_scope", "repeat", "supplement_overdue")
LAPSE = "supplement_overdue"  # the one reason given only for materials not supplied in time
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


class DeadlinesSchema(Schema):
    acceptance_workdays = workdays("acceptance_workdays", DEADLINES)
    decision_workdays = workdays("decision_workdays", DEADLINES)
    extension_workdays = workdays("extension_workdays", DEADLINES, LETTERS)
    supplement_workdays = workdays("supplement_workdays", PROCEDURE)
    due_soon_workdays = workdays("due_soon_workdays", "objections/views.py", DEADLINES, minimum=0)


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


@dataclass(frozen=True)
class ObjectionRules:
    edition: str
    basis: tuple[dict[str, str | None], ...]
    acceptance_prefix: str
    extension_prefix: str
    decision_prefix: str
    acceptance_workdays: int
    decision_workdays: int
    extension_workdays: int
    supplement_workdays: int
    due_soon_workdays: int
    refusal_reasons: dict[str, str]


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
        acceptance_workdays=deadlines["acceptance_workdays"],
        decision_workdays=deadlines["decision_workdays"],
        extension_workdays=deadlines["extension_workdays"],
        supplement_workdays=deadlines["supplement_workdays"],
        due_soon_workdays=deadlines["due_soon_workdays"],
        refusal_reasons=dict(data["refusal_reasons"]),
    )
