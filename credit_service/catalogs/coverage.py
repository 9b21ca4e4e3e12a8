"""Which items of the loaded catalogs carry each CNIPA dishonesty category (D9) and each
kind of penalty publicity (D8).

The catalog gate refuses a record that has no item, so a category no item carries is a
finding that cannot be recorded at all (issue #15: category 7 had none). The tables here
are what ``docs/catalogs.md`` lists (a test keeps the two equal) and what
``flask catalogs check`` requires: every CNIPA category carried by at least one item.
"""

from __future__ import annotations

from credit_service.catalogs.definitions import PENALTY_TYPES_FIELD, CatalogItem, CatalogSet
from credit_service.catalogs.schema import CNIPA_CATEGORIES, DOMAINS

# Category 6 is refusing a penalty or a ruling: an item's record type says which.
REFUSAL = "refusing_penalty_or_ruling"
REFUSAL_VARIANTS = {"finding": "penalty", "ruling": "ruling"}
BANDS = ("minor", "general", "severe")
KIND_LABELS = {
    "never_published": "warning only: never published",
    "minor": "minor band",
    "general": "general band",
    "severe": "severe band",
}
NO_EARLY_STOP = "no_early_stop:"


def _items(catalog_set: CatalogSet) -> list[CatalogItem]:
    return [item for domain in DOMAINS for item in catalog_set.catalogs[domain].items]


def by_cnipa_category(catalog_set: CatalogSet) -> dict[str, tuple[str, ...]]:
    """Every CNIPA category (in the Provisions' order) and the items that carry it."""
    return {
        category: tuple(i.code for i in _items(catalog_set) if i.cnipa_category == category)
        for category in CNIPA_CATEGORIES
    }


def refusal_variants(catalog_set: CatalogSet) -> dict[str, dict[str, tuple[str, ...]]]:
    """Per domain, the category 6 items refusing a penalty and those refusing a ruling."""
    return {
        domain: {
            variant: tuple(
                i.code
                for i in catalog_set.catalogs[domain].items
                if i.cnipa_category == REFUSAL and REFUSAL_VARIANTS.get(i.record_type) == variant
            )
            for variant in REFUSAL_VARIANTS.values()
        }
        for domain in DOMAINS
    }


def uncovered_categories(catalog_set: CatalogSet) -> list[str]:
    """CNIPA categories no item carries: findings of that kind could not be recorded."""
    return [c for c, codes in by_cnipa_category(catalog_set).items() if not codes]


def by_d8_kind(catalog_set: CatalogSet) -> dict[str, tuple[str, ...]]:
    """Each kind of D8 (never published, each band, each penalty type that cannot stop
    early) and the items a record of that kind can be filed under: an item of a fixed
    severity carries its band; a penalty item whose severity follows the penalty carries
    whatever its penalty types (``CF_CFLB`` values) can make it."""
    rules = catalog_set.publicity
    kinds: dict[str, list[str]] = {"never_published": [], **{band: [] for band in BANDS}}
    stops = sorted(rules.no_early_stop_penalty_types)
    kinds.update({f"{NO_EARLY_STOP}{t}": [] for t in stops})
    for item in _items(catalog_set):
        if item.severity in BANDS:
            kinds[item.severity].append(item.code)
        if item.severity != "by_penalty":
            continue
        spec = item.field_map.get(PENALTY_TYPES_FIELD)
        types = frozenset(spec.values or ()) if spec else frozenset()
        carried = {
            "never_published": bool(types & rules.never_published_penalty_types),
            "minor": bool(types & rules.minor_penalty_types),
            "general": bool(
                types
                - rules.never_published_penalty_types
                - rules.minor_penalty_types
                - rules.heavy_penalty_types
            ),
            "severe": bool(types & rules.heavy_penalty_types)
            or "heavier_penalty" in item.field_map,
            **{f"{NO_EARLY_STOP}{t}": t in types for t in stops},
        }
        for kind, yes in carried.items():
            if yes:
                kinds[kind].append(item.code)
    return {kind: tuple(codes) for kind, codes in kinds.items()}


def markdown(catalog_set: CatalogSet) -> str:
    """The two tables of docs/catalogs.md: items per CNIPA category, items per D8 kind."""
    lines = ["| CNIPA category (D9) | Items |", "|---|---|"]
    for number, (category, codes) in enumerate(by_cnipa_category(catalog_set).items(), 1):
        if category != REFUSAL:
            lines.append(f"| {number} `{category}` | {_codes(codes)} |")
            continue
        for domain, variants in refusal_variants(catalog_set).items():
            for variant, variant_codes in variants.items():
                lines.append(
                    f"| {number} `{category}`: {domain}, refusing a {variant} "
                    f"| {_codes(variant_codes)} |"
                )
    lines += ["", "| D8 kind | Items |", "|---|---|"]
    for kind, codes in by_d8_kind(catalog_set).items():
        label = KIND_LABELS.get(kind) or kind.replace(NO_EARLY_STOP, "cannot stop early: ")
        lines.append(f"| {label} | {_codes(codes)} |")
    return "\n".join(lines) + "\n"


def _codes(codes: tuple[str, ...]) -> str:
    return ", ".join(f"`{c}`" for c in codes) or "—"
