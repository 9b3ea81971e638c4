"""The Administration Console: log in, open the Application Switcher, go to Connect with the email filled in."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import RunningServer, shoot
from tests.browser.test_login_in_browser import email_to_password, last_message_id, latest_code, returning_admin
from tests.conftest import NEW_PASSWORD

pytestmark = pytest.mark.browser


def test_the_application_switcher_opens_connect_with_the_email_filled_in(page: Page, server: RunningServer):
    account = returning_admin(server, "CONSOLE")
    page.goto(server.page_url(notebook="admin_console.ipynb"))
    expect(page.get_by_role("heading", name="Administration Console")).to_be_visible()
    email_to_password(page, account.admin_email)
    before = last_message_id(server)
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Passcode", exact=True).fill(latest_code(server, account.admin_email, after=before))
    page.get_by_role("button", name="Verify").click()
    page.get_by_role("button", name="Log In").click()
    expect(page.get_by_text("Console Ltd")).to_be_visible()
    page.get_by_role("button", name="Applications").click()
    connect = page.get_by_role("link", name="Connect")
    expect(connect).to_be_visible()
    shoot(page, "24-console")
    connect.click()
    expect(page.get_by_label("Email address", exact=True)).to_have_value(account.admin_email)
    expect(page).to_have_url(f"{server.page_url()}?email={account.admin_email.replace('@', '%40')}")
