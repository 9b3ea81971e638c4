"""The login flow, rule by rule, with real argon2 hashes, real pyotp codes and a frozen clock."""

from __future__ import annotations

from datetime import timedelta

import pyotp
import pytest
from sqlmodel import col, select

from connect_widgets.core import errors
from connect_widgets.core.auth.flow import LoginFlow
from connect_widgets.core.auth.lockout import lock_duration
from connect_widgets.core.auth.passcodes import otp_secret, secret_box
from connect_widgets.core.auth.passwords import PasswordHasher
from connect_widgets.core.auth.steps import LoginStep
from connect_widgets.core.services import ConnectServices
from connect_widgets.store.engine import new_session
from connect_widgets.store.models import AuditEvent, LoginSession, Passcode, Phone
from tests.conftest import (
    GB_MOBILE,
    GB_MOBILE_E164,
    NEW_PASSWORD,
    code_from_sms,
    first_login,
    last_sms,
    reach_password,
    use_domain_logins,
    user_by_email,
    wrong_code,
)


def audit_actions(services: ConnectServices) -> list[str]:
    with new_session(services.engine) as db:
        return [e.action for e in db.exec(select(AuditEvent).order_by(col(AuditEvent.id)))]


def second_login_to_passcode(services: ConnectServices, account, password: str = NEW_PASSWORD) -> LoginFlow:
    flow = LoginFlow(services)
    reach_password(flow, account.admin_email)
    assert flow.submit_password(password) is LoginStep.PASSCODE
    return flow


# --- the whole story -------------------------------------------------------------


def test_first_login_walks_every_step_of_the_seed(flow, services, account):
    assert flow.step is LoginStep.EMAIL
    flow.submit_email(account.admin_email.upper())  # case-insensitive
    assert flow.step is LoginStep.METHOD
    flow.choose_method("cloud")
    assert flow.step is LoginStep.PASSWORD
    assert flow.submit_password(account.temporary_password) is LoginStep.ENROL_PHONE
    assert flow.needs_phone_enrolment
    sent = flow.enrol_phone(country="GB", number=GB_MOBILE)
    assert sent.ending == "56" and sent.delivered
    assert flow.step is LoginStep.PASSCODE
    sms = last_sms(services)
    assert sms.recipient == GB_MOBILE_E164 and sms.status == "sent"
    flow.verify_passcode(code_from_sms(services))
    assert flow.step is LoginStep.LOG_IN
    assert flow.log_in() is LoginStep.CHANGE_PASSWORD
    flow.change_password(current=account.temporary_password, new=NEW_PASSWORD, confirm=NEW_PASSWORD)
    assert flow.step is LoginStep.SIGNED_IN
    landing = flow.landing()
    assert landing.kind == "welcome" and landing.next_task.key == "confirm_details"

    user = user_by_email(services, account.admin_email)
    assert not user.must_change_password and user.last_login_at == services.clock.now()
    with new_session(services.engine) as db:
        phones = db.exec(select(Phone).where(Phone.user_id == user.id)).all()
    assert [(p.e164, p.verified_at is not None) for p in phones] == [(GB_MOBILE_E164, True)]
    assert audit_actions(services) == [
        "account_created",
        "email_submitted",
        "password_accepted",
        "code_sent",
        "code_verified",
        "phone_enrolled",
        "login",
        "password_changed",
    ]


def test_second_login_skips_enrolment_and_names_the_last_two_digits(flow, services, account, clock):
    first_login(flow, services, account)
    flow.log_out()
    clock.advance(hours=1)
    again = second_login_to_passcode(services, account)
    assert not again.needs_phone_enrolment
    assert again.code_sent.ending == "56"
    again.verify_passcode(code_from_sms(services))
    assert again.log_in() is LoginStep.SIGNED_IN  # no second password change


def test_the_sms_code_is_the_phones_hotp_at_the_passcodes_counter(flow, services, account):
    reach_password(flow, account.admin_email)
    flow.submit_password(account.temporary_password)
    flow.enrol_phone(country="GB", number=GB_MOBILE)
    with new_session(services.engine) as db:
        passcode = db.exec(select(Passcode)).one()
        phone = db.get(Phone, passcode.phone_id)
    secret = otp_secret(phone, secret_box(services))
    assert code_from_sms(services) == pyotp.HOTP(secret).at(passcode.counter)
    assert len(secret) >= 32  # pyotp.random_base32(): 160 bits


