"""Tier services against a real database (SQLite and PostgreSQL): recompute in the writing
transaction, nightly and on read; set-based SQL agreeing with the Python rules; overrides;
history; rule-set preview and apply; lookups and summaries within the caller's scope."""

from __future__ import annotations

import itertools
import random
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from credit_service import changes
from credit_service.access import SYSTEM, Actor
from credit_service.audit.models import AuditEvent
from credit_service.catalogs import services as catalog_services
from credit_service.clock import SHANGHAI, local_noon
from credit_service.config import PROJECT_ROOT
from credit_service.dishonesty.models import DishonestyCase
from credit_service.entities import services as entity_services
from credit_service.entities.models import Entity
from credit_service.errors import Forbidden, InvalidInput, NotFound
from credit_service.records import services as record_services
from credit_service.records.models import CreditRecord
from credit_service.tiers import lookup as tier_lookup
from credit_service.tiers import overrides as tier_overrides
from credit_service.tiers import reports as tier_reports
from credit_service.tiers import repository, rules
from credit_service.tiers import services as tier_services
from credit_service.tiers import views as tier_views
from credit_service.tiers.definitions import RuleSet, load_rule_set
from credit_service.tiers.models import (
    TierAssignment,
    TierChange,
    TierOverride,
    TierRuleSetVersion,
)
from credit_service.workdays import add_months
from schedulers.jobs import JOBS
from tests.factories import (
    CITY,
    LANGXI,
    PENALTY_ITEM,
    XUANZHOU,
    create_entity,
    create_person,
    file_penalty,
    penalty_fields,
    unique_uscc,
)

TODAY = date(2026, 11, 25)
DAY = timedelta(days=1)
SEVERE = ["责令停产停业"]
TRUSTWORTHY_ITEM = "PAT-TRU-DEMO-ENTERPRISE"
ADMIN = Actor(role="admin", username="admin-tiers", city_code=CITY)
XUANZHOU_REGULATOR = Actor(
    role="regulator", username="r-xuanzhou", region_code=XUANZHOU, city_code=CITY
)
LANGXI_REGULATOR = Actor(role="regulator", username="r-langxi", region_code=LANGXI, city_code=CITY)
CITY_VIEWER = Actor(role="viewer", username="v-city", region_code=CITY, city_code=CITY)


class Boom(Exception):
    """Raised inside a transaction to roll it back."""


# --- helpers ----------------------------------------------------------------------------------


def entity_id(ctx, identifier: str) -> int:
    with ctx.session_factory() as session:
        return session.execute(
            select(Entity.id).where(Entity.identifier == identifier)
        ).scalar_one()


def assignment(ctx, eid: int) -> TierAssignment | None:
    with ctx.session_factory() as session:
        return session.get(TierAssignment, eid)


def tier_of(ctx, eid: int) -> str | None:
    found = assignment(ctx, eid)
    return found.tier if found else None


def history(ctx, eid: int) -> list[TierChange]:
    with ctx.session_factory() as session:
        return list(
            session.execute(
                select(TierChange).where(TierChange.entity_id == eid).order_by(TierChange.id)
            ).scalars()
        )


def count(ctx, model) -> int:  # type: ignore[no-untyped-def]
    with ctx.session_factory() as session:
        return session.execute(select(func.count()).select_from(model)).scalar_one()


def set_today(ctx, day: date) -> None:
    ctx.clock.set(local_noon(day))


_awards = itertools.count(1)


def award_fields(decided: str = "2026-01-10", **overrides) -> dict:  # type: ignore[no-untyped-def]
    fields = {
        "document_no": f"国知发管字〔2026〕{next(_awards)}号",
        "decision_date": decided,
        "authority_code": "国家知识产权局",
        "honour_name": "国家知识产权示范企业",
    }
    fields.update(overrides)
    return fields


def file_award(ctx, identifier: str, decided: str = "2026-01-10") -> dict:
    view, _ = record_services.file_record(
        ctx, SYSTEM, entity=identifier, item_code=TRUSTWORTHY_ITEM, fields=award_fields(decided)
    )
    return view


def new_entity(ctx, **overrides) -> tuple[str, int]:  # type: ignore[no-untyped-def]
    identifier = create_entity(ctx, **overrides)["identifier"]
    return identifier, entity_id(ctx, identifier)


def bare_entity(ctx, region: str = XUANZHOU, industry: str = "C") -> tuple[str, int]:
    """An entity row written directly (as a bulk load might), so it has no tier yet."""
    now = ctx.now()
    with ctx.session_factory.begin() as session:
        entity = Entity(
            kind="organisation",
            identifier=unique_uscc(region),
            name="未分类测试有限公司",
            region_code=region,
            industry=industry,
            content_hash="x" * 64,
            created_at=now,
            updated_at=now,
        )
        session.add(entity)
        session.flush()
        return entity.identifier, entity.id


@pytest.fixture
def applied(ctx) -> tuple[int, RuleSet]:
    """The shipped rule set applied (before any entity exists)."""
    tier_services.apply_rule_set(ctx, SYSTEM)
    with ctx.session_factory() as session:
        return tier_services.current_rule_set(session, ctx)


def candidate_rule_set(tmp_path: Path, change) -> RuleSet:  # type: ignore[no-untyped-def]
    document = yaml.safe_load((PROJECT_ROOT / "catalogs" / "tiers.yaml").read_text("utf-8"))
    change(document)
    path = tmp_path / "tiers.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return load_rule_set(path)


def dishonest_record_gives_d(document) -> None:  # type: ignore[no-untyped-def]
    next(r for r in document["rules"] if r["id"] == "dishonest-record")["tier"] = "D"


# --- before any rule set --------------------------------------------------------------------


def test_without_an_applied_rule_set_nothing_is_tiered(ctx):
    identifier, eid = new_entity(ctx)
    file_penalty(ctx, identifier, CF_CFLB=SEVERE)

    assert tier_of(ctx, eid) is None
    with pytest.raises(NotFound):
        tier_services.recompute_tiers(ctx, SYSTEM)
    with pytest.raises(NotFound):
        tier_views.tier_view(ctx, SYSTEM, identifier)


