"""Marshmallow schemas of the files in ``catalogs/``: what a valid file looks like.

Cross-file checks (measure codes exist, envelope fields exist, codes unique) are in
``loader.py``; these schemas check one document at a time.
"""

from __future__ import annotations

import re

from marshmallow import (
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from credit_service.rules_files import Period, read_by

CODE_RE = r"^[A-Z][A-Z0-9-]{1,63}$"
FIELD_NAME_RE = r"^[A-Za-z][A-Za-z0-9_]{0,63}$"

DOMAINS = ("patent", "trademark", "geographical_indication")
CATEGORIES = ("basic", "dishonest", "trustworthy")
SEVERITIES = ("minor", "general", "severe", "by_penalty")
RECORD_TYPES = ("penalty", "finding", "ruling", "award", "registration")
DISCLOSURES = ("public", "shared", "internal")
LISTING_GROUNDS = (
    "intentional_infringement",
    "abnormal_or_bad_faith_application",
    "serious_illegal_agency",
)
CNIPA_CATEGORIES = (
    "abnormal_patent_application",
    "bad_faith_trademark_application",
    "illegal_agency",
    "false_materials",
    "commitment_breach",
    "refusing_penalty_or_ruling",
    "other_catalogued",
)
FIELD_TYPES = (
    "string",
    "text",
    "date",
    "integer",
    "decimal",
    "boolean",
    "enum",
    "enum_list",
    "string_list",
)
NAMED_FORMATS = ("uscc", "resident_id", "patent_application_no", "trademark_no")
MEASURE_EFFECTS = ("strict_review", "not_eligible", "supervision")


class NameOrNames(fields.Field):
    """One name, or a list of names (``field_set: cnipa_finding`` or
    ``field_set: [cnipa_finding, penalty_refusal]``), loaded as a list."""

    def _deserialize(self, value, attr, data, **kwargs):  # type: ignore[no-untyped-def]
        names = [value] if isinstance(value, str) else value
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            raise ValidationError("Must be a field set name or a list of names.")
        return names


def _one_of(choices: tuple[str, ...]) -> validate.OneOf:
    return validate.OneOf(choices, error="Must be one of: {choices}.")


class LegalBasisSchema(Schema):
    """An instrument and its article; ``article: null`` cites the instrument alone, where
    the article that settles the point is not known (docs/catalogs.md)."""

    instrument = fields.String(required=True, validate=validate.Length(min=2))
    article = fields.String(required=True, allow_none=True, validate=validate.Length(min=1))


class RequiredIfSchema(Schema):
    """The field is required when ``field`` contains any of the ``contains`` values."""

    field = fields.String(required=True)
    contains = fields.Raw(required=True)

    @post_load
    def _as_list(self, data, **kwargs):  # type: ignore[no-untyped-def]
        contains = data["contains"]
        values = [contains] if isinstance(contains, str) else contains
        if (
            not isinstance(values, list)
            or not values
            or not all(isinstance(v, str) for v in values)
        ):
            raise ValidationError("Must be a value or a list of values.", "contains")
        return {"field": data["field"], "contains": values}


class FieldSpecSchema(Schema):
    name = fields.String(required=True, validate=validate.Regexp(FIELD_NAME_RE))
    label = fields.String(required=True)
    type = fields.String(required=True, validate=_one_of(FIELD_TYPES))
    required = fields.Boolean(load_default=False)
    format = fields.String(load_default=None)
    values = fields.List(fields.String(), load_default=None)
    max_length = fields.Integer(load_default=None, validate=validate.Range(min=1))
    min = fields.Decimal(load_default=None, as_string=True)
    max = fields.Decimal(load_default=None, as_string=True)
    required_if = fields.Nested(RequiredIfSchema, load_default=None)

    @validates_schema
    def _check(self, data, **kwargs):  # type: ignore[no-untyped-def]
        if data["type"] in ("enum", "enum_list") and not data.get("values"):
            raise ValidationError("An enum field needs 'values'.", "values")
        fmt = data.get("format")
        if fmt and fmt not in NAMED_FORMATS and not fmt.startswith("regex:"):
            raise ValidationError(
                f"Must be one of {', '.join(NAMED_FORMATS)} or 'regex:<pattern>'.", "format"
            )
        if fmt and fmt.startswith("regex:"):
            try:
                re.compile(fmt[len("regex:") :])
            except re.error as exc:
                raise ValidationError(f"Invalid regular expression: {exc}.", "format") from exc


class EnvelopeSchema(Schema):
    source_ref = fields.String(required=True)
    decision_date = fields.String(required=True)
    source_authority = fields.String(required=True)


class PublicitySchema(Schema):
    min = Period(required=True, allow_none=True)
    max = Period(required=True, allow_none=True)


class MeasuresTermSchema(Schema):
    base = Period(required=True)
    max = Period(required=True)


class ItemSchema(Schema):
    code = fields.String(required=True, validate=validate.Regexp(CODE_RE))
    name = fields.String(required=True, validate=validate.Length(min=2))
    category = fields.String(required=True, validate=_one_of(CATEGORIES))
    severity = fields.String(load_default=None, validate=_one_of(SEVERITIES))
    record_type = fields.String(required=True, validate=_one_of(RECORD_TYPES))
    cnipa_category = fields.String(load_default=None, validate=_one_of(CNIPA_CATEGORIES))
    legal_basis = fields.List(
        fields.Nested(LegalBasisSchema), required=True, validate=validate.Length(min=1)
    )
    provider = fields.String(required=True)
    disclosure = fields.String(required=True, validate=_one_of(DISCLOSURES))
    publicity = fields.Nested(PublicitySchema, load_default=None, allow_none=True)
    retention = Period(load_default=None)
    repairable = fields.Boolean(required=True)
    heavier_penalty = fields.Boolean(load_default=False)
    listing_grounds = fields.List(
        fields.String(validate=_one_of(LISTING_GROUNDS)), load_default=list
    )
    measures = fields.List(fields.String(), load_default=list)
    measures_term = fields.Nested(MeasuresTermSchema, load_default=None)
    violation_types = fields.List(fields.String(), load_default=list)
    envelope = fields.Nested(EnvelopeSchema, load_default=None)
    field_set = NameOrNames(load_default=list)
    field_specs = fields.List(fields.Nested(FieldSpecSchema), load_default=list, data_key="fields")

    @validates_schema
    def _check(self, data, **kwargs):  # type: ignore[no-untyped-def]
        dishonest = data["category"] == "dishonest"
        if dishonest and not data.get("severity"):
            raise ValidationError("A dishonest item needs a severity.", "severity")
        if not dishonest and data.get("severity"):
            raise ValidationError("Only dishonest items carry a severity.", "severity")
        if data.get("severity") == "by_penalty" and data["record_type"] != "penalty":
            raise ValidationError("'by_penalty' is only for penalty items.", "severity")
        if not data.get("field_set") and not data.get("field_specs"):
            raise ValidationError("An item needs 'fields' or a 'field_set'.", "fields")


class DomainCatalogSchema(Schema):
    domain = fields.String(required=True, validate=_one_of(DOMAINS))
    title = fields.String(required=True)
    edition = fields.String(required=True)
    issuer = fields.String(required=True)
    effective_from = fields.Date(required=True)
    items = fields.List(fields.Raw(), required=True, validate=validate.Length(min=1))


class FieldSetSchema(Schema):
    description = fields.String(required=True)
    envelope = fields.Nested(EnvelopeSchema, load_default=None)
    field_specs = fields.List(fields.Nested(FieldSpecSchema), required=True, data_key="fields")


class FieldSetsFileSchema(Schema):
    field_sets = fields.Dict(keys=fields.String(), values=fields.Nested(FieldSetSchema))


class PurposeSchema(Schema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]*$"))
    name = fields.String(required=True)


class MeasureSchema(Schema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]*$"))
    name = fields.String(required=True)
    effect = fields.String(required=True, validate=_one_of(MEASURE_EFFECTS))
    purposes = fields.List(fields.String(), load_default=list)
    legal_basis = fields.List(fields.Nested(LegalBasisSchema), required=True)


class MeasuresFileSchema(Schema):
    purposes = fields.List(fields.Nested(PurposeSchema), required=True)
    measures = fields.List(fields.Nested(MeasureSchema), required=True)


class BandSchema(Schema):
    min = Period(required=True, allow_none=True)
    max = Period(required=True, allow_none=True)


class BandsSchema(Schema):
    minor = fields.Nested(BandSchema, required=True)
    general = fields.Nested(BandSchema, required=True)
    severe = fields.Nested(BandSchema, required=True)


RECORD_RULES = "records/rules.py"


class BandEditionSchema(Schema):
    applies_from = fields.Date(
        required=True, allow_none=True, metadata=read_by("applies_from", "catalogs/definitions.py")
    )
    basis = fields.Nested(
        LegalBasisSchema, required=True, metadata=read_by("basis", "web/pages/public.py")
    )
    bands = fields.Nested(BandsSchema, required=True, metadata=read_by("bands", RECORD_RULES))


class PublicityFileSchema(Schema):
    band_editions = fields.List(
        fields.Nested(BandEditionSchema), required=True, validate=validate.Length(min=1)
    )
    never_published_penalty_types = fields.List(
        fields.String(),
        required=True,
        metadata=read_by("never_published_penalty_types", RECORD_RULES),
    )
    minor_penalty_types = fields.List(
        fields.String(), required=True, metadata=read_by("minor_penalty_types", RECORD_RULES)
    )
    heavy_penalty_types = fields.List(
        fields.String(), required=True, metadata=read_by("heavy_penalty_types", RECORD_RULES)
    )
    no_early_stop_penalty_types = fields.List(
        fields.String(),
        required=True,
        metadata=read_by("no_early_stop_penalty_types", RECORD_RULES),
    )
    default_retention = Period(
        required=True, metadata=read_by("default_retention_months", RECORD_RULES)
    )
    roll_forward_past_holidays = fields.Boolean(
        required=True, metadata=read_by("roll_forward_past_holidays", RECORD_RULES)
    )


class RegionSchema(Schema):
    code = fields.String(required=True, validate=validate.Regexp(r"^\d{6}$"))
    name = fields.String(required=True)
    kind = fields.String(load_default=None)


class RegionsFileSchema(Schema):
    city = fields.Nested(RegionSchema, required=True)
    regions = fields.List(fields.Nested(RegionSchema), required=True)


class IndustrySchema(Schema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[A-Z]$"))
    name = fields.String(required=True)


class IndustriesFileSchema(Schema):
    standard = fields.String(required=True)
    sections = fields.List(fields.Nested(IndustrySchema), required=True)
