"""A trainer resets a demo account in the trainer notebook; its demo phone's code logs the admin in.

The page is checked at 1280 and 1024 px (a projector): no sideways scrolling, no
button label cut off, no control overlapping another, and the inbox keeps every
mail inside its box.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from connect_widgets.core.clock import FrozenClock
from connect_widgets.core.delivery.message import Channel, OutgoingMessage
from connect_widgets.demo.stages import load_demo_accounts, seed_demo_accounts
from connect_widgets.store.models import AdminUser
from tests.browser.conftest import RunningServer, shoot
from tests.browser.journeys import verify_and_log_in
from tests.conftest import GB_MOBILE, stopped_by_the_send_limit

pytestmark = pytest.mark.browser
WIDTHS = (1280, 1024)


@contextmanager
def trainer_page(browser) -> Iterator[Page]:  # type: ignore[no-untyped-def]
    """The trainer's page in a browser context of its own, beside the admin's ``page``; closed as a person would."""
    context = browser.new_context(viewport={"width": WIDTHS[0], "height": 1000})
    trainer = context.new_page()
    trainer.set_default_timeout(30_000)
    try:
        yield trainer
    finally:
        trainer.goto("about:blank")  # runs the unload handler: the kernel is shut down
        context.close()


# What is wrong with the trainer page's layout as the browser drew it (empty: nothing).
_LAYOUT_PROBLEMS = """() => {
  const problems = [];
  const seen = (el) => el.offsetParent !== null && el.getBoundingClientRect().width > 0;
  const root = document.documentElement;
  if (root.scrollWidth > window.innerWidth) problems.push(`the page scrolls sideways (${root.scrollWidth} px)`);
  for (let el = document.querySelector('.connect-trainer'); el; el = el.parentElement) {
    const scrolls = ['auto', 'scroll'].includes(getComputedStyle(el).overflowX);
    if (scrolls && el.scrollWidth > el.clientWidth + 1) problems.push(`${el.tagName}.${el.className} scrolls sideways`);
  }
  for (const button of document.querySelectorAll('.connect-trainer button')) {
    if (seen(button) && button.scrollWidth > button.clientWidth + 1) problems.push(`cut off: ${button.innerText}`);
  }
  for (const box of document.querySelectorAll('.connect-inbox, .connect-phone, .connect-screen')) {
    if (seen(box) && box.scrollWidth > box.clientWidth + 1) problems.push(`spills sideways: ${box.className}`);
  }
  const inbox = document.querySelector('.connect-inbox');
  if (inbox) {
    const edge = inbox.getBoundingClientRect();
    for (const mail of inbox.querySelectorAll('.connect-mail')) {
      const r = mail.getBoundingClientRect();
      if (r.left < edge.left - 1 || r.right > edge.right + 1) problems.push('a mail is wider than the inbox');
    }
  }
  for (const row of document.querySelectorAll('.connect-row, .connect-devices')) {
    const parts = [...row.children].filter(seen).map((el) => el.getBoundingClientRect());
    parts.forEach((a, i) => parts.slice(i + 1).forEach((b) => {
      if (a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1)
        problems.push(`overlap in ${row.className}`);
    }));
  }
  return problems;
}"""


def check_layout(trainer: Page, name: str) -> None:
    """At each width: the layout is sound, and a screenshot is saved to look at."""
    for width in WIDTHS:
        trainer.set_viewport_size({"width": width, "height": 1000})
        expect(trainer.locator(".connect-trainer")).to_be_visible()
        assert trainer.evaluate(_LAYOUT_PROBLEMS) == [], f"{name} at {width} px"
        shoot(trainer, name if width == WIDTHS[0] else f"{name}-{width}")


def reset_from_the_trainer(
    trainer: Page, server: RunningServer, code: str, company: str, stage: str
) -> tuple[str, str]:
    """Open the trainer page, reset a demo account to ``stage``; the email and password it shows."""
    trainer.goto(server.page_url(notebook="trainer.ipynb"))
    expect(trainer.get_by_role("heading", name="Connect Trainer")).to_be_visible()
    trainer.get_by_role("combobox").select_option(label=f"{code} · {company}")
    trainer.get_by_role("button", name=stage, exact=True).click()
    result = trainer.locator(".connect-stage-result")
    expect(result).to_contain_text(f"{code} is now at {stage}")
    return result.locator("code").nth(0).inner_text(), result.locator("code").nth(1).inner_text()


def test_reset_to_fresh_then_the_demo_phone_code_logs_the_admin_in(
    browser,
    page: Page,  # type: ignore[no-untyped-def]
    server: RunningServer,
):
    demo = seed_demo_accounts(server.services)[0]
    code = demo.account_code
    with trainer_page(browser) as trainer:
        email, password = reset_from_the_trainer(trainer, server, code, demo.company, "fresh")

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
        check_layout(trainer, "23-trainer-phone")
        verify_and_log_in(page, phone_code.inner_text())
        expect(page.get_by_role("heading", name="Change your password")).to_be_visible()


def stop_by_the_send_limit(server: RunningServer, email: str, password: str) -> None:
    """The admin asked for codes until the limit: five sends in the last few minutes."""
    clock = FrozenClock(server.services.clock.now() - timedelta(minutes=4))
    stopped_by_the_send_limit(replace(server.services, clock=clock), clock, email, password)


def mail_with_long_lines(server: RunningServer, email: str) -> None:
    """A mail no inbox lays out by luck: a long unbroken URL, a long subject, a wide line."""
    with server.services.transaction() as db:
        user = db.exec(select(AdminUser).where(AdminUser.email == email)).one()
        url = "https://connect.example/voila/render/connect.ipynb?account=NORDLICHT&token=" + "a1b2c3" * 40
        body = f"Open {url}\n\n" + "Name | Type | Value | " * 12 + "\n" + "-" * 200 + "\n"
        server.services.courier.send(
            db,
            OutgoingMessage(
                Channel.EMAIL,
                user.contact_email or email,
                body,
                user_id=user.id,
                subject="Your Connect account NORDLICHT needs a DNS record on nordlicht-maschinenbau-gmbh.example "
                "before the end of the demo",
            ),
            now=server.services.clock.now(),
        )


def log_in_until_the_passcode(page: Page, server: RunningServer, code: str, email: str, password: str) -> None:
    page.goto(server.page_url(f"account={code}"), timeout=90_000)  # a second visit may wait for a kernel to start
    page.get_by_label("Email address", exact=True).fill(email)
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Choose how to authenticate")).to_be_visible()
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Enter your passcode")).to_be_visible()


def test_clear_passcode_limits_lets_a_demo_stopped_by_the_send_limit_log_in(
    browser,
    page: Page,  # type: ignore[no-untyped-def]
    server: RunningServer,
):
    seed_demo_accounts(server.services)
    demo = next(d for d in load_demo_accounts() if d.code == "NORDLICHT")
    code = demo.code
    with trainer_page(browser) as trainer:
        email, password = reset_from_the_trainer(trainer, server, code, demo.company, "enrolled")

        stop_by_the_send_limit(server, email, password)
        mail_with_long_lines(server, email)
        log_in_until_the_passcode(page, server, code, email, password)
        expect(page.get_by_text("Too many codes were sent in the last 15 minutes")).to_be_visible()
        stuck_code = trainer.locator(".connect-phone .code").first
        expect(stuck_code).to_have_text(re.compile(r"^\d{6}$"))
        old_code = stuck_code.inner_text()

        trainer.get_by_role("button", name="Clear passcode limits").click()
        message = trainer.locator(".connect-message")
        expect(message).to_contain_text(
            f"Passcode limits cleared for {code}: 5 codes sent in the last 15 minutes no longer count."
        )
        expect(trainer.locator(".connect-inbox")).to_contain_text("a1b2c3a1b2c3")
        check_layout(trainer, "25-trainer-limits-cleared")

        log_in_until_the_passcode(page, server, code, email, password)  # the page reloaded: a new code goes out
        expect(page.get_by_text("We sent a one-time passcode by SMS to the number ending")).to_be_visible()
        phone_code = trainer.locator(".connect-phone .code").first
        expect(phone_code).not_to_have_text(old_code)
        verify_and_log_in(page, phone_code.inner_text())
        expect(page.get_by_role("heading", name="Welcome to Connect")).to_be_visible()
