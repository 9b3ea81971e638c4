"""Forgot password: same answer for everyone, a 10-minute single-use code, no login."""

from __future__ import annotations

import pytest
from sqlmodel import col, select

from connect_widgets.core import errors
from connect_widgets.core.auth.flow import LoginFlow
from connect_widgets.core.auth.passcodes import RESEND_AFTER, RESET_WINDOW, RESETS_PER_WINDOW
from connect_widgets.core.auth.reset import REQUESTS_PER_PAGE, PasswordReset, ResetStep, TooManyResetRequests
from connect_widgets.core.auth.steps import LoginStep
from connect_widgets.store.engine import new_session
from connect_widgets.store.models import AuditEvent, LoginSession, Message, Passcode
from tests.conftest import (
    NEW_PASSWORD,
    code_from_sms,
    first_login,
    last_sms,
    reach_password,
    user_by_email,
    wrong_code,
)

RESET_PASSWORD = "lantern orchard pebble 77"


def sms_count(services) -> int:
    with new_session(services.engine) as db:
        return len(db.exec(select(Message).where(Message.channel == "sms")).all())


def test_known_and_unknown_addresses_get_the_same_answer(services, enrolled):
    known = PasswordReset(services).request(enrolled.admin_email)
    unknown = PasswordReset(services).request("nobody@acme.mimecast.connect")
    assert known.replace(enrolled.admin_email, "X") == unknown.replace("nobody@acme.mimecast.connect", "X")


def test_admin_without_a_phone_gets_the_same_answer_and_no_sms(services, account):
    before = sms_count(services)
    notice = PasswordReset(services).request(account.admin_email)
    assert "a reset code is on its way" in notice
    assert sms_count(services) == before


def test_reset_code_goes_to_the_saved_phone(services, enrolled):
    before = sms_count(services)
    PasswordReset(services).request(enrolled.admin_email)
    assert sms_count(services) == before + 1
    with new_session(services.engine) as db:
        sms = db.exec(select(Message).order_by(col(Message.id).desc())).first()
    assert "reset code" in sms.body and sms.recipient.endswith("56")


def test_reset_sets_the_password_without_logging_in(services, enrolled):
    reset = PasswordReset(services)
    reset.request(enrolled.admin_email)
    reset.verify_code(code_from_sms(services))
    reset.set_password(new=RESET_PASSWORD, confirm=RESET_PASSWORD)
    assert reset.step is ResetStep.DONE
    with new_session(services.engine) as db:
        open_sessions = db.exec(select(LoginSession).where(col(LoginSession.ended_at).is_(None))).all()
    assert open_sessions == []


def test_next_login_after_a_reset_still_asks_for_the_passcode(services, enrolled, clock):
    reset = PasswordReset(services)
    reset.request(enrolled.admin_email)
    reset.verify_code(code_from_sms(services))
    reset.set_password(new=RESET_PASSWORD, confirm=RESET_PASSWORD)
    clock.advance(seconds=31)
    flow = LoginFlow(services)
    reach_password(flow, enrolled.admin_email)
    assert flow.submit_password(RESET_PASSWORD) is LoginStep.PASSCODE
    with pytest.raises(errors.StepOutOfOrder):
        flow.log_in()
    flow.verify_passcode(code_from_sms(services))
    assert flow.log_in() is LoginStep.SIGNED_IN


def test_reset_ends_sessions_that_were_open(services, account, clock):
    flow = LoginFlow(services)
    first_login(flow, services, account)  # still signed in on this page
    clock.advance(minutes=1)
    reset = PasswordReset(services)
    reset.request(account.admin_email)
    reset.verify_code(code_from_sms(services))
    reset.set_password(new=RESET_PASSWORD, confirm=RESET_PASSWORD)
    with pytest.raises(errors.SessionExpired):
        flow.landing()


def test_reset_code_expires_after_10_minutes(services, enrolled, clock):
    reset = PasswordReset(services)
    reset.request(enrolled.admin_email)
    clock.advance(minutes=10)
    with pytest.raises(errors.PasscodeExpired):
        reset.verify_code(code_from_sms(services))


