"""The demo stories `make run` plays: a year of listings, repairs and inspections through
the services, the demo accounts, and nothing played twice."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from credit_service.access import SYSTEM, Actor
from credit_service.audit import sealing, verification
from credit_service.auth.models import User
from credit_service.demo import seed as demo_seed
from credit_service.demo import stories
from credit_service.dishonesty.models import DishonestyCase
from credit_service.entities.models import Entity
from credit_service.inspections.models import InspectionPlan
from credit_service.repair import services as repair_services
from credit_service.repair.models import RepairApplication
from credit_service.tiers import services as tier_services
from tests.factories import CITY

REGULATOR = Actor(
    role="regulator", username=demo_seed.DEMO_REGULATOR, region_code=CITY, city_code=CITY
)


def test_the_stories_leave_a_city_after_a_year_of_use(ctx):
    tier_services.apply_rule_set(ctx, SYSTEM)
    demo_seed.seed(ctx, SYSTEM, entities=60, seed=7)

    accounts = stories.seed_stories(ctx, REGULATOR)

    assert set(accounts) == {stories.DEMO_ADMIN, stories.DEMO_ENTERPRISE}
    with ctx.read_session_factory() as session:
        cases = Counter(
            (c.state, c.removal_reason) for c in session.execute(select(DishonestyCase)).scalars()
        )
        applications = Counter(
            a.state for a in session.execute(select(RepairApplication)).scalars()
        )
        plans = session.execute(select(InspectionPlan)).scalars().all()
    assert cases == {
        ("published", None): stories.LISTINGS - 1,
        ("removed", "expired"): 1,
        ("removed", "repaired"): 1,
    }
    assert applications == {"granted": 1, "submitted": 1, "accepted": 1}
    assert len(plans) == 1
    queue = repair_services.list_applications(ctx, REGULATOR)
    assert sorted(a["state"] for a in queue) == ["accepted", "submitted"]

    # the demo enterprise's listing is more than a year old: it may ask for removal now
    with ctx.read_session_factory() as session:
        uscc = session.execute(
            select(User.uscc).where(User.username == stories.DEMO_ENTERPRISE)
        ).scalar_one()
        case_id = session.execute(
            select(DishonestyCase.id)
            .join(Entity, Entity.id == DishonestyCase.entity_id)
            .where(Entity.identifier == uscc, DishonestyCase.state == "published")
        ).scalar_one()
    clerk = Actor(role="enterprise", username=stories.DEMO_ENTERPRISE, uscc=uscc, city_code=CITY)
    eligibility = repair_services.check_eligibility(ctx, clerk, f"listing:{case_id}")
    assert eligibility["eligible"], eligibility["conditions"]
    sealing.seal_log(ctx)
    assert verification.verify_log(ctx).ok

    assert stories.seed_stories(ctx, REGULATOR) is None  # played once only