def test_phone_is_saved_only_at_log_in_after_a_verified_code(flow, services, account):
    reach_password(flow, account.admin_email)
    flow.submit_password(account.temporary_password)
    flow.enrol_phone(country="GB", number=GB_MOBILE)
    flow.verify_passcode(code_from_sms(services))
    with new_session(services.engine) as db:
        assert db.exec(select(Phone).where(col(Phone.verified_at).is_not(None))).first() is None
    flow.log_in()
    with new_session(services.engine) as db:
        assert db.exec(select(Phone).where(col(Phone.verified_at).is_not(None))).one().e164 == GB_MOBILE_E164


def test_abandoned_enrolment_leaves_no_saved_phone(services, account, clock):
    flow = LoginFlow(services)
    reach_password(flow, account.admin_email)
    flow.submit_password(account.temporary_password)
    flow.enrol_phone(country="GB", number=GB_MOBILE)
    clock.advance(minutes=1)
    again = LoginFlow(services)  # the admin closed the page and came back
    reach_password(again, account.admin_email)
    assert again.submit_password(account.temporary_password) is LoginStep.ENROL_PHONE


def test_change_number_during_enrolment_kills_the_sent_code(flow, services, account, clock):
    reach_password(flow, account.admin_email)
    flow.submit_password(account.temporary_password)
    flow.enrol_phone(country="GB", number="7400123457")
    first_code = code_from_sms(services)
    flow.change_number()
    assert flow.step is LoginStep.ENROL_PHONE
    clock.advance(seconds=31)
    flow.enrol_phone(country="GB", number=GB_MOBILE)
    with pytest.raises(errors.PasscodeWrong):
        flow.verify_passcode(first_code if first_code != code_from_sms(services) else wrong_code(first_code))
    flow.verify_passcode(code_from_sms(services))
    flow.log_in()
    with new_session(services.engine) as db:
        assert [p.e164 for p in db.exec(select(Phone))] == [GB_MOBILE_E164]


# --- email and method ------------------------------------------------------------


def test_unknown_address_is_not_revealed_at_email_or_password(services, account):
    known, unknown = LoginFlow(services), LoginFlow(services)
    known.submit_email(account.admin_email)
    unknown.submit_email("nobody@acme.mimecast.connect")
    assert known.step is unknown.step is LoginStep.METHOD
    known.choose_method("cloud")
    unknown.choose_method("cloud")
    with pytest.raises(errors.InvalidCredentials) as wrong:
        known.submit_password("not the password at all")
    with pytest.raises(errors.InvalidCredentials) as missing:
        unknown.submit_password("not the password at all")
    assert wrong.value.message == missing.value.message


class CountingHasher(PasswordHasher):
    """The real argon2 hasher, counting how many verifications a path costs."""

    verifications = 0

    def verify(self, password_hash, password):  # type: ignore[override]
        CountingHasher.verifications += 1
        return super().verify(password_hash, password)


@pytest.mark.parametrize("case", ["unknown", "wrong", "locked", "too_long"])
def test_every_failed_password_costs_exactly_one_argon2_verification(services, account, clock, case):
    """Same work, so the same time, whatever the reason (benchmarks/login_timing.py measures it)."""
    services.hasher = CountingHasher.from_settings(services.settings)
    flow = LoginFlow(services)
    email = "nobody@acme.mimecast.connect" if case == "unknown" else account.admin_email
    if case == "locked":
        for _ in range(5):
            reach_password(flow, email)
            with pytest.raises(errors.InvalidCredentials):
                flow.submit_password("wrong password 123")
    reach_password(flow, email)
    password = {"too_long": "x" * 500, "locked": account.temporary_password}.get(case, "wrong password 123")
    CountingHasher.verifications = 0
    with pytest.raises(errors.InvalidCredentials):
        flow.submit_password(password)
    assert CountingHasher.verifications == 1


