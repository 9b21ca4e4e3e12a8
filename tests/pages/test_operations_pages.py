"""The console's operational pages through the Flask test client, on both databases: the
repair review queue and its forms (stale pages, double submits, viewers, county scope),
inspection plans drawn and completed through forms, and the sync and job health page.

Pages are read with bearer tokens; forms are posted from a signed-in browser session,
because a form must echo the session's CSRF token.
"""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from credit_service.access import SYSTEM
from credit_service.auth import services as auth_services
from credit_service.demo.seed import platforms_file
from credit_service.errors import NotFound
from credit_service.inspections import services as inspections
from credit_service.jobs import services as job_services
from credit_service.repair import services as repair
from credit_service.sync.models import (
    DeadLetter,
    QuarantinedRow,
    Reconciliation,
    Requeued,
    SyncPosition,
)
from credit_service.tiers import services as tier_services
from credit_service.web.error_text import error_text
from tests.api.test_sessions import PASSWORD, form_token, sign_in
from tests.api.test_sync_admin_api import dead_letter, emit
from tests.factories import CITY, LANGXI, XUANZHOU, create_entity, file_penalty
from tests.integration.test_repair import (
    CITY_REGULATOR,
    PDF,
    enterprise_of,
    general_penalty,
    on,
)
from tests.integration.test_repair import apply as apply_for
from tests.pages.checks import assert_accessible

HTML = {"Accept": "text/html"}
D = date.fromisoformat
VERSION = re.compile(r'name="expected_version" value="(\d+)"')
ROW = re.compile(r'<tr id="application-(\d+)">(.*?)</tr>', re.S)
_users = iter(range(1, 10**6))


# --- helpers ----------------------------------------------------------------------------------


def get_page(client, path: str, headers: dict[str, str] | None = None, status: int = 200) -> str:
    """The page's HTML, checked for its status and the accessibility basics."""
    response = client.get(path, headers={**HTML, **(headers or {})})
    html = response.get_data(as_text=True)
    assert response.status_code == status, html
    assert response.mimetype == "text/html"
    assert_accessible(html)
    return html


def signed_in(ctx, client, role: str = "regulator", region: str | None = CITY) -> str:
    """Sign a fresh account of ``role`` in on ``client`` (the browser); its user name."""
    username = f"ops-{role}-{next(_users)}"
    auth_services.create_user(
        ctx,
        SYSTEM,
        username=username,
        display_name=username,
        role=role,
        region_code=region if role in ("regulator", "viewer") else None,
        password=PASSWORD,
    )
    assert sign_in(client, username).status_code == 303
    return username


REQUEST_KEY = re.compile(r'name="request_key" value="([^"]+)"')


def post_form(client, page_path: str, action: str, **fields: str):
    """Post a form of ``page_path`` as a browser would: with the page's CSRF token."""
    data = {"csrf_token": form_token(client, page_path), **fields}
    return client.post(action, data=data, headers=HTML)


def follow(client, response, status: int = 303) -> str:
    """The page a form's redirect leads to."""
    assert response.status_code == status, response.get_data(as_text=True)
    return get_page(client, response.headers["Location"])


def shown_version(html: str) -> str:
    versions = set(VERSION.findall(html))
    assert len(versions) == 1, versions
    return versions.pop()


def review_forms(html: str, application_id: int) -> list[str]:
    return re.findall(rf'action="/console/repairs/{application_id}/review/([a-z_]+)"', html)


def submitted(ctx, region: str = XUANZHOU) -> dict:
    """A submitted application for a general penalty (eligible on the fixtures' day)."""
    owner, record = general_penalty(ctx, create_entity(ctx, region_code=region))
    return apply_for(ctx, enterprise_of(ctx, owner), f"record:{record['id']}")


# --- the review queue -------------------------------------------------------------------------


