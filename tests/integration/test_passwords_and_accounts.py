"""Password policy profiles, history and expiry, and the binding of enterprise accounts,
at the service level against both databases.

argon2id costs tens of milliseconds a hash (more on a busy machine), so each test hashes
only a handful of times; the history tests, which need dozens, use cheap argon2id
parameters (the rules under test do not depend on the cost).
"""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from credit_service.access import SYSTEM, Actor
from credit_service.audit import services as audit
from credit_service.auth import accounts, passwords, sessions
from credit_service.auth import services as auth_services
from credit_service.auth.models import ActivationCode, PasswordHistory, User
from credit_service.entities import services as entity_services
from credit_service.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthenticated
from tests.factories import CITY, LANGXI, XUANZHOU, create_entity, unique_uscc

PASSWORD = "Xuan-Cheng#2026!"
# Six distinct passwords that pass both profiles.
CHAIN = [f"Jing-Ting#Shan{n}2026" for n in range(1, 7)]
_numbers = itertools.count(1)


@pytest.fixture
def cheap_argon2(monkeypatch):
    """argon2id with minimal cost, for tests that hash many times."""
    monkeypatch.setattr(
        passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    )


def unique_name(prefix: str) -> str:
    return f"{prefix}-{next(_numbers)}"


def make_user(ctx, password: str = PASSWORD, role: str = "regulator") -> tuple[str, Actor]:
    username = unique_name(role)
    user = auth_services.create_user(
        ctx,
        SYSTEM,
        username=username,
        display_name=username,
        role=role,
        region_code=CITY if role in ("regulator", "viewer") else None,
        password=password,
    )
    return username, auth_services.actor_for(
        ctx, user, scopes=frozenset(), via="session", source_ip=None
    )


def regulator(region: str) -> Actor:
    return Actor(
        role="regulator",
        username=unique_name(f"regulator-{region}"),
        region_code=region,
        city_code=CITY,
        scopes=frozenset({"read", "write"}),
    )


FEW_CLASSES = {"code": "password-too-few-classes", "min_classes": 3}


def policy_errors(ctx, password: str, username: str = "li.ming") -> list[Any]:
    """The policy's complaints about ``password`` (empty when it is accepted): field
    errors, each a code or a code with its params."""
    try:
        auth_services.ensure_password_policy(ctx, password, username=username)
    except InvalidInput as exc:
        assert exc.code == "weak-password"
        assert set(exc.errors) == {"password"}
        return exc.errors["password"]
    return []


def use_asvs(ctx) -> None:
    ctx.settings = ctx.settings.replace(password_profile="ASVS")


def find_user(ctx, username: str) -> User | None:
    with ctx.session_factory() as session:
        return session.execute(select(User).where(User.username == username)).scalar_one_or_none()


def register(ctx, uscc: str, code: str | None = None, username: str | None = None) -> dict:
    return accounts.register_enterprise(
        ctx,
        username=username or unique_name("enterprise"),
        password=PASSWORD,
        uscc=uscc,
        display_name="宣城注册测试科技有限公司",
        contact="王经理 13800000000",
        activation_code=code,
        source_ip="203.0.113.9",
    )


def sign_in(ctx, username: str, password: str = PASSWORD) -> sessions.SignedIn:
    return sessions.sign_in(ctx, username, password, source_ip="203.0.113.9")


# --- MLPS profile (the default) -------------------------------------------------------------


def test_the_default_profile_is_mlps(ctx):
    assert ctx.settings.password_profile == "MLPS"


@pytest.mark.parametrize(
    ("password", "complaint"),
    [
        ("Ab1#xyz", {"code": "password-too-short", "min_length": 8}),
        ("xuanchengshi2026", FEW_CLASSES),  # lower case and digits only
        ("XUANCHENG-SHI", FEW_CLASSES),  # upper case and symbols only
        ("Password123", "password-too-common"),
        ("passWORD123", "password-too-common"),  # compared without regard to case
        ("Xuancheng123", "password-too-common"),
        ("Li.Ming#2026", "password-contains-username"),
        ("x" * 127 + "A1", {"code": "length-at-most", "max": 128}),
    ],
)
def test_mlps_refuses_weak_passwords(ctx, password, complaint):
    problems = policy_errors(ctx, password)

    assert complaint in problems, problems


