"""Every refusal the core can give, as the admin reads it in the message area."""

from __future__ import annotations

import pytest
from sqlmodel import col

from connect_widgets.core.auth.steps import LoginStep
from connect_widgets.core.delivery.courier import Courier, OutboxTransport
from connect_widgets.core.delivery.message import OutgoingMessage
from connect_widgets.core.errors import DeliveryFailed
from connect_widgets.core.services import build_services
from connect_widgets.pages.connect import ConnectApp
from connect_widgets.screens.login.change_password import ChangePasswordScreen
from connect_widgets.screens.login.email import EmailScreen
from connect_widgets.screens.login.enrol_phone import EnrolPhoneScreen
from connect_widgets.screens.login.log_in import LogInScreen
from connect_widgets.screens.login.method import MethodScreen
from connect_widgets.screens.login.passcode import PasscodeScreen
from connect_widgets.screens.login.password import PasswordScreen
from connect_widgets.store.models import AdminUser, LoginSession, Passcode, Phone
from tests.conftest import GB_MOBILE, NEW_PASSWORD, code_from_sms, use_domain_logins, wrong_code
from tests.screens.conftest import (
    count_rows,
    intro,
    log_in_first_time,
    plain,
    reach_change_password,
    reach_enrol,
    reach_first_passcode,
    reach_password,
    resend_after_a_failed_sms,
    rows,
    shown_message,
    submit_email,
)

GENERIC_LOGIN_REFUSAL = (
    "The email address or password is not right. After 5 wrong passwords in a row an account "
    "is locked for 15 minutes (twice as long after each further lock), and until then even the "
    'right password gets this answer. Wait and try again, or choose "Login issues?" to reset '
    "your password, which also unlocks the account."
)

# --- 1. email -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter your email address."),
        ("   ", "Enter your email address."),
        ("jane.acme.mimecast.connect", "Enter an email address like jane@acme.mimecast.connect."),
        ("jane@@acme.mimecast.connect", "Enter an email address like jane@acme.mimecast.connect."),
        ("@acme.mimecast.connect", "Enter an email address like jane@acme.mimecast.connect."),
        (
            "jane@acme.example",
            (
                "Use your Connect address, which ends in @<account code>.mimecast.connect "
                "(for example jane@acme.mimecast.connect)."
            ),
        ),
        (
            "jane@ac_me.mimecast.connect",
            ("The part between @ and .mimecast.connect must be your account code (letters, digits and hyphens)."),
        ),
        (
            "ja ne@acme.mimecast.connect",
            ("The name before @ can use letters, digits, dots, hyphens, underscores and plus signs."),
        ),
        (
            "jane\x00@acme.mimecast.connect",
            ("The email address contains characters that can't be used (such as control characters)."),
        ),
        ("j" * 300 + "@acme.mimecast.connect", "The email address is too long: use at most 254 characters."),
    ],
    ids=[
        "empty",
        "blank",
        "no-at",
        "two-ats",
        "no-name",
        "other-domain",
        "bad-code",
        "space-in-name",
        "control-char",
        "too-long",
    ],
)
def test_a_malformed_email_is_refused_with_what_to_fix(app, typed, message):
    submit_email(app, typed)
    assert isinstance(app.current, EmailScreen)
    assert shown_message(app) == message
    assert app.flow.step is LoginStep.EMAIL
    assert "connect-message" in app.message._dom_classes
    assert "error" in app.message._dom_classes


def test_a_message_goes_away_when_the_next_step_succeeds(app, account):
    submit_email(app, "jane")
    assert shown_message(app) != ""
    submit_email(app, account.admin_email)
    assert isinstance(app.current, MethodScreen)
    assert shown_message(app) == ""


# --- 2. method ------------------------------------------------------------------------


def test_domain_is_refused_until_the_account_enabled_it_in_the_seeds_words(app, account):
    submit_email(app, account.admin_email)
    method = app.current
    assert "Cloud authentication must be used until" in method.hint.value
    method.method.value = "domain"
    method.next_button.click()
    assert isinstance(app.current, MethodScreen)
    assert shown_message(app).startswith(
        "Cloud authentication must be used until the Set Up Your Authentication task is complete."
    )
    assert app.flow.step is LoginStep.METHOD


