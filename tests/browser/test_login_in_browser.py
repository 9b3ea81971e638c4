"""The whole login in a real browser against a real `connect-kit serve`."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import RunningServer, shoot
from tests.browser.journeys import (
    email_to_password,
    last_message_id,
    latest_code,
    new_account,
    returning_admin,
    returning_to_passcode,
    verify_and_log_in,
)
from tests.conftest import GB_MOBILE, NEW_PASSWORD
from tests.servers import wait_until

pytestmark = pytest.mark.browser


def test_a_new_admin_logs_in_end_to_end_and_reaches_welcome(page: Page, server: RunningServer):
    account = new_account(server, "FIRST")
    page.goto(server.page_url("account=FIRST"))
    email = page.get_by_label("Email address", exact=True)
    expect(email).to_have_value("")  # the dedicated URL names the account: the domain sits beside the field
    expect(page.get_by_text("@first.mimecast.connect", exact=True)).to_be_visible()
    expect(email).to_be_focused()
    shoot(page, "01-email")
    email.fill(account.admin_email)
    page.get_by_role("button", name="Next").click()

    expect(page.get_by_role("heading", name="Choose how to authenticate")).to_be_visible()
    page.get_by_role("combobox").select_option(label="Domain")
    shoot(page, "02-method")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_text("Cloud authentication must be used until").first).to_be_visible()
    page.get_by_role("combobox").select_option(label="Cloud")
    page.get_by_role("button", name="Next").click()

    password = page.get_by_label("Password", exact=True)
    expect(password).to_be_visible()
    shoot(page, "03-password")
    password.fill(account.temporary_password)
    password.press("Enter")  # Enter submits the step

    number = page.get_by_label("Mobile number", exact=True)
    expect(number).to_be_visible()
    expect(page.get_by_text("no leading zero")).to_be_visible()
    number.fill("0" + GB_MOBILE)
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_text("Enter the number without the leading 0.")).to_be_visible()
    shoot(page, "04-enrol-phone")
    number.fill(GB_MOBILE)
    page.get_by_role("button", name="Next").click()

    expect(page.get_by_text("sent a one-time passcode by SMS to the number ending 56")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile(r"Resend code in \d+ s"))).to_be_disabled()
    shoot(page, "05-passcode")
    page.get_by_label("Passcode", exact=True).fill(latest_code(server, account.admin_email))
    page.get_by_role("button", name="Verify").click()

    log_in = page.get_by_role("button", name="Log In")
    expect(log_in).to_be_visible()
    shoot(page, "06-log-in")
    log_in.click()

    expect(page.get_by_role("heading", name="Change your password")).to_be_visible()
    page.get_by_label("Current password", exact=True).fill(account.temporary_password)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Confirm password", exact=True).fill(NEW_PASSWORD)
    expect(page.locator("li.met", has_text="The two new passwords match")).to_be_visible()
    shoot(page, "07-change-password")
    page.get_by_role("button", name="Change password").click()

    expect(page.get_by_role("heading", name="Welcome to Connect")).to_be_visible()
    expect(page.get_by_text(f"Signed in as {account.admin_email}").first).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    shoot(page, "08-welcome")


def test_a_returning_admin_sees_the_last_two_digits_and_welcome_back(page: Page, server: RunningServer):
    account = returning_admin(server, "AGAIN")
    code = returning_to_passcode(page, server, account, query="account=AGAIN")
    expect(page.get_by_text("to the number ending 56")).to_be_visible()
    expect(page.get_by_label("Mobile number", exact=True)).to_have_count(0)  # no enrolment this time
    verify_and_log_in(page, code)

    expect(page.get_by_role("heading", name="Welcome back")).to_be_visible()
    expect(page.get_by_role("button", name="Continue")).to_be_visible()
    expect(page.get_by_role("button", name="Confirm Your Details")).to_be_visible()  # in progress
    shoot(page, "09-returning")
    page.get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("heading", name="Connect Progress")).to_be_visible()
    expect(page.get_by_text("0 of 8 required tasks complete")).to_be_visible()
    shoot(page, "10-connect-progress")
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_text("You have logged out.")).to_be_visible()
    expect(page.get_by_label("Email address", exact=True)).to_be_visible()


def test_a_wrong_code_says_how_many_tries_are_left(page: Page, server: RunningServer):
    account = returning_admin(server, "WRONG")
    right = returning_to_passcode(page, server, account)
    page.get_by_label("Passcode", exact=True).fill(f"{(int(right) + 1) % 1_000_000:06d}")
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("That passcode is not right. You have 4 tries left.")).to_be_visible()
    expect(page.get_by_label("Passcode", exact=True)).to_have_value("")
    shoot(page, "11-wrong-code")
    page.get_by_label("Passcode", exact=True).fill(right)
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("button", name="Log In")).to_be_visible()


def test_login_issues_page_is_reachable_and_resets_a_password(page: Page, server: RunningServer):
    account = returning_admin(server, "ISSUES")
    page.goto(server.page_url())
    page.get_by_role("button", name="Login issues?").click()
    expect(page.get_by_role("heading", name="Login issues?")).to_be_visible()
    for section in (
        "Forgot your password?",
        "Didn't get the code?",
        "Lost your phone?",
        "Account locked?",
        "Cloud or Domain password?",
    ):
        expect(page.get_by_text(section, exact=True)).to_be_visible()
    page.get_by_text("Forgot your password?", exact=True).click()
    before = last_message_id(server)
    page.get_by_label("Email address", exact=True).last.fill(account.admin_email)
    page.get_by_role("button", name="Send reset code").click()
    expect(page.get_by_text("a reset code is on its way by SMS")).to_be_visible()
    shoot(page, "12-login-issues")
    page.get_by_label("Passcode", exact=True).fill(latest_code(server, account.admin_email, after=before))
    page.get_by_role("button", name="Verify").click()
    page.get_by_label("New password", exact=True).fill("lantern orchard pebble 77")
    page.get_by_label("Confirm password", exact=True).fill("lantern orchard pebble 77")
    page.get_by_role("button", name="Set new password").click()
    expect(page.get_by_text("Your password was changed.")).to_be_visible()
    page.get_by_role("button", name="Back to login").click()
    expect(page.get_by_role("heading", name="Log in to Connect")).to_be_visible()


def test_a_reload_mid_flow_starts_over_cleanly(page: Page, server: RunningServer):
    account = new_account(server, "RELOAD")
    page.goto(server.page_url("account=RELOAD"))
    email_to_password(page, account.admin_email)
    page.reload()
    email = page.get_by_label("Email address", exact=True)
    expect(email).to_have_value("")
    expect(page.get_by_text("@reload.mimecast.connect", exact=True)).to_be_visible()
    expect(page.get_by_label("Password", exact=True)).to_have_count(0)
    email_to_password(page, account.admin_email)
    page.get_by_label("Password", exact=True).fill(account.temporary_password)
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_label("Mobile number", exact=True)).to_be_visible()


def test_closed_pages_leave_no_kernels_behind(browser, server: RunningServer):  # type: ignore[no-untyped-def]
    """Four page loads and closes: the live kernel count returns to its idle level.

    Four is enough to see a leak (each load starts a kernel); more only costs minutes.
    """
    idle = len(list(server.notebooks.glob("*.ipynb")))  # one pre-heated kernel per notebook
    assert wait_until(lambda: server.kernels() == idle, timeout=60), (
        f"{server.kernels()} kernels before the test, expected the idle level {idle}"
    )
    for _ in range(4):
        context = browser.new_context()
        page = context.new_page()
        page.goto(server.page_url())
        expect(page.get_by_label("Email address", exact=True)).to_be_visible(timeout=60_000)
        page.goto("about:blank")
        context.close()
    # Well before the cull backstop (300 s): the pages' own shutdown requests did it.
    assert wait_until(lambda: server.kernels() == idle, timeout=60), f"{server.kernels() - idle} kernels leaked"


def test_confirm_details_then_the_domain_record_to_publish(page: Page, server: RunningServer):
    account = returning_admin(server, "TASKS")
    code = returning_to_passcode(page, server, account)
    verify_and_log_in(page, code)
    page.get_by_role("button", name="Continue").click()  # the next step: Confirm Your Details
    expect(page.get_by_role("heading", name="Confirm Your Details")).to_be_visible()
    expect(page.get_by_label("Company name", exact=True)).to_have_value("Tasks Ltd")
    shoot(page, "13-confirm-details")
    page.get_by_text("These details are correct").click()
    page.get_by_role("button", name="Confirm details").click()
    expect(page.get_by_text("Confirmed:")).to_be_visible()
    page.get_by_role("button", name="Back to Connect Progress").click()
    page.get_by_role("button", name=re.compile("Validate Your Domains")).click()
    page.get_by_role("button", name="Start task").click()
    expect(page.get_by_label("Domain", exact=True)).to_have_value("tasks.example")
    page.get_by_role("button", name="Add domain").click()
    expect(page.get_by_text("publish this TXT record")).to_be_visible()
    expect(page.locator(".connect-token", has_text="connect-verify=")).to_be_visible()
    shoot(page, "14-validate-domains")
