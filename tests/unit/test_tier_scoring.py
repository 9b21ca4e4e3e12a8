"""The optional scoring section of the tier rules: weights per category and severity,
step decay by age, a ``score_at_least`` condition, and its explanations."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from credit_service.errors import CatalogError
from credit_service.tiers import rules
from credit_service.tiers.definitions import load_rule_set
from tests.unit.test_tier_rules import DAY, TIERS_FILE, dishonest, facts, trustworthy

AS_OF = date(2026, 11, 25)

SCORING = {
    "weights": {"dishonest.severe": 10, "dishonest": 4, "trustworthy": -2},
    "decay": [
        {"within": "P1Y", "factor": 1.0},
        {"within": "P2Y", "factor": 0.5},
        {"within": "P3Y", "factor": 0.25},
    ],
}
REPEAT_RULE = {
    "id": "repeat-offender",
    "tier": "C",
    "description": "近三年失信记录累计分值达到6分",
    "when": {"score_at_least": 6},
}


def scored_file(tmp_path: Path, change=None) -> Path:  # type: ignore[no-untyped-def]
    """The shipped rules with scoring and a repeat-offender rule before the default."""
    document = yaml.safe_load(TIERS_FILE.read_text(encoding="utf-8"))
    document["scoring"] = yaml.safe_load(yaml.safe_dump(SCORING))
    rule = dict(REPEAT_RULE)
    document["rules"].insert(len(document["rules"]) - 1, rule)
    if change:
        change(document)
    path = tmp_path / "tiers.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def scored(tmp_path):  # type: ignore[no-untyped-def]
    return load_rule_set(scored_file(tmp_path))


def old_dishonest(record_id: int, decided: date, **kw) -> rules.RecordFact:  # type: ignore[no-untyped-def]
    """A dishonest record whose publicity has ended (so only its score can matter)."""
    return dishonest(record_id, decided=decided, ends=decided, status="expired", **kw)


def test_points_follow_the_decay_steps_through_each_end_day(scored):
    decided = date(2024, 11, 25)  # two years before AS_OF: on the last day of P2Y
    record = old_dishonest(1, decided)
    assert rules.record_points(scored.scoring, record, AS_OF) == 4 * 50
    assert rules.record_points(scored.scoring, record, AS_OF + DAY) == 4 * 25
    assert rules.record_points(scored.scoring, old_dishonest(2, AS_OF), AS_OF) == 4 * 100
    assert rules.record_points(scored.scoring, old_dishonest(3, date(2023, 11, 24)), AS_OF) == 0


def test_the_most_specific_weight_wins_and_unknown_categories_count_nothing(scored):
    severe = old_dishonest(1, AS_OF, severity="severe")
    general = old_dishonest(2, AS_OF, severity="general")
    assert rules.record_points(scored.scoring, severe, AS_OF) == 1000
    assert rules.record_points(scored.scoring, general, AS_OF) == 400
    basic = rules.RecordFact(9, "basic", None, "patent", "X", AS_OF, None, "active")
    assert rules.record_points(scored.scoring, basic, AS_OF) == 0


def test_repeated_expired_records_reach_the_threshold_and_the_reason_names_them(scored):
    # 4 (this year) + 2 (last year) = 6 points: C, though no record is in publicity
    records = (old_dishonest(1, date(2026, 5, 1)), old_dishonest(2, date(2025, 3, 1)))
    decision = rules.decide(scored, facts(*records), AS_OF)
    assert (decision.tier, decision.rule_id) == ("C", "repeat-offender")
    (reason,) = decision.reasons
    assert reason.record_ids == (1, 2)
    assert reason.score == 6
    assert "分值6" in reason.description and "不低于6" in reason.description


def test_one_point_short_stays_b(scored):
    records = (old_dishonest(1, date(2026, 5, 1)), old_dishonest(2, date(2024, 3, 1)))  # 4 + 1
    assert rules.decide(scored, facts(*records), AS_OF).rule_id == "default"


@pytest.mark.parametrize("status", ["revoked", "repaired"])
def test_revoked_and_repaired_records_count_nothing(scored, status):
    records = (
        old_dishonest(1, date(2026, 5, 1)),
        dishonest(2, decided=date(2025, 3, 1), ends=date(2025, 6, 1), status=status),
    )
    total, contributing = rules.score(scored.scoring, records, AS_OF)
    assert (total, contributing) == (400, (1,))


def test_trustworthy_records_lower_the_score(scored):
    records = (
        old_dishonest(1, date(2026, 5, 1)),
        old_dishonest(2, date(2025, 3, 1)),
        trustworthy(3, decided=date(2026, 1, 1), status="expired", ends=date(2026, 1, 1)),
    )
    assert rules.score(scored.scoring, records, AS_OF)[0] == 400


def test_the_day_a_step_passes_is_a_predicted_change(scored):
    records = (old_dishonest(1, date(2026, 5, 1)), old_dishonest(2, date(2025, 3, 1)))
    (change,) = rules.what_would_change(scored, facts(*records), AS_OF)
    # record 1 falls to half on 2027-05-02 (score 2 + 2 = 4 < 6); record 2 reaches its
    # third year first, on 2027-03-02 (4 + 1 = 5)
    assert (change.kind, change.new_tier, change.on) == ("time", "B", date(2027, 3, 2))
    assert "记录2已满2年" in change.explanation


def test_a_step_of_months_is_named_in_months(tmp_path):
    def six_months_first(document):  # type: ignore[no-untyped-def]
        document["scoring"]["decay"].insert(0, {"within": "P6M", "factor": 1.0})
        document["scoring"]["decay"][1]["factor"] = 0.5

    rule_set = load_rule_set(scored_file(tmp_path, six_months_first))
    records = (old_dishonest(1, date(2026, 9, 1)), old_dishonest(2, date(2026, 9, 2)))
    (change,) = rules.what_would_change(rule_set, facts(*records), AS_OF)
    # 4 + 4 = 8; record 1 halves on 2027-03-02 (2 + 4 = 6, still C), record 2 a day later
    assert change.on == date(2027, 3, 3) and "记录2已满6个月" in change.explanation


def test_a_repair_that_lowers_the_score_is_offered(scored):
    records = (
        dishonest(1, decided=date(2026, 5, 1), ends=date(2026, 6, 1), status="expired"),
        dishonest(
            2, decided=date(2025, 3, 1), ends=date(2026, 12, 31), repair_from=date(2025, 6, 1)
        ),
    )
    decision = rules.decide(scored, facts(*records), AS_OF)
    assert decision.rule_id == "dishonest-record"  # the active record decides first
    repairs = [
        c for c in rules.what_would_change(scored, facts(*records), AS_OF) if c.kind == "repair"
    ]
    # repairing record 2 removes both the active record and its 2 points: B
    assert [(c.record_id, c.new_tier) for c in repairs] == [(2, "B")]


def test_the_shipped_rules_do_not_score(scored):
    shipped = load_rule_set(TIERS_FILE)
    assert shipped.scoring is None
    assert all(r.when.min_score is None for r in shipped.rules)
    assert scored.window_months() == {12, 24, 36}
    assert shipped.window_months() == {36}


INVALID = [
    (
        "score without a scoring section",
        lambda d: d.pop("scoring"),
        "uses score_at_least but there is no scoring section",
    ),
    (
        "unknown weight key",
        lambda d: d["scoring"]["weights"].update({"dishonest.awful": 3}),
        "'scoring.weights",
    ),
    (
        "steps out of order",
        lambda d: d["scoring"]["decay"].reverse(),
        "'scoring.decay'",
    ),
    (
        "three decimals",
        lambda d: d["scoring"]["decay"][1].update(factor=0.125),
        "'scoring.decay.1.factor'",
    ),
    (
        "factor above one",
        lambda d: d["scoring"]["decay"][0].update(factor=1.5),
        "'scoring.decay.0.factor'",
    ),
    (
        "weight not an integer",
        lambda d: d["scoring"]["weights"].update(dishonest=2.5),
        "'scoring.weights",
    ),
]


@pytest.mark.parametrize(("case", "change", "message"), INVALID, ids=[c[0] for c in INVALID])
def test_an_invalid_scoring_section_names_the_key(tmp_path, case, change, message):
    with pytest.raises(CatalogError, match="tiers.yaml") as raised:
        load_rule_set(scored_file(tmp_path, change))
    assert message in str(raised.value)