def test_applying_the_rule_set_tiers_every_entity_and_starts_their_history(ctx):
    plain, plain_id = new_entity(ctx)
    listed, listed_id = new_entity(ctx)
    file_penalty(ctx, listed, CF_CFLB=SEVERE)

    result = tier_services.apply_rule_set(ctx, SYSTEM)

    assert result.changed == 2 and result.entities_considered is None
    assert (tier_of(ctx, plain_id), tier_of(ctx, listed_id)) == ("B", "D")
    (first,) = history(ctx, listed_id)
    assert (first.old_tier, first.new_tier, first.rule_id) == (None, "D", "severe-record")
    assert first.effective_on == TODAY
    assert result.rule_set in first.cause
    # applying the same file again changes nothing and keeps one version
    again = tier_services.apply_rule_set(ctx, SYSTEM)
    assert again.changed == 0 and again.rule_set == result.rule_set
    assert count(ctx, TierRuleSetVersion) == 1
    assert len(history(ctx, listed_id)) == 1


# --- recompute in the same transaction as the write ------------------------------------------


def test_a_severe_penalty_makes_the_entity_d_inside_the_filing_transaction(ctx, applied):
    identifier, eid = new_entity(ctx)
    tier_services.recompute_tiers(ctx, SYSTEM)
    assert tier_of(ctx, eid) == "B"

    with ctx.session_factory.begin() as session:
        owner = session.get(Entity, eid)
        record, created = record_services.file_record_for(
            session, ctx, SYSTEM, owner, PENALTY_ITEM, penalty_fields(CF_CFLB=SEVERE)
        )
        changes.settle(session)  # what the commit does first
        # read back in the same session, before the transaction ends
        stored = session.get(TierAssignment, eid)
        session.refresh(stored)
        assert created and record.severity == "severe"
        assert (stored.tier, stored.rule_id) == ("D", "severe-record")
        moves = session.execute(
            select(TierChange).where(TierChange.entity_id == eid, TierChange.new_tier == "D")
        ).scalar_one()
        assert moves.old_tier == "B" and f"record {record.id}" in moves.cause

    assert tier_of(ctx, eid) == "D"


def test_a_failed_filing_transaction_leaves_neither_record_nor_tier_change(ctx, applied):
    identifier, eid = new_entity(ctx)
    tier_services.recompute_tiers(ctx, SYSTEM)
    before = len(history(ctx, eid))
    fields = penalty_fields(heavier_penalty=True)

    with pytest.raises(Boom), ctx.session_factory.begin() as session:
        owner = session.get(Entity, eid)
        record, _ = record_services.file_record_for(
            session, ctx, SYSTEM, owner, PENALTY_ITEM, fields
        )
        assert record.severity == "severe"
        changes.settle(session)
        assert session.get(TierAssignment, eid).tier == "D"
        raise Boom

    assert tier_of(ctx, eid) == "B"
    assert len(history(ctx, eid)) == before
    with ctx.session_factory() as session:
        assert (
            session.execute(
                select(CreditRecord).where(CreditRecord.source_ref == fields["CF_WSH"])
            ).first()
            is None
        )


def test_a_correction_lowering_the_severity_moves_d_to_c_with_a_history_row(ctx, applied):
    identifier, eid = new_entity(ctx)
    fields = penalty_fields(CF_CFLB=SEVERE)
    record = file_penalty_with(ctx, identifier, fields)
    assert tier_of(ctx, eid) == "D"

    lighter = {**fields, "CF_CFLB": ["罚款"], "CF_NR_FK": "5"}
    view = record_services.correct_record(
        ctx, SYSTEM, record["id"], fields=lighter, reason="复议变更处罚种类"
    )

    assert view["severity"] == "general"
    stored = assignment(ctx, eid)
    assert (stored.tier, stored.rule_id) == ("C", "dishonest-record")
    last = history(ctx, eid)[-1]
    assert (last.old_tier, last.new_tier) == ("D", "C")
    assert f"record {record['id']}" in last.cause and "corrected" in last.cause
    assert last.rule_set_id == applied[0]


def file_penalty_with(ctx, identifier: str, fields: dict) -> dict:
    view, _ = record_services.file_record(
        ctx, SYSTEM, entity=identifier, item_code=PENALTY_ITEM, fields=fields
    )
    return view


def test_an_award_makes_an_entity_a_and_a_later_penalty_makes_it_c(ctx, applied):
    identifier, eid = new_entity(ctx)
    file_award(ctx, identifier)
    assert tier_of(ctx, eid) == "A"
    file_penalty(ctx, identifier)
    assert tier_of(ctx, eid) == "C"


# --- time: nightly recompute and refresh on read ---------------------------------------------


def test_a_record_whose_publicity_ended_is_picked_up_nightly_and_on_read(ctx, applied):
    nightly, nightly_id = new_entity(ctx)
    viewed, viewed_id = new_entity(ctx)
    untouched, untouched_id = new_entity(ctx)
    for identifier in (nightly, viewed):
        record = file_penalty(ctx, identifier, CF_JDRQ="2026-03-15")
        assert record["publicity_end"] == date(2027, 3, 15)
    file_penalty(ctx, untouched, CF_JDRQ="2026-05-20")
    assert {tier_of(ctx, i) for i in (nightly_id, viewed_id, untouched_id)} == {"C"}

    # still public on its end day
    set_today(ctx, date(2027, 3, 15))
    assert tier_services.recompute_tiers(ctx, SYSTEM, since=date(2027, 3, 14)).changed == 0
    assert tier_of(ctx, nightly_id) == "C"

    set_today(ctx, date(2027, 3, 16))
    view = tier_views.tier_view(ctx, SYSTEM, viewed)
    assert (view["tier"], view["since"], view["rule_id"]) == ("B", date(2027, 3, 16), "default")
    assert history(ctx, viewed_id)[-1].cause == "time passed"
    assert tier_of(ctx, nightly_id) == "C"  # not yet recomputed: nobody looked

    result = tier_services.recompute_tiers(ctx, SYSTEM, since=date(2027, 3, 15))

    assert result.changed == 1 and result.entities_considered == 2
    assert result.as_of == date(2027, 3, 16)
    assert tier_of(ctx, nightly_id) == "B"
    last = history(ctx, nightly_id)[-1]
    assert (last.old_tier, last.new_tier, last.effective_on) == ("C", "B", date(2027, 3, 16))
    assert tier_of(ctx, untouched_id) == "C"


