"""The console's tier rules page through the Flask test client, on both databases: an
administrator edits a candidate, previews who would move by district and industry and
under which rule (nothing written), and applies it with a reason (audited); bad YAML or
no reason is an error under its field and applies nothing; other roles get the 403 page."""

from __future__ import annotations

import re

import pytest

from credit_service.access import SYSTEM
from credit_service.tiers import services as tier_services
from credit_service.tiers import views as tier_views
from credit_service.tiers.definitions import rule_set_from_text
from tests.factories import LANGXI, bearer_for, create_entity, file_penalty
from tests.pages.test_admin_data_pages import actions, send
from tests.pages.test_console_pages import get, html_of, signed_in

HASH = re.compile(r'name="content_hash" value="([0-9a-f]+)"')


@pytest.fixture
def applied(ctx):  # type: ignore[no-untyped-def]
    return tier_services.apply_rule_set(ctx, SYSTEM)


def tier_of(ctx, identifier: str) -> str:  # type: ignore[no-untyped-def]
    return tier_views.tier_view(ctx, SYSTEM, identifier)["tier"]


def test_an_admin_previews_who_moves_and_why_then_applies_with_a_reason(
    app, ctx, applied, edited_rules
):
    identifier = create_entity(ctx, region_code=LANGXI, industry="I")["identifier"]
    file_penalty(ctx, identifier)
    candidate = edited_rules.read_text(encoding="utf-8")
    browser = signed_in(app, ctx, "admin")
    assert "dishonest-record" in get(browser, "/console/tiers")  # the file's text to edit
    preview = html_of(send(browser, "/console/tiers/preview", {"rules": candidate}))
    assert "共有1个主体的等级将发生变化" in preview
    assert "郎溪县" in preview and ctx.catalogs.industries["I"] in preview
    why = rule_set_from_text(candidate).rule("dishonest-record")
    assert why is not None and why.description in preview
    assert (
        tier_of(ctx, identifier) == "C" and actions(ctx, "tiers.apply_rules")[-1].actor == "system"
    )
    content_hash = HASH.search(preview).group(1)
    form = {"rules": candidate, "content_hash": content_hash}
    no_reason = html_of(send(browser, "/console/tiers/apply", {**form, "reason": "改"}), 422)
    assert 'id="f-reason-error"' in no_reason and "请填写启用理由" in no_reason
    edited = candidate.replace(
        "id: dishonest-record\n    tier: D", "id: dishonest-record\n    tier: B"
    )
    changed = {**form, "rules": edited, "reason": "依据新规调整"}
    assert "重新预览" in html_of(send(browser, "/console/tiers/apply", changed), 422)
    assert tier_of(ctx, identifier) == "C" and len(actions(ctx, "tiers.apply_rules")) == 1
    done = send(browser, "/console/tiers/apply", {**form, "reason": "依据新规调整失信记录的等级"})
    assert done.status_code == 303
    assert "已启用" in get(browser, done.headers["Location"])
    assert tier_of(ctx, identifier) == "D"
    event = actions(ctx, "tiers.apply_rules")[-1]
    assert event.details["reason"] == "依据新规调整失信记录的等级"
    assert event.actor.startswith("console-admin-")


def test_bad_rules_are_an_error_under_the_text_and_apply_nothing(app, ctx, applied):
    browser = signed_in(app, ctx, "admin")
    html = html_of(send(browser, "/console/tiers/preview", {"rules": "tiers: [unclosed"}), 422)
    assert 'id="f-rules-error"' in html and "候选规则有误" in html
    assert "请填写候选规则" in html_of(send(browser, "/console/tiers/preview", {"rules": " "}), 422)
    bad = html_of(
        send(browser, "/console/tiers/apply", {"rules": "x: 1", "reason": "依据新规调整"}), 422
    )
    assert "候选规则有误" in bad
    assert len(actions(ctx, "tiers.apply_rules")) == 1


@pytest.mark.parametrize("role", ["regulator", "viewer", "auditor"])
def test_only_admins_open_the_tier_rules(app, client, ctx, applied, role):
    assert "无权访问" in get(client, "/console/tiers", bearer_for(ctx, role), 403)
    browser = signed_in(app, ctx, role)
    for step in ("preview", "apply"):
        assert html_of(send(browser, f"/console/tiers/{step}", {"rules": "x: 1"}), 403)
    assert len(actions(ctx, "tiers.apply_rules")) == 1