# --- 3. password ----------------------------------------------------------------------


def test_a_wrong_password_gets_the_generic_refusal(app, services, account):
    screen = reach_password(app, account.admin_email)
    screen.password.value = "not the password at all"
    screen.next_button.click()
    assert isinstance(app.current, PasswordScreen)
    assert shown_message(app) == GENERIC_LOGIN_REFUSAL
    [user] = rows(services, AdminUser)
    assert user.failed_logins == 1


def test_an_unknown_address_gets_exactly_the_same_refusal_as_a_wrong_password(app, account):
    screen = reach_password(app, "nobody@acme.mimecast.connect")  # not revealed at the email step
    screen.password.value = account.temporary_password
    screen.next_button.click()
    unknown = app.message.value
    assert isinstance(app.current, PasswordScreen)

    screen.back_button.click()
    screen = reach_password(app, account.admin_email)
    screen.password.value = "not the password at all"
    screen.next_button.click()
    assert app.message.value == unknown
    assert shown_message(app) == GENERIC_LOGIN_REFUSAL


def test_five_wrong_passwords_lock_the_account_even_against_the_right_one(app, services, account, clock):
    screen = reach_password(app, account.admin_email)
    for _ in range(5):
        screen.password.value = "not the password at all"
        screen.next_button.click()
        assert shown_message(app) == GENERIC_LOGIN_REFUSAL
    [user] = rows(services, AdminUser)
    assert user.locked_until is not None
    assert user.locked_until > clock.now()

    screen.password.value = account.temporary_password
    screen.next_button.click()
    assert isinstance(app.current, PasswordScreen)
    assert shown_message(app) == GENERIC_LOGIN_REFUSAL

    clock.advance(minutes=16)
    screen.password.value = account.temporary_password
    screen.next_button.click()
    assert isinstance(app.current, EnrolPhoneScreen)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "Enter your password."),
        ("abc\x00def", "The password contains characters that can't be used (such as control characters)."),
    ],
    ids=["empty", "control-char"],
)
def test_an_unusable_password_is_refused_without_counting_a_failure(app, services, account, typed, message):
    screen = reach_password(app, account.admin_email)
    screen.password.value = typed
    screen.next_button.click()
    assert shown_message(app) == message
    [user] = rows(services, AdminUser)
    assert user.failed_logins == 0


def test_domain_without_a_saved_directory_says_it_did_not_answer_and_counts_nothing(app, services, account):
    # Domain switched on with no directory saved: every address gets the same answer
    # (known or not, the account's state says nothing about the address) and Cloud stays open.
    use_domain_logins(services, account.account_code)
    submit_email(app, account.admin_email)
    method = app.current
    assert plain(method.hint.value) == "Your account uses your domain logon for Domain authentication."
    method.method.value = "domain"
    method.next_button.click()
    screen = app.current
    assert isinstance(screen, PasswordScreen)
    assert intro(screen) == f"Enter your domain logon and password (logging in as {account.admin_email})."
    assert screen.logon.layout.display is None  # the logon field shows for Domain only
    screen.logon.value = "jane"
    screen.password.value = account.temporary_password
    screen.next_button.click()
    assert shown_message(app).startswith("Your directory did not answer")
    assert 'Choose "Cloud"' in shown_message(app)
    assert isinstance(app.current, PasswordScreen) and screen.password.value == ""
    [user] = rows(services, AdminUser)
    assert user.failed_logins == 0  # not the admin's fault: nothing counts
    screen.method_link.click()
    app.current.method.value = "cloud"
    app.current.next_button.click()
    assert app.current.logon.layout.display == "none"


def test_an_unused_supplied_password_expires_after_seven_days(app, account, clock):
    clock.advance(days=8)
    screen = reach_password(app, account.admin_email)
    screen.password.value = account.temporary_password
    screen.next_button.click()
    assert isinstance(app.current, PasswordScreen)
    assert shown_message(app) == (
        "Your supplied password has expired because it was not used within 7 days. Ask Connect support for a new one."
    )