def test_the_queue_is_sorted_by_the_nearest_deadline_with_its_badges(ctx, client, clock, auth):
    first = submitted(ctx)  # acceptance due 2026-11-30
    on(clock, D("2026-11-27"))
    second = submitted(ctx)  # due 2026-12-02
    third = submitted(ctx)
    repair.review(ctx, CITY_REGULATOR, third["id"], "accept")  # decision due 2026-12-11
    regulator = auth("regulator")

    on(clock, D("2026-12-01"))
    html = get_page(client, "/console/repairs", regulator)

    rows = ROW.findall(html)
    assert [int(i) for i, _ in rows] == [first["id"], second["id"], third["id"]]
    cells = dict(rows)
    assert "已逾期" in cells[str(first["id"])] and "2026-11-30" in cells[str(first["id"])]
    assert "即将到期" in cells[str(second["id"])] and "待受理" in cells[str(second["id"])]
    assert "badge" not in cells[str(third["id"])] and "已受理，待决定" in cells[str(third["id"])]
    assert 'aria-current="page">修复审核' in html

    on(clock, D("2026-12-02"))
    cells = dict(ROW.findall(get_page(client, "/console/repairs", regulator)))
    assert "今日到期" in cells[str(second["id"])]


# --- the review page and its forms ------------------------------------------------------------


def test_a_regulator_accepts_and_grants_through_the_forms(ctx, client):
    application = submitted(ctx)
    signed_in(ctx, client)
    path = f"/console/repairs/{application['id']}"

    html = get_page(client, path)
    assert review_forms(html, application["id"]) == ["accept", "not_accept", "request_supplement"]
    assert "信用承诺书" in html and application["commitment_text"] in html
    assert "2026-11-30" in html  # the acceptance deadline
    kind, target_id = application["target"].split(":")
    expected = (
        f'href="/console/cases/{target_id}"'
        if kind == "listing"
        else f'href="/console/entities/{application["entity"]["identifier"]}#record-{target_id}"'
    )
    assert expected in html  # the target opens in the console

    accepted = post_form(
        client, path, f"{path}/review/accept", expected_version=shown_version(html), reason=""
    )
    html = follow(client, accepted)
    assert "已办理" in html and "已受理，待决定" in html
    assert review_forms(html, application["id"]) == ["request_supplement", "grant", "refuse"]

    granted = post_form(
        client,
        path,
        f"{path}/review/grant",
        expected_version=shown_version(html),
        reason="已履行处罚决定，准予修复",
    )
    html = follow(client, granted)
    assert "准予修复" in html and "已履行处罚决定，准予修复" in html
    assert review_forms(html, application["id"]) == ["revoke"]
    stored = repair.get_application(ctx, CITY_REGULATOR, application["id"])
    assert stored["state"] == "granted" and stored["decided_on"] == D("2026-11-25")
    assert [s["step"] for s in stored["steps"]] == ["submit", "accept", "grant"]


def test_a_stale_page_gets_the_changed_message_and_keeps_the_input(ctx, client):
    application = submitted(ctx)
    signed_in(ctx, client)
    path = f"/console/repairs/{application['id']}"
    seen = shown_version(get_page(client, path))
    repair.review(ctx, CITY_REGULATOR, application["id"], "accept")  # a colleague, meanwhile

    response = post_form(
        client,
        path,
        f"{path}/review/request_supplement",
        expected_version=seen,
        reason="请补充缴款凭证原件",
    )

    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert_accessible(html)
    assert "申请状态已变化" in html and "已受理，待决定" in html
    assert ">请补充缴款凭证原件</textarea>" in html  # what the reviewer typed is kept
    assert shown_version(html) == "2"  # the forms now act on what the page shows
    stored = repair.get_application(ctx, CITY_REGULATOR, application["id"])
    assert stored["state"] == "accepted" and stored["version"] == 2


def test_a_double_submit_applies_once_and_says_it_was_done(ctx, client):
    application = submitted(ctx)
    signed_in(ctx, client)
    path = f"/console/repairs/{application['id']}"
    version = shown_version(get_page(client, path))

    first = post_form(client, path, f"{path}/review/accept", expected_version=version)
    again = post_form(client, path, f"{path}/review/accept", expected_version=version)

    assert "已办理" in follow(client, first)
    assert "已处理" in follow(client, again)
    steps = repair.get_application(ctx, CITY_REGULATOR, application["id"])["steps"]
    assert [s["step"] for s in steps] == ["submit", "accept"]


