"""What a newcomer meets first, in a real browser: the dedicated URL and labelled fields."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from connect_widgets.core.accounts.create import create_account
from tests.browser.conftest import RunningServer, shoot
from tests.conftest import GB_MOBILE

pytestmark = pytest.mark.browser

# Every visible form control, with the name a screen reader announces for it (its <label>).
VISIBLE_CONTROLS = """() => [...document.querySelectorAll(
    '.connect-app input, .connect-app select, .connect-app textarea')]
  .filter(el => el.offsetParent !== null && el.type !== 'hidden' && el.type !== 'file')
  .map(el => ({type: el.type || el.tagName.toLowerCase(),
               name: [...(el.labels || [])].map(l => l.textContent.trim()).filter(Boolean).join(' ')
                     || el.getAttribute('aria-label') || ''}))"""


def assert_every_visible_control_is_labelled(page: Page) -> list[str]:
    """Each visible input has an accessible name, and Playwright finds it by that label."""
    controls = page.evaluate(VISIBLE_CONTROLS)
    assert controls, "no form control on this page"
    unnamed = [c for c in controls if not c["name"]]
    assert not unnamed, f"inputs without a label: {unnamed}"
    for control in controls:
        if control["type"] in ("checkbox", "radio"):
            continue  # named by the text they sit in; get_by_label finds them the same way
        expect(page.get_by_label(control["name"], exact=True).first).to_be_visible()
    return [c["name"] for c in controls]


def test_with_the_account_in_the_url_typing_a_name_at_once_reaches_the_next_step(page, server: RunningServer):
    create_account(
        server.services, code="TYPEFAST", company="Typefast Ltd", primary_domain="typefast.example", admin_name="sam"
    )
    page.goto(server.page_url("account=TYPEFAST"))
    field = page.get_by_label("Email address", exact=True)
    expect(field).to_be_visible()
    expect(page.get_by_text("@typefast.mimecast.connect", exact=True)).to_be_visible()
    expect(field).to_have_value("")
    page.wait_for_function("document.activeElement && document.activeElement.tagName === 'INPUT'")
    for width in (1280, 1024):
        page.set_viewport_size({"width": width, "height": 800})
        shoot(page, f"01-dedicated-url-{width}")
    page.keyboard.type("sam")  # straight away, where the cursor already is
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Choose how to authenticate")).to_be_visible()


def test_every_visible_field_of_the_first_login_has_a_label(page, server: RunningServer):
    account = create_account(
        server.services, code="LABELS", company="Labels Ltd", primary_domain="labels.example", admin_name="jo"
    )
    page.goto(server.page_url("account=LABELS"))
    expect(page.get_by_label("Email address", exact=True)).to_be_visible()
    assert assert_every_visible_control_is_labelled(page) == ["Email address"]
    page.get_by_label("Email address", exact=True).fill(account.admin_email)
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", name="Choose how to authenticate")).to_be_visible()
    assert assert_every_visible_control_is_labelled(page) == ["Authentication method"]
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_label("Password", exact=True)).to_be_visible()
    assert assert_every_visible_control_is_labelled(page) == ["Password"]
    page.get_by_label("Password", exact=True).fill(account.temporary_password)
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_label("Mobile number", exact=True)).to_be_visible()
    assert assert_every_visible_control_is_labelled(page) == ["Country", "Mobile number"]
    page.get_by_label("Mobile number", exact=True).fill(GB_MOBILE)
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_label("Passcode", exact=True)).to_be_visible()
    assert assert_every_visible_control_is_labelled(page) == ["Passcode"]
    for width in (1280, 1024):
        page.set_viewport_size({"width": width, "height": 800})
        shoot(page, f"05-passcode-labelled-{width}")

    page.get_by_role("button", name="Login issues?").click()
    page.get_by_text("Forgot your password?", exact=True).click()
    expect(page.get_by_label("Email address", exact=True)).to_be_visible()
    assert assert_every_visible_control_is_labelled(page) == ["Email address"]
