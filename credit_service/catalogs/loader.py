"""The one place that reads and validates the files in ``catalogs/``.

Every failure raises ``CatalogError`` naming the file, the item and the field, so that
a bad edit stops start-up with a message an operator can act on.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from marshmallow import Schema, ValidationError

from credit_service.catalogs import schema as s
from credit_service.catalogs.definitions import (
    BandEdition,
    Catalog,
    CatalogItem,
    CatalogSet,
    Envelope,
    FieldSpec,
    Measure,
    PublicityRules,
    Region,
)
from credit_service.errors import CatalogError
from credit_service.workdays import parse_period

DOMAIN_FILES = {
    "patent": "patents.yaml",
    "trademark": "trademarks.yaml",
    "geographical_indication": "geographical_indications.yaml",
}


def load_catalog_set(directory: Path) -> CatalogSet:
    """Load and cross-check every catalog file in ``directory``."""
    directory = Path(directory)
    field_sets = _load_field_sets(directory / "field_sets.yaml")
    measures, purposes = _load_measures(directory / "measures.yaml")
    catalogs = {
        domain: load_domain_catalog(directory / name, field_sets=field_sets, measures=measures)
        for domain, name in DOMAIN_FILES.items()
    }
    _check_unique_codes(catalogs)
    city, regions = _load_regions(directory / "regions.yaml")
    return CatalogSet(
        catalogs=catalogs,
        measures=measures,
        purposes=purposes,
        publicity=_load_publicity(directory / "publicity.yaml"),
        city=city,
        regions=regions,
        industries=_load_industries(directory / "industries.yaml"),
        directory=directory,
    )


def load_domain_catalog(
    path: Path, *, field_sets: dict[str, dict[str, Any]], measures: dict[str, Measure]
) -> Catalog:
    """Load one domain file, resolving field sets and checking references."""
    raw = _read_yaml(path)
    header = _validated(path, s.DomainCatalogSchema(), raw, where="")
    domain = header["domain"]
    expected = DOMAIN_FILES.get(domain)
    if expected and path.name != expected:
        raise CatalogError.in_file(path, f"domain '{domain}' belongs in {expected}.")
    items = tuple(
        _load_item(path, position, raw_item, domain, field_sets, measures)
        for position, raw_item in enumerate(header["items"], start=1)
    )
    return Catalog(
        domain=domain,
        title=header["title"],
        edition=header["edition"],
        issuer=header["issuer"],
        effective_from=header["effective_from"],
        items=items,
        source=str(path),
    )


def _load_item(
    path: Path,
    position: int,
    raw: Any,
    domain: str,
    field_sets: dict[str, dict[str, Any]],
    measures: dict[str, Measure],
) -> CatalogItem:
    code = raw.get("code") if isinstance(raw, dict) else None
    where = f"item {code}" if code else f"item #{position}"
    data = _validated(path, s.ItemSchema(), raw, where=where)
    field_docs, envelope = _resolve_fields(path, where, data, field_sets)
    _check_item_references(path, where, data, field_docs, envelope, measures)
    publicity = data["publicity"]
    return CatalogItem(
        code=data["code"],
        domain=domain,
        name=data["name"],
        category=data["category"],
        severity=data["severity"],
        record_type=data["record_type"],
        cnipa_category=data["cnipa_category"],
        legal_basis=tuple(dict(b) for b in data["legal_basis"]),
        provider=data["provider"],
        disclosure=data["disclosure"],
        publicity_min=publicity["min"] if publicity else None,
        publicity_max=publicity["max"] if publicity else None,
        has_publicity=publicity is not None,
        retention=data["retention"],
        repairable=data["repairable"],
        heavier_penalty=data["heavier_penalty"],
        listing_grounds=tuple(data["listing_grounds"]),
        measures=tuple(data["measures"]),
        measures_term=dict(data["measures_term"]) if data["measures_term"] else None,
        violation_types=tuple(data["violation_types"]),
        envelope=Envelope(**envelope),
        fields=tuple(FieldSpec.from_document(_plain_field(f)) for f in field_docs),
    )


def _resolve_fields(
    path: Path, where: str, data: dict[str, Any], field_sets: dict[str, dict[str, Any]]
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """The item's fields: those of its field sets, in the order named, then its own; the
    envelope is the item's, else the first field set's that has one."""
    docs: list[dict[str, Any]] = []
    envelope = data["envelope"]
    for name in data["field_set"]:
        field_set = field_sets.get(name)
        if field_set is None:
            raise CatalogError.in_file(
                path,
                f"{where}: field 'field_set': unknown field set '{name}' "
                f"(known: {', '.join(sorted(field_sets))}).",
            )
        docs.extend(field_set["field_specs"])
        envelope = envelope or field_set["envelope"]
    docs.extend(data["field_specs"])
    names = [d["name"] for d in docs]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise CatalogError.in_file(path, f"{where}: field 'fields': duplicate names {duplicates}.")
    if not envelope:
        raise CatalogError.in_file(
            path, f"{where}: field 'envelope': required (here or in the field set)."
        )
    return docs, dict(envelope)


def _check_item_references(
    path: Path,
    where: str,
    data: dict[str, Any],
    field_docs: list[dict[str, Any]],
    envelope: dict[str, str],
    measures: dict[str, Measure],
) -> None:
    by_name = {d["name"]: d for d in field_docs}
    expected_types = {
        "source_ref": ("string",),
        "decision_date": ("date",),
        "source_authority": ("string",),
    }
    for role, name in envelope.items():
        spec = by_name.get(name)
        if spec is None or not spec["required"] or spec["type"] not in expected_types[role]:
            raise CatalogError.in_file(
                path,
                f"{where}: field 'envelope.{role}': '{name}' must be a required "
                f"{'/'.join(expected_types[role])} field of the item.",
            )
    for code in data["measures"]:
        if code not in measures:
            raise CatalogError.in_file(
                path, f"{where}: field 'measures': unknown measure '{code}'."
            )
    for spec in field_docs:
        condition = spec.get("required_if")
        if condition and condition["field"] not in by_name:
            raise CatalogError.in_file(
                path,
                f"{where}: field '{spec['name']}.required_if': no field '{condition['field']}'.",
            )
    if data["cnipa_category"] and data["category"] != "dishonest":
        raise CatalogError.in_file(
            path, f"{where}: field 'cnipa_category': only dishonest items carry one."
        )


def _plain_field(doc: dict[str, Any]) -> dict[str, Any]:
    """Drop unset keys and make Decimal bounds strings, so documents stay JSON."""
    plain = {k: v for k, v in doc.items() if v is not None}
    for key in ("min", "max"):
        if key in plain:
            plain[key] = str(plain[key])
    if "required_if" in plain:
        plain["required_if"] = dict(plain["required_if"])
    return plain


def _load_field_sets(path: Path) -> dict[str, dict[str, Any]]:
    data = _validated(path, s.FieldSetsFileSchema(), _read_yaml(path), where="")
    return data["field_sets"]


def _load_measures(path: Path) -> tuple[dict[str, Measure], dict[str, str]]:
    data = _validated(path, s.MeasuresFileSchema(), _read_yaml(path), where="")
    purposes = {p["code"]: p["name"] for p in data["purposes"]}
    measures: dict[str, Measure] = {}
    for m in data["measures"]:
        unknown = [p for p in m["purposes"] if p not in purposes]
        if unknown:
            raise CatalogError.in_file(
                path, f"measure {m['code']}: field 'purposes': unknown purpose(s) {unknown}."
            )
        measures[m["code"]] = Measure(
            code=m["code"],
            name=m["name"],
            effect=m["effect"],
            purposes=tuple(m["purposes"]),
            legal_basis=tuple(dict(b) for b in m["legal_basis"]),
        )
    return measures, purposes


def _load_publicity(path: Path) -> PublicityRules:
    data = _validated(path, s.PublicityFileSchema(), _read_yaml(path), where="")

    def months(period: str | None) -> int | None:
        return parse_period(period) if period else None

    editions = tuple(
        BandEdition(
            applies_from=e["applies_from"],
            basis=dict(e["basis"]),
            bands={name: (months(b["min"]), months(b["max"])) for name, b in e["bands"].items()},
        )
        for e in sorted(data["band_editions"], key=lambda e: e["applies_from"] or date.min)
    )
    return PublicityRules(
        band_editions=editions,
        never_published_penalty_types=frozenset(data["never_published_penalty_types"]),
        minor_penalty_types=frozenset(data["minor_penalty_types"]),
        heavy_penalty_types=frozenset(data["heavy_penalty_types"]),
        no_early_stop_penalty_types=frozenset(data["no_early_stop_penalty_types"]),
        default_retention_months=parse_period(data["default_retention"]),
        roll_forward_past_holidays=data["roll_forward_past_holidays"],
    )


def _load_regions(path: Path) -> tuple[Region, tuple[Region, ...]]:
    data = _validated(path, s.RegionsFileSchema(), _read_yaml(path), where="")
    city = Region(**data["city"])
    regions = tuple(Region(**r) for r in data["regions"])
    for region in regions:
        if region.code[:4] != city.code[:4]:
            raise CatalogError.in_file(
                path, f"region {region.code}: field 'code': not inside city {city.code}."
            )
    return city, regions


def _load_industries(path: Path) -> dict[str, str]:
    data = _validated(path, s.IndustriesFileSchema(), _read_yaml(path), where="")
    return {section["code"]: section["name"] for section in data["sections"]}


def _check_unique_codes(catalogs: dict[str, Catalog]) -> None:
    seen: dict[str, str] = {}
    for catalog in catalogs.values():
        for item in catalog.items:
            if item.code in seen:
                raise CatalogError.in_file(
                    catalog.source,
                    f"item {item.code}: field 'code': already used in {seen[item.code]}.",
                )
            seen[item.code] = catalog.source


def _read_yaml(path: Path) -> Any:
    try:
        with open(path, encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except FileNotFoundError as exc:
        raise CatalogError.in_file(path, "file not found.") from exc
    except (yaml.YAMLError, ValueError) as exc:  # ValueError: an impossible date, 2026-13-01
        raise CatalogError.in_file(path, f"not valid YAML: {exc}") from exc


def _validated(path: Path, schema: Schema, raw: Any, *, where: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise CatalogError.in_file(path, f"{where or 'document'}: expected a mapping.")
    try:
        return schema.load(raw)
    except ValidationError as exc:
        field_path, message = next(_flatten(exc.messages))
        prefix = f"{where}: " if where else ""
        raise CatalogError.in_file(path, f"{prefix}field '{field_path}': {message}") from exc


def _flatten(messages: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    """Yield (dotted field path, message) pairs from marshmallow's nested messages."""
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            yield from _flatten(value, "" if key == "_schema" else name)
    elif isinstance(messages, list) and messages and isinstance(messages[0], str):
        yield prefix or "document", " ".join(messages)
    elif isinstance(messages, list):
        for value in messages:
            yield from _flatten(value, prefix)
