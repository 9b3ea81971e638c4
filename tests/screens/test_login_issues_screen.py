""" "Login issues?": reachable from every login screen, help sections, and the reset."""

from __future__ import annotations

import pytest

from connect_widgets.core.auth.reset import ResetStep
from connect_widgets.core.auth.steps import LoginStep
from connect_widgets.screens.login.email import EmailScreen
from connect_widgets.screens.login.login_issues import LoginIssuesScreen
from connect_widgets.screens.login.passcode import PasscodeScreen
from connect_widgets.store.models import AdminUser, Message
from tests.conftest import code_from_sms, wrong_code
from tests.screens.conftest import (
    count_rows,
    holds_anywhere,
    plain,
    reach_enrol,
    reach_first_passcode,
    reach_password,
    rows,
    shown_message,
    submit_email,
    verify_code,
)

RESET_PASSWORD = "lantern orchard piano 77"


def _to_step(app, services, account, step: LoginStep) -> None:
    if step is LoginStep.METHOD:
        submit_email(app, account.admin_email)
    elif step is LoginStep.PASSWORD:
        reach_password(app, account.admin_email)
    elif step is LoginStep.ENROL_PHONE:
        reach_enrol(app, account)
    elif step is LoginStep.PASSCODE:
        reach_first_passcode(app, account)
    elif step is LoginStep.LOG_IN:
        reach_first_passcode(app, account)
        verify_code(app, services)
    assert app.flow.step is step


@pytest.mark.parametrize(
    "step",
    [
        LoginStep.EMAIL,
        LoginStep.METHOD,
        LoginStep.PASSWORD,
        LoginStep.ENROL_PHONE,
        LoginStep.PASSCODE,
        LoginStep.LOG_IN,
    ],
)
def test_login_issues_link_at_the_bottom_opens_it_and_back_returns_to_the_same_step(app, services, account, step):
    _to_step(app, services, account, step)
    screen = app.current
    footer = screen.children[-1]
    assert screen.login_issues_link in footer.children  # the last part of the screen
    screen.login_issues_link.click()
    assert isinstance(app.current, LoginIssuesScreen)
    assert app.flow.step is step

    app.current.back_button.click()
    assert app.current is screen
    assert app.flow.step is step


def test_login_issues_has_a_section_for_each_way_a_login_gets_stuck(app):
    app.current.login_issues_link.click()
    assert app.current.sections.titles == (
        "Forgot your password?",
        "Didn't get the code?",
        "Lost your phone?",
        "Account locked?",
        "Cloud or Domain password?",
    )
    for section in app.current.sections.children[1:]:
        assert plain(section.value) != ""


def test_the_address_typed_for_login_is_offered_for_the_reset(app, account):
    submit_email(app, account.admin_email)
    app.current.login_issues_link.click()
    assert app.current.reset_email.value == account.admin_email


def test_forgot_password_end_to_end_then_the_login_still_asks_for_a_passcode(app, services, enrolled, clock):
    account = enrolled
    app.current.login_issues_link.click()
    issues = app.current
    assert issues.send_code_button in issues.forgot.children
    issues.reset_email.value = account.admin_email
    issues.send_code_button.click()
    assert shown_message(app) == ""
    assert plain(issues.reset_notice.value).startswith(
        f"If {account.admin_email} belongs to a Connect admin with an enrolled mobile phone, "
        "a reset code is on its way by SMS."
    )
    assert issues.reset_code in issues.forgot.children

    code = code_from_sms(services)
    issues.reset_code.value = code
    issues.verify_button.click()
    assert shown_message(app) == ""
    assert issues.new_password in issues.forgot.children
    assert issues.reset_code.value == ""

    issues.new_password.value = RESET_PASSWORD
    issues.confirm_password.value = RESET_PASSWORD
    issues.set_password_button.click()
    assert shown_message(app) == ""
    assert app.login_issues.reset.step is ResetStep.DONE
    assert "Your password was changed." in plain(issues.forgot.children[0].value)
    assert (issues.new_password.value, issues.confirm_password.value) == ("", "")
    for secret in (RESET_PASSWORD, code):
        assert holds_anywhere(app, secret) == []
    [user] = rows(services, AdminUser)
    assert services.hasher.verify(user.password_hash, RESET_PASSWORD)

    issues.back_button.click()
    assert isinstance(app.current, EmailScreen)
    assert app.flow.signed_in is False
    clock.advance(minutes=1)
    password = reach_password(app, account.admin_email)
    password.password.value = RESET_PASSWORD
    password.next_button.click()
    assert isinstance(app.current, PasscodeScreen)  # the reset did not bypass the passcode


