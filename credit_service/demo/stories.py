"""Demo stories: what a city's service looks like after a year of use, played through the
same services a regulator and an enterprise use, each step on its own (past) day.

Listings decided over the past months (one old enough to have expired, one removed
early after a granted repair) and a case in every other state of the procedure
(``listings``), repair applications in every state (``repairs``), objections in every
state (``objection_stories``), inspectors and an inspection plan, and the demo accounts
that let a visitor try every page: a city regulator, an administrator, and an
enterprise whose listing may now be repaired. Every act falls on a working day
(``days``) and the stories are played oldest first, so the documents' yearly numbers
increase with their dates.
Idempotent: nothing is played twice.
"""

from __future__ import annotations

import secrets
from datetime import date, timedelta

from sqlalchemy import func, select

from credit_service.access import Actor
from credit_service.auth import services as auth_services
from credit_service.context import Context
from credit_service.demo import listings, repairs
from credit_service.demo.days import DAY, on, workday_on_or_before, workdays_before, working_days
from credit_service.demo.objection_stories import seed_objections
from credit_service.dishonesty import rules
from credit_service.dishonesty import services as dishonesty
from credit_service.dishonesty.models import DishonestyCase
from credit_service.entities.models import Entity
from credit_service.inspections import services as inspections
from credit_service.records.models import CreditRecord
from credit_service.tiers import services as tiers
from credit_service.tiers.models import TierAssignment

DEMO_ADMIN = "demo-admin"
DEMO_ENTERPRISE = "demo-enterprise"
LISTINGS = 12
FIRST_DAYS_AGO, STEP_DAYS = 40, 43  # the newest listing's decision, and between decisions
INSPECTED = 5  # results recorded in the demo plan (the other units wait for inspection)
INSPECTION_NOTES = (
    "现场检查专利标识标注情况，未发现问题",
    "产品包装专利标识标注不规范，已当场责令改正",
    "核查商标使用情况，未发现问题",
    "按登记住所实地核查，未找到经营场所",
)
INSPECTORS = (
    ("皖宣执001", "张明", "341802"),
    ("皖宣执002", "李华", "341802"),
    ("皖宣执003", "王芳", "341821"),
    ("皖宣执004", "赵强", "341881"),
    ("皖宣执005", "陈静", "341882"),
    ("皖宣执006", "周磊", "341823"),
)


def password() -> str:
    """A random password that passes either password profile (all four character kinds)."""
    return f"{secrets.token_urlsafe(12)}-Xq7"


def seed_stories(ctx: Context, regulator: Actor) -> dict[str, str] | None:
    """Play the stories once; returns the new demo accounts' passwords (None if played)."""
    with ctx.read_session_factory() as session:
        if session.execute(select(func.count()).select_from(DishonestyCase)).scalar_one():
            return None
        organisations = list(
            session.execute(
                select(Entity.identifier, Entity.name, Entity.region_code)
                .where(Entity.kind == "organisation")
                .order_by(Entity.id)
                .limit(LISTINGS + 1 + len(listings.IN_HAND))
            ).all()
        )
    today = ctx.today()
    # oldest first: the yearly numbers follow the dates
    expired = organisations[LISTINGS][0]
    case = listings.published(ctx, regulator, expired, _expiring_decision(ctx, today), LISTINGS)
    dishonesty.expire_listings(on(ctx, case["term_ends_on"] + DAY), regulator)  # the daily job
    listed = [
        (listings.published(ctx, regulator, identifier, _decided(ctx, today, n), n), identifier)
        for n, (identifier, _, _) in reversed(list(enumerate(organisations[:LISTINGS])))
    ][::-1]
    in_hand = [identifier for identifier, _, _ in organisations[LISTINGS + 1 :]]
    listings.in_hand(ctx, regulator, in_hand[: len(listings.IN_HAND)], LISTINGS + 1)

    accounts = {DEMO_ADMIN: password(), DEMO_ENTERPRISE: password()}
    _account(ctx, regulator, DEMO_ADMIN, "演示管理员", "admin", accounts[DEMO_ADMIN])
    # the four oldest listings are more than a year old: early removal may be asked
    queued, (_, eligible), repaired = listed[8:10], listed[10], listed[11]
    _account(
        ctx,
        regulator,
        DEMO_ENTERPRISE,
        "演示企业经办人",
        "enterprise",
        accounts[DEMO_ENTERPRISE],
        uscc=eligible,
    )
    repairs.repaired_listing(
        ctx,
        regulator,
        _enterprise(ctx, regulator, repaired[1], "demo-enterprise-repaired"),
        repaired[0],
        today,
    )
    waiting = [
        (_enterprise(ctx, regulator, identifier, f"demo-enterprise-queue-{n}"), case)
        for n, (case, identifier) in enumerate(queued)
    ]
    repairs.queued(ctx, regulator, waiting, today)
    repairs.record_repairs(
        ctx,
        regulator,
        [
            (_enterprise(ctx, regulator, identifier, f"demo-enterprise-repair-{n}"), identifier)
            for n, identifier in enumerate(_unpenalised(ctx, len(repairs.RECORD_STORIES)))
        ],
    )
    clerk = Actor(
        role="enterprise", username=DEMO_ENTERPRISE, uscc=eligible, city_code=regulator.city_code
    )
    seed_objections(ctx, regulator, eligible, clerk)
    _inspections(ctx, regulator, today)
    tiers.recompute_tiers(ctx, regulator, cause="demo stories")
    return accounts