def test_nightly_recompute_moves_an_entity_to_a_when_its_old_record_leaves_the_look_back(
    ctx, applied
):
    identifier, eid = new_entity(ctx)
    file_award(ctx, identifier, decided="2026-01-10")
    # decided exactly three years before today: its look-back period ends today (D15)
    file_penalty(ctx, identifier, CF_JDRQ="2023-11-25")
    assert tier_of(ctx, eid) == "B"

    set_today(ctx, date(2026, 11, 26))
    result = tier_services.recompute_tiers(ctx, SYSTEM, since=TODAY)

    assert result.entities_considered == 1 and result.changed == 1
    assert tier_of(ctx, eid) == "A"


def test_a_listing_that_ends_is_picked_up_nightly(ctx, applied):
    identifier, eid = new_entity(ctx)
    add_listing(ctx, eid, published=date(2025, 12, 1), ends=TODAY)
    recompute_one(ctx, eid)
    assert tier_of(ctx, eid) == "D"

    set_today(ctx, TODAY + DAY)
    result = tier_services.recompute_tiers(ctx, SYSTEM, since=TODAY)

    assert result.entities_considered == 1
    assert tier_of(ctx, eid) == "B"


def run_nightly_jobs(ctx, day: date) -> dict[str, object]:
    """The daily jobs of the job table that touch tiers, each at its cron time on ``day``
    and in the order the scheduler fires them."""
    wanted = {"records.end_publication", "dishonesty.expire", "tiers.recompute_nightly"}
    specs = sorted(
        (spec for spec in JOBS if spec.id in wanted),
        key=lambda spec: (spec.trigger_args["hour"], spec.trigger_args["minute"]),
    )
    assert [spec.id for spec in specs] == [
        "records.end_publication",
        "dishonesty.expire",
        "tiers.recompute_nightly",
    ]
    outcomes = {}
    for spec in specs:
        ctx.clock.set(datetime.combine(day, time(**spec.trigger_args), tzinfo=SHANGHAI))
        outcomes[spec.id] = spec.func(ctx)
    return outcomes


def test_ending_a_publication_moves_the_tier_before_the_nightly_recompute_runs(ctx, applied):
    ended, ended_id = new_entity(ctx, region_code=XUANZHOU)
    kept, kept_id = new_entity(ctx, region_code=XUANZHOU)
    record = file_penalty(ctx, ended, CF_JDRQ="2026-03-15")
    file_penalty(ctx, kept, CF_JDRQ="2026-05-20")
    assert record["publicity_end"] == date(2027, 3, 15)
    assert (tier_of(ctx, ended_id), tier_of(ctx, kept_id)) == ("C", "C")
    before = tier_reports.summary(ctx, CITY_VIEWER)["counts"]

    outcomes = run_nightly_jobs(ctx, date(2027, 3, 16))

    assert outcomes["records.end_publication"] == 1
    with ctx.session_factory() as session:
        assert session.get(CreditRecord, record["id"]).status == "expired"
    stored = assignment(ctx, ended_id)
    assert (stored.tier, stored.rule_id, stored.since) == ("B", "default", date(2027, 3, 16))
    changes = [(c.old_tier, c.new_tier, c.cause) for c in history(ctx, ended_id)]
    assert changes[1:] == [
        ("B", "C", f"record {record['id']} filed"),
        ("C", "B", "publicity ended"),
    ]
    assert history(ctx, ended_id)[-1].effective_on == date(2027, 3, 16)
    # the publication job moved it; the nightly pass still considers it and finds it current
    assert outcomes["tiers.recompute_nightly"] == "0 changed of 1 considered"
    assert tier_of(ctx, kept_id) == "C"
    after = tier_reports.summary(ctx, CITY_VIEWER)["counts"]
    assert (after["B"] - before["B"], after["C"] - before["C"]) == (1, -1)
    (found,) = tier_lookup.lookup(ctx, CITY_VIEWER, [ended])
    assert found["tier"] == "B"


def test_the_nightly_recompute_catches_a_record_expired_without_a_tier_change(ctx, applied):
    identifier, eid = new_entity(ctx)
    record = file_penalty(ctx, identifier, CF_JDRQ="2026-03-15")
    # as a publication run before tiers were recomputed with it left things: expired, still C
    set_today(ctx, date(2027, 3, 16))
    with ctx.session_factory.begin() as session:
        session.get(CreditRecord, record["id"]).status = "expired"
    assert tier_of(ctx, eid) == "C"

    set_today(ctx, date(2027, 3, 18))
    result = tier_services.recompute_tiers(ctx, SYSTEM, since=date(2027, 3, 11))

    assert (result.entities_considered, result.changed) == (1, 1)
    assert tier_of(ctx, eid) == "B"
    last = history(ctx, eid)[-1]
    assert (last.old_tier, last.new_tier, last.effective_on) == ("C", "B", date(2027, 3, 18))


def recompute_one(ctx, eid: int, cause: str = "list changed") -> None:
    with ctx.session_factory.begin() as session:
        changes.record(session, changes.EntitiesChanged((eid,), cause))


def add_listing(
    ctx,
    eid: int,
    *,
    published: date | None,
    ends: date | None,
    removed: date | None = None,
) -> int:
    now = ctx.now()
    with ctx.session_factory.begin() as session:
        region = session.get(Entity, eid).region_code
        case = DishonestyCase(
            entity_id=eid,
            region_code=region,
            state="removed" if removed else ("published" if published else "proposed"),
            proposal_reason="严重侵犯知识产权",
            published_on=published,
            term_ends_on=ends,
            removed_on=removed,
            created_at=now,
            updated_at=now,
        )
        session.add(case)
        session.flush()
        return case.id


