"""Every page speaks Chinese: no raw rule id, reason code, error code, media type or
English sentence shows on any page, for any role (issue #16).

A demo-like data set (the demo's own generator and stories, small) fills the lists; each
role's pages are reached by following the links from its start pages as a user would,
and the walk must reach every page route of the URL map that the role may open, so a
new page is checked without being listed here. The error pages and the refused forms
follow. The detector (tests/pages/language.py) is checked on the issue's own examples.
"""

from __future__ import annotations

import re
import string
from collections import defaultdict
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from flask import Flask
from markupsafe import escape
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from credit_service import import_runs
from credit_service.access import ROLES, SYSTEM, Actor
from credit_service.auth import tokens
from credit_service.auth.models import User
from credit_service.demo import seed, stories
from credit_service.demo.seed import platforms_file, provincial_changes
from credit_service.dishonesty.models import DishonestyCase
from credit_service.entities.models import Entity
from credit_service.errors import UpstreamError, stored_text
from credit_service.jobs import import_queue
from credit_service.jobs import services as job_services
from credit_service.objections import services as objection_services
from credit_service.records.models import CreditRecord
from credit_service.repair.models import RepairApplication
from credit_service.reports import services as report_services
from credit_service.sync import incoming
from credit_service.sync.models import DeadLetter
from credit_service.tiers import services as tier_services
from credit_service.web import i18n
from credit_service.web.access import rule_for
from tests.api.test_sessions import form_token
from tests.api.test_sync_admin_api import emit
from tests.factories import LANGXI, bearer_for, unique_uscc
from tests.pages.language import raw_strings, visible_text

BROWSER = {"Accept": "text/html"}
HREF = re.compile(r'href="([^"#]*)')
# Endpoints that answer something other than a page: files, data, probes.
NOT_PAGES = frozenset(
    {
        "static",
        "public_pages.statistics_download",
        "health.Liveness",
        "health.Readiness",
        "metrics.scrape",  # Prometheus's text format, for its scraper
        "signing_keys.WellKnownSigningKeys",  # JSON for auditors' tools
        "public_pages.notices_feed",  # the notices as Atom, for feed readers
        # an objection's evidence files and its notices as PDF
        "enterprise_pages.objection_evidence_file",
        "enterprise_pages.objection_document",
        "console_pages.objection_evidence_file",
        "console_pages.objection_document",
        # a credit report as PDF
        "enterprise_pages.credit_report_pdf",
        "console_pages.credit_report_pdf_console",
        "console_pages.import_report",  # an import's row report as CSV
        "console_pages.import_progress",  # an import's progress as JSON, for its page's script
    }
)
PER_ENDPOINT = 6  # pages of one kind visited per signed-in role
PER_ENDPOINT_PUBLIC = 100  # for the public: every catalog item, every list entry
DEMO_ENTITIES = 40


# --- the detector ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "severe-record",
        "records imported",
        "image/png",
        "outside your region scope (341821)",
        "step-out-of-order",
        "no_record_within",
        "规则：severe-record",
        "Forbidden",
    ],
)
def test_the_detector_finds_codes_and_english(text):
    assert raw_strings(f"<p>{text}</p>"), text


@pytest.mark.parametrize(
    "text",
    [
        "91341802MA0000001X",
        "34188219800101340X",
        "341882********3401",
        "2026-11-25 10:00",
        "PAT-PEN-COUNTERFEIT",
        "CF_WSH",
        "下载 CSV 或 JSON；PDF 文件",
        "D类（信用风险高）",
        "OpenAPI 文档",
    ],
)
def test_the_detector_lets_identifiers_dates_and_abbreviations_pass(text):
    assert raw_strings(f"<p>{text}</p>") == []


