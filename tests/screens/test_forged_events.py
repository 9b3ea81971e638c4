"""A Voilà page's browser can send any widget message: hidden or disabled controls
and double clicks must never move the login on."""

from __future__ import annotations

from sqlmodel import col

from connect_widgets.core.audit import AuditAction
from connect_widgets.core.auth.steps import LoginStep
from connect_widgets.screens.login.email import EmailScreen
from connect_widgets.screens.login.log_in import LogInScreen
from connect_widgets.screens.login.method import MethodScreen
from connect_widgets.screens.login.passcode import PasscodeScreen
from connect_widgets.screens.login.password import PasswordScreen
from connect_widgets.store.models import AdminUser, AuditEvent, LoginSession, Passcode, Phone
from tests.conftest import GB_MOBILE, NEW_PASSWORD, code_from_sms
from tests.screens.conftest import (
    count_rows,
    press_enter,
    reach_first_passcode,
    reach_password,
    rows,
    shown_message,
)


def no_login_happened(services) -> bool:
    return (
        count_rows(services, LoginSession) == 0
        and count_rows(services, Phone, col(Phone.verified_at).is_not(None)) == 0
    )


def test_verify_clicked_on_the_hidden_passcode_screen_at_the_email_step_does_nothing(app, services, account):
    hidden = app.login_screens[LoginStep.PASSCODE]
    hidden.code.value = "123456"
    hidden.verify_button.click()
    press_enter(hidden.code)
    assert app.flow.step is LoginStep.EMAIL
    assert isinstance(app.current, EmailScreen)
    assert no_login_happened(services)


def test_log_in_clicked_while_at_the_passcode_step_does_nothing(app, services, account):
    reach_first_passcode(app, account)
    app.login_screens[LoginStep.LOG_IN].log_in_button.click()
    assert app.flow.step is LoginStep.PASSCODE
    assert isinstance(app.current, PasscodeScreen)
    assert no_login_happened(services)
    assert app.log_out_button.layout.display == "none"


def test_log_in_clicked_at_the_email_step_does_nothing(app, services, account):
    app.login_screens[LoginStep.LOG_IN].log_in_button.click()
    assert app.flow.step is LoginStep.EMAIL
    assert isinstance(app.current, EmailScreen)
    assert no_login_happened(services)


def test_the_right_password_set_in_the_hidden_password_screen_is_ignored(app, services, account):
    """While on Email, a forged value and click on the Password screen neither checks nor counts it."""
    hidden = app.login_screens[LoginStep.PASSWORD]
    hidden.password.value = account.temporary_password
    hidden.next_button.click()
    assert app.flow.step is LoginStep.EMAIL
    assert isinstance(app.current, EmailScreen)
    assert count_rows(services, AuditEvent, AuditEvent.action == AuditAction.PASSWORD_ACCEPTED.value) == 0
    [user] = rows(services, AdminUser)
    assert user.failed_logins == 0
    assert hidden.password.value == ""


def test_a_hidden_phone_screen_cannot_enrol_a_number_at_the_password_step(app, services, account):
    reach_password(app, account.admin_email)
    hidden = app.login_screens[LoginStep.ENROL_PHONE]
    hidden.number.value = GB_MOBILE
    hidden.next_button.click()
    assert app.flow.step is LoginStep.PASSWORD
    assert isinstance(app.current, PasswordScreen)
    assert count_rows(services, Phone) == 0
    assert count_rows(services, Passcode) == 0


def test_a_hidden_email_screen_cannot_change_the_address_mid_login(app, services, account):
    reach_first_passcode(app, account)
    hidden = app.login_screens[LoginStep.EMAIL]
    hidden.email.value = "mallory@acme.mimecast.connect"
    hidden.next_button.click()
    assert app.flow.email == account.admin_email
    assert app.flow.step is LoginStep.PASSCODE
    assert isinstance(app.current, PasscodeScreen)


def test_a_hidden_method_screen_cannot_switch_to_domain(app, account):
    reach_password(app, account.admin_email)
    hidden = app.login_screens[LoginStep.METHOD]
    hidden.method.value = "domain"
    hidden.next_button.click()
    assert app.flow.method.value == "cloud"
    assert isinstance(app.current, PasswordScreen)


