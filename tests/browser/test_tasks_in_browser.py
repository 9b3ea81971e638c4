"""Setup tasks in a real browser: details, a domain checked against loopback DNS, Outbound resumed."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from connect_widgets.core.service_values import load_service_values
from connect_widgets.store.engine import new_session
from connect_widgets.store.models import AdminUser, Domain, Passcode
from tests.browser.conftest import RunningServer, shoot
from tests.browser.test_login_in_browser import returning_admin, returning_to_passcode

pytestmark = pytest.mark.browser

SERVICE = load_service_values()


def log_in(page: Page, server: RunningServer, account) -> None:  # type: ignore[no-untyped-def]
    code = returning_to_passcode(page, server, account)
    page.get_by_placeholder("Passcode").fill(code)
    page.get_by_role("button", name="Verify").click()
    page.get_by_role("button", name="Log In").click()
    expect(page.get_by_role("heading", name="Welcome back")).to_be_visible()


def a_later_visit(server: RunningServer, email: str) -> None:
    """Move the admin's passcodes two minutes into the past (the fake clock here is the database's)."""
    with new_session(server.services.engine) as db:
        user = db.exec(select(AdminUser).where(AdminUser.email == email)).one()
        for passcode in db.exec(select(Passcode).where(Passcode.user_id == user.id)):
            passcode.sent_at -= timedelta(minutes=2)
            db.add(passcode)
        db.commit()


def open_from_progress(page: Page, title: str) -> None:
    page.get_by_role("button", name="Back to Connect Progress").click()
    page.get_by_role("button", name=re.compile(title)).click()
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    start = page.get_by_role("button", name="Start task")
    if start.is_visible():
        start.click()


def test_details_domain_then_outbound_resumes_after_logging_out(page: Page, server: RunningServer):
    account = returning_admin(server, "ROAM")
    log_in(page, server, account)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Confirm Your Details")).to_be_visible()
    page.get_by_text("These details are correct").click()
    page.get_by_role("button", name="Confirm details").click()
    expect(page.get_by_text("Confirmed:")).to_be_visible()

    open_from_progress(page, "Validate Your Domains")
    page.get_by_role("button", name="Add domain").click()
    expect(page.locator("pre", has_text="connect-verify=")).to_be_visible()
    page.get_by_role("button", name="Check now: roam.example").click()
    expect(page.get_by_text("Last check: ✗ roam.example does not exist in DNS yet")).to_be_visible()
    with new_session(server.services.engine) as db:
        token = db.exec(select(Domain.verification_token).where(Domain.name == "roam.example")).one()
    server.dns.txt["roam.example"] = [f"{SERVICE.verification_prefix}{token}"]  # the admin publishes it
    page.get_by_role("button", name="Check now: roam.example").click()
    expect(page.get_by_text("roam.example is verified")).to_be_visible()
    page.get_by_role("button", name="Finish").click()
    expect(page.get_by_text("Your primary domain is verified")).to_be_visible()

    open_from_progress(page, "Set Up Your Outbound Email")
    expect(page.get_by_text("Step 1 of 3")).to_be_visible()
    page.locator("textarea").fill("8.8.4.0/24")
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_text("Step 2 of 3: Publish SPF")).to_be_visible()
    shoot(page, "16-outbound-spf")
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_text("You have logged out.")).to_be_visible()

    a_later_visit(server, account.admin_email)
    log_in(page, server, account)
    expect(page.get_by_text("Next task: Set Up Your Outbound Email")).to_be_visible()
    expect(page.get_by_role("button", name="Set Up Your Outbound Email")).to_be_visible()  # in progress
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_text("Step 2 of 3: Publish SPF")).to_be_visible()
    expect(page.locator("pre", has_text=f"ip4:8.8.4.0/24 include:{SERVICE.spf_include}")).to_be_visible()

    page.get_by_role("button", name="Back to Connect Progress").click()
    expect(page.get_by_text(re.compile(r"2 of \d+ required tasks complete"))).to_be_visible()
    shoot(page, "15-connect-progress")