def test_the_detector_reads_only_visible_text():
    html = (
        "<html><head><title>标题</title><style>p { color: red }</style></head><body>"
        '<p class="note" title="a title">文字<br><img alt="x" src="a.png"></p>'
        "<script>var shown = false;</script>"
        '<p translate="no">user-name.pdf</p><p>可见 raw-code</p></body></html>'
    )
    assert visible_text(html) == ["标题", "文字", "可见 raw-code"]
    assert raw_strings(html) == ["raw-code"]


# Chinese words that name a protocol's own terms, for the API's clients (no page shows
# them: pages use sessions and forms, and their own words for a form's fields).
API_ONLY = {
    "error.bad-authorization": "the Authorization header's syntax",
    "error.idempotency-key-invalid": "the Idempotency-Key header",
    "error.file-part-missing": "the multipart part's name",
    "error.change-not-objects": "the sync protocol's members (the admin sees the row too)",
    "validation.not-a-boolean": "JSON's true and false",
    "validation.special-number": "JSON's NaN",
}


def test_the_chinese_words_hold_no_code_or_english():
    """Every Chinese string a page may show, its placeholders aside: the page walk meets
    only the errors its data provokes, this meets them all."""
    found = {}
    for key, text in i18n.messages("zh").items():
        literal = "".join(part for part, *_ in string.Formatter().parse(text))
        if key not in API_ONLY and (raw := raw_strings(f"<p>{escape(literal)}</p>")):
            found[key] = raw
    assert found == {}


# --- the data -------------------------------------------------------------------------------


@pytest.fixture
def demo(ctx, tmp_path):  # type: ignore[no-untyped-def]
    """The demo data set, small: entities and records through the importers, a year of
    listings, repairs and inspections through the services, a platform with a dead
    letter, a quarantined row and job runs. Returns ids the error cases need."""
    path = tmp_path / "platforms.yaml"
    path.write_text(platforms_file(9, "test-secret"), encoding="utf-8")
    ctx.settings = ctx.settings.replace(sync_platforms_file=path)
    tier_services.apply_rule_set(ctx, SYSTEM)
    seed.seed(ctx, SYSTEM, entities=DEMO_ENTITIES, seed=20261125)
    city = ctx.catalogs.city.code
    regulator = Actor(
        role="regulator", username=seed.DEMO_REGULATOR, region_code=city, city_code=city
    )
    seed.ensure_demo_regulator(ctx, SYSTEM, stories.password())
    stories.seed_stories(ctx, regulator)
    with ctx.session_factory.begin() as session:
        for change in provincial_changes(ctx, count=2):  # the last one is quarantined
            incoming.apply_change(session, ctx, "anhui", change)
        session.add(
            DeadLetter(
                platform_id="anhui",
                event_id=emit(ctx, "record.corrected"),
                reason=stored_text({"code": "platform-rejected", "reason": "缺少必填字段"}, 200),
                at=ctx.now(),
            )
        )
    slot = ctx.now().replace(second=0, microsecond=0)
    job_services.run_recorded(ctx, "dishonesty.expire", slot, "host-a:1", lambda: 0)
    job_services.run_recorded(ctx, "sync.pull", slot, "host-a:1", _platform_down)
    with ctx.read_session_factory() as session:
        applications = session.execute(select(RepairApplication)).scalars().all()
        queued = next(a for a in applications if a.state == "submitted")
        clerk = session.execute(select(User).where(User.username == queued.applicant)).scalar_one()
        case = (
            session.execute(select(DishonestyCase).where(DishonestyCase.state == "published"))
            .scalars()
            .first()
        )
        outsider = (
            session.execute(select(Entity).where(Entity.region_code != LANGXI).order_by(Entity.id))
            .scalars()
            .first()
        )
        eligible = session.execute(
            select(User).where(User.username == stories.DEMO_ENTERPRISE)
        ).scalar_one()
        removed = session.execute(
            select(DishonestyCase.id)
            .where(DishonestyCase.state == "removed")
            .order_by(DishonestyCase.id.desc())
        ).scalar()
        contested = session.execute(
            select(CreditRecord.id)
            .join(Entity, Entity.id == CreditRecord.entity_id)
            .where(Entity.identifier == clerk.uscc, CreditRecord.status == "active")
            .order_by(CreditRecord.id)
        ).scalar()
    _objection_of(ctx, clerk, contested, regulator)
    _imports_of(ctx, regulator, outsider.identifier)
    assert removed is not None, "the demo data set removes listings"
    city = ctx.catalogs.city.code
    clerk_actor = Actor(role="enterprise", username=clerk.username, uscc=clerk.uscc, city_code=city)
    report, _ = report_services.issue_report(ctx, clerk_actor)
    return {
        "report": report["number"],
        "clerk": clerk.username,
        "eligible_uscc": eligible.uscc,
        "application": queued.id,
        "case": case.id,
        "removed": removed,
        "outsider": outsider.identifier,
    }