@pytest.mark.parametrize(
    ("typed", "fragment"),
    [
        ("", "Enter your email address"),
        ("jane", "like jane@acme.mimecast.connect"),
        ("jane@acme.example", "ends in @<account code>.mimecast.connect"),
        ("jane@.mimecast.connect", "account code"),
        ("ja ne@acme.mimecast.connect", "name before @"),
        ("jane@@acme.mimecast.connect", "like jane@acme"),
    ],
)
def test_malformed_email_gets_a_specific_message(flow, typed, fragment):
    with pytest.raises(errors.InvalidInput) as refused:
        flow.submit_email(typed)
    assert fragment in refused.value.message
    assert flow.step is LoginStep.EMAIL


def test_domain_is_refused_with_the_seeds_explanation_until_enabled(flow, services, account):
    flow.submit_email(account.admin_email)
    with pytest.raises(errors.MethodNotAvailable) as refused:
        flow.choose_method("domain")
    assert "Cloud authentication must be used until" in refused.value.message
    assert "Set Up Your Authentication" in refused.value.message
    assert flow.step is LoginStep.METHOD
    use_domain_logins(services)
    flow.choose_method("domain")
    assert flow.step is LoginStep.PASSWORD


# --- password and lockout --------------------------------------------------------


def fail_password(services, account, times: int) -> None:
    """``times`` wrong passwords for the admin, each on a login page of its own."""
    for _ in range(times):
        flow = LoginFlow(services)
        reach_password(flow, account.admin_email)
        with pytest.raises(errors.InvalidCredentials):
            flow.submit_password("definitely wrong 1")


def test_five_failures_lock_for_15_minutes_and_the_right_password_waits(services, account, clock):
    fail_password(services, account, 4)
    assert user_by_email(services, account.admin_email).locked_until is None
    fail_password(services, account, 1)
    user = user_by_email(services, account.admin_email)
    assert user.locked_until == clock.now() + timedelta(minutes=15)
    clock.advance(minutes=14, seconds=59)
    flow = LoginFlow(services)
    reach_password(flow, account.admin_email)
    with pytest.raises(errors.InvalidCredentials):
        flow.submit_password(account.temporary_password)
    clock.advance(seconds=1)
    assert flow.submit_password(account.temporary_password) is LoginStep.ENROL_PHONE
    assert "account_locked" in audit_actions(services)


def test_each_repeat_lock_doubles_and_success_resets(services, account, clock):
    fail_password(services, account, 5)
    clock.advance(minutes=15)
    fail_password(services, account, 5)
    assert user_by_email(services, account.admin_email).locked_until == clock.now() + timedelta(minutes=30)
    clock.advance(minutes=30)
    fail_password(services, account, 5)
    assert user_by_email(services, account.admin_email).locked_until == clock.now() + timedelta(minutes=60)
    clock.advance(minutes=60)
    flow = LoginFlow(services)
    reach_password(flow, account.admin_email)
    flow.submit_password(account.temporary_password)
    user = user_by_email(services, account.admin_email)
    assert (user.failed_logins, user.lock_count, user.locked_until) == (0, 0, None)
    fail_password(services, account, 5)
    assert user_by_email(services, account.admin_email).locked_until == clock.now() + timedelta(minutes=15)


def test_a_success_between_failures_resets_the_count(services, account):
    fail_password(services, account, 4)
    flow = LoginFlow(services)
    reach_password(flow, account.admin_email)
    flow.submit_password(account.temporary_password)
    fail_password(services, account, 4)
    assert user_by_email(services, account.admin_email).locked_until is None


def test_lock_duration_doubles_and_stops_at_a_day():
    assert [lock_duration(n) for n in (1, 2, 3)] == [timedelta(minutes=m) for m in (15, 30, 60)]
    assert lock_duration(50) == timedelta(hours=24)


def test_supplied_password_expires_after_7_days_unused(services, account, clock):
    clock.advance(days=7, seconds=1)
    flow = LoginFlow(services)
    reach_password(flow, account.admin_email)
    with pytest.raises(errors.TemporaryPasswordExpired):
        flow.submit_password(account.temporary_password)
    assert flow.step is LoginStep.PASSWORD


def test_supplied_password_still_works_on_day_7(services, account, clock):
    clock.advance(days=7)
    flow = LoginFlow(services)
    reach_password(flow, account.admin_email)
    assert flow.submit_password(account.temporary_password) is LoginStep.ENROL_PHONE


# --- passcodes -------------------------------------------------------------------


@pytest.fixture
def at_passcode(flow, services, account) -> LoginFlow:
    reach_password(flow, account.admin_email)
    flow.submit_password(account.temporary_password)
    flow.enrol_phone(country="GB", number=GB_MOBILE)
    return flow