def test_a_wrong_reset_code_is_refused_and_cleared(app, services, enrolled):
    app.current.login_issues_link.click()
    issues = app.current
    issues.reset_email.value = enrolled.admin_email
    issues.send_code_button.click()
    typed = wrong_code(code_from_sms(services))
    issues.reset_code.value = typed
    issues.verify_button.click()
    assert shown_message(app) == "That passcode is not right. You have 4 tries left."
    assert issues.reset_code.value == ""
    assert issues.reset_code in issues.forgot.children


def test_a_reset_password_is_held_to_the_policy(app, services, enrolled):
    app.current.login_issues_link.click()
    issues = app.current
    issues.reset_email.value = enrolled.admin_email
    issues.send_code_button.click()
    issues.reset_code.value = code_from_sms(services)
    issues.verify_button.click()
    issues.new_password.value = "password1234"
    issues.confirm_password.value = "password1234"
    issues.set_password_button.click()
    assert shown_message(app).startswith("Choose something harder to guess.")
    assert issues.new_password in issues.forgot.children
    assert (issues.new_password.value, issues.confirm_password.value) == ("", "")


def test_an_unknown_address_gets_the_same_notice_and_no_sms(app, services, enrolled):
    app.current.login_issues_link.click()
    issues = app.current
    issues.reset_email.value = enrolled.admin_email
    issues.send_code_button.click()
    known = plain(issues.reset_notice.value).replace(enrolled.admin_email, "ADDRESS")
    issues.start_over_link.click()
    sms_before = count_rows(services, Message, Message.channel == "sms")

    issues.reset_email.value = "nobody@acme.mimecast.connect"
    issues.send_code_button.click()
    unknown = plain(issues.reset_notice.value).replace("nobody@acme.mimecast.connect", "ADDRESS")
    assert unknown == known
    assert issues.reset_code in issues.forgot.children  # the same next form, too
    assert count_rows(services, Message, Message.channel == "sms") == sms_before


def test_a_malformed_reset_address_is_refused_with_what_to_fix(app):
    app.current.login_issues_link.click()
    app.current.reset_email.value = "jane"
    app.current.send_code_button.click()
    assert shown_message(app) == "Enter an email address like jane@acme.mimecast.connect."
    assert app.current.send_code_button in app.current.forgot.children


def test_the_reset_form_shows_the_same_live_rules_as_the_first_password_change(app, services, enrolled):
    app.current.login_issues_link.click()
    issues = app.current
    assert issues.indicator.value == ""  # nothing to show before the code is verified
    issues.reset_email.value = enrolled.admin_email
    issues.send_code_button.click()
    issues.reset_code.value = code_from_sms(services)
    issues.verify_button.click()
    assert issues.indicator in issues.forgot.children
    issues.new_password.value = "short"
    assert "✗ 12 to" in plain(issues.indicator.value)
    assert "✗ The two new passwords match" in plain(issues.indicator.value)
    issues.new_password.value = RESET_PASSWORD
    issues.confirm_password.value = RESET_PASSWORD
    shown = plain(issues.indicator.value)
    assert "✗" not in shown and "✓ The two new passwords match" in shown


def test_account_locked_help_points_to_the_reset_where_it_is(app):
    app.current.login_issues_link.click()
    sections = dict(zip(app.current.sections.titles, app.current.sections.children, strict=True))
    locked = plain(sections["Account locked?"].value)
    assert 'under "Forgot your password?" above' in locked
    assert "below" not in locked
    assert "15 minutes" in locked and "twice as long" in locked
    assert list(sections).index("Forgot your password?") < list(sections).index("Account locked?")
