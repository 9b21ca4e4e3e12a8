"""The enterprise portal through the Flask test client, on both databases: an enterprise
signed in through the real form sees only its own entity, checks when a record or a
listing can be repaired, applies with evidence (a double submit applies and uploads once,
a refused file loses nothing), follows its applications with their deadlines, supplies
materials when asked and reads the regulator's decision with its reasons.

The regulator's side is driven through the repair services. Moving the clock by days
ends a web session (idle timeout), so a test signs in again after each move.
"""

from __future__ import annotations

import hashlib
import io
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from credit_service.access import SYSTEM, Actor
from credit_service.auth import services as auth_services
from credit_service.errors import Forbidden
from credit_service.records.models import RECORD_STATUSES
from credit_service.repair import portal, rules
from credit_service.repair import services as repair
from credit_service.repair.models import STATES, RepairApplication, RepairEvidence
from credit_service.repair.services import REVIEW_STEPS
from credit_service.web.i18n import messages
from tests import pdfs
from tests.api.test_sessions import PASSWORD, sign_in
from tests.factories import CITY, create_entity, file_penalty
from tests.integration.test_repair import (
    CITY_REGULATOR,
    PDF,
    TODAY,
    general_penalty,
    listed,
    on,
)
from tests.pages.checks import assert_accessible

HTML = {"Accept": "text/html"}
D = date.fromisoformat
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')
VERSION = re.compile(r'name="commitment_version" value="([^"]+)"')
APPLICATION_URL = re.compile(r"/enterprise/repair/(\d+)")
MIB = 1024 * 1024
OVERDUE, DUE_SOON = '"badge badge-bad">已逾期', '"badge badge-warn">即将到期'
_users = iter(range(1, 10**6))


# --- helpers ----------------------------------------------------------------------------------


def enterprise_account(ctx, owner: dict) -> str:
    """A bound enterprise account of ``owner`` with a password; its user name."""
    username = f"portal-{next(_users)}"
    auth_services.create_user(
        ctx,
        SYSTEM,
        username=username,
        display_name=username,
        role="enterprise",
        uscc=owner["identifier"],
        password=PASSWORD,
    )
    return username


def browser(app, username: str):  # type: ignore[no-untyped-def]
    """A new browser signed in as ``username`` through the sign-in form."""
    client = app.test_client()
    assert sign_in(client, username).status_code == 303
    return client


def actor_of(username: str, owner: dict) -> Actor:
    return Actor(role="enterprise", username=username, uscc=owner["identifier"], city_code=CITY)


def get_page(client, path: str, status: int = 200) -> str:
    """The page's HTML, checked for its status and the accessibility basics."""
    response = client.get(path, headers=HTML)
    html = response.get_data(as_text=True)
    assert response.status_code == status, html
    assert response.mimetype == "text/html"
    assert_accessible(html)
    return html


def form_fields(client, target: str) -> dict[str, str]:
    """The hidden fields of a freshly rendered application form."""
    html = get_page(client, f"/enterprise/repair/new?target={target}")
    return {
        "csrf_token": CSRF.search(html).group(1),
        "target": target,
        "idempotency_key": KEY.search(html).group(1),
        "commitment_version": VERSION.search(html).group(1),
    }


def filled(hidden: dict[str, str], **changes: object) -> dict[str, object]:
    """A complete form; a change to None leaves the field out (an unticked box)."""
    data = {
        **hidden,
        "reason": "已全面纠正失信行为，申请信用修复",
        "measures_taken": "已缴纳全部罚款，下架涉案产品并开展合规培训",
        "contact": "李四 13900000000",
        "obligations_performed": "yes",
        "commitment_signed": "yes",
        **changes,
    }
    return {name: value for name, value in data.items() if value is not None}


def files(*parts: tuple[bytes, str]) -> list[tuple[io.BytesIO, str]]:
    return [(io.BytesIO(content), name) for content, name in parts]


def post_form(client, path: str, data: dict[str, object]):  # type: ignore[no-untyped-def]
    return client.post(path, data=data, content_type="multipart/form-data", headers=HTML)


def application_id(response) -> int:  # type: ignore[no-untyped-def]
    return int(APPLICATION_URL.search(response.headers["Location"]).group(1))