def test_code_expires_at_5_minutes(at_passcode, services, clock):
    code = code_from_sms(services)
    clock.advance(minutes=5)
    with pytest.raises(errors.PasscodeExpired):
        at_passcode.verify_passcode(code)
    assert at_passcode.step is LoginStep.PASSCODE


def test_code_still_works_just_before_5_minutes(at_passcode, services, clock):
    clock.advance(minutes=4, seconds=59)
    at_passcode.verify_passcode(code_from_sms(services))
    assert at_passcode.step is LoginStep.LOG_IN


def code_last_sent(services) -> str:
    """The code of the latest passcode row, recomputed with the key (its SMS text is blanked once used)."""
    with new_session(services.engine) as db:
        passcode = db.exec(select(Passcode).order_by(col(Passcode.id).desc())).first()
        phone = db.get(Phone, passcode.phone_id)
        return pyotp.HOTP(otp_secret(phone, secret_box(services))).at(passcode.counter)


def test_a_used_code_cannot_be_used_again(flow, services, account, clock):
    first_login(flow, services, account)
    used = code_last_sent(services)
    flow.log_out()
    clock.advance(seconds=31)
    again = second_login_to_passcode(services, account)
    with pytest.raises(errors.PasscodeWrong):
        again.verify_passcode(used)  # an old code is never valid for the new counter
    right = code_from_sms(services)
    again.verify_passcode(right)
    with pytest.raises(errors.StepOutOfOrder):
        again.verify_passcode(right)
    # Even from another page, the used code is refused.
    with new_session(services.engine) as db:
        from connect_widgets.core.auth.passcodes import Purpose, verify_passcode

        user = user_by_email(services, account.admin_email)
        with pytest.raises(errors.PasscodeUsed):
            verify_passcode(db, user=user, purpose=Purpose.LOGIN, code=right, now=clock.now(), box=secret_box(services))


def test_logging_in_again_within_30_seconds_explains_the_wait(flow, services, account, clock):
    first_login(flow, services, account)
    used = code_last_sent(services)
    flow.log_out()
    again = second_login_to_passcode(services, account)
    assert again.code_sent is None and "less than 30 seconds ago" in again.notice
    assert again.resend_at == clock.now() + timedelta(seconds=30)
    with pytest.raises(errors.PasscodeUsed):
        again.verify_passcode(used)
    clock.advance(seconds=30)
    assert again.resend_passcode().ending == "56" and again.notice is None
    again.verify_passcode(code_from_sms(services))


def test_reaching_the_passcode_page_again_reuses_a_code_sent_moments_ago(services, account, clock):
    flow = LoginFlow(services)
    first_login(flow, services, account)
    flow.log_out()
    clock.advance(minutes=1)
    first_page = second_login_to_passcode(services, account)
    code = code_from_sms(services)
    clock.advance(seconds=10)
    second_page = second_login_to_passcode(services, account)  # e.g. a reload
    assert second_page.code_sent is not None
    assert second_page.notice == (
        "We didn't send a new code. The last code we sent to the number ending 56 "
        "is still valid for 5 more minutes: enter it below."
    )
    second_page.verify_passcode(code)
    with pytest.raises(errors.PasscodeUsed):
        first_page.verify_passcode(code)


def test_five_wrong_tries_kill_the_code_and_the_sixth_is_refused(at_passcode, services):
    right = code_from_sms(services)
    for tries_left in (4, 3, 2, 1):
        with pytest.raises(errors.PasscodeWrong) as wrong:
            at_passcode.verify_passcode(wrong_code(right))
        assert wrong.value.tries_left == tries_left
    with pytest.raises(errors.PasscodeLocked):
        at_passcode.verify_passcode(wrong_code(right))  # 5th wrong try kills it
    with pytest.raises(errors.PasscodeLocked):
        at_passcode.verify_passcode(right)  # 6th try: even the right code is dead
    assert at_passcode.step is LoginStep.PASSCODE


def test_malformed_code_is_not_counted_as_a_try(at_passcode, services):
    for typed in ("", "12345", "abcdef", "1234567"):
        with pytest.raises(errors.InvalidInput):
            at_passcode.verify_passcode(typed)
    with new_session(services.engine) as db:
        assert db.exec(select(Passcode)).one().tries == 0
    code = code_from_sms(services)
    at_passcode.verify_passcode(f" {code[:3]} {code[3:]} ")  # spaces as the SMS app may add