def test_mlps_names_every_rule_a_password_breaks(ctx):
    problems = policy_errors(ctx, "li.ming")

    assert len(problems) == 3  # too short, too few classes, contains the user name


@pytest.mark.parametrize("password", ["Abcdefg1", "xuan-2026", "宣城Xuan26", PASSWORD])
def test_mlps_accepts_three_classes_and_eight_characters(ctx, password):
    assert policy_errors(ctx, password) == []


def test_mlps_refuses_a_long_passphrase_without_classes(ctx):
    assert FEW_CLASSES in policy_errors(ctx, "correct horse battery staple")


def test_creating_an_account_applies_the_policy(ctx):
    with pytest.raises(InvalidInput) as raised:
        make_user(ctx, password="Password123")

    assert "password" in raised.value.errors
    with ctx.session_factory() as session:
        assert session.execute(select(User).where(User.role == "regulator")).first() is None


# --- ASVS profile ---------------------------------------------------------------------------


def test_asvs_accepts_a_long_passphrase_without_classes(ctx):
    use_asvs(ctx)

    assert policy_errors(ctx, "correct horse battery staple") == []
    assert policy_errors(ctx, "宣城的敬亭山上看云起云落") == []


def test_asvs_refuses_eleven_characters_however_varied(ctx):
    use_asvs(ctx)

    problems = policy_errors(ctx, "Xc#9kLm2!pQ")

    assert problems == [{"code": "password-too-short", "min_length": 12}]
    assert policy_errors(ctx, "Xc#9kLm2!pQr") == []


def test_asvs_refuses_common_passwords_and_the_user_name(ctx):
    use_asvs(ctx)

    assert "password-too-common" in policy_errors(ctx, "52013145201314")
    assert "password-too-common" in policy_errors(ctx, "Administrator")
    assert "password-contains-username" in policy_errors(ctx, "li.ming-and-more-words")


def test_hashes_are_argon2id_and_never_the_password(ctx):
    username, _ = make_user(ctx)

    stored = find_user(ctx, username).password_hash

    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")  # RFC 9106's second profile
    assert PASSWORD not in stored
    assert passwords.verify_password(stored, PASSWORD)
    assert not passwords.verify_password(stored, PASSWORD + "x")


# --- changing passwords, and the history rule -----------------------------------------------


def test_a_password_change_needs_the_current_password(ctx):
    username, actor = make_user(ctx)

    with pytest.raises(Forbidden) as raised:
        accounts.change_password(
            ctx, actor, current_password="Not-The#Current1", new_password=CHAIN[0]
        )

    assert raised.value.code == "wrong-password"
    assert passwords.verify_password(find_user(ctx, username).password_hash, PASSWORD)


def test_a_password_change_applies_the_policy(ctx):
    _, actor = make_user(ctx)

    with pytest.raises(InvalidInput) as raised:
        accounts.change_password(ctx, actor, current_password=PASSWORD, new_password="short1A")

    assert raised.value.code == "weak-password"


def test_a_password_change_keeps_the_old_hash_and_is_audited(ctx, clock):
    username, actor = make_user(ctx)
    old_hash = find_user(ctx, username).password_hash
    clock.advance(days=3)

    accounts.change_password(ctx, actor, current_password=PASSWORD, new_password=CHAIN[0])

    user = find_user(ctx, username)
    assert user.password_changed_at == ctx.now()
    with ctx.session_factory() as session:
        history = session.execute(
            select(PasswordHistory.password_hash).where(PasswordHistory.user_id == user.id)
        ).scalars()
        events = audit.query_events(session, action="user.change_password", actor=username)
    assert list(history) == [old_hash]
    assert [e.object_id for e in events] == [str(user.id)]


@pytest.mark.usefixtures("cheap_argon2")
def test_mlps_refuses_any_of_the_last_five_passwords(ctx):
    # CHAIN[0] is set when the account is created, then CHAIN[1..5] follow: stored directly
    # (one hash each) rather than through change_password (up to seven each).
    username, actor = make_user(ctx, password=CHAIN[0])
    with ctx.session_factory.begin() as session:
        user = session.execute(select(User).where(User.username == username)).scalar_one()
        for password in CHAIN[1:]:
            auth_services.store_password(session, user, password, ctx.now())
    current = CHAIN[-1]

    for recent in reversed(CHAIN[1:]):  # the current password and the four before it
        with pytest.raises(InvalidInput) as raised:
            accounts.change_password(ctx, actor, current_password=current, new_password=recent)
        assert raised.value.code == "password-reused", recent
        assert "new_password" in raised.value.errors

    accounts.change_password(ctx, actor, current_password=current, new_password=CHAIN[0])
    assert passwords.verify_password(find_user(ctx, username).password_hash, CHAIN[0])


