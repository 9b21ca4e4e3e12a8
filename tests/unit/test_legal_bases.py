"""Every article the catalogs and rules files cite is cited for what it is about (issue
#15, D16): what each article settles is written down here, from the project's reference
digest; an item citing an article for other content fails, and so does an article not
written down. Where the article is not settled the instrument is cited alone, and
docs/catalogs.md says so."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import yaml

from credit_service.catalogs.definitions import CatalogItem, CatalogSet
from credit_service.config import PROJECT_ROOT

CNIPA = "国家知识产权局知识产权信用管理规定（国知发保字〔2022〕8号）"
ORDER_44 = "市场监督管理严重违法失信名单管理办法（国家市场监督管理总局令第44号）"
PATENT_LAW = "中华人民共和国专利法"
PATENT_RULES = "中华人民共和国专利法实施细则（2023年修订）"
TRADEMARK_LAW = "中华人民共和国商标法"
ItemTest = Callable[[CatalogItem], bool]


def cnipa(category: str) -> ItemTest:
    return lambda item: item.cnipa_category == category


def abnormal_patent_filing(item: CatalogItem) -> bool:
    return item.domain == "patent" and (
        item.cnipa_category == "abnormal_patent_application"
        or "abnormal_or_bad_faith_application" in item.listing_grounds
    )


def trademark_agency_or_bad_faith(item: CatalogItem) -> bool:
    """Trademark Law Art. 68: agency violations, and the penalty for a bad-faith filing."""
    return item.domain == "trademark" and (
        item.cnipa_category == "illegal_agency"
        or "serious_illegal_agency" in item.listing_grounds
        or (
            item.record_type == "penalty"
            and "abnormal_or_bad_faith_application" in item.listing_grounds
        )
    )


def use_of_the_gi_mark(item: CatalogItem) -> bool:
    """GI Measures Art. 20: a producer applies, CNIPA approves its use of the official mark."""
    return item.domain == "geographical_indication" and (
        "user_type" in item.field_map or item.cnipa_category == "false_materials"
    )


# (instrument, article) -> what the article is about, as a test on the item citing it.
ITEM_ARTICLES: dict[tuple[str, str], ItemTest] = {
    (CNIPA, "第六条第（一）项"): cnipa("abnormal_patent_application"),
    (CNIPA, "第六条第（二）项"): cnipa("bad_faith_trademark_application"),
    (CNIPA, "第六条第（三）项"): cnipa("illegal_agency"),
    (CNIPA, "第六条第（四）项"): cnipa("false_materials"),
    (CNIPA, "第六条第（五）项"): cnipa("commitment_breach"),
    (CNIPA, "第六条第（六）项"): cnipa("refusing_penalty_or_ruling"),
    # good faith in filing; filings resting on a genuine invention; the fine for breaking it
    (PATENT_LAW, "第二十条"): abnormal_patent_filing,
    (PATENT_RULES, "第十一条"): abnormal_patent_filing,
    (PATENT_RULES, "第一百条"): lambda i: abnormal_patent_filing(i) and i.record_type == "penalty",
    # patent counterfeiting: confiscation and fines
    (PATENT_LAW, "第六十八条"): lambda i: "假冒专利" in i.violation_types,
    # a bad-faith application not intended for use is rejected
    (TRADEMARK_LAW, "第四条"): lambda i: (
        "abnormal_or_bad_faith_application" in i.listing_grounds and i.domain == "trademark"
    ),
    (TRADEMARK_LAW, "第六十八条"): trademark_agency_or_bad_faith,
    # the IP grounds of the SAMR severe list
    (ORDER_44, "第九条"): lambda i: bool(i.listing_grounds),
    # penalties of the ordinary procedure are published
    ("市场监督管理行政处罚信息公示规定（国家市场监督管理总局令第45号）", "第二条"): lambda i: (
        i.record_type == "penalty"
    ),
    ("地理标志产品保护办法", "第二十条"): use_of_the_gi_mark,
}

# Measures: CNIPA Art. 9 lists the measures against subjects CNIPA finds dishonest; the
# Interim Regulation Art. 18 restricts listed enterprises in procurement and honours.
MEASURE_ARTICLES: dict[tuple[str, str], Callable[[str], bool]] = {
    (CNIPA, "第九条"): lambda code: not code.startswith("list_"),
    ("企业信息公示暂行条例", "第十八条"): lambda code: (
        code in ("list_procurement_restriction", "list_no_honours")
    ),
}

# The list rules: who is listed and on which IP grounds; the penalty procedure (notice,
# statement and defence, hearing, working days).
LIST_ARTICLES = {
    (ORDER_44, "第二条、第九条"),
    ("中华人民共和国行政处罚法", "第四十四条、第四十五条、第六十四条、第八十五条"),
}


def rules_file(name: str) -> dict:
    return yaml.safe_load((PROJECT_ROOT / "catalogs" / name).read_text(encoding="utf-8"))


def all_items(catalog_set: CatalogSet) -> list[CatalogItem]:
    return [item for catalog in catalog_set.catalogs.values() for item in catalog.items]


def test_every_article_an_item_cites_is_about_that_item(catalog_set):
    wrong = [
        f"{item.code}: 《{b['instrument']}》{b['article']}"
        for item in all_items(catalog_set)
        for b in item.legal_basis
        if b["article"] is not None
        and not ITEM_ARTICLES.get((b["instrument"], b["article"]), lambda _: False)(item)
    ]
    assert wrong == []


def test_every_article_a_measure_cites_is_about_that_measure(catalog_set):
    wrong = [
        f"{code}: 《{b['instrument']}》{b['article']}"
        for code, measure in catalog_set.measures.items()
        for b in measure.legal_basis
        if b["article"] is not None
        and not MEASURE_ARTICLES.get((b["instrument"], b["article"]), lambda _: False)(code)
    ]
    assert wrong == []


def test_the_publicity_bands_and_repair_cite_no_unsettled_article():
    """The articles setting the bands and the repair rules were not verified (Order 58's
    Art. 3 and the 2026 Measures' Art. 4 define terms): the instruments stand alone."""
    bases = [e["basis"] for e in rules_file("publicity.yaml")["band_editions"]]
    bases += rules_file("repair.yaml")["basis"]
    assert [b["article"] for b in bases] == [None] * len(bases)


def test_the_list_rules_cite_the_list_and_the_procedure():
    cited = {(b["instrument"], b["article"]) for b in rules_file("dishonesty.yaml")["basis"]}
    assert cited == LIST_ARTICLES


@pytest.mark.parametrize("kind", ["item", "measure", "band"])
def test_an_instrument_cited_without_an_article_is_explained_in_the_docs(catalog_set, kind):
    docs = (PROJECT_ROOT / "docs" / "catalogs.md").read_text(encoding="utf-8")
    if kind == "item":
        bases = [b for item in all_items(catalog_set) for b in item.legal_basis]
    elif kind == "measure":
        bases = [b for m in catalog_set.measures.values() for b in m.legal_basis]
    else:
        bases = [e.basis for e in catalog_set.publicity.band_editions]
    bare = {b["instrument"] for b in bases if b["article"] is None}
    assert bare
    missing = [i for i in bare if i.split("（")[0] not in docs]
    assert missing == []