# --- set-based SQL agrees with the Python rules ----------------------------------------------

AGREEMENT_DAYS = (TODAY, date(2028, 2, 29))


def test_set_based_sql_agrees_with_the_python_rules(ctx, applied):
    """The tier and rule written by the set-based recompute equal rules.decide over the
    entity's facts, for random entities and for every boundary case, on two days (one of
    them a leap day, where the three-year look-back cutoff is shifted)."""
    assert_sql_agrees(ctx, applied[1])


def test_set_based_sql_agrees_with_the_python_rules_when_a_rule_scores(ctx, tmp_path):
    """The same with the optional scoring section and a score rule: the points, summed in
    SQL over every decay step and weight key, decide exactly as in Python."""

    def add_scoring(document) -> None:  # type: ignore[no-untyped-def]
        document["scoring"] = {
            "weights": {"dishonest.severe": 10, "dishonest": 4, "trustworthy": -2},
            "decay": [
                {"within": "P1Y", "factor": 1.0},
                {"within": "P2Y", "factor": 0.5},
                {"within": "P3Y", "factor": 0.25},
            ],
        }
        document["rules"].insert(
            len(document["rules"]) - 1,
            {"id": "repeat", "tier": "C", "description": "累计分值", "when": {"score_at_least": 6}},
        )

    scored = candidate_rule_set(tmp_path, add_scoring)
    tier_services.apply_rule_set(ctx, SYSTEM, candidate=scored)
    assert_sql_agrees(ctx, scored, extra=build_score_edges)


def assert_sql_agrees(ctx, rule_set: RuleSet, extra=None) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(20261125)
    codes = (
        PENALTY_ITEM,
        "TM-DIS-BAD-FAITH-APPLICATION",
        TRUSTWORTHY_ITEM,
        "PAT-BAS-AGENCY-LICENCE",
    )
    with ctx.session_factory() as session:
        items = {code: catalog_services.current_item(session, ctx, code) for code in codes}
    ids = build_random_population(ctx, rng, items, size=60)
    ids += build_listing_edges(ctx)
    ids += build_look_back_and_override_edges(ctx, items)
    if extra is not None:
        ids += extra(ctx, items)

    seen_tiers: set[str] = set()
    seen_rules: set[str] = set()
    for as_of in AGREEMENT_DAYS:
        tier_services.recompute_tiers(ctx, SYSTEM, as_of=as_of)
        with ctx.session_factory() as session:
            stored = {
                a.entity_id: a
                for a in session.execute(
                    select(TierAssignment).where(TierAssignment.entity_id.in_(ids))
                ).scalars()
            }
            for eid in ids:
                facts = repository.entity_facts(session=session, entity_id=eid)
                expected = rules.decide(rule_set, facts, as_of)
                got = stored[eid]
                assert (got.tier, got.rule_id) == (expected.tier, expected.rule_id), (
                    as_of,
                    eid,
                    facts,
                )
                seen_tiers.add(got.tier)
                seen_rules.add(got.rule_id)
    # the population exercised every rule and every tier
    assert seen_tiers == {"A", "B", "C", "D"}
    assert seen_rules == {r.id for r in rule_set.rules} | {rules.OVERRIDE_RULE}


def build_random_population(ctx, rng: random.Random, items: dict, *, size: int) -> list[int]:
    """Entities with random mixes of records, listings and overrides, their dates
    clustered on the boundaries of the days the test evaluates."""
    now = ctx.now()
    ids = []
    with ctx.session_factory.begin() as session:
        for n in range(size):
            entity = Entity(
                kind="organisation",
                identifier=unique_uscc(),
                name=f"一致性测试{n}有限公司",
                region_code=rng.choice([XUANZHOU, LANGXI]),
                industry=rng.choice(["C", "I", "M"]),
                content_hash="x" * 64,
                created_at=now,
                updated_at=now,
            )
            session.add(entity)
            session.flush()
            ids.append(entity.id)
            focus = rng.choice(AGREEMENT_DAYS)
            for k in range(rng.randrange(0, 5)):
                session.add(random_record(rng, items, entity.id, focus, f"{entity.id}-{k}", now))
            if rng.random() < 0.3:
                session.add(random_listing(rng, entity, focus, now))
            if rng.random() < 0.12:
                for override in random_overrides(rng, entity.id, focus, now):
                    session.add(override)
    return ids


def build_listing_edges(ctx) -> list[int]:
    """One entity per combination of a listing's dates around each evaluated day."""
    now = ctx.now()
    ids = []
    with ctx.session_factory.begin() as session:
        for focus in AGREEMENT_DAYS:
            for published in (None, focus - timedelta(days=200), focus, focus + DAY):
                for ends in (None, focus - DAY, focus, focus + DAY):
                    for removed in (None, focus, focus + DAY):
                        entity = bare_row(session, now)
                        ids.append(entity.id)
                        session.add(
                            DishonestyCase(
                                entity_id=entity.id,
                                region_code=entity.region_code,
                                state="published" if published else "proposed",
                                proposal_reason="名单边界",
                                published_on=published,
                                term_ends_on=ends,
                                removed_on=removed,
                                created_at=now,
                                updated_at=now,
                            )
                        )
    return ids


def pick_day(rng: random.Random, focus: date) -> date:
    cutoff = rules.within_cutoff(focus, 36)
    return rng.choice(
        [
            focus,
            focus - DAY,
            focus + DAY,
            cutoff,
            cutoff - DAY,
            add_months(focus, -36),
            add_months(focus, -36) - DAY,
            focus - timedelta(days=rng.randrange(1, 1500)),
            focus + timedelta(days=rng.randrange(1, 700)),
        ]
    )