def stored_files(ctx) -> set[str]:
    folder = ctx.settings.data_dir / "evidence"
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


def count(ctx, model, **where) -> int:  # type: ignore[no-untyped-def]
    with ctx.session_factory() as session:
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return session.execute(query).scalar_one()


@pytest.fixture
def penalised(ctx, app):  # type: ignore[no-untyped-def]
    """An entity with a general penalty decided 2026-03-15 (repairable since 2026-06-16,
    published until 2027-03-15), its signed-in browser and the record's target."""
    owner, record = general_penalty(ctx)
    username = enterprise_account(ctx, owner)
    return owner, f"record:{record['id']}", username, browser(app, username)


def applied(client, target: str, *uploads: tuple[bytes, str]) -> int:
    """Apply through the form; the new application's id."""
    response = post_form(
        client,
        "/enterprise/repair/new",
        filled(form_fields(client, target), files=files(*uploads)),
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    return application_id(response)


# --- the overview: one's own entity only ------------------------------------------------------


def test_the_overview_shows_the_own_entity_its_records_and_its_listing(ctx, app, clock):
    owner, record, case = listed(ctx)
    other = create_entity(ctx)
    other_record = file_penalty(ctx, other["identifier"], CF_WSH="宣市监知罚〔2026〕他人号")
    client = browser(app, enterprise_account(ctx, owner))

    html = get_page(client, "/enterprise")
    assert owner["name"] in html and owner["identifier"] in html and "宣州区" in html
    assert record["source_ref"] in html and "2024-06-03" in html  # decision date
    assert "2027-06-03" in html  # the penalty's publicity end (severe: 3 years)
    assert "失信信息" in html and "严重" in html and "公示中" in html
    assert "本单位现列入严重失信主体名单" in html and "在名单中" in html
    assert case["decision_no"] in html and "2026-11-25" in html
    assert str(case["term_ends_on"]) in html  # the listing's publication end date
    assert f"target=record:{record['id']}" in html.replace("%3A", ":")
    assert f"target=listing:{case['id']}" in html.replace("%3A", ":")
    assert other["name"] not in html and other_record["source_ref"] not in html

    # another enterprise's record or listing: refused, with an HTML page
    get_page(client, f"/enterprise/repair/eligibility?target=record:{other_record['id']}", 403)
    get_page(client, f"/enterprise/repair/new?target=record:{other_record['id']}", 403)
    get_page(client, "/enterprise/repair/eligibility?target=record:999999", 404)
    get_page(client, "/enterprise/repair/eligibility?target=nonsense", 422)


def test_an_entity_off_the_list_is_told_so_and_a_removed_listing_says_why(ctx, app, clock):
    owner, record, case = listed(ctx)
    on(clock, D("2027-11-26"))
    username = enterprise_account(ctx, owner)
    app_id = repair.apply(
        ctx,
        actor_of(username, owner),
        target=f"listing:{case['id']}",
        reason="已全面纠正失信行为，申请提前移出",
        measures_taken="已缴纳全部罚款，下架涉案产品",
        obligations_performed=True,
        commitment_version=ctx.repair_rules.commitment_version,
        contact="李四 13900000000",
    )[0]["id"]
    repair.review(ctx, CITY_REGULATOR, app_id, "accept")
    repair.review(ctx, CITY_REGULATOR, app_id, "grant", reason="符合提前移出条件")

    html = get_page(browser(app, username), "/enterprise")
    assert "本单位目前未列入严重失信主体名单" in html
    assert "2027-11-26 已移出" in html and ctx.list_rules.removal_reasons["repaired"] in html
    assert f"target=listing:{case['id']}" not in html.replace("%3A", ":")


def test_other_roles_and_the_public_cannot_open_the_portal(ctx, app, auth):
    anonymous = app.test_client().get("/enterprise", headers=HTML)
    assert anonymous.status_code == 302 and "/sign-in" in anonymous.headers["Location"]
    regulator = app.test_client().get("/enterprise", headers={**HTML, **auth("regulator")})
    assert regulator.status_code == 403


# --- eligibility --------------------------------------------------------------------------------


def test_eligibility_lists_each_condition_with_its_date_and_the_earliest_day(ctx, app, clock):
    owner, record = general_penalty(ctx, decided="2026-09-10")  # repairable from 2026-12-11
    username = enterprise_account(ctx, owner)
    target = f"record:{record['id']}"

    html = get_page(browser(app, username), f"/enterprise/repair/eligibility?target={target}")
    assert "最早可于 2026-12-11 起申请" in html
    minimum = re.search(r"已满最短公示期</td>(.*?)</tr>", html, re.S).group(1)
    assert "未满足" in minimum and "2026-12-11" in minimum
    assert "申请时声明" in html and "距本单位上一次信用修复获准已满12个月" in html
    for material in ctx.repair_rules.materials["record"]:
        assert material in html
    assert "/enterprise/repair/new" not in html  # no apply button yet
    # the form is not offered either: it sends the user back here
    early = browser(app, username).get(f"/enterprise/repair/new?target={target}")
    assert (
        early.status_code == 303 and "/enterprise/repair/eligibility" in early.headers["Location"]
    )

    on(clock, D("2026-12-11"))
    html = get_page(browser(app, username), f"/enterprise/repair/eligibility?target={target}")
    assert "符合信用修复申请条件" in html and "最早可于" not in html
    assert "/enterprise/repair/new?target=record" in html.replace("%3A", ":")


def test_a_target_with_an_open_application_points_to_it(ctx, app, penalised):
    _, target, _, client = penalised
    app_id = applied(client, target)
    html = get_page(client, f"/enterprise/repair/eligibility?target={target}")
    assert f"已有一件未办结的信用修复申请（编号 {app_id}）" in html
    assert f"/enterprise/repair/{app_id}" in html and "/enterprise/repair/new" not in html
    again = client.get(f"/enterprise/repair/new?target={target}")
    assert again.status_code == 303 and "eligibility" in again.headers["Location"]


# --- applying -----------------------------------------------------------------------------------


def test_an_application_with_two_files_is_stored_and_shown(ctx, app, penalised):
    _, target, _, client = penalised
    html = get_page(client, f"/enterprise/repair/new?target={target}")
    assert ctx.repair_rules.commitment_text in html and "版本 2026-1" in html
    assert 'accept="application/pdf,image/jpeg,image/png"' in html
    assert "每个不超过10MB，每件申请最多10个" in html

    response = post_form(
        client,
        "/enterprise/repair/new",
        filled(
            form_fields(client, target),
            files=files((PDF, "缴款凭证.pdf"), (PNG, "整改照片.png")),
        ),
    )
    assert response.status_code == 303
    app_id = application_id(response)
    assert response.headers["Location"].endswith(f"/enterprise/repair/{app_id}?notice=submitted")
    with ctx.session_factory() as session:
        stored = session.execute(
            select(RepairEvidence).where(RepairEvidence.application_id == app_id)
        ).scalars()
        assert {(e.original_name, e.sha256) for e in stored} == {
            ("缴款凭证.pdf", hashlib.sha256(PDF).hexdigest()),
            ("整改照片.png", hashlib.sha256(PNG).hexdigest()),
        }
    assert len(stored_files(ctx)) == 2

    html = get_page(client, response.headers["Location"])
    assert "信用修复申请已提交" in html and "待受理" in html
    assert "缴款凭证.pdf" in html and "整改照片.png" in html
    assert "2026-11-30" in html  # acceptance due: Thu, Fri, Mon
    assert ctx.repair_rules.commitment_text in html
    (pdf_link,) = re.findall(
        r'href="(/api/v1/repair-applications/\d+/evidence/\d+)"[^>]*>缴款', html
    )
    download = client.get(pdf_link)
    assert download.status_code == 200 and download.data == PDF

    listing = get_page(client, "/enterprise/repair")
    assert f"第 {app_id} 号" in listing and "待受理" in listing and "2026-11-30" in listing


def test_field_errors_are_shown_beside_the_fields_and_the_input_is_kept(ctx, app, penalised):
    _, target, _, client = penalised
    hidden = form_fields(client, target)
    response = post_form(
        client,
        "/enterprise/repair/new",
        filled(hidden, reason="短", contact="王五 13800000000", commitment_signed=None),
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert_accessible(html)
    assert 'id="e-reason"' in html and "请填写申请理由，4至2000个字" in html
    assert ">短</textarea>" in html and 'value="王五 13800000000"' in html
    assert "已缴纳全部罚款，下架涉案产品并开展合规培训</textarea>" in html
    assert re.search(r'name="obligations_performed"[^>]*checked', html)
    assert hidden["idempotency_key"] in html  # the same submission, retried
    assert count(ctx, RepairApplication, applicant=penalised[2]) == 0

    # the texts fixed, the commitment still unsigned: the service says so beside its box
    response = post_form(client, "/enterprise/repair/new", filled(hidden, commitment_signed=None))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="e-commitment_signed"' in html and "请阅读并勾选签署当前版本的信用承诺书" in html
    assert not re.search(r'name="commitment_signed"[^>]*checked', html)
    assert count(ctx, RepairApplication, applicant=penalised[2]) == 0


def test_a_double_submit_creates_one_application_and_one_set_of_files(ctx, app, penalised):
    _, target, username, client = penalised
    hidden = form_fields(client, target)
    first, second = (
        post_form(
            client,
            "/enterprise/repair/new",
            filled(hidden, files=files((PDF, "缴款凭证.pdf"), (PNG, "整改照片.png"))),
        )
        for _ in range(2)
    )
    assert first.status_code == second.status_code == 303
    assert application_id(first) == application_id(second)
    assert second.headers["Location"].endswith("notice=resubmitted")
    assert count(ctx, RepairApplication, applicant=username) == 1
    assert count(ctx, RepairEvidence, application_id=application_id(first)) == 2
    assert len(stored_files(ctx)) == 2
    html = get_page(client, second.headers["Location"])
    assert "重复提交未生成新的申请" in html


def test_a_refused_file_is_named_and_the_application_is_kept(ctx, app, penalised):
    _, target, username, client = penalised
    response = post_form(
        client,
        "/enterprise/repair/new",
        filled(
            form_fields(client, target),
            files=files((PDF, "缴款凭证.pdf"), (EXE, "伪装.pdf")),
        ),
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 201, html
    assert_accessible(html)
    app_id = application_id(response)
    assert f"信用修复申请（编号 {app_id}）" in html and "信用修复申请已提交" in html
    assert "以下文件未被接受" in html and "伪装.pdf：文件类型不符" in html
    assert "缴款凭证.pdf" in html
    assert count(ctx, RepairApplication, applicant=username) == 1
    assert count(ctx, RepairEvidence, application_id=app_id) == 1
    assert len(stored_files(ctx)) == 1

    # the file can be sent again from the application page
    page = get_page(client, f"/enterprise/repair/{app_id}")
    again = post_form(
        client,
        f"/enterprise/repair/{app_id}/evidence",
        {"csrf_token": CSRF.search(page).group(1), "files": files((PNG, "整改照片.png"))},
    )
    assert again.status_code == 303 and again.headers["Location"].endswith("notice=uploaded")
    assert count(ctx, RepairEvidence, application_id=app_id) == 2


def test_a_form_may_carry_several_large_files_and_a_too_large_one_is_named(ctx, app, penalised):
    _, target, username, client = penalised
    # two of 6 MiB exceed what one API upload may carry
    first, second = (PDF + fill * (6 * MIB) for fill in (b"1", b"2"))
    eleven_mib = PDF + b"0" * (11 * MIB)
    response = post_form(
        client,
        "/enterprise/repair/new",
        filled(
            form_fields(client, target),
            files=files((first, "一.pdf"), (second, "二.pdf"), (eleven_mib, "大.pdf")),
        ),
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 201, html[:500]
    assert "大.pdf：文件超过单个文件的大小上限" in html
    assert count(ctx, RepairEvidence, application_id=application_id(response)) == 2


def test_a_stale_form_for_a_target_already_applied_for_names_the_open_application(
    ctx, app, penalised
):
    _, target, username, client = penalised
    first_form, second_form = form_fields(client, target), form_fields(client, target)
    first = post_form(client, "/enterprise/repair/new", filled(first_form))
    second = post_form(
        client, "/enterprise/repair/new", filled(second_form, reason="另一份申请理由")
    )
    html = second.get_data(as_text=True)
    assert second.status_code == 409
    assert_accessible(html)
    assert f"已有一件未办结的信用修复申请（编号 {application_id(first)}）" in html
    assert count(ctx, RepairApplication, applicant=username) == 1


def test_nul_characters_never_reach_the_database(ctx, app, penalised):
    _, target, _, client = penalised
    response = post_form(
        client,
        "/enterprise/repair/new",
        filled(form_fields(client, target), reason="已纠正\x00行为"),
    )
    assert response.status_code == 422 and "提交的内容有误" in response.get_data(as_text=True)
    assert count(ctx, RepairApplication) == 0


def test_the_same_file_sent_twice_is_stored_once(ctx, app, penalised):
    _, target, _, client = penalised
    app_id = applied(client, target, (PDF, "缴款凭证.pdf"), (PDF, "缴款凭证副本.pdf"))
    assert count(ctx, RepairEvidence, application_id=app_id) == 1
    token = CSRF.search(get_page(client, f"/enterprise/repair/{app_id}")).group(1)
    for _ in range(2):  # the upload form sent twice
        response = post_form(
            client,
            f"/enterprise/repair/{app_id}/evidence",
            {"csrf_token": token, "files": files((PNG, "整改照片.png"), (PDF, "缴款凭证.pdf"))},
        )
        assert response.status_code == 303
    assert count(ctx, RepairEvidence, application_id=app_id) == 2
    assert len(stored_files(ctx)) == 2


def test_an_upload_without_a_file_or_with_a_bad_one_says_so(ctx, app, penalised):
    _, target, _, client = penalised
    app_id = applied(client, target)
    token = CSRF.search(get_page(client, f"/enterprise/repair/{app_id}")).group(1)
    empty = post_form(client, f"/enterprise/repair/{app_id}/evidence", {"csrf_token": token})
    assert empty.status_code == 422 and "请先选择要上传的文件" in empty.get_data(as_text=True)
    bad = post_form(
        client,
        f"/enterprise/repair/{app_id}/evidence",
        {"csrf_token": token, "files": files((EXE, "程序.exe"))},
    )
    assert bad.status_code == 422 and "程序.exe：文件类型不符" in bad.get_data(as_text=True)
    assert count(ctx, RepairEvidence, application_id=app_id) == 0


def test_a_pdf_with_a_script_is_refused_in_the_portals_words(ctx, app, penalised):
    _, target, _, client = penalised
    app_id = applied(client, target)
    token = CSRF.search(get_page(client, f"/enterprise/repair/{app_id}")).group(1)
    response = post_form(
        client,
        f"/enterprise/repair/{app_id}/evidence",
        {"csrf_token": token, "files": files((pdfs.SCRIPT_IN_OBJECT_STREAM, "说明.pdf"))},
    )
    assert response.status_code == 422
    assert "说明.pdf：PDF含有脚本或打开时自动执行的动作" in response.get_data(as_text=True)
    assert count(ctx, RepairEvidence, application_id=app_id) == 0


def test_a_pdf_renamed_exe_is_refused_beside_the_file_field(ctx, app, penalised):
    _, target, _, client = penalised
    app_id = applied(client, target)
    token = CSRF.search(get_page(client, f"/enterprise/repair/{app_id}")).group(1)
    response = post_form(
        client,
        f"/enterprise/repair/{app_id}/evidence",
        {"csrf_token": token, "files": files((PDF, "缴款凭证.exe"), (PNG, "整改照片.png"))},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert_accessible(html)
    field = re.search(r'<div class="field has-error">.*?</div>', html, re.S).group(0)
    assert re.search(r'id="f-files"[^>]*aria-invalid="true"', field)
    assert 'aria-describedby="h-files e-files"' in field
    error = re.search(r'<ul class="error" id="e-files">(.*?)</ul>', field, re.S).group(1)
    assert "缴款凭证.exe：文件扩展名与文件内容不符" in error and "整改照片" not in error
    assert count(ctx, RepairEvidence, application_id=app_id) == 1  # the PNG only
    assert len(stored_files(ctx)) == 1


def test_a_form_without_the_csrf_token_is_refused(ctx, app, penalised):
    _, target, username, client = penalised
    hidden = form_fields(client, target)
    response = post_form(client, "/enterprise/repair/new", filled({**hidden, "csrf_token": "x"}))
    assert response.status_code == 403
    assert count(ctx, RepairApplication, applicant=username) == 0


# --- following an application -------------------------------------------------------------------


def test_materials_asked_for_are_supplied_and_the_clock_runs_again(ctx, app, clock, penalised):
    owner, target, username, client = penalised
    app_id = applied(client, target, (PDF, "缴款凭证.pdf"))
    repair.review(ctx, CITY_REGULATOR, app_id, "accept")
    on(clock, D("2026-11-27"))
    repair.review(
        ctx, CITY_REGULATOR, app_id, "request_supplement", reason="请补充提交经办人授权委托书"
    )

    client = browser(app, username)
    html = get_page(client, f"/enterprise/repair/{app_id}")
    assert "待补正材料" in html and "请补充提交经办人授权委托书" in html
    assert "补正材料期间暂停计时" in html and "2026-11-27" in html
    assert "材料已补正" in html and "/supplement-received" in html
    assert "8 个工作日" in html  # decision due 2026-12-09: 28 Nov–9 Dec leaves 8
    token = CSRF.search(html).group(1)
    uploaded = post_form(
        client,
        f"/enterprise/repair/{app_id}/evidence",
        {"csrf_token": token, "files": files((PNG, "授权委托书.png"))},
    )
    assert uploaded.status_code == 303

    on(clock, D("2026-11-30"))
    client = browser(app, username)
    token = CSRF.search(get_page(client, f"/enterprise/repair/{app_id}")).group(1)
    done = client.post(
        f"/enterprise/repair/{app_id}/supplement-received",
        data={"csrf_token": token},
        headers=HTML,
    )
    assert done.status_code == 303 and done.headers["Location"].endswith(
        "notice=supplement_received"
    )
    html = get_page(client, done.headers["Location"])
    assert "已受理，审核中" in html and "期限恢复计算" in html
    assert "2026-12-10" in html  # 8 working days from Tue 1 Dec
    assert "授权委托书.png" in html and "/supplement-received" not in html

    # a second click finds nothing asked and shows the application as it is
    again = client.post(
        f"/enterprise/repair/{app_id}/supplement-received",
        data={"csrf_token": token},
        headers=HTML,
    )
    assert again.status_code == 409
    assert "当前没有待补正的材料" in again.get_data(as_text=True)
    assert_accessible(again.get_data(as_text=True))


def test_the_decision_its_reasons_and_every_step_are_shown(ctx, app, clock, penalised):
    _, target, username, client = penalised
    app_id = applied(client, target, (PDF, "缴款凭证.pdf"))
    on(clock, D("2026-11-26"))
    repair.review(ctx, CITY_REGULATOR, app_id, "accept")
    on(clock, D("2026-12-01"))
    repair.review(ctx, CITY_REGULATOR, app_id, "refuse", reason="缴款凭证金额与处罚决定不符")

    client = browser(app, username)
    html = get_page(client, f"/enterprise/repair/{app_id}")
    assert "不予修复" in html and "缴款凭证金额与处罚决定不符" in html
    assert "2026-11-30" in html  # acceptance due
    assert "2026-12-10" in html  # decision due: 10 working days after 26 Nov
    assert "2026-12-01" in html and "已办结" in html
    for step in ("提交申请", "受理", "不予修复"):
        assert f'<td data-label="环节">{step}</td>' in html
    assert html.count("监管部门") >= 2 and "申请人（本单位）" in html
    assert CITY_REGULATOR.username not in html  # staff accounts are not shown
    assert "申请已办结，不能再上传材料" in html and '/evidence"' not in html


def test_a_deadline_in_a_year_without_its_holiday_calendar_is_marked_provisional(ctx, app, clock):
    on(clock, D("2026-12-30"))
    owner, record = general_penalty(ctx)
    client = browser(app, enterprise_account(ctx, owner))
    app_id = applied(client, f"record:{record['id']}")
    html = get_page(client, f"/enterprise/repair/{app_id}")
    assert "2027-01-05" in html and "暂定" in html and "放假安排" in html
    assert "暂定" in get_page(client, "/enterprise/repair")


def test_my_applications_flag_overdue_and_due_soon(ctx, app, clock):
    first_owner, first = general_penalty(ctx)
    second_owner, second = general_penalty(ctx)
    first_user = enterprise_account(ctx, first_owner)
    first_id = applied(browser(app, first_user), f"record:{first['id']}")  # due 2026-11-30
    on(clock, D("2026-11-27"))
    second_user = enterprise_account(ctx, second_owner)
    applied(browser(app, second_user), f"record:{second['id']}")  # due 2026-12-02

    on(clock, D("2026-12-01"))
    overdue = get_page(browser(app, first_user), "/enterprise/repair")
    assert OVERDUE in overdue and DUE_SOON not in overdue
    soon = get_page(browser(app, second_user), "/enterprise/repair")
    assert DUE_SOON in soon and OVERDUE not in soon
    assert f"第 {first_id} 号" not in soon  # another enterprise's application


def test_another_enterprises_application_is_refused(ctx, app, penalised):
    _, target, _, client = penalised
    app_id = applied(client, target, (PDF, "缴款凭证.pdf"))
    owner, _ = general_penalty(ctx)
    stranger = browser(app, enterprise_account(ctx, owner))
    get_page(stranger, f"/enterprise/repair/{app_id}", 403)
    with ctx.session_factory() as session:
        evidence_id = session.execute(select(RepairEvidence.id)).scalar_one()
    download = stranger.get(f"/api/v1/repair-applications/{app_id}/evidence/{evidence_id}")
    assert download.status_code == 403
    token = CSRF.search(get_page(stranger, "/enterprise")).group(1)
    upload = post_form(
        stranger,
        f"/enterprise/repair/{app_id}/evidence",
        {"csrf_token": token, "files": files((PDF, "x.pdf"))},
    )
    assert upload.status_code == 403
    assert count(ctx, RepairEvidence, application_id=app_id) == 1
    get_page(stranger, "/enterprise/repair/999999", 404)


# --- the portal service -------------------------------------------------------------------------


def test_the_portal_service_serves_only_a_bound_enterprise(ctx):
    for actor in (CITY_REGULATOR, Actor(role="enterprise", username="unbound", city_code=CITY)):
        with pytest.raises(Forbidden):
            portal.own_listings(ctx, actor)
        with pytest.raises(Forbidden):
            portal.own_records(ctx, actor)


def test_the_portal_finds_the_open_application_of_the_own_entity_only(ctx, penalised):
    owner, target, username, _ = penalised
    assert portal.open_application(ctx, actor_of(username, owner), target) is None
    created, _ = repair.apply(
        ctx,
        actor_of(username, owner),
        target=target,
        reason="已全面纠正失信行为",
        measures_taken="已缴纳全部罚款",
        obligations_performed=True,
        commitment_version=ctx.repair_rules.commitment_version,
        contact="李四 13900000000",
    )
    found = portal.open_application(ctx, actor_of(username, owner), target)
    assert found == {"id": created["id"], "state": "submitted", "mine": True}
    colleague = actor_of("colleague", owner)
    assert portal.open_application(ctx, colleague, target)["mine"] is False
    stranger, _ = general_penalty(ctx)
    assert portal.open_application(ctx, actor_of("s", stranger), target) is None


def test_every_state_step_condition_and_record_label_has_a_string(ctx):
    strings = messages()
    facts = rules.TargetFacts("record", True, True, D("2026-01-05"), D("2026-04-06"))
    conditions = rules.eligibility(facts, rules.ApplicantFacts(), ctx.repair_rules, TODAY)
    wanted = (
        [f"enterprise.state.{s}" for s in STATES]
        + [f"enterprise.state_help.{s}" for s in STATES]
        + [f"enterprise.step.{s}" for s in (*REVIEW_STEPS, "submit", "supplement_received")]
        + [f"enterprise.step_actor.{s}" for s in (*REVIEW_STEPS, "submit", "supplement_received")]
        + [f"enterprise.record_status.{s}" for s in RECORD_STATUSES]
        + [f"enterprise.condition_state.{s}" for s in ("met", "not_met", "to_declare")]
        + [f"enterprise.condition.{c.code}" for c in conditions.conditions]
    )
    assert [key for key in wanted if key not in strings] == []