@pytest.mark.usefixtures("cheap_argon2")
def test_mlps_history_through_change_password(ctx):
    username, actor = make_user(ctx, password=CHAIN[0])
    accounts.change_password(ctx, actor, current_password=CHAIN[0], new_password=CHAIN[1])

    with pytest.raises(InvalidInput):
        accounts.change_password(ctx, actor, current_password=CHAIN[1], new_password=CHAIN[0])

    assert passwords.verify_password(find_user(ctx, username).password_hash, CHAIN[1])


@pytest.mark.usefixtures("cheap_argon2")
def test_the_history_length_follows_the_setting(ctx):
    ctx.settings = ctx.settings.replace(password_history=2)
    username, actor = make_user(ctx, password=CHAIN[0])
    with ctx.session_factory.begin() as session:
        user = session.execute(select(User).where(User.username == username)).scalar_one()
        for password in CHAIN[1:3]:
            auth_services.store_password(session, user, password, ctx.now())

    with pytest.raises(InvalidInput):
        accounts.change_password(ctx, actor, current_password=CHAIN[2], new_password=CHAIN[1])
    accounts.change_password(ctx, actor, current_password=CHAIN[2], new_password=CHAIN[0])


@pytest.mark.usefixtures("cheap_argon2")
def test_asvs_has_no_history_rule(ctx):
    use_asvs(ctx)
    username, actor = make_user(ctx, password=CHAIN[0])
    accounts.change_password(ctx, actor, current_password=CHAIN[0], new_password=CHAIN[1])

    accounts.change_password(ctx, actor, current_password=CHAIN[1], new_password=CHAIN[0])

    assert passwords.verify_password(find_user(ctx, username).password_hash, CHAIN[0])


def test_a_password_change_ends_the_accounts_sessions(ctx):
    username, actor = make_user(ctx)
    signed_in = sign_in(ctx, username)

    accounts.change_password(ctx, actor, current_password=PASSWORD, new_password=CHAIN[0])

    assert sessions.resolve_session(ctx, signed_in.session_id, source_ip=None) is None


# --- password expiry ------------------------------------------------------------------------


def test_mlps_reports_an_expired_password_at_sign_in(ctx, clock):
    ctx.settings = ctx.settings.replace(password_expiry_days=90)
    username, _ = make_user(ctx)

    clock.advance(days=89)
    assert sign_in(ctx, username).password_expired is False
    clock.advance(days=2)  # 91 days after the password was set
    assert sign_in(ctx, username).password_expired is True


def test_a_new_password_restarts_the_expiry(ctx, clock):
    username, actor = make_user(ctx)
    clock.advance(days=91)
    accounts.change_password(ctx, actor, current_password=PASSWORD, new_password=CHAIN[0])

    assert sign_in(ctx, username, CHAIN[0]).password_expired is False


def test_the_sign_in_page_sends_an_expired_password_to_the_password_page(ctx, clock):
    import re

    from credit_service.web import create_app

    ctx.settings = ctx.settings.replace(password_expiry_days=90)
    username, _ = make_user(ctx)
    clock.advance(days=91)
    client = create_app(context=ctx).test_client()
    html = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)

    response = client.post(
        "/sign-in",
        data={"csrf_token": token, "username": username, "password": PASSWORD, "next": "/x"},
    )

    assert response.status_code == 303
    assert response.headers["Location"] == "/account/password?notice=sign_in.expired"
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert "您的密码已过期" in page.get_data(as_text=True)


def test_expiry_days_zero_means_never_under_mlps(ctx, clock):
    ctx.settings = ctx.settings.replace(password_expiry_days=0)
    username, _ = make_user(ctx)
    clock.advance(days=400)

    assert sign_in(ctx, username).password_expired is False


def test_asvs_passwords_never_expire(ctx, clock):
    use_asvs(ctx)
    ctx.settings = ctx.settings.replace(password_expiry_days=90)
    username, _ = make_user(ctx)
    clock.advance(days=400)

    assert sign_in(ctx, username).password_expired is False


