"""A trainer resets a demo account in the trainer notebook; its demo phone's code logs the admin in."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from connect_widgets.core.demo import seed_demo_accounts
from tests.browser.conftest import RunningServer, shoot
from tests.conftest import GB_MOBILE

pytestmark = pytest.mark.browser


def test_reset_to_fresh_then_the_demo_phone_code_logs_the_admin_in(browser, page: Page,  # type: ignore[no-untyped-def]
                                                                     server: RunningServer):
    demo = seed_demo_accounts(server.services)[0]
    code = demo.account_code
    context = browser.new_context(viewport={"width": 1100, "height": 1000})
    trainer = context.new_page()
    trainer.set_default_timeout(30_000)
    try:
        trainer.goto(server.page_url(notebook="trainer.ipynb"))
        expect(trainer.get_by_role("heading", name="Connect Trainer")).to_be_visible()
        trainer.get_by_role("combobox").select_option(label=f"{code} · {demo.company}")
        trainer.get_by_role("button", name="fresh", exact=True).click()
        result = trainer.locator(".connect-stage-result")
        expect(result).to_contain_text(f"{code} is now at fresh")
        email = result.locator("code").nth(0).inner_text()
        password = result.locator("code").nth(1).inner_text()

        page.goto(server.page_url(f"account={code}"))
        page.get_by_label("Email address", exact=True).fill(email)
        page.get_by_role("button", name="Next").click()
        expect(page.get_by_role("heading", name="Choose how to authenticate")).to_be_visible()
        page.get_by_role("button", name="Next").click()
        page.get_by_label("Password", exact=True).fill(password)
        page.get_by_role("button", name="Next").click()
        page.get_by_label("Mobile number", exact=True).fill(GB_MOBILE)
        page.get_by_role("button", name="Next").click()
        expect(page.get_by_label("Passcode", exact=True)).to_be_visible()

        phone_code = trainer.locator(".connect-phone .code").first  # the panel refreshes by itself
        expect(phone_code).to_have_text(re.compile(r"^\d{6}$"))
        shoot(trainer, "23-trainer-phone")
        page.get_by_label("Passcode", exact=True).fill(phone_code.inner_text())
        page.get_by_role("button", name="Verify").click()
        page.get_by_role("button", name="Log In").click()
        expect(page.get_by_role("heading", name="Change your password")).to_be_visible()
    finally:
        trainer.goto("about:blank")
        context.close()
