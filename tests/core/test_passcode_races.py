"""Passcode rules hold when many kernels act at the same instant (issue 11, finding 2).

Each kernel is its own :class:`ConnectServices` (its own engine) on one SQLite file,
and its own page (a :class:`LoginFlow` or :class:`PasswordReset`); a barrier releases
them together. Every round must show no excess at all: at most 5 wrong codes
compared per code, one winner for a right code, one code per 30 seconds and at most
5 login codes per 15 minutes, never two codes on one counter.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlmodel import col, func, select

from connect_widgets.core import errors
from connect_widgets.core.auth.flow import LoginFlow
from connect_widgets.core.auth.limits import SEND_WINDOW, SENDS_PER_WINDOW
from connect_widgets.core.auth.passcodes import MAX_TRIES, RESEND_AFTER, RESET_WINDOW
from connect_widgets.core.auth.reset import PasswordReset, ResetStep
from connect_widgets.core.auth.steps import LoginStep
from connect_widgets.core.clock import FrozenClock
from connect_widgets.core.services import ConnectServices
from connect_widgets.settings import Settings
from connect_widgets.store.engine import new_session
from connect_widgets.store.models import AuditEvent, Passcode
from tests.conftest import NEW_PASSWORD, code_from_sms, reach_password, wrong_code
from tests.races import all_at_once, kernels

pytestmark = pytest.mark.slow  # rounds of many kernels at once: make test runs them, make test-fast does not

ROUNDS = 20
PAGES = 8


@pytest.fixture
def kernel_services(settings: Settings, clock: FrozenClock) -> Iterator[list[ConnectServices]]:
    """PAGES kernels' services on the test's database (each with its own engine)."""
    with kernels(settings, clock, PAGES) as built:
        yield built


def rounds(clock: FrozenClock, window: timedelta) -> Iterator[int]:
    """ROUNDS round numbers, each in a fresh ``window`` (the limits of the last round are behind it)."""
    for round_number in range(ROUNDS):
        clock.advance(window + timedelta(minutes=1))
        yield round_number


def pages_at_passcode(kernel_services, email: str) -> list[LoginFlow]:
    """One login page per kernel at the passcode step, sharing the one code the first page sent."""
    pages = []
    for services in kernel_services:
        page = LoginFlow(services)
        reach_password(page, email)
        assert page.submit_password(NEW_PASSWORD) is LoginStep.PASSCODE
        assert page.code_sent is not None  # the first page's code, or the same code reused
        pages.append(page)
    return pages


def latest_code_row(services) -> Passcode:
    with new_session(services.engine) as db:
        return db.exec(select(Passcode).order_by(col(Passcode.id).desc())).first()  # type: ignore[return-value]


def audit_details(services, *, after: int, action: str) -> list[str]:
    with new_session(services.engine) as db:
        rows = db.exec(select(AuditEvent).where(AuditEvent.id > after, AuditEvent.action == action)).all()
    return [row.detail for row in rows]


def last_audit_id(services) -> int:
    with new_session(services.engine) as db:
        return db.exec(select(func.max(AuditEvent.id))).one() or 0


def kinds(results: list) -> list[str]:
    """Each caller's outcome by name: 'ok' or the exception's class (anything unexpected fails the test)."""
    named = []
    for result in results:
        if isinstance(result, BaseException) and not isinstance(result, errors.ConnectError):
            raise result
        named.append(type(result).__name__ if isinstance(result, BaseException) else "ok")
    return named


def test_eight_kernels_guessing_one_code_get_exactly_five_tries(services, clock, enrolled, kernel_services):
    """8 pages typing wrong codes at once: 5 compared (4 "not right", 1 locks), 3 refused unread; every round."""
    for round_number in rounds(clock, SEND_WINDOW):
        pages = pages_at_passcode(kernel_services, enrolled.admin_email)
        code = code_from_sms(services)
        before = last_audit_id(services)
        guesses = [wrong_code(f"{(int(code) + i) % 1_000_000:06d}") for i in range(PAGES)]
        assert code not in guesses

        tries = [lambda p=p, g=g: p.verify_passcode(g) for p, g in zip(pages, guesses, strict=True)]
        outcomes = kinds(all_at_once(tries))

        rejected = audit_details(services, after=before, action="code_rejected")
        compared = [d for d in rejected if "wrong, try" in d]
        assert len(compared) == MAX_TRIES, f"round {round_number}: {len(compared)} wrong codes compared"
        expected = [f"login code wrong, try {n}" for n in range(1, MAX_TRIES)]
        assert sorted(compared) == sorted([*expected, f"login code wrong, try {MAX_TRIES}; code locked"])
        assert outcomes.count("PasscodeWrong") == MAX_TRIES - 1
        assert outcomes.count("PasscodeLocked") == PAGES - (MAX_TRIES - 1)
        row = latest_code_row(services)
        assert (row.tries, row.revoked_reason, row.used_at) == (MAX_TRIES, "too_many_tries", None)
        # The right code is dead too now: the lock happened once and stays.
        with pytest.raises(errors.PasscodeLocked):
            pages[0].verify_passcode(code)


def test_eight_kernels_with_the_right_code_at_once_let_exactly_one_in(services, clock, enrolled, kernel_services):
    """8 pages typing the right code at once: one goes on to Log In, 7 read "already used"; no try spent."""
    for round_number in rounds(clock, SEND_WINDOW):
        pages = pages_at_passcode(kernel_services, enrolled.admin_email)
        code = code_from_sms(services)

        outcomes = kinds(all_at_once([lambda p=p, c=code: p.verify_passcode(c) for p in pages]))

        assert outcomes.count("ok") == 1, f"round {round_number}: {outcomes}"
        assert outcomes.count("PasscodeUsed") == PAGES - 1
        assert [p.step for p in pages].count(LoginStep.LOG_IN) == 1
        row = latest_code_row(services)
        assert row.used_at is not None and row.tries == 0 and row.revoked_at is None


def test_eight_kernels_asking_for_codes_at_once_respect_30_seconds_and_5_per_15_minutes(
    services, clock, enrolled, kernel_services
):
    """Bursts of 8 Resends: one code per burst while the window allows, none after the 5th; counters distinct."""
    for round_number in rounds(clock, SEND_WINDOW):
        pages = pages_at_passcode(kernel_services, enrolled.admin_email)  # the window's first code
        sent_per_burst = []
        for _burst in range(SENDS_PER_WINDOW + 1):
            clock.advance(RESEND_AFTER)
            outcomes = kinds(all_at_once([lambda p=p: p.resend_passcode() for p in pages]))
            assert set(outcomes) <= {"ok", "ResendTooSoon", "SendLimitReached"}, outcomes
            sent_per_burst.append(outcomes.count("ok"))
        # 1 on arrival + 4 resends = 5 in the window; the 5th and 6th bursts are refused whole.
        assert sent_per_burst == [1, 1, 1, 1, 0, 0], f"round {round_number}: {sent_per_burst}"
        with new_session(services.engine) as db:
            window = db.exec(
                select(Passcode).where(Passcode.purpose == "login", Passcode.sent_at > clock.now() - SEND_WINDOW)
            ).all()
        assert len(window) == SENDS_PER_WINDOW
    with new_session(services.engine) as db:
        counters = db.exec(select(Passcode.counter)).all()
    assert len(counters) == len(set(counters)) == 1 + ROUNDS * SENDS_PER_WINDOW  # the enrolment's code too


def test_eight_pages_using_one_reset_code_at_once_open_the_new_password_step_once(
    services, clock, enrolled, kernel_services
):
    """The right reset code typed on 8 pages at once opens the new-password step on one page only."""
    for round_number in rounds(clock, RESET_WINDOW):
        pages = [PasswordReset(k) for k in kernel_services]
        for page in pages:  # the first sends the code; the others are within 30 seconds (same answer)
            page.request(enrolled.admin_email)
        code = code_from_sms(services)

        outcomes = kinds(all_at_once([lambda p=p, c=code: p.verify_code(c) for p in pages]))

        assert outcomes.count("ok") == 1, f"round {round_number}: {outcomes}"
        assert outcomes.count("PasscodeUsed") == PAGES - 1
        assert [p.step for p in pages].count(ResetStep.NEW_PASSWORD) == 1


def test_eight_pages_asking_for_reset_codes_at_once_send_one(services, clock, enrolled, kernel_services):
    """8 anonymous reset requests at once reach the phone as one code; never more than 3 an hour."""
    for round_number in rounds(clock, RESET_WINDOW):
        sent_per_burst = []
        for _burst in range(4):
            before = latest_code_row(services).id
            pages = [PasswordReset(k) for k in kernel_services]
            notices = all_at_once([lambda p=p: p.request(enrolled.admin_email) for p in pages])
            assert all(isinstance(n, str) for n in notices), notices  # the same answer for everyone
            with new_session(services.engine) as db:
                sent = db.exec(select(Passcode).where(Passcode.id > before)).all()
            assert {p.purpose for p in sent} <= {"reset"}
            sent_per_burst.append(len(sent))
            clock.advance(RESEND_AFTER)
        assert sent_per_burst == [1, 1, 1, 0], f"round {round_number}: {sent_per_burst}"