def random_record(rng, items, eid, focus, ref, now) -> CreditRecord:  # type: ignore[no-untyped-def]
    code = rng.choice(list(items))
    severity = items[code][1].severity
    if severity == "by_penalty":
        severity = rng.choice(["minor", "general", "severe"])
    decided = pick_day(rng, focus)
    if decided > focus:
        decided = focus - timedelta(days=rng.randrange(0, 400))
    publicity_end = rng.choice(
        [None, focus, focus - DAY, focus + DAY, add_months(decided, rng.choice([3, 12, 36]))]
    )
    return make_record(
        items[code],
        eid,
        ref,
        now,
        severity=severity,
        decided=decided,
        publicity_end=publicity_end,
        status=rng.choice(["active"] * 5 + ["expired", "repaired", "revoked"]),
        repair_from=decided + timedelta(days=90) if rng.random() < 0.5 else None,
        early_stop_allowed=rng.random() < 0.8,
    )


def make_record(  # type: ignore[no-untyped-def]
    item_row, eid, ref, now, *, severity, decided, publicity_end, status, **extra
) -> CreditRecord:
    row_id, item = item_row
    return CreditRecord(
        entity_id=eid,
        catalog_item_id=row_id,
        item_code=item.code,
        domain=item.domain,
        category=item.category,
        severity=severity if item.category == "dishonest" else None,
        disclosure=item.disclosure,
        source_authority="一致性测试机关",
        source_ref=f"AGREE-{ref}",
        decision_date=decided,
        publicity_end=None if item.category == "basic" else publicity_end,
        retention_end=add_months(decided, 60),
        status=status,
        fields={},
        content_hash="0" * 64,
        filed_at=now,
        updated_at=now,
        **extra,
    )


def build_look_back_and_override_edges(ctx, items) -> list[int]:  # type: ignore[no-untyped-def]
    """Trustworthy entities with one old dishonest record on each side of the look-back
    cutoff, and entities with two overrides written at the same instant."""
    now = ctx.now()
    ids = []
    with ctx.session_factory.begin() as session:
        for focus in AGREEMENT_DAYS:
            cutoff = rules.within_cutoff(focus, 36)
            naive = add_months(focus, -36)
            for decided in sorted({cutoff - DAY, cutoff, cutoff + DAY, naive - DAY, naive}):
                for status in ("expired", "revoked"):
                    entity = bare_row(session, now)
                    ids.append(entity.id)
                    trusted = make_record(
                        items[TRUSTWORTHY_ITEM],
                        entity.id,
                        f"{entity.id}-t",
                        now,
                        severity=None,
                        decided=focus - timedelta(days=100),
                        publicity_end=focus + timedelta(days=300),
                        status="active",
                    )
                    old = make_record(
                        items["TM-DIS-BAD-FAITH-APPLICATION"],
                        entity.id,
                        f"{entity.id}-d",
                        now,
                        severity="general",
                        decided=decided,
                        publicity_end=add_months(decided, 12),
                        status=status,
                    )
                    session.add_all([trusted, old])
            for first, second in (("A", "D"), ("D", "A"), ("C", "B")):
                entity = bare_row(session, now)
                ids.append(entity.id)
                for tier in (first, second):
                    session.add(
                        TierOverride(
                            entity_id=entity.id,
                            tier=tier,
                            reason="同一时刻的两次调整",
                            expires_on=focus + timedelta(days=30),
                            created_by="admin",
                            created_at=now,
                        )
                    )
                    session.flush()
    return ids


def build_score_edges(ctx, items) -> list[int]:  # type: ignore[no-untyped-def]
    """Entities whose expired dishonest records sit on each side of the decay steps, so
    the score is one step above, at or below the threshold on the evaluated days."""
    now = ctx.now()
    ids = []
    with ctx.session_factory.begin() as session:
        for focus in AGREEMENT_DAYS:
            steps = [rules.within_cutoff(focus, m) for m in (12, 24)]
            for first, second in itertools.product(steps, repeat=2):
                for shift in (-DAY, timedelta(0), DAY):
                    entity = bare_row(session, now)
                    ids.append(entity.id)
                    for n, decided in enumerate((first + shift, second)):
                        session.add(
                            make_record(
                                items["TM-DIS-BAD-FAITH-APPLICATION"],
                                entity.id,
                                f"{entity.id}-s{n}",
                                now,
                                severity="general",
                                decided=decided,
                                publicity_end=decided + DAY,
                                status="expired",
                            )
                        )
    return ids


def bare_row(session, now) -> Entity:  # type: ignore[no-untyped-def]
    entity = Entity(
        kind="organisation",
        identifier=unique_uscc(),
        name="边界测试有限公司",
        region_code=LANGXI,
        industry="I",
        content_hash="x" * 64,
        created_at=now,
        updated_at=now,
    )
    session.add(entity)
    session.flush()
    return entity


def random_listing(rng, entity, focus, now) -> DishonestyCase:  # type: ignore[no-untyped-def]
    published = rng.choice([None, focus, focus + DAY, focus - timedelta(days=200)])
    return DishonestyCase(
        entity_id=entity.id,
        region_code=entity.region_code,
        state="published" if published else "proposed",
        proposal_reason="一致性测试",
        published_on=published,
        term_ends_on=rng.choice([focus, focus - DAY, focus + timedelta(days=400), None]),
        removed_on=rng.choice([None, None, focus, focus + DAY]),
        created_at=now,
        updated_at=now,
    )


def random_overrides(rng, eid, focus, now) -> list[TierOverride]:  # type: ignore[no-untyped-def]
    made = []
    # sometimes two overrides written at the same instant: the later one decides
    for k in range(rng.choice([1, 1, 2])):
        made.append(
            TierOverride(
                entity_id=eid,
                tier=rng.choice("ABCD"),
                reason=f"一致性测试{k}",
                expires_on=rng.choice([focus, focus - DAY, focus + timedelta(days=30)]),
                created_by="admin",
                created_at=now - timedelta(hours=rng.choice([0, 0, 5])),
                revoked_at=now if rng.random() < 0.2 else None,
            )
        )
    return made


def test_the_later_of_two_overrides_made_at_the_same_instant_decides(ctx, applied):
    identifier, eid = new_entity(ctx)
    expires = TODAY + timedelta(days=30)
    tier_overrides.set_override(
        ctx, ADMIN, identifier, tier="A", reason="先设A类", expires_on=expires
    )
    tier_overrides.set_override(
        ctx, ADMIN, identifier, tier="D", reason="改为D类", expires_on=expires
    )

    assert tier_of(ctx, eid) == "D"
    view = tier_views.tier_view(ctx, ADMIN, identifier)
    assert view["tier"] == "D" and "改为D类" in view["reasons"][0]["description"]


