"""A finished account lands on Setup complete; a staff decision reaches a task page left open."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from connect_widgets.core.review.queue import ReviewQueue
from connect_widgets.demo.stages import reset_demo_account, seed_demo_accounts
from tests.browser.conftest import RunningServer, shoot
from tests.browser.journeys import (
    email_to_password,
    log_in,
    password_to_passcode,
    returning_admin,
    verify_and_log_in,
)

pytestmark = pytest.mark.browser

REASON = "Use the company's registered name from its certificate, please."


def test_a_finished_account_lands_on_setup_complete(page: Page, server: RunningServer):
    demo = seed_demo_accounts(server.services)[-1]
    done = reset_demo_account(server.services, demo.account_code, "complete")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(server.page_url(), timeout=90_000)  # a second visit may wait for a kernel to start
    email_to_password(page, done.admin_email)
    verify_and_log_in(page, password_to_passcode(page, server, done.admin_email, done.password))

    expect(page.get_by_role("heading", name="Setup complete")).to_be_visible()
    expect(page.get_by_text("Every required setup task for your account is complete")).to_be_visible()
    expect(page.get_by_text("✔ Update Your MX Records")).to_be_visible()
    expect(page.get_by_role("link", name="Administration Console")).to_be_visible()
    expect(page.get_by_role("button", name="Synchronize Your Directory (optional)")).to_be_visible()
    expect(page.get_by_text("No task is waiting for you")).to_have_count(0)
    shoot(page, "10-setup-complete-1280")
    page.set_viewport_size({"width": 1024, "height": 900})
    expect(page.get_by_role("heading", name="Setup complete")).to_be_visible()
    shoot(page, "10-setup-complete-1024")

    page.get_by_role("button", name="See Connect Progress").click()
    expect(page.get_by_text(re.compile(r"^(\d+) of \1 required tasks complete$"))).to_be_visible()
    expect(page.get_by_text("✔ Setup complete.")).to_be_visible()
    shoot(page, "10-progress-complete")


def test_a_rejection_reaches_the_open_task_page_with_the_reason_and_the_values_sent(page: Page, server: RunningServer):
    account = returning_admin(server, "OPENPAGE")
    page.set_default_navigation_timeout(90_000)  # a second visit may wait for a kernel to start
    log_in(page, server, account)
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Confirm Your Details")).to_be_visible()
    page.get_by_label("Company name", exact=True).fill("Openpage Group plc")
    page.get_by_role("button", name="Send for review").click()
    expect(page.get_by_text("are with the Connect team")).to_be_visible()

    queue = ReviewQueue(server.services, staff="Priya Shah")  # as the team notebook does
    [review] = [r for r in queue.pending() if r.account_code == "OPENPAGE"]
    queue.reject(review.id, reason=REASON)

    # No click, no reload: the open page notices within a few seconds.
    expect(page.get_by_text(REASON)).to_be_visible()
    expect(page.get_by_text("The Connect team has answered: their reply is below.")).to_be_visible()
    expect(page.get_by_label("Company name", exact=True)).to_have_value("Openpage Group plc")
    expect(page.get_by_text("We still hold: Openpage Ltd")).to_be_visible()
    page.set_viewport_size({"width": 1280, "height": 900})
    shoot(page, "11-rejection-on-open-page-1280")
    page.set_viewport_size({"width": 1024, "height": 900})
    shoot(page, "11-rejection-on-open-page-1024")

    page.get_by_label("Company name", exact=True).fill("Openpage Holdings Ltd")
    page.get_by_role("button", name="Send for review").click()
    expect(page.get_by_text("are with the Connect team")).to_be_visible()