def _objection_of(ctx, clerk: User, record_id: int, regulator: Actor) -> None:  # type: ignore[no-untyped-def]
    """The clerk's objection to a field of its record, accepted and asked for materials
    (the demo data set has none yet): the objection pages have something to show."""
    city = ctx.catalogs.city.code
    actor = Actor(role="enterprise", username=clerk.username, uscc=clerk.uscc, city_code=city)
    target = f"record:{record_id}"
    field = objection_services.describe_target(ctx, actor, target)["fields"][0]["name"]
    view, _ = objection_services.file_objection(
        ctx,
        actor,
        target=target,
        field=field,
        value_claimed="罚款人民币一万元",
        reasons="处罚决定书载明的罚款金额与公示内容不一致",
        contact="王五 13900000001",
    )
    objection_services.take_step(ctx, regulator, view["id"], "accept")
    objection_services.take_step(
        ctx, regulator, view["id"], "request_supplement", reason="请补充原处罚决定书"
    )


def _imports_of(ctx, regulator: Actor, identifier: str) -> None:  # type: ignore[no-untyped-def]
    """The regulator's console imports: one done with a row report, one failed on its
    header, one still queued (the import pages have each state to show)."""
    done = f"kind,identifier,name,region_code\norganisation,{identifier},甲公司,999999\n"
    for data in (done, "名称,地址\n甲,乙\n"):
        import_queue.queue_import(
            ctx, regulator, kind="entities", file_name="主体.csv", data=data.encode()
        )
    assert import_runs.run_queued(ctx) == {"done": 1, "failed": 1}
    import_queue.queue_import(ctx, regulator, kind="entities", file_name="主体.csv", data=b"a\n")


def _platform_down() -> None:
    raise UpstreamError("upstream-unreachable", platform="anhui", failure="ConnectTimeout")


def user_names(ctx) -> set[str]:  # type: ignore[no-untyped-def]
    with ctx.read_session_factory() as session:
        return set(session.execute(select(User.username)).scalars())


# --- walking the pages ----------------------------------------------------------------------


def endpoint_of(app: Flask, url: str) -> str | None:
    """The endpoint a GET of ``url`` reaches (None outside the URL map)."""
    try:
        endpoint, _ = app.url_map.bind("localhost").match(urlsplit(url).path, method="GET")
    except HTTPException:
        return None
    return endpoint


def page_endpoints(app: Flask) -> set[str]:
    """The endpoints that answer GET with a page: not the API (its documentation page
    aside), not files, data or probes."""
    return {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods
        and rule.endpoint not in NOT_PAGES
        and (not rule.rule.startswith("/api/") or rule.endpoint == "docs.docs_page")
    }