# --- enterprise self-registration and binding approval --------------------------------------


def test_registration_without_a_code_is_pending_and_cannot_sign_in(ctx):
    entity = create_entity(ctx, region_code=XUANZHOU)

    view = register(ctx, entity["identifier"])

    assert view["binding_status"] == "pending" and view["uscc"] == entity["identifier"]
    user = find_user(ctx, view["username"])
    assert (user.role, user.uscc, user.binding_status) == (
        "enterprise",
        entity["identifier"],
        "pending",
    )
    with pytest.raises(Unauthenticated) as raised:  # the right password: told it waits
        sign_in(ctx, view["username"])
    assert (raised.value.code, raised.value.params) == ("binding-pending", {})
    with ctx.session_factory() as session:
        events = audit.query_events(session, actor=view["username"], action="auth.sign_in")
    assert [e.outcome for e in events] == ["binding-pending"]


def test_a_regulator_of_another_county_cannot_approve_the_binding(ctx):
    entity = create_entity(ctx, region_code=XUANZHOU)
    view = register(ctx, entity["identifier"])

    with pytest.raises(Forbidden) as raised:
        accounts.approve_binding(ctx, regulator(LANGXI), view["username"])

    assert raised.value.code == "region-scope"
    assert find_user(ctx, view["username"]).binding_status == "pending"


def test_a_regulator_of_the_entitys_county_approves_and_sign_in_works(ctx):
    entity = create_entity(ctx, region_code=XUANZHOU)
    view = register(ctx, entity["identifier"])
    county = regulator(XUANZHOU)

    approved = accounts.approve_binding(ctx, county, view["username"])

    assert approved["binding_status"] == "approved"
    signed_in = sign_in(ctx, view["username"])
    assert signed_in.actor.role == "enterprise"
    assert signed_in.actor.uscc == entity["identifier"]
    with ctx.session_factory() as session:
        events = audit.query_events(session, action="user.approve_binding", actor=county.username)
    assert [e.details for e in events] == [{"uscc": entity["identifier"]}]


def test_a_city_regulator_may_approve_any_county(ctx):
    entity = create_entity(ctx, region_code=LANGXI)
    view = register(ctx, entity["identifier"])

    approved = accounts.approve_binding(ctx, regulator(CITY), view["username"])

    assert approved["binding_status"] == "approved"


def test_a_binding_is_approved_only_once(ctx):
    entity = create_entity(ctx, region_code=XUANZHOU)
    view = register(ctx, entity["identifier"])
    accounts.approve_binding(ctx, regulator(XUANZHOU), view["username"])

    with pytest.raises(Conflict):
        accounts.approve_binding(ctx, regulator(XUANZHOU), view["username"])


def test_a_binding_to_an_unknown_entity_cannot_be_approved(ctx):
    view = register(ctx, unique_uscc(XUANZHOU))  # a valid USCC, but no such entity

    with pytest.raises(NotFound):
        accounts.approve_binding(ctx, regulator(CITY), view["username"])


def test_regulators_see_only_the_pending_bindings_they_may_approve(ctx):
    entity = create_entity(ctx, region_code=XUANZHOU)
    view = register(ctx, entity["identifier"])

    def pending_for(region: str) -> list[str]:
        users = accounts.list_users(ctx, regulator(region), pending_only=True)
        return [u["username"] for u in users]

    assert view["username"] in pending_for(XUANZHOU)
    assert view["username"] in pending_for(CITY)
    assert view["username"] not in pending_for(LANGXI)


def test_an_enterprise_acts_only_on_its_own_entity(ctx):
    own = create_entity(ctx, region_code=XUANZHOU)
    other = create_entity(ctx, region_code=XUANZHOU)
    view = register(ctx, own["identifier"])
    accounts.approve_binding(ctx, regulator(XUANZHOU), view["username"])
    actor = sign_in(ctx, view["username"]).actor

    with ctx.session_factory() as session:
        found = entity_services.entity_in_scope(session, actor, own["identifier"])
        assert found.identifier == own["identifier"]
        with pytest.raises(Forbidden) as raised:
            entity_services.entity_in_scope(session, actor, other["identifier"])
    assert raised.value.code == "not-own-entity"