def test_a_right_code_verified_from_a_hidden_screen_does_not_open_log_in(app, services, account):
    """The code is right, but the Passcode screen is not the one showing (Login issues is)."""
    passcode = reach_first_passcode(app, account)
    passcode.login_issues_link.click()
    assert not isinstance(app.current, PasscodeScreen)
    passcode.code.value = code_from_sms(services)
    passcode.verify_button.click()
    assert app.flow.step is LoginStep.PASSCODE
    [sent] = rows(services, Passcode)
    assert sent.used_at is None


def test_a_disabled_resend_button_still_cannot_send_before_the_wait(app, services, account):
    screen = reach_first_passcode(app, account)
    screen.resend_button.disabled = True
    screen.resend_button.click()
    assert count_rows(services, Passcode) == 1
    assert shown_message(app) == "You can ask for a new code in 30 seconds."
    assert isinstance(app.current, PasscodeScreen)


def test_a_click_while_a_step_is_busy_is_dropped(app, services, account):
    screen = app.current
    screen.email.value = account.admin_email
    app.busy = True
    screen.next_button.click()
    assert app.flow.step is LoginStep.EMAIL
    assert app.flow.email is None
    assert isinstance(app.current, EmailScreen)
    assert count_rows(services, AuditEvent, AuditEvent.action == AuditAction.EMAIL_SUBMITTED.value) == 0

    app.busy = False
    screen.next_button.click()
    assert isinstance(app.current, MethodScreen)
    assert count_rows(services, AuditEvent, AuditEvent.action == AuditAction.EMAIL_SUBMITTED.value) == 1


def test_busy_is_cleared_after_every_step_even_a_refused_one(app, account):
    screen = app.current
    screen.email.value = "not an email"
    screen.next_button.click()
    assert app.busy is False
    assert "connect-busy" not in app.stack._dom_classes
    screen.email.value = account.admin_email
    screen.next_button.click()
    assert isinstance(app.current, MethodScreen)


def test_a_double_verify_of_the_same_code_logs_in_once(app, services, account):
    """The second click of a double click arrives after the screen changed: it is ignored."""
    screen = reach_first_passcode(app, account)
    screen.code.value = code_from_sms(services)
    screen.verify_button.click()
    screen.verify_button.click()
    assert isinstance(app.current, LogInScreen)
    assert shown_message(app) == ""
    app.current.log_in_button.click()
    app.login_screens[LoginStep.LOG_IN].log_in_button.click()
    assert count_rows(services, LoginSession) == 1


def test_a_forged_change_number_after_the_phone_is_saved_is_refused(app, services, account, clock):
    """Use a different number is hidden for a saved phone; the flow refuses it anyway."""
    passcode = reach_first_passcode(app, account)
    passcode.code.value = code_from_sms(services)
    passcode.verify_button.click()
    app.current.log_in_button.click()
    app.log_out_button.click()
    clock.advance(minutes=1)

    screen = reach_password(app, account.admin_email)
    screen.password.value = account.temporary_password  # not changed yet: the first login stopped early
    screen.next_button.click()
    passcode = app.current
    assert isinstance(passcode, PasscodeScreen)
    assert passcode.change_number_button.layout.display == "none"
    passcode.change_number_button.click()
    assert app.flow.step is LoginStep.PASSCODE
    assert shown_message(app) == 'Your phone is already saved. If you lost it, choose "Login issues?".'
    assert count_rows(services, Phone, col(Phone.verified_at).is_not(None)) == 1


def test_set_new_password_forged_before_the_reset_code_is_verified_is_refused(app, services, enrolled):
    """ "Login issues?" shows only the code form; a forged Set new password changes nothing."""
    app.current.login_issues_link.click()
    issues = app.current
    issues.reset_email.value = enrolled.admin_email
    issues.send_code_button.click()
    assert issues.set_password_button not in issues.forgot.children
    issues.new_password.value = issues.confirm_password.value = "lantern orchard piano 77"
    issues.set_password_button.click()
    assert shown_message(app) == "That step isn't available now. Start the password reset again."
    [user] = rows(services, AdminUser)
    assert services.hasher.verify(user.password_hash, NEW_PASSWORD)
    assert (issues.new_password.value, issues.confirm_password.value) == ("", "")
