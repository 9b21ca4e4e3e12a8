"""Demo stories: what a city's service looks like after a year of use, played through the
same services a regulator and an enterprise use, each step on its own (past) day.

Listings decided over the past months (one old enough to have expired, one removed
early after a granted repair), repair applications waiting in the queue, objections in
every state (``objection_stories``), inspectors and an inspection plan, and the demo
accounts that let a visitor try every page: a city
regulator, an administrator, and an enterprise whose listing may now be repaired.
Idempotent: nothing is played twice.
"""

from __future__ import annotations

import dataclasses
import secrets
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select

from credit_service.access import Actor
from credit_service.auth import services as auth_services
from credit_service.clock import FixedClock, local_noon
from credit_service.context import Context
from credit_service.demo.objection_stories import seed_objections, working_days
from credit_service.dishonesty import services as dishonesty
from credit_service.dishonesty.models import DishonestyCase
from credit_service.entities.models import Entity
from credit_service.inspections import services as inspections
from credit_service.records import services as records
from credit_service.repair import services as repair
from credit_service.tiers import services as tiers
from credit_service.tiers.models import TierAssignment

DEMO_ADMIN = "demo-admin"
DEMO_ENTERPRISE = "demo-enterprise"
LISTINGS = 12
FIRST_DAYS_AGO, STEP_DAYS = 30, 43  # the newest listing's decision, and between decisions
HEAVIER = ["罚款", "责令停产停业"]
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
                .limit(LISTINGS + 4)
            ).all()
        )
    today = ctx.today()
    listed = [
        (
            _listing(
                ctx, regulator, identifier, today - timedelta(FIRST_DAYS_AGO + STEP_DAYS * n), n
            ),
            identifier,
        )
        for n, (identifier, _, _) in enumerate(organisations[:LISTINGS])
    ]
    expired = organisations[LISTINGS][0]
    _listing(ctx, regulator, expired, today - timedelta(days=3 * 365 + 40), LISTINGS)
    dishonesty.expire_listings(ctx, regulator)

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
    _repaired_listing(ctx, regulator, repaired, today)
    _queued_applications(ctx, regulator, queued, today)
    clerk = Actor(
        role="enterprise", username=DEMO_ENTERPRISE, uscc=eligible, city_code=regulator.city_code
    )
    seed_objections(ctx, regulator, eligible, clerk)
    _inspections(ctx, regulator, today)
    tiers.recompute_tiers(ctx, regulator, cause="demo stories")
    return accounts


def _on(ctx: Context, day: date) -> Context:
    """The same services, on another day (a clock standing at noon of ``day``)."""
    return dataclasses.replace(ctx, clock=FixedClock(local_noon(day)))


def _listing(ctx: Context, actor: Actor, identifier: str, decided: date, n: int) -> dict:
    """A heavier IP penalty, then the listing procedure through to publication (the
    party waives its statement, so the decision may follow the notice at once)."""
    penalty_day = decided - timedelta(days=25)
    record, _ = records.file_record(
        _on(ctx, penalty_day),
        actor,
        entity=identifier,
        item_code="PAT-PEN-COUNTERFEIT",
        fields={
            "CF_WSH": f"宣市监知罚字〔{penalty_day.year}〕{n + 1}号",
            "CF_WFXW": "假冒专利",
            "CF_SY": "在产品及包装上标注他人专利号，情节严重",
            "CF_YJ": "《中华人民共和国专利法》第六十八条",
            "CF_CFLB": HEAVIER,
            "CF_NR": "罚款人民币二十万元，责令停产停业整顿一个月",
            "CF_NR_FK": "20",
            "CF_JDRQ": penalty_day.isoformat(),
            "CF_CFJG": "宣城市市场监督管理局",
        },
    )
    case = dishonesty.propose(
        _on(ctx, decided - timedelta(days=20)),
        actor,
        entity=identifier,
        record_ids=[record["id"]],
        reason="故意侵犯知识产权，受到责令停产停业的较重行政处罚",
    )
    waiver = _written_waiver(decided - timedelta(days=17), n)
    steps: tuple[tuple[int, str, dict[str, Any]], ...] = (
        (-18, "serve_notice", {}),
        (-17, "waive", {"reason": "当事人书面放弃陈述、申辩", "documents": [waiver]}),
        (0, "decide_list", {}),
        (3, "publish", {}),
    )
    for offset, step, details in steps:
        day = decided + timedelta(days=offset)
        case = dishonesty.advance(_on(ctx, day), actor, case["id"], step, **details)
    return case


def _written_waiver(received_on: date, n: int) -> dict[str, Any]:
    """The party's signed waiver of its statement and defence: the paper the ``waive``
    step must record (a decision inside the window rests on it)."""
    return {
        "title": "放弃陈述申辩权利声明书",
        "reference": f"宣市监收〔{received_on.year}〕{n + 1}号",
        "received_on": received_on,
    }


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


def _application(ctx: Context, clerk: Actor, case: dict) -> dict:
    view, _ = repair.apply(
        ctx,
        clerk,
        target=f"listing:{case['id']}",
        reason="已全面履行行政处罚决定，纠正侵权行为并消除不良影响，申请提前移出",
        measures_taken="缴清罚款；下架并销毁涉案产品；建立知识产权合规审查制度并开展培训",
        obligations_performed=True,
        commitment_version=ctx.repair_rules.commitment_version,
        contact="经办人 0563-0000000",
    )
    return view


def _repaired_listing(ctx: Context, actor: Actor, listed: tuple[dict, str], today: date) -> None:
    """The oldest listing: repaired after its first year, removed early."""
    case, identifier = listed
    clerk = _enterprise(ctx, actor, identifier, "demo-enterprise-repaired")
    applied = today - timedelta(days=30)
    application = _application(_on(ctx, applied), clerk, case)
    repair.review(_on(ctx, applied + timedelta(days=1)), actor, application["id"], "accept")
    repair.review(
        _on(ctx, applied + timedelta(days=6)),
        actor,
        application["id"],
        "grant",
        reason="已履行义务、消除不良影响，符合提前移出条件",
    )


def _queued_applications(
    ctx: Context, actor: Actor, listed: list[tuple[dict, str]], today: date
) -> None:
    """Two applications waiting for regulators: one to accept, one to decide."""
    for n, (case, identifier) in enumerate(listed):
        clerk = _enterprise(ctx, actor, identifier, f"demo-enterprise-queue-{n}")
        submitted = today - timedelta(days=1 + 2 * n)
        application = _application(_on(ctx, submitted), clerk, case)
        if n:
            accepted = submitted + timedelta(days=1)
            repair.review(_on(ctx, accepted), actor, application["id"], "accept")


def _inspections(ctx: Context, actor: Actor, today: date) -> None:
    """Inspectors and a plan drawn six weeks ago (a natural person among its triggered
    units), results recorded on working days since and published the next working day,
    as the daily job does (一公开, D20): public well within their 20 working days. The
    last result, recorded on the last working day, waits for tonight's run."""
    days = working_days(ctx, today - timedelta(days=1), 30)
    drawn_on = _on(ctx, days[0])
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
        on = days[10 + 3 * n] if n < len(inspected) - 1 else days[-1]
        inspections.record_result(
            _on(ctx, on),
            actor,
            plan["id"],
            item["id"],
            outcome=outcomes[n % len(outcomes)],
            note=INSPECTION_NOTES[n % len(INSPECTION_NOTES)],
        )
        if on != days[-1]:
            inspections.publish_due(_on(ctx, days[days.index(on) + 1]), actor)


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