def test_a_refused_step_shows_why_and_keeps_the_input(ctx, client):
    application = submitted(ctx)
    signed_in(ctx, client)
    path = f"/console/repairs/{application['id']}"
    version = shown_version(get_page(client, path))

    no_reason = post_form(client, path, f"{path}/review/not_accept", expected_version=version)
    future = post_form(
        client,
        path,
        f"{path}/review/not_accept",
        expected_version=version,
        reason="不属于可修复事项",
        on="2026-12-31",
    )

    assert no_reason.status_code == 422
    html = no_reason.get_data(as_text=True)
    assert_accessible(html)
    assert "请说明理由" in html
    assert 'id="f-not_accept-reason" name="reason"' in html and 'aria-invalid="true"' in html
    assert future.status_code == 422
    html = future.get_data(as_text=True)
    assert "日期不能晚于今天" in html and 'value="2026-12-31"' in html
    assert ">不属于可修复事项</textarea>" in html
    assert repair.get_application(ctx, CITY_REGULATOR, application["id"])["version"] == 1


def test_a_form_from_a_broken_page_asks_to_reload(ctx, client):
    application = submitted(ctx)
    signed_in(ctx, client)
    path = f"/console/repairs/{application['id']}"

    response = post_form(client, path, f"{path}/review/accept", expected_version="abc")

    assert response.status_code == 422
    assert "页面已失效，请刷新后重新操作" in response.get_data(as_text=True)
    assert repair.get_application(ctx, CITY_REGULATOR, application["id"])["version"] == 1


def test_a_grant_no_longer_possible_names_the_unmet_conditions(ctx, client, clock):
    application = submitted(ctx)
    repair.review(ctx, CITY_REGULATOR, application["id"], "accept")
    heavier = ["罚款", "责令停产停业"]
    file_penalty(ctx, application["entity"]["identifier"], CF_CFLB=heavier, CF_JDRQ="2026-11-25")
    signed_in(ctx, client)
    path = f"/console/repairs/{application['id']}"
    version = shown_version(get_page(client, path))

    response = post_form(
        client, path, f"{path}/review/grant", expected_version=version, reason="准予修复"
    )

    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert_accessible(html)
    assert "已不符合信用修复条件" in html and "未满足的条件" in html
    assert ">准予修复</textarea>" in html


def test_evidence_is_listed_with_download_links_for_reviewers(ctx, client, auth):
    owner, record = general_penalty(ctx)
    enterprise = enterprise_of(ctx, owner)
    application = apply_for(ctx, enterprise, f"record:{record['id']}")
    evidence = repair.add_evidence(
        ctx, enterprise, application["id"], filename="缴款凭证.pdf", stream=io.BytesIO(PDF)
    )
    signed_in(ctx, client)
    link = f"/api/v1/repair-applications/{application['id']}/evidence/{evidence['id']}"

    html = get_page(client, f"/console/repairs/{application['id']}")

    assert f'href="{link}">缴款凭证.pdf</a>' in html and evidence["sha256"] in html
    download = client.get(link)  # the session cookie is enough
    assert download.status_code == 200 and download.data == PDF
    viewer = get_page(client, f"/console/repairs/{application['id']}", auth("viewer"))
    assert "缴款凭证.pdf" in viewer and link not in viewer


def test_a_viewer_sees_no_forms_and_may_not_post(ctx, client):
    application = submitted(ctx)
    signed_in(ctx, client, role="viewer")
    path = f"/console/repairs/{application['id']}"

    html = get_page(client, path)
    assert review_forms(html, application["id"]) == [] and "审核操作" not in html

    response = post_form(client, path, f"{path}/review/accept", expected_version="1")
    assert response.status_code == 403
    assert "无权访问" in response.get_data(as_text=True)
    assert repair.get_application(ctx, CITY_REGULATOR, application["id"])["state"] == "submitted"