# --- overrides --------------------------------------------------------------------------------


def test_an_override_applies_at_once_shows_its_reason_and_lapses_after_its_expiry(ctx, applied):
    identifier, eid = new_entity(ctx)
    file_penalty(ctx, identifier)
    assert tier_of(ctx, eid) == "C"
    expires = date(2027, 1, 31)

    made = tier_overrides.set_override(
        ctx, ADMIN, identifier, tier="D", reason="多次被投诉，列为重点监管", expires_on=expires
    )

    assert made["tier"] == "D" and made["created_by"] == ADMIN.username
    stored = assignment(ctx, eid)
    assert (stored.tier, stored.rule_id) == ("D", rules.OVERRIDE_RULE)
    assert history(ctx, eid)[-1].cause == f"override {made['id']}"
    view = tier_views.tier_view(ctx, XUANZHOU_REGULATOR, identifier)
    assert view["tier"] == "D" and view["rule_id"] == rules.OVERRIDE_RULE
    note, rule_reason = view["reasons"]
    assert "多次被投诉，列为重点监管" in note["description"]
    assert rule_reason["rule_id"] == "dishonest-record"
    assert {"kind": "time", "new_tier": "C", "on": expires + DAY} == {
        k: view["would_change"][0][k] for k in ("kind", "new_tier", "on")
    }

    set_today(ctx, expires)  # in force through its expiry day
    tier_services.recompute_tiers(ctx, SYSTEM, since=expires - DAY)
    assert tier_of(ctx, eid) == "D"

    set_today(ctx, expires + DAY)
    result = tier_services.recompute_tiers(ctx, SYSTEM, since=expires)
    assert result.entities_considered == 1 and result.changed == 1
    assert (tier_of(ctx, eid), assignment(ctx, eid).rule_id) == ("C", "dishonest-record")


def test_revoking_an_override_restores_the_rule_tier(ctx, applied):
    identifier, eid = new_entity(ctx)
    made = tier_overrides.set_override(
        ctx, ADMIN, identifier, tier="C", reason="临时提高监管等级", expires_on=TODAY + DAY
    )
    assert tier_of(ctx, eid) == "C"

    tier_overrides.revoke_override(ctx, ADMIN, made["id"])

    assert (tier_of(ctx, eid), assignment(ctx, eid).rule_id) == ("B", "default")
    assert history(ctx, eid)[-1].cause == f"override {made['id']} revoked"
    with pytest.raises(NotFound):
        tier_overrides.revoke_override(ctx, ADMIN, made["id"])


def test_an_override_outside_the_callers_region_is_forbidden(ctx, applied):
    identifier, _ = new_entity(ctx, region_code=XUANZHOU)
    with pytest.raises(Forbidden):
        tier_overrides.set_override(
            ctx, LANGXI_REGULATOR, identifier, tier="D", reason="越权调整", expires_on=TODAY
        )


@pytest.mark.parametrize(
    "expires_on",
    [TODAY - DAY, add_months(TODAY, 12) + DAY, TODAY + timedelta(days=400)],
    ids=["yesterday", "a year and a day", "400 days"],
)
def test_an_override_expires_between_today_and_a_year_from_today(ctx, applied, expires_on):
    identifier, eid = new_entity(ctx)
    with pytest.raises(InvalidInput) as caught:
        tier_overrides.set_override(
            ctx, ADMIN, identifier, tier="D", reason="有效期错误", expires_on=expires_on
        )
    assert "expires_on" in caught.value.errors
    assert count(ctx, TierOverride) == 0


@pytest.mark.parametrize("expires_on", [TODAY, add_months(TODAY, 12)], ids=["today", "a year"])
def test_an_override_may_expire_today_or_in_exactly_a_year(ctx, applied, expires_on):
    identifier, eid = new_entity(ctx)
    tier_overrides.set_override(
        ctx, ADMIN, identifier, tier="A", reason="有效期边界", expires_on=expires_on
    )
    assert tier_of(ctx, eid) == "A"


# --- history ----------------------------------------------------------------------------------


def test_history_lists_every_change_with_cause_and_rule_set(ctx, applied, tmp_path):
    identifier, eid = bare_entity(ctx)
    tier_services.recompute_tiers(ctx, SYSTEM, cause="initial")
    record = file_penalty(ctx, identifier)
    severe = file_penalty(ctx, identifier, CF_CFLB=SEVERE)
    made = tier_overrides.set_override(
        ctx, ADMIN, identifier, tier="A", reason="典型示范", expires_on=TODAY + DAY
    )
    tier_overrides.revoke_override(ctx, ADMIN, made["id"])
    candidate = candidate_rule_set(tmp_path, lambda d: d.update(edition="2027年版"))
    tier_services.apply_rule_set(ctx, ADMIN, candidate=candidate)  # no tier moves

    changes = tier_views.tier_history(ctx, XUANZHOU_REGULATOR, identifier)

    label = applied[1].label
    assert [(c["old_tier"], c["new_tier"], c["rule_id"], c["cause"]) for c in changes] == [
        (None, "B", "default", "initial"),
        ("B", "C", "dishonest-record", f"record {record['id']} filed"),
        ("C", "D", "severe-record", f"record {severe['id']} filed"),
        ("D", "A", rules.OVERRIDE_RULE, f"override {made['id']}"),
        ("A", "D", "severe-record", f"override {made['id']} revoked"),
    ]
    assert all(c["rule_set"] == label for c in changes)
    assert all(c["effective_on"] == TODAY for c in changes)
    assert all(c["changed_at"] == ctx.now() for c in changes)
    # the stored tier is re-stamped with the new version even though nothing moved
    with ctx.session_factory() as session:
        version = repository.find_current_version(session=session)
    assert assignment(ctx, eid).rule_set_id == version.id
    assert version.label == candidate.label


