"""Passwords and passcodes leave the widgets as soon as they are submitted."""

from __future__ import annotations

import pyotp
from sqlmodel import select

from connect_widgets.core.accounts.create import create_account
from connect_widgets.core.auth.passcodes import otp_secret, secret_box
from connect_widgets.core.auth.steps import LoginStep
from connect_widgets.screens.login.change_password import ChangePasswordScreen
from connect_widgets.screens.login.email import EmailScreen
from connect_widgets.screens.login.passcode import PasscodeScreen
from connect_widgets.screens.login.password import PasswordScreen
from connect_widgets.store.engine import new_session
from connect_widgets.store.models import Passcode, Phone
from tests.conftest import GB_MOBILE, NEW_PASSWORD, code_from_sms, wrong_code
from tests.screens.conftest import (
    all_widgets,
    holds_anywhere,
    log_in_first_time,
    reach_change_password,
    reach_enrol,
    reach_first_passcode,
    reach_password,
    shown_message,
)


def test_the_walk_reaches_fields_that_are_not_on_screen(app, account):
    """Guard for the checks below: a secret typed in a hidden field is found."""
    hidden = app.login_issues.new_password  # not in the tree until a reset code is verified
    assert any(w is hidden for w in all_widgets(app))
    hidden.value = "canary secret 123"
    assert holds_anywhere(app, "canary secret 123")


def test_a_wrong_password_is_cleared_from_the_field(app, account):
    screen = reach_password(app, account.admin_email)
    screen.password.value = "my wrong guess 123"
    screen.next_button.click()
    assert isinstance(app.current, PasswordScreen)
    assert screen.password.value == ""
    assert holds_anywhere(app, "my wrong guess 123") == []


def test_the_right_password_is_cleared_once_accepted(app, account):
    reach_enrol(app, account)
    assert app.login_screens[LoginStep.PASSWORD].password.value == ""
    assert holds_anywhere(app, account.temporary_password) == []


def test_a_wrong_passcode_is_cleared_and_held_nowhere(app, services, account):
    screen = reach_first_passcode(app, account)
    typed = wrong_code(code_from_sms(services))
    screen.code.value = typed
    screen.verify_button.click()
    assert shown_message(app).startswith("That passcode is not right.")
    assert screen.code.value == ""
    assert holds_anywhere(app, typed) == []


def test_the_right_passcode_is_cleared_and_held_nowhere(app, services, account):
    screen = reach_first_passcode(app, account)
    code = code_from_sms(services)
    screen.code.value = code
    screen.verify_button.click()
    assert not isinstance(app.current, PasscodeScreen)
    assert screen.code.value == ""
    assert holds_anywhere(app, code) == []


def test_change_password_fields_are_emptied_after_a_refusal(app, services, account):
    screen = reach_change_password(app, services, account)
    screen.current.value = account.temporary_password
    screen.new.value = NEW_PASSWORD
    screen.confirm.value = NEW_PASSWORD + " typo"
    screen.change_button.click()
    assert isinstance(app.current, ChangePasswordScreen)
    assert (screen.current.value, screen.new.value, screen.confirm.value) == ("", "", "")
    for secret in (account.temporary_password, NEW_PASSWORD):
        assert holds_anywhere(app, secret) == []


def test_after_a_whole_first_login_no_widget_holds_a_password_or_passcode(app, services, account):
    log_in_first_time(app, services, account)
    with new_session(services.engine) as db:  # the code typed, recomputed: its stored SMS is blanked once used
        passcode = db.exec(select(Passcode)).one()
        code = pyotp.HOTP(otp_secret(db.get(Phone, passcode.phone_id), secret_box(services))).at(passcode.counter)
    for secret in (account.temporary_password, NEW_PASSWORD, code):
        assert holds_anywhere(app, secret) == [], secret


def test_after_enrolment_no_widget_keeps_the_full_phone_number(app, services, account):
    """CONVENTIONS "Never": no full phone number outside the phone table, widgets included."""
    log_in_first_time(app, services, account)
    assert holds_anywhere(app, GB_MOBILE) == []


def test_after_log_out_the_next_admin_does_not_find_the_last_ones_number(app, services, account, clock):
    """A shared or demo browser: the next admin's Enrol phone field is not pre-filled with the last one's number."""
    log_in_first_time(app, services, account)
    app.log_out_button.click()
    assert isinstance(app.current, EmailScreen)
    other = create_account(services, code="BETA", company="Beta Ltd", primary_domain="beta.example", admin_name="bob")
    clock.advance(minutes=1)
    enrol = reach_enrol(app, other)
    assert enrol.number.value == ""
