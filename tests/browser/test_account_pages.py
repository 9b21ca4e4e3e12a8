"""An enterprise's own account in Chromium: it registers from the header (a wrong
activation code sent back under its field, then the right one), signs in, reads its
repair applications and messages, opens its account page and changes its password (a
wrong current password sent back under its field). Each page is audited by
``check_page`` (axe-core at desktop and at 375 px among the rest)."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from credit_service.access import SYSTEM
from credit_service.auth import accounts
from credit_service.web.i18n import translate
from tests.browser.pages import screenshots
from tests.browser.test_journeys import PASSWORD, click, fill, main_text, sign_in, submit, visit
from tests.factories import XUANZHOU, create_entity

pytestmark = [pytest.mark.browser, pytest.mark.slow]
NEW_PASSWORD = "Jing-Ting#Shan2027"


def test_an_enterprise_registers_signs_in_and_changes_its_password(browser, live_server, live_ctx):
    entity = create_entity(live_ctx, region_code=XUANZHOU, name="宣城自助注册科技有限公司")
    code = accounts.issue_activation_code(live_ctx, SYSTEM, entity["identifier"]).code
    visit(browser, f"{live_server}/")
    click(browser, 'header a[href="/enterprise/register"]')
    screenshots(browser, "enterprise-register")
    typed = {
        "f-uscc": entity["identifier"],
        "f-display_name": entity["name"],
        "f-contact": "赵六 0563-7654321",
        "f-username": "self-registered",
        "f-password": PASSWORD,
        "f-activation_code": "WRONG-CODE",
    }
    fill(browser, typed)
    submit(browser, "/enterprise/register")
    assert browser.find_element(By.ID, "e-activation_code").text
    fill(browser, {"f-password": PASSWORD, "f-activation_code": code})
    submit(browser, "/enterprise/register")
    assert translate("register.done_active") in main_text(browser)

    sign_in(browser, live_server, "self-registered")
    assert browser.current_url.endswith("/enterprise")
    click(browser, 'nav.menu a[href="/enterprise/repair"]')
    click(browser, "header a.messages")
    screenshots(browser, "enterprise-messages")
    click(browser, "header a.who")
    assert "self-registered" in main_text(browser)
    click(browser, 'main a[href="/account/password"]')
    again = {"f-new_password": NEW_PASSWORD, "f-repeat_password": NEW_PASSWORD}
    fill(browser, {"f-current_password": NEW_PASSWORD, **again})
    submit(browser, "/account/password")  # not its current password: the error under it
    assert browser.find_element(By.ID, "e-current_password").text
    fill(browser, {"f-current_password": PASSWORD, **again})
    submit(browser, "/account/password")
    assert translate("password.changed") in main_text(browser)