def test_a_county_regulator_sees_only_its_county(ctx, client, auth):
    application = submitted(ctx, region=XUANZHOU)
    langxi = auth("regulator", region=LANGXI)

    queue = get_page(client, "/console/repairs", langxi)
    html = get_page(client, f"/console/repairs/{application['id']}", langxi, status=403)

    assert ROW.findall(queue) == [] and "目前没有待审核的信用修复申请" in queue
    assert "无权访问" in html and "超出本账号的辖区范围" in html
    assert ROW.findall(get_page(client, "/console/repairs", auth("regulator", region=XUANZHOU)))


# --- inspection plans -------------------------------------------------------------------------


@pytest.fixture
def tiers(ctx):  # type: ignore[no-untyped-def]
    return tier_services.apply_rule_set(ctx, SYSTEM)


def add_inspector(ctx, office: str, name: str) -> dict:
    return inspections.add_inspector(
        ctx, SYSTEM, badge_no=f"皖执{next(_users):06d}", name=name, office_region=office
    )


def test_a_regulator_draws_a_plan_through_the_form_and_records_a_result(ctx, client, tiers):
    entity = create_entity(ctx, region_code=LANGXI)
    add_inspector(ctx, XUANZHOU, "王五")  # one inspector only: the item is short of one
    signed_in(ctx, client, region=LANGXI)

    html = get_page(client, "/console/inspections")
    assert "尚无检查计划" in html and 'action="/console/inspections"' in html
    assert '<option value="341821">郎溪县</option>' in html
    assert 'value="341800"' not in html  # a county regulator draws for its county only

    fields = {
        "region": LANGXI,
        "period_start": "2027-01-01",
        "period_end": "2027-12-31",
        "seed": "page-seed",
        "domain": "",
        "triggered": f"\n {entity['identifier']} \n\n",
        "request_key": REQUEST_KEY.search(html).group(1),
    }
    drawn = post_form(client, "/console/inspections", "/console/inspections", **fields)
    twice = post_form(client, "/console/inspections", "/console/inspections", **fields)

    html = follow(client, drawn)
    (plan,) = inspections.list_plans(ctx, CITY_REGULATOR)  # the double submit drew nothing
    assert twice.headers["Location"] == drawn.headers["Location"]
    assert drawn.headers["Location"].startswith(f"/console/inspections/{plan['id']}?")
    assert "抽查计划已生成" in html and "page-seed" in html and "郎溪县" in html
    assert entity["name"] in html and "触发检查" in html
    assert "王五" in html and "检查人员不足" in html
    assert f'href="/api/v1/inspection-plans/{plan["id"]}/export.csv"' in html
    assert 'role="img"' in html and "各类主体的总数与检查对象数量" in html
    (item,) = inspections.get_plan(ctx, CITY_REGULATOR, plan["id"])["items"]
    path = f"/console/inspections/{plan['id']}"
    action = f"{path}/items/{item['id']}/result"
    assert f'action="{action}"' in html

    saved = post_form(client, path, action, outcome="passed", note="现场检查未发现问题")
    again = post_form(client, path, action, outcome="problems_found", note="重复提交")

    assert saved.headers["Location"].endswith(f"#item-{item['id']}")
    html = follow(client, saved)
    assert "检查结果已登记" in html and "未发现问题" in html and "现场检查未发现问题" in html
    assert f'action="{action}"' not in html
    assert "已处理" in follow(client, again)
    (item,) = inspections.get_plan(ctx, CITY_REGULATOR, plan["id"])["items"]
    assert (item["outcome"], item["note"]) == ("passed", "现场检查未发现问题")
    listed = get_page(client, "/console/inspections")
    assert f'href="/console/inspections/{plan["id"]}"' in listed and "1 / 1" in listed


def test_a_plan_form_with_errors_comes_back_with_the_input(ctx, client, tiers):
    signed_in(ctx, client)
    fields = {"region": LANGXI, "period_start": "2027-01-01", "domain": "patent"}

    invalid = post_form(
        client,
        "/console/inspections",
        "/console/inspections",
        **fields,
        period_end="2027-13-01",
        seed="no spaces!",
    )
    unknown = post_form(
        client,
        "/console/inspections",
        "/console/inspections",
        **fields,
        period_end="2027-06-30",
        triggered="91341821MA0000000X",
    )

    assert invalid.status_code == 422
    html = invalid.get_data(as_text=True)
    assert_accessible(html)
    assert "随机种子只能包含字母" in html and "请填写有效的结束日期" in html
    assert 'value="no spaces!"' in html and 'value="2027-13-01"' in html
    assert '<option value="patent" selected>' in html
    assert unknown.status_code == 422
    html = unknown.get_data(as_text=True)
    assert "触发检查的主体不在本辖区" in html and "91341821MA0000000X" in html
    assert inspections.list_plans(ctx, CITY_REGULATOR) == []