def _decided(ctx: Context, today: date, n: int) -> date:
    """The decision day of the n-th newest published listing: a working day."""
    return workday_on_or_before(ctx, today - timedelta(FIRST_DAYS_AGO + STEP_DAYS * n))


def _expiring_decision(ctx: Context, today: date) -> date:
    """A decision old enough for its term to have ended some weeks ago, on a working day
    whose term ends the day before a working day (the expiry's removal is dated then)."""
    day = workday_on_or_before(ctx, today - timedelta(days=3 * 365 + 40))
    while not ctx.calendar.is_workday(rules.term_end(ctx.list_rules, day) + DAY):
        day = workdays_before(ctx, day, 1)
    return day


def _account(
    ctx: Context,
    actor: Actor,
    username: str,
    display_name: str,
    role: str,
    secret: str,
    *,
    uscc: str | None = None,
) -> None:
    auth_services.create_user(
        ctx,
        actor,
        username=username,
        display_name=display_name,
        role=role,
        uscc=uscc,
        password=secret,
    )


def _enterprise(ctx: Context, actor: Actor, identifier: str, name: str) -> Actor:
    """An enterprise clerk's account for a listed entity."""
    _account(ctx, actor, name, name, "enterprise", password(), uscc=identifier)
    return Actor(role="enterprise", username=name, uscc=identifier, city_code=actor.city_code)


def _inspections(ctx: Context, actor: Actor, today: date) -> None:
    """Inspectors and a plan drawn six weeks ago (a natural person among its triggered
    units), results recorded on working days since and published the next working day,
    as the daily job does (一公开, D20): public well within their 20 working days. The
    last result, recorded on the last working day, waits for tonight's run."""
    days = working_days(ctx, today - timedelta(days=1), 30)
    drawn_on = on(ctx, days[0])
    for badge_no, name, region in INSPECTORS:
        inspections.add_inspector(
            drawn_on, actor, badge_no=badge_no, name=name, office_region=region
        )
    plan = inspections.create_plan(
        drawn_on,
        actor,
        region=ctx.catalogs.city.code,
        period_start=days[0],
        period_end=days[0] + timedelta(days=89),
        seed="demo",
        triggered=_tiered_people(ctx)[:1],
    )
    people = [i for i in plan["items"] if "*" in i["entity"]["name"]]
    inspected = (people + [i for i in plan["items"] if i not in people])[:INSPECTED]
    outcomes = ("passed", "problems_found", "passed", "not_found_at_address")
    for n, item in enumerate(inspected):
        day = days[10 + 3 * n] if n < len(inspected) - 1 else days[-1]
        inspections.record_result(
            on(ctx, day),
            actor,
            plan["id"],
            item["id"],
            outcome=outcomes[n % len(outcomes)],
            note=INSPECTION_NOTES[n % len(INSPECTION_NOTES)],
        )
        if day != days[-1]:
            inspections.publish_due(on(ctx, days[days.index(day) + 1]), actor)


def _unpenalised(ctx: Context, count: int) -> list[str]:
    """Organisations off the list without a heavier penalty (one would block a repair),
    the first by id (the objection stories take the last)."""
    with ctx.read_session_factory() as session:
        heavier = select(CreditRecord.entity_id).where(CreditRecord.heavier_penalty)
        return list(
            session.execute(
                select(Entity.identifier)
                .where(
                    Entity.kind == "organisation",
                    Entity.id.not_in(select(DishonestyCase.entity_id)),
                    Entity.id.not_in(heavier),
                )
                .order_by(Entity.id)
                .limit(count)
            ).scalars()
        )


def _tiered_people(ctx: Context) -> list[str]:
    """Natural persons that a plan can draw (active, with a tier)."""
    with ctx.read_session_factory() as session:
        return list(
            session.execute(
                select(Entity.identifier)
                .join(TierAssignment, TierAssignment.entity_id == Entity.id)
                .where(Entity.kind == "natural_person", Entity.status == "active")
                .order_by(Entity.id)
            ).scalars()
        )