def test_reset_code_is_single_use(services, enrolled, clock):
    reset = PasswordReset(services)
    reset.request(enrolled.admin_email)
    code = code_from_sms(services)
    reset.verify_code(code)
    other = PasswordReset(services)
    other.request(enrolled.admin_email)  # too soon for a new code: same answer, none sent
    with pytest.raises(errors.PasscodeUsed):
        other.verify_code(code)


def test_a_login_code_is_not_a_reset_code(services, enrolled, clock):
    flow = LoginFlow(services)
    reach_password(flow, enrolled.admin_email)
    flow.submit_password("harbour kettle violin 42")
    login_code = code_from_sms(services)
    clock.advance(seconds=31)
    reset = PasswordReset(services)
    reset.request(enrolled.admin_email)
    reset_code = code_from_sms(services)
    if login_code != reset_code:
        with pytest.raises(errors.PasscodeWrong):
            reset.verify_code(login_code)
    reset.verify_code(reset_code)


def test_unknown_address_gets_the_same_wrong_code_answers(services, enrolled):
    known, unknown = PasswordReset(services), PasswordReset(services)
    known.request(enrolled.admin_email)
    unknown.request("nobody@acme.mimecast.connect")
    right = code_from_sms(services)
    answers = {"known": [], "unknown": []}
    for name, reset in (("known", known), ("unknown", unknown)):
        for _ in range(5):
            with pytest.raises(errors.PasscodeError) as refused:
                reset.verify_code(wrong_code(right))
            answers[name].append(refused.value.message)
    assert answers["known"] == answers["unknown"]
    assert "Too many wrong tries" in answers["unknown"][-1]


def test_new_password_follows_the_policy_and_says_why(services, enrolled):
    reset = PasswordReset(services)
    reset.request(enrolled.admin_email)
    reset.verify_code(code_from_sms(services))
    with pytest.raises(errors.PasswordRejected) as refused:
        reset.set_password(new="jane jane jane 12", confirm="jane jane jane 12")
    assert "your name or account code" in refused.value.message
    with pytest.raises(errors.PasswordRejected) as same:
        reset.set_password(new="harbour kettle violin 42", confirm="harbour kettle violin 42")
    assert "different from your current one" in same.value.message
    reset.set_password(new=RESET_PASSWORD, confirm=RESET_PASSWORD)


def test_new_password_is_refused_before_the_code_is_verified(services, enrolled):
    reset = PasswordReset(services)
    with pytest.raises(errors.StepOutOfOrder):
        reset.set_password(new=RESET_PASSWORD, confirm=RESET_PASSWORD)
    reset.request(enrolled.admin_email)
    with pytest.raises(errors.StepOutOfOrder):
        reset.set_password(new=RESET_PASSWORD, confirm=RESET_PASSWORD)
    with pytest.raises(errors.StepOutOfOrder):
        PasswordReset(services).verify_code("123456")


def test_new_password_must_follow_within_10_minutes_of_the_code(services, enrolled, clock):
    reset = PasswordReset(services)
    reset.request(enrolled.admin_email)
    reset.verify_code(code_from_sms(services))
    clock.advance(minutes=10, seconds=1)
    with pytest.raises(errors.StepOutOfOrder):
        reset.set_password(new=RESET_PASSWORD, confirm=RESET_PASSWORD)
    assert reset.step is ResetStep.REQUEST


def test_a_reset_clears_a_lockout(services, enrolled, clock):
    for _ in range(5):
        flow = LoginFlow(services)
        reach_password(flow, enrolled.admin_email)
        with pytest.raises(errors.InvalidCredentials):
            flow.submit_password("wrong wrong wrong 1")
    assert user_by_email(services, enrolled.admin_email).locked_until is not None
    reset = PasswordReset(services)
    reset.request(enrolled.admin_email)
    reset.verify_code(code_from_sms(services))
    reset.set_password(new=RESET_PASSWORD, confirm=RESET_PASSWORD)
    assert user_by_email(services, enrolled.admin_email).locked_until is None