# --- 4. phone -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "number", "message"),
    [
        ("GB", "07400123456", "Enter the number without the leading 0."),
        ("GB", "7400abc456", "Use digits only in the mobile number."),
        ("GB", "74001", "That number is too short."),
        ("GB", "740012345678901", "That number is too long."),
        ("GB", "2071234567", "That is not a mobile number. Enter a mobile number that can receive SMS."),
        ("US", GB_MOBILE, "That is not a valid number for the country chosen. Check the country and the number."),
        ("GB", "+447400123456", "Enter the number without the country code; choose the country from the list instead."),
        ("GB", "", "Enter your mobile number."),
    ],
    ids=["leading-zero", "letters", "too-short", "too-long", "landline", "wrong-country", "country-code", "empty"],
)
def test_an_unusable_phone_number_is_refused_with_one_clear_reason(app, services, account, country, number, message):
    screen = reach_enrol(app, account)
    screen.country.value = country
    screen.number.value = number
    screen.next_button.click()
    assert isinstance(app.current, EnrolPhoneScreen)
    assert shown_message(app) == message
    assert count_rows(services, Phone) == 0
    assert count_rows(services, Passcode) == 0


# --- 5. passcode ----------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["12345", "12a456", "1234567", ""])
def test_a_malformed_passcode_is_refused_without_using_a_try(app, services, account, typed):
    screen = reach_first_passcode(app, account)
    screen.code.value = typed
    screen.verify_button.click()
    assert isinstance(app.current, PasscodeScreen)
    expected = "Enter your passcode." if not typed else "Enter the 6-digit passcode from the SMS."
    assert shown_message(app) == expected
    [passcode] = rows(services, Passcode)
    assert passcode.tries == 0


def test_a_wrong_passcode_says_how_many_tries_are_left(app, services, account):
    screen = reach_first_passcode(app, account)
    code = code_from_sms(services)
    screen.code.value = wrong_code(code)
    screen.verify_button.click()
    assert shown_message(app) == "That passcode is not right. You have 4 tries left."
    screen.code.value = wrong_code(code)
    screen.verify_button.click()
    assert shown_message(app) == "That passcode is not right. You have 3 tries left."
    assert isinstance(app.current, PasscodeScreen)


def test_the_fifth_wrong_passcode_locks_the_code_even_against_the_right_one(app, services, account):
    screen = reach_first_passcode(app, account)
    code = code_from_sms(services)
    for left in (4, 3, 2, 1):
        screen.code.value = wrong_code(code)
        screen.verify_button.click()
        plural = "try" if left == 1 else "tries"
        assert shown_message(app) == f"That passcode is not right. You have {left} {plural} left."
    screen.code.value = wrong_code(code)
    screen.verify_button.click()
    assert shown_message(app) == "Too many wrong tries for this passcode. Ask for a new code."
    screen.code.value = code
    screen.verify_button.click()
    assert shown_message(app) == "Too many wrong tries for this passcode. Ask for a new code."
    assert isinstance(app.current, PasscodeScreen)
    assert app.flow.step is LoginStep.PASSCODE


def test_an_expired_passcode_is_refused(app, services, account, clock):
    screen = reach_first_passcode(app, account)
    clock.advance(minutes=5, seconds=1)
    screen.code.value = code_from_sms(services)
    screen.verify_button.click()
    assert shown_message(app) == "That passcode has expired. Ask for a new code."
    assert isinstance(app.current, PasscodeScreen)


def test_resend_counts_down_then_sends_a_new_code_that_replaces_the_old(app, services, account, clock):
    screen = reach_first_passcode(app, account)
    old = code_from_sms(services)
    assert screen.resend_button.description == "Resend code in 30 s"
    assert screen.resend_button.disabled is True

    screen.resend_button.click()  # a disabled button's click still reaches the kernel
    assert shown_message(app) == "You can ask for a new code in 30 seconds."
    assert count_rows(services, Passcode) == 1

    clock.advance(seconds=12)
    screen.tick()
    assert screen.resend_button.description == "Resend code in 18 s"
    clock.advance(seconds=18)
    screen.tick()
    assert screen.resend_button.description == "Resend code"
    assert screen.resend_button.disabled is False

    screen.resend_button.click()
    assert shown_message(app) == ""
    assert count_rows(services, Passcode) == 2
    assert screen.resend_button.description == "Resend code in 30 s"
    new = code_from_sms(services)
    screen.code.value = old
    screen.verify_button.click()
    assert isinstance(app.current, PasscodeScreen)
    assert shown_message(app) == "That passcode is not right. You have 4 tries left."
    screen.code.value = new
    screen.verify_button.click()
    assert isinstance(app.current, LogInScreen)


