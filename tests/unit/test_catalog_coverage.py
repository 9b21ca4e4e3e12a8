"""Every CNIPA dishonesty category (D9) can be recorded, category 6 in both its variants
in every domain, and docs/catalogs.md lists the items per category and per D8 kind as
the catalogs have them (issue #15)."""

from __future__ import annotations

import dataclasses

from credit_service.catalogs import coverage
from credit_service.catalogs.schema import CNIPA_CATEGORIES, DOMAINS
from credit_service.config import PROJECT_ROOT


def test_every_cnipa_category_is_carried_by_an_item(catalog_set):
    carried = coverage.by_cnipa_category(catalog_set)
    assert list(carried) == list(CNIPA_CATEGORIES)
    assert coverage.uncovered_categories(catalog_set) == []
    assert carried["other_catalogued"] == (
        "PAT-DIS-OTHER-CATALOGUED",
        "TM-DIS-OTHER-CATALOGUED",
        "GI-DIS-OTHER-CATALOGUED",
    )


def test_category_six_covers_refusing_a_penalty_and_a_ruling_in_every_domain(catalog_set):
    variants = coverage.refusal_variants(catalog_set)
    assert list(variants) == list(DOMAINS)
    empty = [(d, v) for d, by in variants.items() for v, codes in by.items() if not codes]
    assert empty == []


def test_a_catalog_without_an_item_for_a_category_is_reported(catalog_set):
    catalogs = {
        domain: dataclasses.replace(
            catalog,
            items=tuple(i for i in catalog.items if i.cnipa_category != "commitment_breach"),
        )
        for domain, catalog in catalog_set.catalogs.items()
    }
    without = dataclasses.replace(catalog_set, catalogs=catalogs)
    assert coverage.uncovered_categories(without) == ["commitment_breach"]


def test_d8_kinds_follow_the_penalty_types_a_penalty_item_can_hold(catalog_set):
    kinds = coverage.by_d8_kind(catalog_set)
    for penalty_type in catalog_set.publicity.no_early_stop_penalty_types:
        assert "PAT-PEN-COUNTERFEIT" in kinds[f"no_early_stop:{penalty_type}"]
    assert "no_early_stop:责令关闭" in kinds  # D8: closure cannot stop early
    assert "PAT-DIS-ABNORMAL-APPLICATION" in kinds["general"]
    assert "PAT-DIS-ABNORMAL-APPLICATION" not in kinds["severe"]
    assert "PAT-TRU-DEMO-ENTERPRISE" not in {c for codes in kinds.values() for c in codes}


def test_the_docs_list_the_items_per_category_and_kind_as_the_catalogs_have_them(catalog_set):
    docs = (PROJECT_ROOT / "docs" / "catalogs.md").read_text(encoding="utf-8")
    assert coverage.markdown(catalog_set) in docs
