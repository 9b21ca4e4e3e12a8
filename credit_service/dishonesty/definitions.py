"""The list rules (catalogs/dishonesty.yaml): office, procedure periods, grounds, measures.

The ``office`` section is the one place the office's facts are set (name, address,
contact, hours, the review bodies and their time limits): the listing letters, the
removal decision and the objection notices all read them from here."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from marshmallow import Schema, fields, validate

from credit_service.catalogs.schema import LISTING_GROUNDS, LegalBasisSchema
from credit_service.errors import CatalogError
from credit_service.procedures.office import Office, ReviewRight
from credit_service.rules_files import Period, load_rules_file, read_by, workdays
from credit_service.workdays import parse_period

REMOVAL_REASONS = ("expired", "repaired", "revoked", "corrected", "objection_upheld")
LIST_RULES = "dishonesty/rules.py"
LIST_PROCEDURE = "dishonesty/procedure.py"
LIST_LETTERS = "dishonesty/letters.py"
LIST_REMOVALS = "dishonesty/removals.py"
OFFICE_WORDS = "procedures/office.py"


def _prefix(attribute: str) -> fields.String:
    """A document-number prefix (宣市监信告), numbered by the listing procedure."""
    return fields.String(
        required=True,
        validate=validate.Length(min=2, max=20),
        metadata=read_by(attribute, LIST_PROCEDURE),
    )


def _office_fact(attribute: str, minimum: int = 2) -> fields.String:
    """A fact of the office every document names (procedures/office.py writes it)."""
    return fields.String(
        required=True,
        validate=validate.Length(min=minimum),
        metadata=read_by(attribute, OFFICE_WORDS),
    )


class ReconsiderationSchema(Schema):
    body = fields.String(required=True, validate=validate.Length(min=2))
    days = fields.Integer(required=True, validate=validate.Range(min=1))


class LitigationSchema(Schema):
    body = fields.String(required=True, validate=validate.Length(min=2))
    months = fields.Integer(required=True, validate=validate.Range(min=1))


class ReviewRightsSchema(Schema):
    reconsideration = fields.Nested(
        ReconsiderationSchema, required=True, metadata=read_by("reconsideration", OFFICE_WORDS)
    )
    litigation = fields.Nested(
        LitigationSchema, required=True, metadata=read_by("litigation", OFFICE_WORDS)
    )


class OfficeSchema(Schema):
    name = fields.String(required=True, metadata=read_by("office_name", LIST_LETTERS))
    department = _office_fact("department")
    address = _office_fact("address", 4)
    postcode = fields.String(
        required=True,
        validate=validate.Regexp(r"^[0-9]{6}$"),
        metadata=read_by("postcode", OFFICE_WORDS),
    )
    phone = _office_fact("phone", 5)
    hours = _office_fact("hours", 4)
    notice_prefix = _prefix("notice_prefix")
    decision_prefix = _prefix("decision_prefix")
    removal_prefix = _prefix("removal_prefix")
    check_prefix = fields.String(
        required=True,
        validate=validate.Length(min=2, max=20),
        metadata=read_by("check_prefix", "dishonesty/check_audit.py"),
    )
    review_rights = fields.Nested(ReviewRightsSchema, required=True)


class ProcedureSchema(Schema):
    statement_window_workdays = workdays("statement_window_workdays", LIST_RULES)
    publication_deadline_workdays = workdays("publication_deadline_workdays", LIST_RULES)
    term = Period(required=True, metadata=read_by("term_months", LIST_RULES))
    early_removal_after = Period(
        required=True, metadata=read_by("early_removal_months", "repair/eligibility.py")
    )
    removed_answer = Period(required=True, metadata=read_by("removed_answer_months", LIST_REMOVALS))


class ListRulesSchema(Schema):
    edition = fields.String(required=True, metadata=read_by("edition", "web/cli.py"))
    office = fields.Nested(OfficeSchema, required=True)
    basis = fields.List(
        fields.Nested(LegalBasisSchema),
        required=True,
        metadata=read_by("basis", LIST_LETTERS, "dishonesty/public.py"),
    )
    procedure = fields.Nested(ProcedureSchema, required=True)
    grounds = fields.Dict(
        keys=fields.String(validate=validate.OneOf(LISTING_GROUNDS)),
        values=fields.String(),
        required=True,
        metadata=read_by("grounds", LIST_LETTERS, "dishonesty/public.py"),
    )
    measures = fields.List(
        fields.String(), required=True, metadata=read_by("measures", LIST_PROCEDURE)
    )
    removal_reasons = fields.Dict(
        keys=fields.String(validate=validate.OneOf(REMOVAL_REASONS)),
        values=fields.String(),
        required=True,
        metadata=read_by("removal_reasons", LIST_PROCEDURE, "dishonesty/public.py"),
    )


@dataclass(frozen=True)
class ListRules:
    """How the list is run: who decides, the periods, what grounds and measures mean."""

    edition: str
    office_name: str
    notice_prefix: str
    decision_prefix: str
    removal_prefix: str
    check_prefix: str
    office: Office
    basis: tuple[dict[str, str], ...]
    statement_window_workdays: int
    publication_deadline_workdays: int
    term_months: int
    early_removal_months: int
    grounds: dict[str, str]
    measures: tuple[str, ...]
    removal_reasons: dict[str, str]
    removed_answer_months: int = 12  # how long a removed entry's address says so (D22)


def load_list_rules(path: Path, *, known_measures: frozenset[str]) -> ListRules:
    """Load and validate dishonesty.yaml.

    :raises CatalogError: naming the file and the key.
    """
    data = load_rules_file(path, ListRulesSchema())
    unknown = [m for m in data["measures"] if m not in known_measures]
    if unknown:
        raise CatalogError.in_file(path, f"key 'measures': unknown measures {unknown}")
    missing = sorted(set(LISTING_GROUNDS) - set(data["grounds"]))
    if missing:
        raise CatalogError.in_file(path, f"key 'grounds': missing {missing}")
    procedure, office = data["procedure"], data["office"]
    return ListRules(
        edition=data["edition"],
        office_name=office["name"],
        notice_prefix=office["notice_prefix"],
        decision_prefix=office["decision_prefix"],
        removal_prefix=office["removal_prefix"],
        check_prefix=office["check_prefix"],
        office=_office(office),
        basis=tuple(dict(b) for b in data["basis"]),
        statement_window_workdays=procedure["statement_window_workdays"],
        publication_deadline_workdays=procedure["publication_deadline_workdays"],
        term_months=parse_period(procedure["term"]),
        early_removal_months=parse_period(procedure["early_removal_after"]),
        grounds=dict(data["grounds"]),
        measures=tuple(data["measures"]),
        removal_reasons=dict(data["removal_reasons"]),
        removed_answer_months=parse_period(procedure["removed_answer"]),
    )


def _office(office: dict[str, Any]) -> Office:
    rights = office["review_rights"]
    return Office(
        name=office["name"],
        department=office["department"],
        address=office["address"],
        postcode=office["postcode"],
        phone=office["phone"],
        hours=office["hours"],
        reconsideration=ReviewRight(**rights["reconsideration"]),
        litigation=ReviewRight(**rights["litigation"]),
    )