def again_to_passcode(app, account) -> PasscodeScreen:
    """A returning admin's email, Cloud and password (NEW_PASSWORD): the passcode page."""
    screen = reach_password(app, account.admin_email)
    screen.password.value = NEW_PASSWORD
    screen.next_button.click()
    passcode = app.current
    assert isinstance(passcode, PasscodeScreen), shown_message(app)
    return passcode


def test_a_passcode_page_reached_too_soon_counts_down_to_resend(app, services, account, clock):
    """Logging in again within 30 s of the last code: no new code yet, and Resend says how long to wait."""
    log_in_first_time(app, services, account)
    app.log_out_button.click()
    clock.advance(seconds=10)
    passcode = again_to_passcode(app, account)
    assert intro(passcode) == (
        "We didn't send a new code: one went out less than 30 seconds ago. "
        "Use Resend code when the countdown ends. "
        "Codes go to the number ending 56."
    )
    assert passcode.resend_button.description == "Resend code in 20 s"
    assert passcode.resend_button.disabled is True


def test_a_sixth_code_in_fifteen_minutes_is_refused(app, services, account, clock):
    screen = reach_first_passcode(app, account)
    for _ in range(4):
        clock.advance(seconds=30)
        screen.resend_button.click()
        assert shown_message(app) == ""
    assert count_rows(services, Passcode) == 5
    clock.advance(seconds=30)
    screen.resend_button.click()
    assert shown_message(app) == "Too many codes were sent in the last 15 minutes. Try again in 13 minutes."
    assert screen.resend_button.description == "Resend code in 13 min"  # one wait, said once
    assert count_rows(services, Passcode) == 5
    assert isinstance(app.current, PasscodeScreen)


def test_the_limit_reached_seconds_after_a_send_gives_the_real_wait_not_30_seconds(app, services, account, clock):
    screen = reach_first_passcode(app, account)
    for _ in range(4):
        clock.advance(seconds=30)
        screen.resend_button.click()
    clock.advance(seconds=5)  # the fifth code went out 5 s ago, and the window is full
    screen.resend_button.click()  # a click on the disabled button still reaches the kernel
    assert shown_message(app) == "Too many codes were sent in the last 15 minutes. Try again in 13 minutes."
    assert screen.resend_button.description == "Resend code in 13 min"
    assert count_rows(services, Passcode) == 5


def test_a_second_login_within_30_seconds_says_the_previous_code_is_still_valid(app, services, account, clock):
    log_in_first_time(app, services, account)
    app.log_out_button.click()
    clock.advance(minutes=1)
    again_to_passcode(app, account)
    app.log_out()  # e.g. the page reloaded before the code was typed
    clock.advance(seconds=10)
    passcode = again_to_passcode(app, account)
    assert intro(passcode) == (
        "We didn't send a new code. The last code we sent to the number ending 56 "
        "is still valid for 5 more minutes: enter it below."
    )
    assert passcode.resend_button.description == "Resend code in 20 s"
    sent = count_rows(services, Passcode)
    passcode.code.value = code_from_sms(services)
    passcode.verify_button.click()
    assert shown_message(app) == ""
    assert count_rows(services, Passcode) == sent


class _BrokenSms:
    """An SMS gateway that is down."""

    name = "webhook"

    def deliver(self, message: OutgoingMessage) -> None:
        raise DeliveryFailed("gateway answered 503")