def test_history_and_view_of_an_entity_outside_the_scope_are_forbidden(ctx, applied):
    identifier, _ = new_entity(ctx, region_code=XUANZHOU)
    with pytest.raises(Forbidden):
        tier_views.tier_history(ctx, LANGXI_REGULATOR, identifier)
    with pytest.raises(Forbidden):
        tier_views.tier_view(ctx, LANGXI_REGULATOR, identifier)


# --- the tier view ----------------------------------------------------------------------------


def test_the_view_explains_the_tier_and_what_would_change_it(ctx, applied):
    identifier, eid = new_entity(ctx)
    record = file_penalty(ctx, identifier, CF_JDRQ="2026-03-15")  # public to 2027-03-15

    view = tier_views.tier_view(ctx, CITY_VIEWER, identifier)

    assert (view["tier"], view["tier_name"], view["rule_id"]) == (
        "C",
        "信用风险较高",
        "dishonest-record",
    )
    assert view["since"] == TODAY
    assert view["rule_set"] == applied[1].label
    assert view["reasons"] == [
        {
            "rule_id": "dishonest-record",
            "description": "有公示期内的失信信息",
            "record_ids": (record["id"],),
            "listing_ids": (),
            "score": None,
        }
    ]
    changes = {c["kind"]: c for c in view["would_change"]}
    assert (changes["time"]["on"], changes["time"]["new_tier"]) == (date(2027, 3, 16), "B")
    assert (changes["repair"]["record_id"], changes["repair"]["new_tier"]) == (record["id"], "B")
    assert view["measures"] == {
        "sampling_ratio": 0.40,
        "inspections_per_year": 2,
        "proactive_inspection": True,
    }
    assert view["entity"]["identifier"] == identifier


def test_the_view_of_a_natural_person_is_masked(ctx, applied):
    person = create_person(ctx)
    tier_services.recompute_tiers(ctx, SYSTEM)
    entity_services.search_entities(
        ctx, CITY_VIEWER, q=person["identifier"], purpose="投诉核查 2026-17"
    )

    view = tier_views.tier_view(ctx, CITY_VIEWER, person["identifier"])

    assert view["entity"]["identifier"] != person["identifier"]
    assert "*" in view["entity"]["identifier"] and "*" in view["entity"]["name"]


def test_registering_an_entity_tiers_it_in_the_same_transaction(ctx, applied):
    identifier, eid = new_entity(ctx)

    assert (tier_of(ctx, eid), assignment(ctx, eid).rule_id) == ("B", "default")
    ((old, new),) = [(c.old_tier, c.new_tier) for c in history(ctx, eid)]
    assert (old, new) == (None, "B")


def test_the_view_tiers_an_entity_that_has_no_tier_yet(ctx, applied):
    identifier, eid = bare_entity(ctx)
    assert tier_of(ctx, eid) is None

    view = tier_views.tier_view(ctx, SYSTEM, identifier)

    assert view["tier"] == "B" and tier_of(ctx, eid) == "B"


# --- preview and apply a new rule set ----------------------------------------------------------


def test_preview_reports_moves_by_region_and_industry_and_writes_nothing(ctx, applied, tmp_path):
    tiered = {}
    for region, industry, n in ((XUANZHOU, "C", 2), (XUANZHOU, "I", 1), (LANGXI, "C", 1)):
        for _ in range(n):
            identifier, eid = new_entity(ctx, region_code=region, industry=industry)
            file_penalty(ctx, identifier)
            tiered[eid] = "C"
    severe, severe_id = new_entity(ctx, region_code=LANGXI, industry="C")
    file_penalty(ctx, severe, CF_CFLB=SEVERE)
    plain, plain_id = new_entity(ctx, region_code=LANGXI, industry="I")
    tier_services.recompute_tiers(ctx, SYSTEM)
    candidate = candidate_rule_set(tmp_path, dishonest_record_gives_d)
    changes_before = count(ctx, TierChange)

    preview = tier_services.preview_rule_set(ctx, candidate=candidate)

    assert preview.rule_set == candidate.label and preview.as_of == TODAY
    # grouped by district and industry, in code order (341802 before 341821)
    assert preview.moves == [
        {"region_code": XUANZHOU, "industry": "C", "old": "C", "new": "D", "count": 2},
        {"region_code": XUANZHOU, "industry": "I", "old": "C", "new": "D", "count": 1},
        {"region_code": LANGXI, "industry": "C", "old": "C", "new": "D", "count": 1},
    ]
    assert preview.total_moving == 4
    # nothing written
    assert all(tier_of(ctx, eid) == "C" for eid in tiered)
    assert count(ctx, TierChange) == changes_before
    assert count(ctx, TierRuleSetVersion) == 1

    result = tier_services.apply_rule_set(ctx, ADMIN, candidate=candidate)

    assert result.changed == 4 and result.rule_set == candidate.label
    assert all(tier_of(ctx, eid) == "D" for eid in tiered)
    assert (tier_of(ctx, severe_id), tier_of(ctx, plain_id)) == ("D", "B")
    for eid in tiered:
        last = history(ctx, eid)[-1]
        assert (last.old_tier, last.new_tier, last.rule_id) == ("C", "D", "dishonest-record")
        assert candidate.label in last.cause
    moved = tier_views.tier_history(ctx, SYSTEM, plain)  # plain did not move
    assert [c["new_tier"] for c in moved] == ["B"]
    some = next(iter(tiered))
    with ctx.session_factory() as session:
        identifier = session.get(Entity, some).identifier
        current = repository.find_current_version(session=session)
    assert current.label == candidate.label and current.applied_by == ADMIN.username
    assert tier_views.tier_history(ctx, SYSTEM, identifier)[-1]["rule_set"] == candidate.label
    assert tier_services.preview_rule_set(ctx, candidate=candidate).moves == []


def test_preview_counts_entities_without_a_tier_yet(ctx, applied):
    bare_entity(ctx, region=LANGXI, industry="M")
    new_entity(ctx, region_code=LANGXI, industry="M")  # tiered when registered

    preview = tier_services.preview_rule_set(ctx)

    assert preview.moves == [
        {"region_code": LANGXI, "industry": "M", "old": "-", "new": "B", "count": 1}
    ]