def test_a_result_without_an_outcome_comes_back_with_the_note(ctx, client, tiers):
    entity = create_entity(ctx, region_code=LANGXI)
    plan = inspections.create_plan(
        ctx,
        SYSTEM,
        region=LANGXI,
        period_start=D("2027-01-01"),
        period_end=D("2027-06-30"),
        triggered=[entity["identifier"]],
    )
    (item,) = plan["items"]
    signed_in(ctx, client)
    path = f"/console/inspections/{plan['id']}"

    response = post_form(client, path, f"{path}/items/{item['id']}/result", note="企业停业中")

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert_accessible(html)
    assert "请选择检查结果" in html and ">企业停业中</textarea>" in html
    assert f'id="f-outcome-{item["id"]}" name="outcome" required aria-invalid="true"' in html
    assert inspections.get_plan(ctx, CITY_REGULATOR, plan["id"])["items"][0]["outcome"] is None


def test_a_plan_needs_the_tier_rules_applied_first(ctx, client):
    signed_in(ctx, client)

    response = post_form(
        client,
        "/console/inspections",
        "/console/inspections",
        region=LANGXI,
        period_start="2027-01-01",
        period_end="2027-06-30",
    )

    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert_accessible(html)
    said = error_text(NotFound("no-tier-rules"), "zh", 404)  # the error's words
    assert said in html and 'value="2027-06-30"' in html


def test_viewers_read_plans_without_forms_and_counties_only_their_own(ctx, client, auth, tiers):
    entity = create_entity(ctx, region_code=LANGXI)
    city_plan = inspections.create_plan(
        ctx,
        SYSTEM,
        region=CITY,
        period_start=D("2027-01-01"),
        period_end=D("2027-12-31"),
        seed="viewer",
        triggered=[entity["identifier"]],
    )
    viewer = auth("viewer")

    listed = get_page(client, "/console/inspections", viewer)
    shown = get_page(client, f"/console/inspections/{city_plan['id']}", viewer)

    assert f'href="/console/inspections/{city_plan["id"]}"' in listed
    assert "<form" not in listed.split("</header>")[1]
    assert "/result" not in shown and "待检查" in shown
    langxi = auth("viewer", region=LANGXI)
    assert f"/console/inspections/{city_plan['id']}" not in get_page(
        client, "/console/inspections", langxi
    )
    get_page(client, f"/console/inspections/{city_plan['id']}", langxi, status=403)


# --- sync and job health ----------------------------------------------------------------------


@pytest.fixture
def platforms(ctx, tmp_path):  # type: ignore[no-untyped-def]
    """A platforms file like the demo's; nothing listens on its port."""
    path = tmp_path / "platforms.yaml"
    path.write_text(platforms_file(9, "test-secret"), encoding="utf-8")
    ctx.settings = ctx.settings.replace(sync_platforms_file=path)
    return path