def test_an_sms_that_could_not_be_sent_is_told_on_the_passcode_page(settings, clock, account):
    """A failing SMS transport (a stand-in until the real webhook transport and its
    loopback HTTP server arrive): the page says so and Verify has nothing to check."""
    broken = build_services(settings, clock=clock, courier=Courier(sms=_BrokenSms(), email=OutboxTransport()))
    try:
        app = ConnectApp(broken)
        screen = resend_after_a_failed_sms(app, clock, account)
        assert shown_message(app).startswith("We could not send the SMS to the number ending 56.")
        screen.code.value = "123456"
        screen.verify_button.click()
        assert shown_message(app) == "There is no passcode waiting to be checked. Ask for a new code."
        assert isinstance(app.current, PasscodeScreen)
    finally:
        broken.engine.dispose()


# --- 7. change password ---------------------------------------------------------------


def _change(screen: ChangePasswordScreen, current: str, new: str, confirm: str | None = None) -> None:
    screen.current.value = current
    screen.new.value = new
    screen.confirm.value = new if confirm is None else confirm
    screen.change_button.click()


def test_change_password_refuses_a_wrong_current_password(app, services, account):
    screen = reach_change_password(app, services, account)
    _change(screen, "not the password at all", NEW_PASSWORD)
    assert shown_message(app) == "Your current password is not right."
    assert isinstance(app.current, ChangePasswordScreen)
    [user] = rows(services, AdminUser)
    assert user.must_change_password is True


def test_change_password_refuses_a_confirmation_that_differs(app, services, account):
    screen = reach_change_password(app, services, account)
    _change(screen, account.temporary_password, NEW_PASSWORD, NEW_PASSWORD + "!")
    assert shown_message(app) == "The new password and its confirmation are not the same."
    assert isinstance(app.current, ChangePasswordScreen)


@pytest.mark.parametrize(
    ("new", "message"),
    [
        ("", "Enter your new password."),
        ("short words", "Use at least 12 characters. Choose something hard to guess, such as a few unrelated words."),
        (
            "harbour kettle " * 9,
            ("Use at most 128 characters. Choose something hard to guess, such as a few unrelated words."),
        ),
        ("jane harbour kettle violin", "Don't include your name or account code."),
        ("harbour ACME kettle violin", "Don't include your name or account code."),
        ("password1234", "Choose something harder to guess."),
    ],
    ids=["empty", "too-short", "too-long", "name", "account-code", "guessable"],
)
def test_change_password_names_each_policy_rule_broken(app, services, account, new, message):
    screen = reach_change_password(app, services, account)
    _change(screen, account.temporary_password, new)
    assert shown_message(app).startswith(message)
    assert isinstance(app.current, ChangePasswordScreen)
    [user] = rows(services, AdminUser)
    assert user.must_change_password is True


def test_change_password_refuses_the_supplied_password_again(app, services, account):
    screen = reach_change_password(app, services, account)
    _change(screen, account.temporary_password, account.temporary_password)
    assert shown_message(app) == "Choose a password different from your current one."
    assert isinstance(app.current, ChangePasswordScreen)


def test_change_password_asks_for_the_current_password_first(app, services, account):
    screen = reach_change_password(app, services, account)
    _change(screen, "", NEW_PASSWORD)
    assert shown_message(app) == "Enter your current password."
    assert isinstance(app.current, ChangePasswordScreen)


def test_session_rows_stay_open_while_the_password_change_is_refused(app, services, account):
    screen = reach_change_password(app, services, account)
    _change(screen, "wrong", NEW_PASSWORD)
    assert count_rows(services, LoginSession, col(LoginSession.ended_at).is_(None)) == 1


@pytest.mark.parametrize(
    ("region", "country", "example"),
    [
        ("ca", "CA", "(506) 234-5678"),
        ("uk", "GB", "7400 123456"),
        ("eu", "GB", "7400 123456"),  # Europe names no one country: the server's default
    ],
)
def test_the_phone_country_follows_the_account_region(app, services, region, country, example):
    from connect_widgets.core.accounts.create import create_account

    maple = create_account(
        services, code="MAPLE", company="Maple Ltd", primary_domain="maple.example", admin_name="lee", region=region
    )
    enrol = reach_enrol(app, maple)
    assert enrol.country.value == country
    assert plain(enrol.hint.value) == (
        f"Enter the number with no leading zero and no country code, for example {example}."
    )
    enrol.country.value = "AU"
    assert "412 345 678" in plain(enrol.hint.value)