def test_resend_is_refused_before_30_seconds(at_passcode, services, clock):
    clock.advance(seconds=29)
    with pytest.raises(errors.ResendTooSoon) as refused:
        at_passcode.resend_passcode()
    assert refused.value.wait_seconds == 1


def test_resend_after_30_seconds_kills_the_previous_code(at_passcode, services, clock):
    old = code_from_sms(services)
    clock.advance(seconds=30)
    sent = at_passcode.resend_passcode()
    new = code_from_sms(services)
    assert sent.ending == "56" and new != old
    with pytest.raises(errors.PasscodeWrong):
        at_passcode.verify_passcode(old)
    at_passcode.verify_passcode(new)


def test_at_most_five_codes_per_15_minutes(at_passcode, services, clock):
    for _ in range(4):
        clock.advance(seconds=30)
        at_passcode.resend_passcode()
    clock.advance(seconds=30)
    with pytest.raises(errors.SendLimitReached) as refused:
        at_passcode.resend_passcode()
    assert "15 minutes" in refused.value.message
    # The window slides: 15 minutes after the first code, one more may go.
    clock.advance(minutes=15, seconds=-150)
    at_passcode.resend_passcode()
    at_passcode.verify_passcode(code_from_sms(services))


def test_send_limit_survives_changing_the_number(at_passcode, services, clock):
    """Re-enrolling another number must not reset the SMS budget (no SMS bombing)."""
    for number in ("7400123457", "7400123458", "7400123459", "7400123450"):
        at_passcode.change_number()
        clock.advance(seconds=31)
        at_passcode.enrol_phone(country="GB", number=number)
    at_passcode.change_number()
    clock.advance(seconds=31)
    with pytest.raises(errors.SendLimitReached):
        at_passcode.enrol_phone(country="GB", number=GB_MOBILE)


# --- out of order ----------------------------------------------------------------


def test_password_before_email_is_refused(flow, account):
    with pytest.raises(errors.StepOutOfOrder):
        flow.submit_password(account.temporary_password)
    assert flow.step is LoginStep.EMAIL


def test_password_before_method_is_refused(flow, account):
    flow.submit_email(account.admin_email)
    with pytest.raises(errors.StepOutOfOrder):
        flow.submit_password(account.temporary_password)


def test_verify_before_a_code_was_sent_is_refused(flow, services, account):
    with pytest.raises(errors.StepOutOfOrder):
        flow.verify_passcode("123456")
    reach_password(flow, account.admin_email)
    with pytest.raises(errors.StepOutOfOrder):
        flow.verify_passcode("123456")
    flow.submit_password(account.temporary_password)
    with pytest.raises(errors.StepOutOfOrder):  # enrolment not done: no code yet
        flow.verify_passcode("123456")


def test_log_in_before_verify_is_refused(at_passcode, services):
    with pytest.raises(errors.StepOutOfOrder):
        at_passcode.log_in()
    with new_session(services.engine) as db:
        assert db.exec(select(LoginSession)).first() is None


def test_log_in_after_a_wrong_code_is_refused(at_passcode, services):
    with pytest.raises(errors.PasscodeWrong):
        at_passcode.verify_passcode(wrong_code(code_from_sms(services)))
    with pytest.raises(errors.StepOutOfOrder):
        at_passcode.log_in()


def test_enrolment_is_refused_once_a_phone_is_saved(flow, services, account):
    first_login(flow, services, account)
    flow.log_out()
    again = second_login_to_passcode(services, account)
    with pytest.raises(errors.StepOutOfOrder):
        again.enrol_phone(country="GB", number="7400123457")
    with pytest.raises(errors.StepOutOfOrder):
        again.change_number()


def test_landing_and_password_change_need_a_signed_in_session(flow, account):
    with pytest.raises(errors.StepOutOfOrder):
        flow.landing()
    with pytest.raises(errors.StepOutOfOrder):
        flow.change_password(current=account.temporary_password, new=NEW_PASSWORD, confirm=NEW_PASSWORD)


