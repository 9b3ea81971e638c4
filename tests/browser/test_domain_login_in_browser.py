"""Directory and Domain authentication in a real browser, against a real slapd on loopback."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import RunningServer, shoot
from tests.browser.journeys import (
    a_later_visit,
    last_message_id,
    latest_code,
    log_in,
    open_from_progress,
    ready_for_tasks,
    to_the_directory_connection,
    verify_and_log_in,
)

pytestmark = pytest.mark.browser


def test_an_admin_connects_the_directory_enables_domain_and_logs_in_with_it(page: Page, server: RunningServer, slapd):
    account = ready_for_tasks(server, "DOMAIN")
    log_in(page, server, account)
    to_the_directory_connection(page)
    page.get_by_label("Server URL", exact=True).fill(slapd.url)
    page.get_by_label("Base DN", exact=True).fill(slapd.base_dn)
    page.get_by_label("Bind DN", exact=True).fill(slapd.bind_dn)
    page.get_by_label("Bind password", exact=True).fill("not the bind password")
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_role("button", name="Test connection").click()
    expect(page.get_by_text(re.compile("^✗"))).to_be_visible()  # the precise reason, and the task stays open
    page.get_by_role("button", name="Back to the previous step").click()
    expect(page.get_by_text("The bind password is saved")).to_be_visible()
    page.get_by_label("Bind password", exact=True).fill(slapd.bind_password)
    page.get_by_role("button", name="Save and continue").click()
    page.get_by_role("button", name="Test connection").click()
    expect(page.get_by_text(re.compile("is connected"))).to_be_visible()

    open_from_progress(page, "Set Up Your Authentication")
    page.get_by_text("Domain (your directory", exact=False).click()
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Your domain logon", exact=True).fill("jane")
    page.get_by_label("Your domain password", exact=True).fill(slapd.users["jane"])
    page.get_by_role("button", name="Test login").click()
    expect(page.get_by_text("The test login as jane worked")).to_be_visible()
    shoot(page, "20-enable-domain")
    page.get_by_role("button", name="Enable Domain").click()
    expect(page.get_by_text(re.compile("Domain .* is set up"))).to_be_visible()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_text("You have logged out.")).to_be_visible()

    a_later_visit(server, account.admin_email)
    page.goto(server.page_url())
    page.get_by_label("Email address", exact=True).fill(account.admin_email)
    page.get_by_role("button", name="Next").click()
    page.get_by_role("combobox").select_option(label="Domain")
    page.get_by_role("button", name="Next").click()
    logon = page.get_by_label("Domain logon", exact=True)
    expect(logon).to_be_visible()
    # The kernel focuses a field of the step last, once it has drawn it; type only after that.
    page.wait_for_function("document.activeElement && document.activeElement.tagName === 'INPUT'")
    logon.fill("jane")
    page.get_by_label("Password", exact=True).fill(slapd.users["jane"])
    expect(logon).to_have_value("jane")
    shoot(page, "21-domain-password")
    before = last_message_id(server)
    page.get_by_role("button", name="Next").click()
    verify_and_log_in(page, latest_code(server, account.admin_email, after=before))
    expect(page.get_by_role("heading", name="Welcome back")).to_be_visible()
    page.get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("button", name=re.compile(r"✔\s+Synchronize Your Directory"))).to_be_visible()
    expect(page.get_by_role("button", name=re.compile(r"✔\s+Set Up Your Authentication"))).to_be_visible()
    shoot(page, "22-progress-with-domain")
