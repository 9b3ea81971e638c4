"""The Administration Console: log in, open the Application Switcher, arrive in Connect signed in.

The switcher's Connect link carries a single-use hand-off: followed once it opens
Connect signed in as the same admin; the same address opened again is refused and
the normal login starts, with the email filled in.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import RunningServer, shoot
from tests.browser.journeys import log_in_from_the_email_page, returning_admin

pytestmark = pytest.mark.browser


REFUSED = "That link from the Administration Console has expired or was already used. Log in to continue."


def test_the_application_switcher_opens_connect_signed_in_once(page: Page, server: RunningServer):
    account = returning_admin(server, "CONSOLE")
    page.set_viewport_size({"width": 1280, "height": 860})
    page.goto(server.page_url(notebook="admin_console.ipynb"))
    expect(page.get_by_role("heading", name="Administration Console", exact=True)).to_be_visible()
    log_in_from_the_email_page(page, server, account.admin_email)
    expect(page.get_by_text("Console Ltd")).to_be_visible()
    page.get_by_role("button", name="Applications").click()
    connect = page.get_by_role("link", name="Connect")
    expect(connect).to_be_visible()
    shoot(page, "24-console")
    link = connect.get_attribute("href") or ""
    assert len(parse_qs(urlsplit(link).query)["handoff"][0]) == 43
    connect.click()

    # Connect, signed in as the same admin, without a second login.
    expect(page.get_by_role("heading", name="Connect", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Welcome back")).to_be_visible()
    expect(page.get_by_text(f"Signed in as {account.admin_email}")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    assert urlsplit(page.url).path == urlsplit(server.page_url()).path
    shoot(page, "25-console-to-connect")

    # The same address again, in a new page: used up, so the normal login with a word on why.
    replay = page.context.new_page()
    try:
        replay.set_default_timeout(120_000)
        replay.goto(page.url, wait_until="commit")  # a new kernel starts: the widgets come later
        expect(replay.get_by_role("status")).to_have_text(REFUSED, timeout=120_000)
        expect(replay.get_by_label("Email address", exact=True)).to_have_value(account.admin_email)
        expect(replay.get_by_text("Signed in as")).to_have_count(0)
        expect(replay.get_by_role("button", name="Log out")).to_be_hidden()
        shoot(replay, "26-console-link-used")
    finally:
        replay.goto("about:blank")  # the unload handler shuts its kernel down
        replay.close()