# --- activation codes -----------------------------------------------------------------------


def test_an_activation_code_activates_the_account_at_once(ctx):
    entity = create_entity(ctx, region_code=XUANZHOU)
    issued = accounts.issue_activation_code(ctx, regulator(XUANZHOU), entity["identifier"])

    view = register(ctx, entity["identifier"], issued.code)

    assert issued.uscc == entity["identifier"]
    assert issued.expires_at == ctx.now() + timedelta(days=7)
    assert view["binding_status"] == "approved"
    assert sign_in(ctx, view["username"]).actor.uscc == entity["identifier"]


def test_the_activation_code_is_stored_hashed(ctx):
    entity = create_entity(ctx, region_code=XUANZHOU)
    issued = accounts.issue_activation_code(ctx, regulator(XUANZHOU), entity["identifier"])

    with ctx.session_factory() as session:
        stored = session.execute(select(ActivationCode)).scalar_one()

    assert issued.code not in stored.code_hash and len(stored.code_hash) == 64
    assert stored.used_at is None


def test_an_activation_code_is_read_regardless_of_case_and_spaces(ctx):
    entity = create_entity(ctx, region_code=XUANZHOU)
    issued = accounts.issue_activation_code(ctx, regulator(XUANZHOU), entity["identifier"])

    view = register(ctx, entity["identifier"], f"  {issued.code.lower()} ")

    assert view["binding_status"] == "approved"


def test_an_activation_code_works_only_once(ctx):
    entity = create_entity(ctx, region_code=XUANZHOU)
    issued = accounts.issue_activation_code(ctx, regulator(XUANZHOU), entity["identifier"])
    register(ctx, entity["identifier"], issued.code)
    second = unique_name("enterprise")

    with pytest.raises(InvalidInput) as raised:
        register(ctx, entity["identifier"], issued.code, username=second)

    assert raised.value.code == "bad-activation-code"
    assert find_user(ctx, second) is None


def test_an_activation_code_is_bound_to_its_uscc(ctx):
    entity = create_entity(ctx, region_code=XUANZHOU)
    other = create_entity(ctx, region_code=XUANZHOU)
    issued = accounts.issue_activation_code(ctx, regulator(XUANZHOU), entity["identifier"])
    username = unique_name("enterprise")

    with pytest.raises(InvalidInput) as raised:
        register(ctx, other["identifier"], issued.code, username=username)

    assert raised.value.code == "bad-activation-code"
    assert find_user(ctx, username) is None
    # the refusal did not use the code up
    assert register(ctx, entity["identifier"], issued.code)["binding_status"] == "approved"


def test_an_expired_activation_code_is_refused(ctx, clock):
    entity = create_entity(ctx, region_code=XUANZHOU)
    issued = accounts.issue_activation_code(ctx, regulator(XUANZHOU), entity["identifier"])
    clock.advance(days=8)
    username = unique_name("enterprise")

    with pytest.raises(InvalidInput) as raised:
        register(ctx, entity["identifier"], issued.code, username=username)

    assert raised.value.code == "bad-activation-code"
    assert find_user(ctx, username) is None


def test_an_unknown_activation_code_is_refused(ctx):
    entity = create_entity(ctx, region_code=XUANZHOU)
    username = unique_name("enterprise")

    with pytest.raises(InvalidInput):
        register(ctx, entity["identifier"], "ABCD-EF01-2345-6789", username=username)

    assert find_user(ctx, username) is None


def test_a_county_regulator_cannot_issue_a_code_for_another_county(ctx):
    entity = create_entity(ctx, region_code=XUANZHOU)

    with pytest.raises(Forbidden) as raised:
        accounts.issue_activation_code(ctx, regulator(LANGXI), entity["identifier"])

    assert raised.value.code == "region-scope"
    with ctx.session_factory() as session:
        assert session.execute(select(ActivationCode)).first() is None


def test_issuing_a_code_is_audited(ctx):
    entity = create_entity(ctx, region_code=XUANZHOU)
    county = regulator(XUANZHOU)

    accounts.issue_activation_code(ctx, county, entity["identifier"])

    with ctx.session_factory() as session:
        events = audit.query_events(session, action="user.issue_activation_code")
    assert [(e.actor, e.object_type, e.object_id) for e in events] == [
        (county.username, "entity", str(entity["id"]))
    ]
