"""Entity rules: validate and normalise registry input; mask personal data. Pure."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from credit_service import identifiers, masking
from credit_service.catalogs.definitions import CatalogSet
from credit_service.errors import InvalidInput

# Kept here, not with the models, so that import workers validating rows need no ORM.
ENTITY_KINDS = ("organisation", "agency", "individual_business", "natural_person")
ENTITY_STATUSES = ("active", "deregistered", "revoked", "suspended")
AGENCY_TYPES = ("patent", "trademark")

# What each kind of entity is identified by (D13).
IDENTIFIER_KIND = {
    "organisation": "uscc",
    "agency": "uscc",
    "individual_business": "uscc",
    "natural_person": "resident_id",
}
TEXT_LIMITS = {
    "name": 200,
    "address": 300,
    "legal_representative": 100,
    "phone": 30,
    "agency_licence_no": 64,
}
EDITABLE = (
    "name",
    "former_names",
    "region_code",
    "industry",
    "address",
    "legal_representative",
    "phone",
    "agency_type",
    "agency_licence_no",
    "status",
)
HASHED = ("kind", "identifier", *EDITABLE)
# the fields other areas keep a copy of an entity's name by (a listing's search name):
# a change of either is recorded as EntitiesRenamed
NAMING = ("kind", "name")


def normalise_identifier(kind: str, value: str, *, today: date | None = None) -> str:
    """The canonical identifier of an entity of ``kind``."""
    if IDENTIFIER_KIND[kind] == "uscc":
        return identifiers.normalize_uscc(value)
    return identifiers.normalize_resident_id(value, today=today)


def lookup_key(value: str) -> str:
    """Normalise an identifier typed by a user, whichever kind it is, for lookups.

    A valid identifier of either kind is its canonical form (``identifiers.canonical``),
    and a registered entity's identifier is valid, so the canonical form is the key: no
    check character is computed, which a bulk import would pay for on every row (a tenth
    of its validation). A value that is no valid identifier matches no entity either way.
    """
    return identifiers.canonical(value)


def validate_entity(
    data: Mapping[str, Any], catalogs: CatalogSet, *, today: date
) -> dict[str, Any]:
    """Check a complete entity and return it normalised.

    :raises InvalidInput: with one field error per faulty field.
    """
    errors: dict[str, list[Any]] = {}
    out: dict[str, Any] = {}
    kind = data.get("kind")
    if kind not in ENTITY_KINDS:
        errors["kind"] = [_not_one_of(ENTITY_KINDS)]
    else:
        out["kind"] = kind
        _take_identifier(data, kind, today, out, errors)
    _take_common(data, catalogs, out, errors)
    if kind == "agency":
        _take_agency(data, out, errors)
    else:
        for key in ("agency_type", "agency_licence_no"):
            if data.get(key):
                errors[key] = ["agency-details-not-agency"]
            out[key] = None
    if errors:
        raise InvalidInput("entity-invalid", errors=errors)
    return out


def apply_changes(
    current: Mapping[str, Any], changes: Mapping[str, Any], catalogs: CatalogSet, *, today: date
) -> dict[str, Any]:
    """Merge ``changes`` into ``current`` and validate; a new name keeps the old one."""
    merged = {**current, **changes}
    if "name" in changes and changes["name"] != current["name"]:
        former = [n for n in current.get("former_names") or [] if n != changes["name"]]
        merged["former_names"] = [*former, current["name"]]
    return validate_entity(merged, catalogs, today=today)


def _take_identifier(
    data: Mapping[str, Any],
    kind: str,
    today: date,
    out: dict[str, Any],
    errors: dict[str, list[Any]],
) -> None:
    raw = data.get("identifier")
    if not raw:
        errors["identifier"] = ["required"]
        return
    try:
        out["identifier"] = normalise_identifier(kind, str(raw), today=today)
    except identifiers.InvalidIdentifier as exc:
        errors["identifier"] = [exc.field_error]


def _take_common(
    data: Mapping[str, Any],
    catalogs: CatalogSet,
    out: dict[str, Any],
    errors: dict[str, list[Any]],
) -> None:
    for key, limit in TEXT_LIMITS.items():
        value = _clean_text(data.get(key))
        if value and len(value) > limit:
            errors[key] = [{"code": "length-at-most", "max": limit}]
        out[key] = value
    if not out.get("name"):
        errors["name"] = ["required"]
    former = data.get("former_names") or []
    if not isinstance(former, list) or not all(isinstance(n, str) for n in former):
        errors["former_names"] = ["not-a-text-list"]
    else:
        out["former_names"] = [n.strip() for n in former if n and n.strip()]
    region = data.get("region_code")
    if region not in catalogs.region_codes:
        errors["region_code"] = [_not_one_of(sorted(catalogs.region_codes))]
    out["region_code"] = region
    industry = (data.get("industry") or None) and str(data["industry"]).strip().upper()
    if industry is not None and industry not in catalogs.industries:
        errors["industry"] = ["industry-not-section"]
    out["industry"] = industry
    status = data.get("status") or "active"
    if status not in ENTITY_STATUSES:
        errors["status"] = [_not_one_of(ENTITY_STATUSES)]
    out["status"] = status


def _take_agency(
    data: Mapping[str, Any], out: dict[str, Any], errors: dict[str, list[Any]]
) -> None:
    agency_type = data.get("agency_type")
    if agency_type not in AGENCY_TYPES:
        errors["agency_type"] = [_not_one_of(AGENCY_TYPES)]
    out["agency_type"] = agency_type
    if not out.get("agency_licence_no"):
        errors["agency_licence_no"] = ["agency-licence-required"]


def _not_one_of(allowed: Iterable[str]) -> dict[str, str]:
    return {"code": "not-one-of", "allowed": ", ".join(allowed)}


def _clean_text(value: Any) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None


_HASH_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True)  # one for all calls


def content_hash(data: Mapping[str, Any]) -> str:
    """Digest of the registry fields: an unchanged re-import is recognised by it."""
    canonical = _HASH_JSON.encode({k: data.get(k) for k in HASHED})
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def masked_view(data: Mapping[str, Any]) -> dict[str, Any]:
    """An entity with a natural person's personal data masked (D12)."""
    view = dict(data)
    if view.get("kind") != "natural_person":
        return view
    view["identifier"] = identifiers.mask_resident_id(view["identifier"])
    view["name"] = masking.mask_person_name(view["name"])
    view["former_names"] = [masking.mask_person_name(n) for n in view.get("former_names", [])]
    if view.get("phone"):
        view["phone"] = masking.mask_phone(view["phone"])
    if view.get("address"):
        view["address"] = masking.mask_address(view["address"])
    return view


def masked_identity(entity: Any) -> dict[str, str]:
    """Identifier and name for views that never show a natural person unmasked (D12)."""
    if entity.kind == "natural_person":
        return {
            "identifier": identifiers.mask_resident_id(entity.identifier),
            "name": masking.mask_person_name(entity.name),
        }
    return {"identifier": entity.identifier, "name": entity.name}