def test_landing_is_refused_until_the_supplied_password_is_changed(flow, services, account):
    reach_password(flow, account.admin_email)
    flow.submit_password(account.temporary_password)
    flow.enrol_phone(country="GB", number=GB_MOBILE)
    flow.verify_passcode(code_from_sms(services))
    flow.log_in()
    with pytest.raises(errors.StepOutOfOrder):
        flow.landing()


# --- change password -------------------------------------------------------------


@pytest.fixture
def must_change(flow, services, account) -> LoginFlow:
    reach_password(flow, account.admin_email)
    flow.submit_password(account.temporary_password)
    flow.enrol_phone(country="GB", number=GB_MOBILE)
    flow.verify_passcode(code_from_sms(services))
    flow.log_in()
    return flow


def test_change_password_needs_the_current_one(must_change, account):
    with pytest.raises(errors.CurrentPasswordWrong):
        must_change.change_password(current="not it at all 99", new=NEW_PASSWORD, confirm=NEW_PASSWORD)
    assert must_change.step is LoginStep.CHANGE_PASSWORD


def test_change_password_needs_matching_confirmation(must_change, account):
    with pytest.raises(errors.PasswordsDoNotMatch):
        must_change.change_password(current=account.temporary_password, new=NEW_PASSWORD, confirm=NEW_PASSWORD + "!")


@pytest.mark.parametrize(
    ("new", "reason"),
    [
        ("short pw 1", "at least 12 characters"),
        ("x" * 129, "at most 128 characters"),
        ("password1234", "harder to guess"),
        ("jane harbour kettle 42", "your name or account code"),
        ("acme harbour kettle 42", "your name or account code"),
    ],
)
def test_policy_rejections_say_why(must_change, account, new, reason):
    with pytest.raises(errors.PasswordRejected) as refused:
        must_change.change_password(current=account.temporary_password, new=new, confirm=new)
    assert reason in refused.value.message
    assert must_change.step is LoginStep.CHANGE_PASSWORD


def test_new_password_must_differ_from_the_supplied_one(must_change, account):
    with pytest.raises(errors.PasswordRejected) as refused:
        must_change.change_password(
            current=account.temporary_password, new=account.temporary_password, confirm=account.temporary_password
        )
    assert "different from your current one" in refused.value.message


def test_changed_password_is_nfkc_normalised(must_change, services, account):
    """A fullwidth 'Ａ' typed today matches an 'A' typed tomorrow on another keyboard."""
    must_change.change_password(
        current=account.temporary_password, new="Ｈarbour kettle violin 42", confirm="Ｈarbour kettle violin 42"
    )
    must_change.log_out()
    again = LoginFlow(services)
    reach_password(again, account.admin_email)
    assert again.submit_password("Harbour kettle violin 42") is LoginStep.PASSCODE


def test_128_character_passphrase_is_kept_whole(must_change, services, account):
    """No truncation: changing the last character of a 128-character password matters."""
    long = ("violin harbour kettle " * 6)[:127] + "A"
    assert len(long) == 128
    must_change.change_password(current=account.temporary_password, new=long, confirm=long)
    must_change.log_out()
    again = LoginFlow(services)
    reach_password(again, account.admin_email)
    with pytest.raises(errors.InvalidCredentials):
        again.submit_password(long[:-1] + "B")
    assert again.submit_password(long) is LoginStep.PASSCODE


def test_wrong_current_passwords_count_and_the_fifth_locks_and_signs_out(must_change, services, account, clock):
    """The change form is no way around the lockout: 4 wrong current passwords are told, the 5th ends it."""
    for _ in range(4):
        with pytest.raises(errors.CurrentPasswordWrong):
            must_change.change_password(current="not it at all 99", new=NEW_PASSWORD, confirm=NEW_PASSWORD)
        assert must_change.step is LoginStep.CHANGE_PASSWORD
    assert user_by_email(services, account.admin_email).failed_logins == 4
    with pytest.raises(errors.SignedOutByLock) as locked:
        must_change.change_password(current="not it at all 99", new=NEW_PASSWORD, confirm=NEW_PASSWORD)
    assert locked.value.message == (
        "That was the 5th wrong current password in a row, so your account is locked for 15 minutes and you "
        'have been logged out. Use "Login issues?" to reset your password.'
    )
    assert must_change.step is LoginStep.EMAIL and not must_change.signed_in
    user = user_by_email(services, account.admin_email)
    assert (user.failed_logins, user.lock_count) == (0, 1)
    assert user.locked_until == clock.now() + timedelta(minutes=15)
    with new_session(services.engine) as db:
        assert all(s.ended_at is not None for s in db.exec(select(LoginSession)))
        refusals = [
            e.detail
            for e in db.exec(
                select(AuditEvent).where(AuditEvent.action == "password_change_refused").order_by(col(AuditEvent.id))
            )
        ]
    assert refusals == [f"current password wrong ({n} in a row)" for n in range(1, 6)]
    assert audit_actions(services).count("account_locked") == 1 and audit_actions(services)[-1] == "logout"
    again = LoginFlow(services)  # locked: even the right password waits
    reach_password(again, account.admin_email)
    with pytest.raises(errors.InvalidCredentials):
        again.submit_password(account.temporary_password)