def test_every_request_is_audited_known_or_not(services, enrolled):
    PasswordReset(services).request(enrolled.admin_email)
    PasswordReset(services).request("nobody@acme.mimecast.connect")
    with new_session(services.engine) as db:
        rows = db.exec(select(AuditEvent).where(AuditEvent.action == "reset_requested")).all()
    assert [(r.actor, r.outcome) for r in rows] == [
        (enrolled.admin_email, "ok"),
        ("nobody@acme.mimecast.connect", "unknown"),
    ]


# --- separate budgets (issue 11, finding 5) ------------------------------------------


def reset_codes_sent(services) -> int:
    with new_session(services.engine) as db:
        return len(db.exec(select(Passcode).where(Passcode.purpose == "reset")).all())


def test_six_anonymous_reset_requests_leave_the_admins_own_login_working(services, enrolled, clock):
    """Six "Login issues?" requests from six pages send at most 3 reset codes an hour, and the
    admin's own login still gets its code (reset codes never use up the login budget)."""
    for _ in range(6):
        PasswordReset(services).request(enrolled.admin_email)
        clock.advance(RESEND_AFTER)
    assert reset_codes_sent(services) == RESETS_PER_WINDOW
    flow = LoginFlow(services)
    reach_password(flow, enrolled.admin_email)
    assert flow.submit_password(NEW_PASSWORD) is LoginStep.PASSCODE
    assert flow.notice is None and flow.code_sent is not None and flow.code_sent.delivered
    assert "Your Connect passcode is" in last_sms(services).body
    flow.verify_passcode(code_from_sms(services))
    assert flow.log_in() is LoginStep.SIGNED_IN


def test_the_phone_gets_at_most_3_reset_codes_an_hour(services, enrolled, clock):
    """Requests every 5 minutes for two hours: 3 codes in each hour, never more in any 60 minutes."""
    sent_at = []
    for _ in range(24):
        before = reset_codes_sent(services)
        PasswordReset(services).request(enrolled.admin_email)
        if reset_codes_sent(services) > before:
            sent_at.append(clock.now())
        clock.advance(minutes=5)
    assert len(sent_at) == 6
    pairs = zip(sent_at, sent_at[RESETS_PER_WINDOW:], strict=False)  # each send, and the send 3 later
    assert all(later - earlier >= RESET_WINDOW for earlier, later in pairs)


def test_a_login_code_and_a_reset_code_have_separate_30_second_rules(services, enrolled, clock):
    """A reset asked for seconds after a login code is still sent (and the login code still works)."""
    flow = LoginFlow(services)
    reach_password(flow, enrolled.admin_email)
    flow.submit_password(NEW_PASSWORD)
    login_code = code_from_sms(services)
    clock.advance(seconds=5)
    PasswordReset(services).request(enrolled.admin_email)
    assert reset_codes_sent(services) == 1 and "reset code" in last_sms(services).body
    flow.verify_passcode(login_code)


@pytest.mark.parametrize("address", ["known", "unknown"])
def test_one_page_may_ask_3_times_in_15_minutes_whatever_the_address(services, enrolled, clock, address):
    """The 4th request from one page is refused with the same words for a known and an unknown address."""
    email = enrolled.admin_email if address == "known" else "nobody@acme.mimecast.connect"
    page = PasswordReset(services)
    for _ in range(REQUESTS_PER_PAGE):
        assert "a reset code is on its way" in page.request(email)
        page.start_over()  # starting again does not reset the page's count
        clock.advance(minutes=1)
    with pytest.raises(TooManyResetRequests) as refused:
        page.request(email)
    assert refused.value.message == (
        "You asked for a reset code 3 times in the last 15 minutes. Use the last code you received, "
        "or ask again in 12 minutes."
    )
    assert page.step is ResetStep.REQUEST
    clock.advance(minutes=12)
    assert "a reset code is on its way" in page.request(email)
    with new_session(services.engine) as db:
        rows = db.exec(
            select(AuditEvent).where(
                AuditEvent.action == "reset_requested", AuditEvent.detail == "too many requests from one page"
            )
        ).all()
    assert [(r.actor, r.outcome) for r in rows] == [(email, "refused")]
