"""Tier rules (D1–D2) as pure functions over the shipped rule set: which rule decides,
on which boundary day, with which reasons, and what would move the entity."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml

from credit_service.config import PROJECT_ROOT
from credit_service.errors import CatalogError
from credit_service.tiers import rules
from credit_service.tiers.definitions import load_rule_set
from credit_service.tiers.rules import (
    Change,
    EntityFacts,
    ListingFact,
    OverrideFact,
    RecordFact,
    decide,
    what_would_change,
)
from credit_service.workdays import add_months

TIERS_FILE = PROJECT_ROOT / "catalogs" / "tiers.yaml"
RULE_SET = load_rule_set(TIERS_FILE)
AS_OF = date(2026, 11, 25)
DAY = timedelta(days=1)


def dishonest(
    record_id: int,
    *,
    severity: str = "general",
    decided: date = date(2026, 3, 15),
    ends: date | None = date(2027, 3, 15),
    status: str = "active",
    domain: str = "patent",
    repair_from: date | None = None,
    early_stop: bool = True,
    repairable: bool = True,
) -> RecordFact:
    return RecordFact(
        id=record_id,
        category="dishonest",
        severity=severity,
        domain=domain,
        item_code="PAT-PEN-COUNTERFEIT",
        decision_date=decided,
        publicity_end=ends,
        status=status,
        repair_from=repair_from,
        early_stop_allowed=early_stop,
        repairable=repairable,
    )


def trustworthy(
    record_id: int,
    *,
    decided: date = date(2025, 6, 1),
    ends: date | None = date(2028, 6, 1),
    status: str = "active",
) -> RecordFact:
    return RecordFact(
        id=record_id,
        category="trustworthy",
        severity=None,
        domain="patent",
        item_code="PAT-TRU-DEMO-ENTERPRISE",
        decision_date=decided,
        publicity_end=ends,
        status=status,
        repairable=False,
    )


def basic(record_id: int) -> RecordFact:
    return RecordFact(
        id=record_id,
        category="basic",
        severity=None,
        domain="patent",
        item_code="PAT-BAS-AGENCY-LICENCE",
        decision_date=date(2025, 1, 1),
        publicity_end=None,
        status="active",
        repairable=False,
    )


def listing(
    listing_id: int,
    *,
    published: date | None = date(2026, 6, 1),
    ends: date | None = date(2029, 6, 1),
    removed: date | None = None,
) -> ListingFact:
    return ListingFact(listing_id, published, ends, removed)


def override(tier: str, *, expires: date, reason: str = "专项整治重点对象", oid: int = 1):
    return OverrideFact(oid, tier, reason, expires, "admin-1")


def facts(*records: RecordFact, listings=(), overrides=()) -> EntityFacts:
    return EntityFacts(records=tuple(records), listings=tuple(listings), overrides=tuple(overrides))


# --- the rule set ---------------------------------------------------------------------------


def test_the_shipped_rule_set_has_the_d2_rules_in_order():
    assert [(r.id, r.tier) for r in RULE_SET.rules] == [
        ("severe-list", "D"),
        ("severe-record", "D"),
        ("dishonest-record", "C"),
        ("trustworthy", "A"),
        ("default", "B"),
    ]
    assert RULE_SET.rule("trustworthy").when.within_months == 36
    assert {t: m.sampling_ratio for t, m in RULE_SET.measures.items()} == {
        "A": 0.05,
        "B": 0.15,
        "C": 0.40,
        "D": 1.00,
    }
    assert RULE_SET.measures["A"].proactive_inspection is False
    assert RULE_SET.label.startswith("2026年版+") and len(RULE_SET.content_hash) == 64


# --- which rule decides ---------------------------------------------------------------------

TWO_YEARS_AGO = add_months(AS_OF, -24)

DECISIONS = [
    # (case, facts, as_of, tier, rule, record ids, listing ids)
    ("nothing", facts(), AS_OF, "B", "default", (), ()),
    ("basic records only", facts(basic(1)), AS_OF, "B", "default", (), ()),
    (
        "listing beats a trustworthy record",
        facts(trustworthy(1), listings=[listing(9)]),
        AS_OF,
        "D",
        "severe-list",
        (),
        (9,),
    ),
    (
        "listing beats a severe record",
        facts(dishonest(2, severity="severe"), listings=[listing(9)]),
        AS_OF,
        "D",
        "severe-list",
        (),
        (9,),
    ),
    (
        "severe active record",
        facts(dishonest(2, severity="severe"), dishonest(3), trustworthy(4)),
        AS_OF,
        "D",
        "severe-record",
        (2,),
        (),
    ),
    (
        "general active record",
        facts(dishonest(5), trustworthy(6)),
        AS_OF,
        "C",
        "dishonest-record",
        (5,),
        (),
    ),
    (
        "minor active record is still dishonest",
        facts(dishonest(5, severity="minor")),
        AS_OF,
        "C",
        "dishonest-record",
        (5,),
        (),
    ),
    (
        "every active dishonest record is named",
        facts(dishonest(5), dishonest(7, domain="trademark"), dishonest(8, status="expired")),
        AS_OF,
        "C",
        "dishonest-record",
        (5, 7),
        (),
    ),
    (
        "trustworthy and clean three years",
        facts(trustworthy(10), basic(11)),
        AS_OF,
        "A",
        "trustworthy",
        (10,),
        (),
    ),
    (
        "trustworthy but a dishonest record decided two years ago (expired publicity)",
        facts(
            trustworthy(10),
            dishonest(12, decided=TWO_YEARS_AGO, ends=add_months(TWO_YEARS_AGO, 12)),
        ),
        AS_OF,
        "B",
        "default",
        (),
        (),
    ),
    (
        "trustworthy record expired",
        facts(trustworthy(10, ends=AS_OF - DAY)),
        AS_OF,
        "B",
        "default",
        (),
        (),
    ),
    (
        "a removed listing does not count",
        facts(listings=[listing(9, removed=date(2026, 9, 1))]),
        AS_OF,
        "B",
        "default",
        (),
        (),
    ),
    (
        "an unpublished listing case does not count",
        facts(listings=[listing(9, published=None)]),
        AS_OF,
        "B",
        "default",
        (),
        (),
    ),
    (
        "repaired severe record is not active",
        facts(dishonest(2, severity="severe", status="repaired")),
        AS_OF,
        "B",
        "default",
        (),
        (),
    ),
    (
        "revoked record is not active",
        facts(dishonest(2, status="revoked")),
        AS_OF,
        "B",
        "default",
        (),
        (),
    ),
    (
        "a record never published is not active",
        facts(dishonest(2, severity="minor", ends=None)),
        AS_OF,
        "B",
        "default",
        (),
        (),
    ),
]


@pytest.mark.parametrize(
    ("facts_", "as_of", "tier", "rule_id", "record_ids", "listing_ids"),
    [case[1:] for case in DECISIONS],
    ids=[case[0] for case in DECISIONS],
)
def test_the_first_rule_that_holds_decides(facts_, as_of, tier, rule_id, record_ids, listing_ids):
    decision = decide(RULE_SET, facts_, as_of)

    assert (decision.tier, decision.rule_id) == (tier, rule_id)
    (reason,) = decision.reasons
    assert reason.rule_id == rule_id
    assert reason.description == RULE_SET.rule(rule_id).description
    assert reason.record_ids == record_ids
    assert reason.listing_ids == listing_ids


# --- boundaries of every date (D15: publication visible through its end day) ----------------

BOUNDARIES = [
    # publicity_end == as_of: still active; the day before: not
    ("publicity ends today", facts(dishonest(1, ends=AS_OF)), "C"),
    ("publicity ended yesterday", facts(dishonest(1, ends=AS_OF - DAY)), "B"),
    ("severe publicity ends today", facts(dishonest(1, severity="severe", ends=AS_OF)), "D"),
    (
        "severe publicity ended yesterday",
        facts(dishonest(1, severity="severe", ends=AS_OF - DAY)),
        "B",
    ),
    ("trustworthy ends today", facts(trustworthy(1, ends=AS_OF)), "A"),
    ("trustworthy ended yesterday", facts(trustworthy(1, ends=AS_OF - DAY)), "B"),
    # listing: published today in force; ends today in force; removed today not
    ("listing published today", facts(listings=[listing(1, published=AS_OF)]), "D"),
    ("listing published tomorrow", facts(listings=[listing(1, published=AS_OF + DAY)]), "B"),
    ("listing term ends today", facts(listings=[listing(1, ends=AS_OF)]), "D"),
    ("listing term ended yesterday", facts(listings=[listing(1, ends=AS_OF - DAY)]), "B"),
    ("listing removed today", facts(listings=[listing(1, removed=AS_OF)]), "B"),
    ("listing removed tomorrow", facts(listings=[listing(1, removed=AS_OF + DAY)]), "D"),
]


@pytest.mark.parametrize(
    ("facts_", "tier"), [c[1:] for c in BOUNDARIES], ids=[c[0] for c in BOUNDARIES]
)
def test_date_boundaries(facts_, tier):
    assert decide(RULE_SET, facts_, AS_OF).tier == tier


def with_old_dishonest(decided: date) -> EntityFacts:
    """An active trustworthy record plus an expired dishonest record decided on ``decided``."""
    return facts(
        trustworthy(1, decided=date(2020, 1, 1), ends=date(2035, 1, 1)),
        dishonest(2, decided=decided, ends=add_months(decided, 12), status="expired"),
    )


LOOK_BACK = [
    # (case, as_of, decision date of the dishonest record, still within three years?)
    ("on the cutoff", AS_OF, add_months(AS_OF, -36), True),
    ("a day before the cutoff", AS_OF, add_months(AS_OF, -36) - DAY, False),
    ("a day after the cutoff", AS_OF, add_months(AS_OF, -36) + DAY, True),
    # decided on a leap day: its three years end on 2027-02-28 (no 29th that year)
    ("leap-day decision, last day", date(2027, 2, 28), date(2024, 2, 29), True),
    ("leap-day decision, day after", date(2027, 3, 1), date(2024, 2, 29), False),
    ("cutoff 2024-02-28 counts", date(2027, 2, 28), date(2024, 2, 28), True),
    ("a day before cutoff 2024-02-28", date(2027, 2, 28), date(2024, 2, 27), False),
    # as of a leap day: the record decided three years before on 02-28 ended 2024-02-28
    ("as of 2024-02-29, decided 2021-03-01", date(2024, 2, 29), date(2021, 3, 1), True),
    ("as of 2024-02-29, decided 2021-02-28", date(2024, 2, 29), date(2021, 2, 28), False),
    ("as of 2024-02-28, decided 2021-02-28", date(2024, 2, 28), date(2021, 2, 28), True),
]


@pytest.mark.parametrize(
    ("as_of", "decided", "counts"), [c[1:] for c in LOOK_BACK], ids=[c[0] for c in LOOK_BACK]
)
def test_no_record_within_three_years_counts_through_the_end_day(as_of, decided, counts):
    decision = decide(RULE_SET, with_old_dishonest(decided), as_of)

    assert decision.tier == ("B" if counts else "A")
    # the Python look-back and the SQL cutoff (the same function) agree with D15's end day
    assert (decided >= rules.within_cutoff(as_of, 36)) is counts
    assert (as_of <= add_months(decided, 36)) is counts


@pytest.mark.parametrize("status", ["active", "expired", "repaired"])
def test_look_back_counts_every_status_but_revoked(status):
    record = dishonest(2, decided=TWO_YEARS_AGO, ends=add_months(TWO_YEARS_AGO, 12), status=status)
    assert decide(RULE_SET, facts(trustworthy(1), record), AS_OF).tier == "B"


def test_revoked_records_do_not_count_for_the_look_back():
    record = dishonest(2, decided=TWO_YEARS_AGO, ends=add_months(TWO_YEARS_AGO, 12))
    revoked = dishonest(3, decided=AS_OF - DAY, status="revoked")

    assert decide(RULE_SET, facts(trustworthy(1), revoked), AS_OF).tier == "A"
    assert decide(RULE_SET, facts(trustworthy(1), record, revoked), AS_OF).tier == "B"


def test_repaired_records_are_not_active_but_still_in_the_look_back():
    repaired = dishonest(2, decided=date(2026, 3, 15), status="repaired")

    assert decide(RULE_SET, facts(repaired), AS_OF).tier == "B"
    assert decide(RULE_SET, facts(repaired, trustworthy(1)), AS_OF).tier == "B"
    assert not repaired.is_active(AS_OF)


# --- overrides --------------------------------------------------------------------------------


def test_an_override_decides_through_its_expiry_day_and_names_its_reason():
    expires = date(2027, 1, 31)
    entity = facts(dishonest(5), overrides=[override("D", expires=expires, reason="群众举报多次")])

    on_expiry = decide(RULE_SET, entity, expires)
    assert (on_expiry.tier, on_expiry.rule_id) == ("D", rules.OVERRIDE_RULE)
    note, rule_reason = on_expiry.reasons
    assert note.rule_id == rules.OVERRIDE_RULE
    assert "群众举报多次" in note.description and "2027-01-31" in note.description
    assert "admin-1" in note.description
    # the rule that would decide without the override is still shown
    assert (rule_reason.rule_id, rule_reason.record_ids) == ("dishonest-record", (5,))

    lapsed = decide(RULE_SET, entity, expires + DAY)
    assert (lapsed.tier, lapsed.rule_id) == ("C", "dishonest-record")
    assert [r.rule_id for r in lapsed.reasons] == ["dishonest-record"]


def test_an_override_beats_even_the_list_and_the_first_in_force_wins():
    entity = facts(
        listings=[listing(9)],
        overrides=[
            override("B", expires=AS_OF - DAY, oid=3),  # lapsed
            override("A", expires=AS_OF + DAY, oid=2),
            override("C", expires=AS_OF + 10 * DAY, oid=1),
        ],
    )
    decision = decide(RULE_SET, entity, AS_OF)
    assert decision.tier == "A"
    assert decision.reasons[1].listing_ids == (9,)


# --- what would change ----------------------------------------------------------------------


def test_a_c_entity_moves_to_b_the_day_after_its_only_dishonest_record_ends():
    entity = facts(dishonest(7, ends=date(2027, 3, 14)))

    changes = what_would_change(RULE_SET, entity, AS_OF)

    assert decide(RULE_SET, entity, AS_OF).tier == "C"
    assert changes == [
        Change("time", "B", on=date(2027, 3, 15), explanation=changes[0].explanation)
    ]
    assert "记录7" in changes[0].explanation and "2027-03-15" in changes[0].explanation


def test_a_repairable_record_says_a_repair_would_move_the_entity():
    record = dishonest(7, ends=date(2027, 3, 14), repair_from=date(2026, 6, 16))
    entity = facts(record)

    changes = what_would_change(RULE_SET, entity, AS_OF)

    repairs = [c for c in changes if c.kind == "repair"]
    assert [(c.record_id, c.new_tier, c.on) for c in repairs] == [(7, "B", AS_OF)]
    assert "记录7" in repairs[0].explanation
    # repair not yet possible: the change is dated when it becomes possible
    later = facts(dishonest(7, ends=date(2027, 3, 14), repair_from=date(2027, 1, 5)))
    (later_repair,) = [c for c in what_would_change(RULE_SET, later, AS_OF) if c.kind == "repair"]
    assert later_repair.on == date(2027, 1, 5)


@pytest.mark.parametrize(
    "record",
    [
        dishonest(7, repair_from=date(2026, 6, 16), early_stop=False),
        dishonest(7, repair_from=date(2026, 6, 16), repairable=False),
        dishonest(7, repair_from=None),
    ],
    ids=["no early stop", "item not repairable", "no repair date"],
)
def test_records_that_cannot_be_repaired_offer_no_repair(record):
    changes = what_would_change(RULE_SET, facts(record), AS_OF)
    assert [c.kind for c in changes] == ["time"]


def test_a_repair_that_would_not_change_the_tier_is_not_offered():
    # two active dishonest records: repairing one leaves the other, still C
    entity = facts(
        dishonest(7, repair_from=date(2026, 6, 16)),
        dishonest(8, ends=date(2027, 6, 1)),
    )
    changes = what_would_change(RULE_SET, entity, AS_OF)
    assert [c for c in changes if c.kind == "repair"] == []
    (time,) = changes
    # the first record ending changes nothing: the move comes when the second ends
    assert (time.on, time.new_tier) == (date(2027, 6, 2), "B")


def test_a_d_listing_ending_moves_the_entity():
    entity = facts(
        dishonest(5, ends=date(2028, 1, 1)), listings=[listing(9, ends=date(2027, 6, 1))]
    )

    (change,) = what_would_change(RULE_SET, entity, AS_OF)

    assert decide(RULE_SET, entity, AS_OF).tier == "D"
    assert (change.kind, change.on, change.new_tier) == ("time", date(2027, 6, 2), "C")
    assert "名单9" in change.explanation


def test_an_a_entity_moves_to_b_when_its_trustworthy_record_expires():
    entity = facts(trustworthy(10, ends=date(2027, 1, 1)))

    (change,) = what_would_change(RULE_SET, entity, AS_OF)

    assert (change.kind, change.on, change.new_tier) == ("time", date(2027, 1, 2), "B")


def test_a_b_entity_moves_to_a_when_the_old_dishonest_record_leaves_the_look_back():
    decided = date(2024, 2, 29)
    entity = facts(
        trustworthy(1, decided=date(2020, 1, 1), ends=date(2035, 1, 1)),
        dishonest(2, decided=decided, ends=date(2025, 2, 28), status="expired"),
    )

    (change,) = what_would_change(RULE_SET, entity, AS_OF)

    assert decide(RULE_SET, entity, AS_OF).tier == "B"
    assert (change.on, change.new_tier) == (date(2027, 3, 1), "A")
    assert decide(RULE_SET, entity, date(2027, 2, 28)).tier == "B"
    assert decide(RULE_SET, entity, change.on).tier == "A"


def test_every_turning_point_is_found_even_across_a_leap_day():
    # as of 2028-02-29 the record decided 2025-02-28 is past its end day (2028-02-28)
    entity = facts(
        trustworthy(1, decided=date(2020, 1, 1), ends=date(2035, 1, 1)),
        dishonest(2, decided=date(2025, 2, 28), ends=date(2026, 2, 28), status="expired"),
    )
    assert decide(RULE_SET, entity, date(2028, 2, 28)).tier == "B"
    assert decide(RULE_SET, entity, date(2028, 2, 29)).tier == "A"
    (change,) = what_would_change(RULE_SET, entity, date(2028, 1, 1))
    assert (change.on, change.new_tier) == (date(2028, 2, 29), "A")


def test_an_override_lapsing_is_a_change():
    entity = facts(overrides=[override("D", expires=date(2027, 1, 31))])

    (change,) = what_would_change(RULE_SET, entity, AS_OF)

    assert (change.kind, change.on, change.new_tier) == ("time", date(2027, 2, 1), "B")


def test_nothing_changes_for_an_entity_with_nothing():
    assert what_would_change(RULE_SET, facts(), AS_OF) == []


# --- rule-file validation -------------------------------------------------------------------


def write_variant(tmp_path: Path, change) -> Path:  # type: ignore[no-untyped-def]
    document = yaml.safe_load(TIERS_FILE.read_text(encoding="utf-8"))
    change(document)
    path = tmp_path / "tiers.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return path


def _rule(doc, rule_id):  # type: ignore[no-untyped-def]
    return next(r for r in doc["rules"] if r["id"] == rule_id)


INVALID_FILES = [
    ("missing tier C", lambda d: d["tiers"].pop(2), "'tiers'"),
    ("last rule not the default", lambda d: d["rules"].pop(), "'rules'"),
    (
        "unknown condition key",
        lambda d: _rule(d, "dishonest-record")["when"].update(sometimes=True),
        "'rules.2.when.sometimes'",
    ),
    (
        "unknown record key",
        lambda d: _rule(d, "dishonest-record")["when"]["active_record"].update(colour="red"),
        "'rules.2.when.active_record.colour'",
    ),
    (
        "bad period",
        lambda d: _rule(d, "trustworthy")["when"]["no_record_within"].update(period="3 years"),
        "'rules.3.when.no_record_within.period'",
    ),
    (
        "period in days",
        lambda d: _rule(d, "trustworthy")["when"]["no_record_within"].update(period="P30D"),
        "'rules.3.when.no_record_within.period'",
    ),
    ("unknown tier", lambda d: _rule(d, "default").update(tier="E"), "'rules.4.tier'"),
    (
        "duplicate rule id",
        lambda d: d["rules"].insert(0, dict(_rule(d, "default"))),
        "'rules'",
    ),
]


@pytest.mark.parametrize(
    ("change", "key"), [c[1:] for c in INVALID_FILES], ids=[c[0] for c in INVALID_FILES]
)
def test_an_invalid_rule_file_names_the_file_and_the_key(tmp_path, change, key):
    path = write_variant(tmp_path, change)

    with pytest.raises(CatalogError) as caught:
        load_rule_set(path)

    assert caught.value.params["file"] == str(path)
    assert f"key {key}" in caught.value.params["problem"]


def test_a_file_that_is_not_yaml_is_refused(tmp_path):
    path = tmp_path / "tiers.yaml"
    path.write_text("rules: [unclosed\n", encoding="utf-8")
    with pytest.raises(CatalogError, match="tiers.yaml"):
        load_rule_set(path)


def test_a_valid_copy_loads_and_its_version_follows_its_content(tmp_path):
    same = load_rule_set(write_variant(tmp_path, lambda d: None))
    assert same.content_hash == RULE_SET.content_hash

    changed = load_rule_set(
        write_variant(tmp_path, lambda d: _rule(d, "dishonest-record").update(tier="D"))
    )
    assert changed.content_hash != RULE_SET.content_hash
    assert decide(changed, facts(dishonest(5)), AS_OF).tier == "D"