def test_a_right_current_password_clears_the_count(must_change, services, account):
    for _ in range(4):
        with pytest.raises(errors.CurrentPasswordWrong):
            must_change.change_password(current="not it at all 99", new=NEW_PASSWORD, confirm=NEW_PASSWORD)
    must_change.change_password(current=account.temporary_password, new=NEW_PASSWORD, confirm=NEW_PASSWORD)
    assert must_change.step is LoginStep.SIGNED_IN
    assert user_by_email(services, account.admin_email).failed_logins == 0


def test_wrong_login_and_wrong_current_passwords_share_one_count(flow, services, account, clock):
    """Three wrong passwords on another page's login, then two on the signed-in page's form: locked."""
    first_login(flow, services, account)
    fail_password(services, account, 3)  # on another page's login
    with pytest.raises(errors.CurrentPasswordWrong):
        flow.change_password(
            current="wrong password 123", new="other harbour kettle 7", confirm="other harbour kettle 7"
        )
    with pytest.raises(errors.SignedOutByLock):
        flow.change_password(
            current="wrong password 123", new="other harbour kettle 7", confirm="other harbour kettle 7"
        )
    assert flow.step is LoginStep.EMAIL
    assert user_by_email(services, account.admin_email).locked_until == clock.now() + timedelta(minutes=15)


def test_an_account_locked_elsewhere_ends_the_session_at_the_next_password_change(flow, services, account):
    """Locked by wrong passwords on another page: even the right current password is not checked."""
    first_login(flow, services, account)
    fail_password(services, account, 5)  # on another page's login
    before = user_by_email(services, account.admin_email).password_hash
    with pytest.raises(errors.SignedOutByLock, match="locked after too many wrong passwords"):
        flow.change_password(current=NEW_PASSWORD, new="other harbour kettle 7", confirm="other harbour kettle 7")
    assert flow.step is LoginStep.EMAIL and not flow.signed_in
    user = user_by_email(services, account.admin_email)
    assert user.password_hash == before and user.lock_count == 1


# --- sessions --------------------------------------------------------------------


def test_session_ends_after_30_idle_minutes(flow, services, account, clock):
    first_login(flow, services, account)
    clock.advance(minutes=29)
    flow.landing()
    clock.advance(minutes=30)
    with pytest.raises(errors.SessionExpired):
        flow.landing()
    assert flow.step is LoginStep.EMAIL
    assert "session_expired" in audit_actions(services)


def test_session_ends_12_hours_after_it_started_even_when_active(flow, services, account, clock):
    first_login(flow, services, account)
    for _ in range(24):
        clock.advance(minutes=29)
        flow.landing()
    clock.advance(minutes=29)  # 12 h 25 min after log in, never idle
    with pytest.raises(errors.SessionExpired):
        flow.landing()


def test_session_id_has_at_least_128_random_bits_and_only_its_hash_is_stored(flow, services, account):
    first_login(flow, services, account)
    token = flow._token
    assert token is not None and len(token) * 6 >= 128
    with new_session(services.engine) as db:
        stored = db.exec(select(LoginSession)).one()
    assert stored.token_hash != token and len(stored.token_hash) == 64


def test_log_out_ends_the_session(flow, services, account):
    first_login(flow, services, account)
    flow.log_out()
    assert flow.step is LoginStep.EMAIL and not flow.signed_in
    with new_session(services.engine) as db:
        assert db.exec(select(LoginSession)).one().end_reason == "logout"