def test_the_sync_page_shows_each_platforms_health_and_the_job_runs(
    ctx, client, auth, clock, platforms
):
    owner = create_entity(ctx)
    file_penalty(ctx, owner["identifier"])
    letter = dead_letter(ctx, emit(ctx, "record.corrected"), "HTTP 400: 缺少必填字段")
    with ctx.session_factory.begin() as session:
        session.add(
            SyncPosition(platform_id="anhui", last_error="HTTP 503", consecutive_failures=3)
        )
        session.add(
            Reconciliation(
                platform_id="anhui",
                day=D("2026-11-24"),
                local_count=5,
                local_digest="a" * 64,
                remote_count=4,
                remote_digest="b" * 64,
                matches=False,
                at=ctx.now(),
            )
        )
        session.add(
            QuarantinedRow(
                platform_id="anhui",
                change_id="demo-999",
                reason="the party is not in this city's registry; 主体未登记",
                row={"change_id": "demo-999", "kind": "record"},
                received_at=ctx.now(),
            )
        )
    slot = ctx.now().replace(second=0, microsecond=0)
    job_services.run_recorded(ctx, "sync.push", slot, "host-a:1", lambda: "ok")
    job_services.run_recorded(ctx, "sync.pull", slot, "host-a:1", lambda: 1 / 0)
    clock.advance(hours=2, minutes=5)

    html = get_page(client, "/console/sync", auth("admin"))

    assert "信用安徽（模拟）" in html and "推送和拉取" in html
    assert "连续失败 3 次" in html and "HTTP 503" in html
    assert "最早一条已等待 2 小时 5 分" in html
    assert "不一致" in html and "2026-11-24：本地 5 条，平台 4 条" in html
    assert f'action="/console/sync/dead-letters/{letter}/requeue"' in html
    assert "HTTP 400: 缺少必填字段" in html and "demo-999" in html and "主体未登记" in html
    assert "ZeroDivisionError: division by zero" in html
    assert '<span class="badge badge-bad">失败</span>' in html
    assert '<span class="badge badge-ok">成功</span>' in html
    assert "2026-11-25 10:00" in html  # the runs' start, Beijing time
    assert 'role="img"' in html and "各平台待推送事件数" in html
    assert "逾期未确认" in html and '<span class="badge badge-bad">2</span>' not in html
    for role in ("regulator", "viewer"):  # the health, not the contents or the action
        seen = get_page(client, "/console/sync", auth(role))
        assert "信用安徽（模拟）" in seen and "连续失败 3 次" in seen
        assert "ZeroDivisionError" in seen
        assert "demo-999" not in seen and "缺少必填字段" not in seen and "requeue" not in seen
        assert 'id="admin-only"' in seen

    clock.advance(days=7)  # past the confirmation deadline: the filed and the refused event
    assert '<span class="badge badge-bad">2</span>' in get_page(
        client, "/console/sync", auth("admin")
    )


def test_a_dead_letter_is_requeued_once_from_the_sync_page(ctx, client, platforms):
    letter = dead_letter(ctx, emit(ctx))
    signed_in(ctx, client, role="admin")
    action = f"/console/sync/dead-letters/{letter}/requeue"

    first = post_form(client, "/console/sync", action)
    again = post_form(client, "/console/sync", action)

    html = follow(client, first)
    assert "已重新排队" in html and "没有死信" in html and action not in html
    assert "已处理" in follow(client, again)
    with ctx.session_factory() as session:
        assert len(session.execute(select(Requeued)).scalars().all()) == 1
        assert session.get(DeadLetter, letter).requeued_at == ctx.now()


def test_without_platforms_the_sync_page_says_so(ctx, client, auth, tmp_path):
    ctx.settings = ctx.settings.replace(sync_platforms_file=tmp_path / "absent.yaml")
    html = get_page(client, "/console/sync", auth("admin"))
    assert "未配置省级平台" in html and "尚无任务运行记录" in html and 'role="img"' not in html


def test_the_sync_page_names_the_holiday_file_to_add(ctx, client, auth, clock):
    """D14: from 1 November (TEST_START is 2026-11-25) while 2027's file is missing."""
    html = get_page(client, "/console/sync", auth("admin"))
    assert 'id="holidays-2027"' in html and "catalogs/holidays/2027.yaml" in html
    assert "YYYY-MM-DD" in html  # the format of the file
    on(clock, D("2026-10-31"))
    assert 'id="holidays-2027"' not in get_page(client, "/console/sync", auth("admin"))


def test_durations_read_in_their_two_largest_units():
    from credit_service.web.pages.operations import duration

    assert [duration(s) for s in (0, 59, 61, 3600 * 26 + 5)] == [
        "0 秒",
        "59 秒",
        "1 分 1 秒",
        "1 天 2 小时",
    ]
    assert duration(timedelta(minutes=90)) == "1 小时 30 分" and duration(None) == "—"