def test_an_invalid_rule_file_is_refused_with_its_key(ctx, tmp_path):
    catalogs = tmp_path / "catalogs"
    catalogs.mkdir()
    text = (PROJECT_ROOT / "catalogs" / "tiers.yaml").read_text("utf-8")
    (catalogs / "tiers.yaml").write_text(text.replace("period: P3Y", "period: 3Y"), "utf-8")
    ctx.settings = ctx.settings.replace(catalogs_dir=catalogs)

    with pytest.raises(InvalidInput) as caught:
        tier_services.apply_rule_set(ctx, SYSTEM)

    assert caught.value.code == "tier-rules-invalid"
    assert "no_record_within.period" in caught.value.params["problem"]
    assert count(ctx, TierRuleSetVersion) == 0


# --- lookup and summary ----------------------------------------------------------------------


def test_lookup_reports_each_identifier(ctx, applied):
    mine, mine_id = new_entity(ctx, region_code=XUANZHOU)
    file_penalty(ctx, mine)
    theirs, _ = new_entity(ctx, region_code=LANGXI)
    untiered, _ = bare_entity(ctx, region=XUANZHOU)
    unknown = unique_uscc()

    items = tier_lookup.lookup(
        ctx, XUANZHOU_REGULATOR, [mine.lower(), theirs, unknown, untiered, "not-an-id"]
    )

    found, outside, missing, no_tier, garbage = items
    assert found["found"] is True and found["tier"] == "C"
    assert found["identifier"] == mine.lower() and found["entity"]["identifier"] == mine
    assert (found["since"], found["rule_id"]) == (TODAY, "dishonest-record")
    assert outside["found"] is False and outside["error"] == "outside-region"
    assert "entity" not in outside and "tier" not in outside
    assert missing == {"identifier": unknown, "found": False, "error": "entity-not-found"}
    assert no_tier["found"] is True and no_tier["tier"] is None
    assert garbage["found"] is False


def test_lookup_takes_at_most_a_thousand_identifiers(ctx, applied):
    identifier, _ = new_entity(ctx)
    wanted = [identifier] + [unique_uscc() for _ in range(999)]

    items = tier_lookup.lookup(ctx, CITY_VIEWER, wanted)

    assert len(items) == 1000
    assert items[0]["found"] is True
    assert sum(1 for i in items if not i["found"]) == 999
    with pytest.raises(InvalidInput) as caught:
        tier_lookup.lookup(ctx, CITY_VIEWER, [*wanted, unique_uscc()])
    assert "identifiers" in caught.value.errors


def test_summary_counts_tiers_within_the_scope(ctx, applied):
    for region, records in (
        (XUANZHOU, [{}]),
        (XUANZHOU, [{"CF_CFLB": SEVERE}]),
        (XUANZHOU, []),
        (LANGXI, [{}]),
        (LANGXI, []),
    ):
        identifier, _ = new_entity(ctx, region_code=region)
        for overrides in records:
            file_penalty(ctx, identifier, **overrides)
    awarded, _ = new_entity(ctx, region_code=LANGXI, industry="I")
    file_award(ctx, awarded)
    tier_services.recompute_tiers(ctx, SYSTEM)

    city = tier_reports.summary(ctx, CITY_VIEWER)
    assert city == {
        "region": CITY,
        "industry": None,
        "counts": {"A": 1, "B": 2, "C": 2, "D": 1},
        "total": 6,
    }
    county = tier_reports.summary(ctx, LANGXI_REGULATOR)
    assert (county["region"], county["counts"], county["total"]) == (
        LANGXI,
        {"A": 1, "B": 1, "C": 1, "D": 0},
        3,
    )
    assert tier_reports.summary(ctx, CITY_VIEWER, region=XUANZHOU)["counts"] == {
        "A": 0,
        "B": 1,
        "C": 1,
        "D": 1,
    }
    assert tier_reports.summary(ctx, CITY_VIEWER, industry="I")["counts"] == {
        "A": 1,
        "B": 0,
        "C": 0,
        "D": 0,
    }
    with pytest.raises(Forbidden):
        tier_reports.summary(ctx, LANGXI_REGULATOR, region=XUANZHOU)


def test_export_rows_stay_within_the_scope_and_mask_natural_persons(ctx, applied):
    organisation, _ = new_entity(ctx, region_code=LANGXI)
    person = create_person(ctx, region_code=LANGXI)
    new_entity(ctx, region_code=XUANZHOU)
    tier_services.recompute_tiers(ctx, SYSTEM)

    rows = list(tier_reports.export_rows(ctx, LANGXI_REGULATOR, batch=1))

    assert [r[0] for r in rows][0] == organisation
    assert len(rows) == 2
    masked = rows[1]
    assert masked[0] != person["identifier"] and "*" in masked[0] and "*" in masked[1]
    assert all(r[3] == LANGXI and r[5] == "B" for r in rows)


def test_an_export_is_audited_with_its_area_and_row_count_before_any_row_is_read(ctx, applied):
    new_entity(ctx, region_code=LANGXI)
    new_entity(ctx, region_code=LANGXI, industry="I")
    new_entity(ctx, region_code=XUANZHOU)

    tier_reports.export_rows(ctx, LANGXI_REGULATOR)  # not iterated: a download cut short
    list(tier_reports.export_rows(ctx, LANGXI_REGULATOR, region=LANGXI, industry="I"))

    with ctx.session_factory() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "tiers.export").order_by(AuditEvent.seq)
        ).all()
    assert [(e.actor, e.object_type, e.details) for e in events] == [
        ("r-langxi", "tiers", {"region": None, "industry": None, "rows": 2}),
        ("r-langxi", "tiers", {"region": LANGXI, "industry": "I", "rows": 1}),
    ]


def test_an_export_of_another_county_is_refused_before_it_starts(ctx, applied):
    with pytest.raises(Forbidden):
        tier_reports.export_rows(ctx, LANGXI_REGULATOR, region=XUANZHOU)