def walk(
    app: Flask, client, headers: dict[str, str], starts: list[str]
) -> Iterator[tuple[str, str | None, int, str]]:
    """Each page reached from ``starts`` by its links: (url, endpoint, status, html)."""
    cap = PER_ENDPOINT if headers else PER_ENDPOINT_PUBLIC
    pages = page_endpoints(app)
    seen: set[str] = set()
    per_endpoint: dict[str | None, int] = defaultdict(int)
    pending = list(starts)
    while pending:
        url = pending.pop(0)
        endpoint = endpoint_of(app, url)
        if url in seen or endpoint not in pages or per_endpoint[endpoint] >= cap:
            continue
        seen.add(url)
        per_endpoint[endpoint] += 1
        response = client.get(url, headers={**BROWSER, **headers})
        if response.status_code in (301, 302, 303):
            pending.append(response.headers["Location"])
            yield url, endpoint, response.status_code, ""
            continue
        if response.mimetype != "text/html":  # a document or file the page links to
            continue
        html = response.get_data(as_text=True)
        yield url, endpoint, response.status_code, html
        pending.extend(link for link in HREF.findall(html) if link.startswith("/"))


def token_of(ctx, username: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The Authorization header of an existing account (a demo clerk)."""
    issued = tokens.create_token(ctx, SYSTEM, username=username, name="test")
    return {"Authorization": f"Bearer {issued.secret}"}


def callers(ctx, demo) -> dict[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    """One caller per role (two enterprises: one with an application, one that may apply)."""
    made = {role: bearer_for(ctx, role) for role in ROLES if role != "enterprise"}
    made["enterprise"] = token_of(ctx, demo["clerk"])
    made["enterprise (may apply)"] = bearer_for(ctx, "enterprise", uscc=demo["eligible_uscc"])
    made["public"] = {}
    return made


def starts(demo) -> list[str]:  # type: ignore[no-untyped-def]
    """Where a user starts (links lead on from there), and the searches a form would send."""
    return [
        "/",
        "/start",
        "/account",
        "/account/password",
        "/sign-in",
        "/enterprise/register",
        "/api/docs",
        "/list?q=宣",
        "/trustworthy?q=宣",
        "/console/entities?q=宣",
        f"/console/entities?q={demo['outsider']}",
        "/console/cases?state=published",
        f"/enterprise/repair/new?target=listing:{demo['case']}",
        f"/list/{demo['removed']}",  # what a removed entry's address says (D22)
        f"/verify/{demo['report']}",
    ]


def role_of(caller: str) -> str:
    return caller.split(" ")[0]


def test_no_page_shows_a_raw_code_or_english(app, client, ctx, demo):
    found: dict[str, list[str]] = {}
    reached: dict[str, set[str]] = defaultdict(set)
    made = callers(ctx, demo)
    names = user_names(ctx)
    for caller, headers in made.items():
        for url, endpoint, status, html in walk(app, client, headers, starts(demo)):
            assert status < 500, (caller, url)
            reached[role_of(caller)].add(endpoint or "")
            if raw := raw_strings(html, names):
                found[f"{caller} {url}"] = raw
    unreached = [
        f"{role} {endpoint}"
        for endpoint in sorted(page_endpoints(app))
        for role in (*ROLES, "public")
        if _may_open(app, endpoint, role) and endpoint not in reached[role]
    ]
    assert not unreached, f"pages the walk never reached: {unreached}"
    assert not found, _report(found)


def _may_open(app: Flask, endpoint: str, role: str) -> bool:
    rule = rule_for(app, endpoint, "GET")
    return rule is not None and (rule.is_public or role in rule.roles)


def _report(found: dict[str, list[str]]) -> str:
    """Each raw string once, with where it shows (the first few places)."""
    places: dict[str, list[str]] = defaultdict(list)
    for where, raws in found.items():
        for raw in dict.fromkeys(raws):
            places[raw].append(where)
    lines = [
        f"{raw!r} on {len(where)} pages, e.g. {', '.join(where[:3])}"
        for raw, where in sorted(places.items())
    ]
    return "raw codes or English on pages:\n" + "\n".join(lines)


# --- error pages and refused forms ----------------------------------------------------------


def error_pages(app, client, ctx, demo) -> Iterator[tuple[str, int, str]]:  # type: ignore[no-untyped-def]
    """(what, expected status, html) of each error page and refused form."""
    regulator, enterprise = bearer_for(ctx, "regulator"), token_of(ctx, demo["clerk"])
    langxi = bearer_for(ctx, "regulator", region=LANGXI)
    case, application = demo["case"], demo["application"]

    def get(url: str, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
        return client.get(url, headers={**BROWSER, **(headers or {})})

    def post(url: str, headers: dict[str, str], **data: str):  # type: ignore[no-untyped-def]
        return client.post(url, data=data, headers={**BROWSER, **headers})

    yield "404 page", 404, get("/no/such/page")
    yield "404 entry", 404, get("/list/999999")
    yield "404 case", 404, get("/console/cases/999999", regulator)
    yield "403 role", 403, get("/console", bearer_for(ctx, "checker"))
    yield "403 region", 403, get(f"/console/entities/{demo['outsider']}", langxi)
    yield "405", 405, get("/sign-out", regulator)
    yield "422 NUL", 422, get("/list?q=%00")
    yield "409 step", 409, post(f"/console/cases/{case}/steps/decide_list", regulator)
    yield "422 step", 422, post(f"/console/cases/{case}/steps/remove", regulator)
    yield (
        "409 supplement",
        409,
        post(f"/enterprise/repair/{application}/supplement-received", enterprise),
    )
    yield (
        "422 review",
        422,
        post(f"/console/repairs/{application}/review/not_accept", regulator, expected_version="1"),
    )
    yield (
        "422 proposal",
        422,
        post(f"/console/entities/{demo['outsider']}/cases", regulator, reason="拟列入"),
    )
    yield (
        "422 plan",
        422,
        post(
            "/console/inspections",
            regulator,
            region=ctx.catalogs.city.code,
            period_start="2026-12-31",
            period_end="2026-12-01",
        ),
    )
    yield (
        "422 checks",
        422,
        post("/console/credit-checks", regulator, purpose="no-such-purpose", identifiers="x"),
    )
    yield "400 sign-in", 400, post("/sign-in", {}, username="someone", password="x")
    valid = unique_uscc()
    wrong = valid[:-1] + ("0" if valid[-1] != "0" else "1")
    yield (
        "422 registration",
        422,
        post(
            "/enterprise/register",
            {},
            csrf_token=form_token(client, "/enterprise/register"),
            username="new-clerk",
            display_name="宣城新企业",
            uscc=wrong,
            contact="13800000000",
            password="Xuan-Cheng#2026!",
        ),
    )


def test_no_error_page_or_refused_form_shows_a_raw_code_or_english(app, client, ctx, demo):
    found: dict[str, list[str]] = {}
    for what, status, response in error_pages(app, client, ctx, demo):
        html = response.get_data(as_text=True)
        assert response.status_code == status, (what, html[:3000])
        assert response.mimetype == "text/html", what
        if raw := raw_strings(html, user_names(ctx)):
            found[what] = raw
    assert not found, _report(found)


def test_the_registration_form_shows_the_check_digit_error_under_the_uscc_field(client):
    valid = unique_uscc()
    wrong = valid[:-1] + ("0" if valid[-1] != "0" else "1")
    response = client.post(
        "/enterprise/register",
        data={
            "csrf_token": form_token(client, "/enterprise/register"),
            "username": "uscc-clerk",
            "display_name": "宣城新企业",
            "uscc": wrong,
            "contact": "13800000000",
            "password": "Xuan-Cheng#2026!",
        },
        headers=BROWSER,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    errors = dict(re.findall(r'<p class="error" id="e-([a-z_]+)">([^<]*)</p>', html))
    assert list(errors) == ["uscc"], errors  # not under the user name
    assert "校验码" in errors["uscc"]  # the check character's own words, in Chinese
    assert raw_strings(html, ["uscc-clerk"]) == []
