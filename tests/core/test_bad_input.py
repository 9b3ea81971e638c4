"""Bad input at every entry point gets a domain error the admin can act on, nothing else.

A Voila page's browser can send any widget value: ``None``, numbers, lists, bytes,
NUL characters, lone surrogates, right-to-left overrides, a 10,000-character paste.
Each core entry point must either accept the value or raise a
:class:`~connect_widgets.core.errors.ConnectError` whose plain ``message`` repeats no
secret. A refused value leaves the flow at its step (the right value still works
straight after) and writes no rows: none at all for unusable input, at most audit
rows for a well-formed refusal such as a wrong password.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Callable, Iterable

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, update
from sqlalchemy import select as sa_select
from sqlmodel import SQLModel, col, select

from connect_widgets.core import errors
from connect_widgets.core.accounts.create import create_account
from connect_widgets.core.audit import AuditAction
from connect_widgets.core.auth.addresses import parse_connect_address
from connect_widgets.core.auth.flow import LoginFlow
from connect_widgets.core.auth.phones import parse_mobile
from connect_widgets.core.auth.reset import PasswordReset, ResetStep
from connect_widgets.core.auth.steps import LoginStep
from connect_widgets.core.errors import ConnectError
from connect_widgets.core.services import ConnectServices
from connect_widgets.core.staff.support import reset_phone, unlock_user
from connect_widgets.store.engine import new_session
from connect_widgets.store.models import Account, AdminUser, AuditEvent
from tests.conftest import (
    GB_MOBILE,
    GB_MOBILE_E164,
    NEW_PASSWORD,
    code_from_sms,
    last_sms,
    reach_password,
    user_by_email,
)

SUFFIX = "mimecast.connect"
# Two good passwords for the "right input still works" step; the one that differs
# from the current password is used.
GOOD_PASSWORDS = ("copper meadow falcon 19", "lantern orchard pebble 77")

# --- what a browser can send ------------------------------------------------------

# Every code point, lone surrogates, controls and unassigned ones included.
WIDE_CHARACTERS = st.characters(codec=None, exclude_categories=())

# What a widget message can carry besides a string (JSON values), and then some.
NON_STRINGS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.binary(max_size=16),
    st.lists(st.text(max_size=8), max_size=3),
    st.dictionaries(st.text(max_size=8), st.text(max_size=8), max_size=2),
)


def near(valid: str) -> st.SearchStrategy[str]:
    """``valid`` with a few wide characters spliced in (and up to two cut out) at one place."""
    return st.builds(
        lambda at, junk, cut: valid[:at] + junk + valid[at + cut :],
        st.integers(0, len(valid)),
        st.text(alphabet=WIDE_CHARACTERS, max_size=3),
        st.integers(0, 2),
    )


def browser_values(*valid: str) -> st.SearchStrategy[object]:
    """Any text, wide Unicode, non-strings, and near misses of the valid values."""
    return st.one_of(
        st.text(),
        st.text(alphabet=WIDE_CHARACTERS),
        NON_STRINGS,
        *(near(value) for value in valid),
    )


BROWSER_JUNK: tuple[object, ...] = (
    "",
    "   ",
    "a" * 10_000,
    "\x00",
    "jane\x00@acme.mimecast.connect",
    "😀@acme.mimecast.connect",
    "'; DROP TABLE admin_users;--",
    "jane@acme.mimecast.connect' OR '1'='1",
    "\ud800",  # a lone surrogate: cannot be encoded as UTF-8
    "jane@acme.mimecast.connect\udfff",
    "\u202ejane@acme.mimecast.connect",  # right-to-left override
    "ja\u200bne@acme.mimecast.connect",  # zero-width space
    "\u200f\u200e\u2066\u2069\u200d",  # direction marks, isolates, zero-width joiner only
    "\ufeff",  # byte order mark
    "ｊａｎｅ＠ａｃｍｅ.mimecast.connect",  # full-width letters (NFKC makes them ASCII)
    None,
    123,
    b"bytes",
    ["list"],
    {"key": "value"},
    12.5,
    float("nan"),
    True,
)


def with_browser_junk(*extra: object) -> Callable:
    """Run the explicit junk values (and ``extra``) as examples of a ``value`` test."""

    def decorate(test: Callable) -> Callable:
        for value in reversed((*BROWSER_JUNK, *extra)):
            test = example(value=value)(test)
        return test

    return decorate


# --- what a refusal must look like ------------------------------------------------

SHORTEST_SECRET_PART = 6  # shorter values are inside ordinary words of any message
WINDOW = 8  # a long secret must not appear even in part: no 8-character run of it
# Text that may show anywhere (addresses and field names are not secret): a run of a
# "secret" that is also a run of these, as in a password typed as
# "jane@acme.mimecast.connect' OR ..." next to an audit row naming jane, is no leak.
PUBLIC_TEXT = " ".join(
    [
        "jane@acme.mimecast.connect",
        "nobody@acme.mimecast.connect",
        f"@<account code>.{SUFFIX}",
        "-password",
        "-passcode",
        " password ",
        " passcode ",
        "current password wrong",
        # The audit trail's fixed vocabulary (action names, error codes) is no leak either.
        *(action.value for action in AuditAction),
        *(getattr(cls, "code", "") for cls in vars(errors).values() if isinstance(cls, type)),
    ]
)


def _secret_parts(secret: object) -> set[str]:
    if not isinstance(secret, str):
        return set()
    parts: set[str] = set()
    for form in {secret, secret.strip(), unicodedata.normalize("NFKC", secret).strip()}:
        if len(form) < SHORTEST_SECRET_PART or form.isspace():
            continue
        if len(form) <= WINDOW:
            parts.add(form)
        else:
            parts.update(form[i : i + WINDOW] for i in range(len(form) - WINDOW + 1))
    return parts


def assert_tells_no_secret(text: str, secrets: Iterable[object]) -> None:
    for secret in secrets:
        leaked = sorted(part for part in _secret_parts(secret) if part in text and part not in PUBLIC_TEXT)
        assert not leaked, f"a secret input shows through: {leaked[:3]!r} in {text[:300]!r}"


def error_text(exc: ConnectError) -> str:
    """Everything an error would show: message, str, repr, args, listed problems."""
    pieces = [exc.message, str(exc), repr(exc), *map(str, exc.args), *getattr(exc, "problems", [])]
    return " | ".join(pieces)


def attempt(call: Callable[[], object], *, secrets: Iterable[object] = ()) -> ConnectError | None:
    """Run one entry point: ``None`` when it accepted the input, else its domain error.

    Anything other than a :class:`ConnectError` propagates and fails the test.
    """
    try:
        call()
    except ConnectError as exc:
        assert isinstance(exc.message, str) and exc.message.strip(), f"{type(exc).__name__} has no message"
        if isinstance(exc, errors.InvalidInput):
            assert isinstance(exc.field, str) and exc.field, "InvalidInput names no field"
        assert_tells_no_secret(error_text(exc), secrets)
        return exc
    return None


def row_counts(services: ConnectServices) -> dict[str, int]:
    with services.engine.connect() as connection:
        return {
            table.name: connection.execute(sa_select(func.count()).select_from(table)).scalar_one()
            for table in SQLModel.metadata.sorted_tables
        }


class Ledger:
    """Row counts and the last audit id before a call, to see what the call wrote."""

    def __init__(self, services: ConnectServices) -> None:
        self._services = services
        self.before = row_counts(services)
        with new_session(services.engine) as db:
            self._last_audit_id = db.exec(select(func.max(AuditEvent.id))).one() or 0

    def grown(self, *, ignore: tuple[str, ...] = ("audit_events",)) -> dict[str, int]:
        after = row_counts(self._services)
        return {
            name: after[name] - self.before[name]
            for name in after
            if after[name] != self.before[name] and name not in ignore
        }

    def new_audit_text(self) -> str:
        with new_session(self._services.engine) as db:
            rows = db.exec(select(AuditEvent).where(col(AuditEvent.id) > self._last_audit_id)).all()
        return "\n".join(f"{r.actor} {r.action} {r.outcome} {r.detail}" for r in rows)

    def assert_refusal_left_no_rows(
        self, error: ConnectError, *, secrets: Iterable[object] = (), audits_refusals: bool = False
    ) -> None:
        """A refusal adds audit rows at most, none carrying a secret.

        Unusable input (``InvalidInput``) leaves no trace at all, unless the entry point
        audits every refusal by design (``audits_refusals``: a signed-in admin's
        password change); a well-formed refusal (wrong password, wrong code, unknown
        address) may be audited.
        """
        unusable = isinstance(error, errors.InvalidInput) and not audits_refusals
        ignore = () if unusable else ("audit_events",)
        assert self.grown(ignore=ignore) == {}
        assert_tells_no_secret(self.new_audit_text(), secrets)


def password_hash(services: ConnectServices, email: str) -> str:
    return user_by_email(services, email).password_hash


def other_password(current: str) -> str:
    return next(p for p in GOOD_PASSWORDS if p != current)


def to_passcode_page(services: ConnectServices, account) -> LoginFlow:
    """A fresh first login up to the passcode page, a code just sent to the new phone."""
    flow = LoginFlow(services)
    reach_password(flow, account.admin_email)
    assert flow.submit_password(account.temporary_password) is LoginStep.ENROL_PHONE
    flow.enrol_phone(country="GB", number=GB_MOBILE)
    assert flow.step is LoginStep.PASSCODE
    return flow


# --- 1. email -----------------------------------------------------------------------


@given(value=browser_values("jane@acme.mimecast.connect"))
@with_browser_junk(
    "JANE@ACME.MIMECAST.CONNECT",
    "jane@acme.mimecast.connect.evil.example",
    "jane@@acme.mimecast.connect",
    "jane@acme..mimecast.connect",
    "jane@-acme.mimecast.connect",
    ".jane@acme.mimecast.connect",
    "jane@acme.mimecast.connect\n",
    "x" * 255 + "@acme.mimecast.connect",
)
def test_submit_email_refuses_junk_and_the_right_address_still_works(services, account, value):
    """A refused email keeps the flow where it was, at the first step and at the password step."""
    flow = LoginFlow(services)
    ledger = Ledger(services)
    error = attempt(lambda: flow.submit_email(value))
    if error is None:  # only a Connect address (say in full-width letters) gets through
        assert flow.step is LoginStep.METHOD
        assert flow.email == parse_connect_address(value, suffix=SUFFIX).email
    else:
        assert (flow.step, flow.email) == (LoginStep.EMAIL, None)
        ledger.assert_refusal_left_no_rows(error)
    flow.submit_email(account.admin_email)
    flow.choose_method("cloud")

    ledger = Ledger(services)
    error = attempt(lambda: flow.submit_email(value))
    if error is None:
        flow.submit_email(account.admin_email)
        flow.choose_method("cloud")
    else:
        assert (flow.step, flow.email) == (LoginStep.PASSWORD, account.admin_email)
        ledger.assert_refusal_left_no_rows(error)
    assert flow.submit_password(account.temporary_password) is LoginStep.ENROL_PHONE


# --- 2. method ----------------------------------------------------------------------


@given(value=browser_values("cloud", "domain"))
@with_browser_junk("CLOUD", " cloud ", "domain", "Domain", "cloud\x00", "c\u200bloud", "ｃｌｏｕｄ", 10**5000)
def test_choose_method_refuses_junk_and_cloud_still_works(services, account, value):
    """Anything but Cloud (Domain is not enabled yet) is refused and the method page stays."""
    flow = LoginFlow(services)
    flow.submit_email(account.admin_email)
    ledger = Ledger(services)
    error = attempt(lambda: flow.choose_method(value))
    if error is None:
        assert flow.step is LoginStep.PASSWORD and flow.method.value == "cloud"
        return
    assert flow.step is LoginStep.METHOD
    ledger.assert_refusal_left_no_rows(error)
    flow.choose_method("cloud")
    assert flow.step is LoginStep.PASSWORD


# --- 3. password --------------------------------------------------------------------


@given(value=browser_values("Abcd-EFGH-jkmn-2345"))
@with_browser_junk("\t", "a" * 129, "p\u0301assword-with-combining-mark")
def test_submit_password_refuses_junk_and_the_right_password_still_works(services, account, value):
    """A refused password stays on the password page, counts at most one failure, and
    the supplied password is accepted straight after (which clears the count)."""
    flow = LoginFlow(services)
    reach_password(flow, account.admin_email)
    secrets = (value, account.temporary_password)
    ledger = Ledger(services)
    error = attempt(lambda: flow.submit_password(value), secrets=secrets)
    assert error is not None, "a made-up password was accepted"
    assert flow.step is LoginStep.PASSWORD
    ledger.assert_refusal_left_no_rows(error, secrets=secrets)
    assert flow.submit_password(account.temporary_password) is LoginStep.ENROL_PHONE
    assert user_by_email(services, account.admin_email).failed_logins == 0


# --- 4. phone enrolment -------------------------------------------------------------

PHONE_EXAMPLES = (
    "07400123456",
    "+447400123456",
    "7400 123 456",
    "٧٤٠٠١٢٣٤٥٦",  # Arabic-Indic digits
    "７４００１２３４５６",  # full-width digits (NFKC makes them ASCII)
    "7" * 32,
    "7" * 33,
    "2071838750",  # a London landline, not a mobile
    "2025550123",  # a US number typed for GB
    "gb",
    "GBR",
    "XX",
    "001",
    "G\u200bB",
    "ＧＢ",
)


@pytest.mark.parametrize("field", ["country", "number"])
@settings(max_examples=25)
@given(value=browser_values("GB", GB_MOBILE))
@with_browser_junk(*PHONE_EXAMPLES)
def test_enrol_phone_refuses_junk_and_the_right_number_still_works(services, account, clock, field, value):
    """A refused country or number stays on the enrolment page, saves no phone, sends
    nothing, and the right number then gets its code."""
    clock.advance(minutes=4)  # each example sends a code: stay clear of the send limits
    flow = LoginFlow(services)
    reach_password(flow, account.admin_email)
    assert flow.submit_password(account.temporary_password) is LoginStep.ENROL_PHONE
    arguments = {"country": "GB", "number": GB_MOBILE, field: value}
    secrets = (value, GB_MOBILE, GB_MOBILE_E164) if field == "number" else (GB_MOBILE, GB_MOBILE_E164)
    ledger = Ledger(services)
    error = attempt(lambda: flow.enrol_phone(**arguments), secrets=secrets)
    if error is None:  # only a real mobile number (say "gb" for the country) gets through
        assert flow.step is LoginStep.PASSCODE
        assert last_sms(services).recipient == parse_mobile(**arguments)
        return
    assert flow.step is LoginStep.ENROL_PHONE and flow.code_sent is None
    ledger.assert_refusal_left_no_rows(error, secrets=secrets)
    sent = flow.enrol_phone(country="GB", number=GB_MOBILE)
    assert flow.step is LoginStep.PASSCODE and sent is not None and sent.delivered
    assert last_sms(services).recipient == GB_MOBILE_E164


# --- 5. passcode --------------------------------------------------------------------

PASSCODE_EXAMPLES = (
    " 123 456 ",
    "123-456",
    "１２３４５６",
    "12345",
    "1234567",
    "١٢٣٤٥٦",
    "123456\n",
    "-123456",
    "12345６",
    123456,
    "1" * 33,
)


@settings(max_examples=25)
@given(value=browser_values("123456"))
@with_browser_junk(*PASSCODE_EXAMPLES)
def test_verify_passcode_refuses_junk_and_the_right_code_still_works(services, account, clock, value):
    """A refused passcode stays on the passcode page and the code from the SMS still opens Log In."""
    clock.advance(minutes=4)
    flow = to_passcode_page(services, account)
    code = code_from_sms(services)
    secrets = (value, code)
    ledger = Ledger(services)
    error = attempt(lambda: flow.verify_passcode(value), secrets=secrets)
    if error is None:  # the one-in-a-million draw of the real code
        assert flow.step is LoginStep.LOG_IN
        return
    assert flow.step is LoginStep.PASSCODE
    ledger.assert_refusal_left_no_rows(error, secrets=secrets)
    flow.verify_passcode(code)
    assert flow.step is LoginStep.LOG_IN


# --- 7. change password -------------------------------------------------------------

PASSWORD_EXAMPLES = (
    "a" * 129,
    "correct horse battery staple " * 5,
    "Ǆǅǆ" * 5,
    "ﷺ" * 20,  # one character that NFKC expands to many
    "1234567890123",
    "jane-acme-password",
    "\u202eharbour kettle violin 42",
)


@pytest.mark.parametrize("field", ["current", "new", "confirm", "new_and_confirm"])
def test_change_password_refuses_junk_and_a_good_change_still_works(services, account, field):
    """A refused change leaves the stored hash, the session and the step alone; a good
    change works after any number of refusals."""
    flow = to_passcode_page(services, account)
    flow.verify_passcode(code_from_sms(services))
    assert flow.log_in() is LoginStep.CHANGE_PASSWORD
    state = {"current": account.temporary_password}

    @settings(max_examples=20)
    @given(value=browser_values(NEW_PASSWORD))
    @with_browser_junk(*PASSWORD_EXAMPLES)
    def refuse(value: object) -> None:
        current, good = state["current"], other_password(state["current"])
        arguments = {"current": current, "new": good, "confirm": good}
        if field == "new_and_confirm":
            arguments.update(new=value, confirm=value)
        else:
            arguments[field] = value
        step, stored = flow.step, password_hash(services, account.admin_email)
        secrets = (value, current, good, account.temporary_password)
        if field == "current":  # wrong current passwords count towards the lock (tests/core/test_login.py)
            with services.transaction() as db:
                db.exec(update(AdminUser).values(failed_logins=0))  # type: ignore[call-overload]
        ledger = Ledger(services)
        error = attempt(lambda: flow.change_password(**arguments), secrets=secrets)
        if error is None:
            assert flow.step is LoginStep.SIGNED_IN
            state["current"] = unicodedata.normalize("NFKC", arguments["new"])  # type: ignore[arg-type]
            return
        assert flow.step is step and flow.signed_in
        assert password_hash(services, account.admin_email) == stored
        ledger.assert_refusal_left_no_rows(error, secrets=secrets, audits_refusals=True)

    refuse()
    good = other_password(state["current"])
    flow.change_password(current=state["current"], new=good, confirm=good)
    assert flow.step is LoginStep.SIGNED_IN
    assert services.hasher.verify(password_hash(services, account.admin_email), good)


# --- forgot password ----------------------------------------------------------------


@given(value=browser_values("jane@acme.mimecast.connect"))
@with_browser_junk("nobody@acme.mimecast.connect")
def test_reset_request_refuses_junk_and_the_right_address_still_works(services, account, value):
    """A refused reset request writes nothing and stays on the request step."""
    reset = PasswordReset(services)
    ledger = Ledger(services)
    error = attempt(lambda: reset.request(value))
    if error is None:
        assert reset.step is ResetStep.CODE
        assert reset.email == parse_connect_address(value, suffix=SUFFIX).email
        return
    assert (reset.step, reset.email) == (ResetStep.REQUEST, None)
    ledger.assert_refusal_left_no_rows(error)
    notice = reset.request(account.admin_email)
    assert reset.step is ResetStep.CODE and "reset code is on its way" in notice


@pytest.mark.parametrize("who", ["known", "unknown"])
@settings(max_examples=25)
@given(value=browser_values("123456"))
@with_browser_junk(*PASSCODE_EXAMPLES)
def test_reset_code_refuses_junk_and_the_right_code_still_works(services, enrolled, clock, who, value):
    """A refused reset code stays on the code step; the real code then opens the new-password
    step (an unknown address keeps answering like a known one)."""
    clock.advance(minutes=21)  # at most 3 reset codes an hour go to one admin
    reset = PasswordReset(services)
    reset.request(enrolled.admin_email if who == "known" else "nobody@acme.mimecast.connect")
    code = code_from_sms(services) if who == "known" else "314159"  # no SMS for an unknown address
    secrets = (value, code)
    ledger = Ledger(services)
    error = attempt(lambda: reset.verify_code(value), secrets=secrets)
    if error is None:
        assert who == "known" and reset.step is ResetStep.NEW_PASSWORD
        return
    assert reset.step is ResetStep.CODE
    ledger.assert_refusal_left_no_rows(error, secrets=secrets)
    if who == "known":
        reset.verify_code(code)
        assert reset.step is ResetStep.NEW_PASSWORD
    else:
        again = attempt(lambda: reset.verify_code(code), secrets=secrets)
        assert isinstance(again, errors.PasscodeError)


@pytest.mark.parametrize("field", ["new", "confirm", "new_and_confirm"])
def test_reset_set_password_refuses_junk_and_a_good_password_still_works(services, enrolled, clock, field):
    """A refused new password keeps the stored hash and the step; a good one then works,
    and the admin can log in with it."""
    state: dict[str, object] = {"current": NEW_PASSWORD}

    def arm() -> PasswordReset:
        clock.advance(minutes=21)  # at most 3 reset codes an hour go to one admin
        reset = PasswordReset(services)
        reset.request(enrolled.admin_email)
        reset.verify_code(code_from_sms(services))
        assert reset.step is ResetStep.NEW_PASSWORD
        return reset

    state["reset"] = arm()

    @settings(max_examples=20)
    @given(value=browser_values(NEW_PASSWORD))
    @with_browser_junk(*PASSWORD_EXAMPLES)
    def refuse(value: object) -> None:
        reset: PasswordReset = state["reset"]  # type: ignore[assignment]
        good = other_password(state["current"])  # type: ignore[arg-type]
        arguments: dict[str, object] = {"new": good, "confirm": good}
        if field == "new_and_confirm":
            arguments.update(new=value, confirm=value)
        else:
            arguments[field] = value
        stored = password_hash(services, enrolled.admin_email)
        secrets = (value, good, state["current"])
        ledger = Ledger(services)
        error = attempt(lambda: reset.set_password(**arguments), secrets=secrets)  # type: ignore[arg-type]
        if error is None:
            assert reset.step is ResetStep.DONE
            state["current"] = unicodedata.normalize("NFKC", arguments["new"])  # type: ignore[arg-type]
            state["reset"] = arm()
            return
        assert reset.step is ResetStep.NEW_PASSWORD
        assert password_hash(services, enrolled.admin_email) == stored
        ledger.assert_refusal_left_no_rows(error, secrets=secrets)

    refuse()
    reset: PasswordReset = state["reset"]  # type: ignore[assignment]
    good = other_password(state["current"])  # type: ignore[arg-type]
    reset.set_password(new=good, confirm=good)
    assert reset.step is ResetStep.DONE
    clock.advance(minutes=1)
    flow = LoginFlow(services)
    reach_password(flow, enrolled.admin_email)
    assert flow.submit_password(good) is LoginStep.PASSCODE


# --- accounts and support -----------------------------------------------------------

VALID_ACCOUNT = {
    "company": "Fuzz Ltd",
    "primary_domain": "fuzz.example",
    "admin_name": "sam",
    "contact_email": "it@fuzz.example",
    "platform": "microsoft_365",
    "region": "uk",
}
ACCOUNT_EXAMPLES = (
    "ACME",  # taken by the account fixture
    "AC ME",
    "-ACME",
    "A" * 33,
    "xn--",
    "a..b",
    "-acme.example",
    "acme.example.",
    "ａｃｍｅ.example",
    "bücher.example",
    "a" * 64 + ".example",
    "localhost",
    "acme.123",
    "it@acme",
    "it@@acme.example",
    "Microsoft 365",
    "microsoft-365",
    "EU",
)
_codes = itertools.count(1)


@pytest.mark.parametrize(
    "field", ["code", "company", "primary_domain", "admin_name", "contact_email", "platform", "region"]
)
def test_create_account_refuses_junk_without_leaving_a_half_made_account(services, account, field):
    """A refused field creates no account, admin, email or audit row, and the same code
    can be used straight after; the fixture's admin survives every value."""

    @settings(max_examples=25)
    @given(value=browser_values("FUZZ1", "fuzz.example", "sam", "it@fuzz.example"))
    @with_browser_junk(*ACCOUNT_EXAMPLES)
    def refuse(value: object) -> None:
        code = f"FZ{next(_codes)}"
        arguments = {"code": code, **VALID_ACCOUNT, field: value}
        ledger = Ledger(services)
        error = attempt(lambda: create_account(services, **arguments))
        if error is None:
            assert ledger.grown(ignore=()) == {
                "accounts": 1,
                "admin_users": 1,
                "messages": 1,
                "audit_events": 1,
            }
        else:
            ledger.assert_refusal_left_no_rows(error)
            if field != "code":
                with new_session(services.engine) as db:
                    assert db.exec(select(Account).where(Account.code == code)).first() is None
        assert user_by_email(services, account.admin_email).email == account.admin_email

    refuse()
    made = create_account(services, code="FZDONE", **VALID_ACCOUNT)
    assert made.admin_email == "sam@fzdone.mimecast.connect"


@pytest.mark.parametrize("action", [unlock_user, reset_phone], ids=["unlock_user", "reset_phone"])
@given(value=browser_values("jane@acme.mimecast.connect"))
@with_browser_junk("nobody@acme.mimecast.connect", " JANE@acme.mimecast.connect ")
def test_support_tools_refuse_junk_and_the_right_address_still_works(services, account, action, value):
    """Unlock and phone reset refuse junk with a domain error, write nothing, and then work."""
    ledger = Ledger(services)
    error = attempt(lambda: action(services, email=value))
    if error is not None:
        assert isinstance(error, (errors.InvalidInput, errors.UserNotFound))
        ledger.assert_refusal_left_no_rows(error)
    assert action(services, email=account.admin_email) == account.admin_email


# --- the parsers on their own -------------------------------------------------------


@given(value=browser_values("jane@acme.mimecast.connect", "first.last+tag@acme-eu.mimecast.connect"))
@with_browser_junk("JANE@ACME.MIMECAST.CONNECT", "j@a.mimecast.connect", "jane@acme.mimecast.connect.")
def test_parse_connect_address_answers_junk_with_invalid_input(value):
    """Anything but a Connect address is InvalidInput; an accepted one is plain lower-case ASCII."""
    try:
        address = parse_connect_address(value, suffix=SUFFIX)
    except errors.InvalidInput as exc:
        assert exc.message.strip() and exc.field == "email"
        return
    assert address.email.isascii() and address.email == address.email.lower()
    assert address.email.endswith("." + SUFFIX)
    assert parse_connect_address(address.email, suffix=SUFFIX) == address


@pytest.mark.parametrize("field", ["country", "number"])
@given(value=browser_values("GB", GB_MOBILE))
@with_browser_junk(*PHONE_EXAMPLES)
def test_parse_mobile_answers_junk_with_invalid_input(field, value):
    """Anything but a mobile number for a listed country is InvalidInput; accepted is E.164."""
    arguments = {"country": "GB", "number": GB_MOBILE, field: value}
    try:
        e164 = parse_mobile(**arguments)
    except errors.InvalidInput as exc:
        assert exc.message.strip() and exc.field in ("country", "number")
        assert_tells_no_secret(error_text(exc), (value, GB_MOBILE))
        return
    assert re.fullmatch(r"\+[1-9][0-9]{6,14}", e164)


@given(value=browser_values("8.8.4.0/24", "8.8.8.8\n2001:4860::/32"))
@with_browser_junk("8.8.4.0/24\x00", "8.8.4.0/24 " * 60, "::/0", "0.0.0.0/0", "8.8.4.0/33")
def test_parse_ip_ranges_answers_junk_with_invalid_input(value):
    """Anything but public CIDR ranges is InvalidInput; accepted ranges are canonical and global."""
    import ipaddress

    from connect_widgets.core.tasks.outbound_email import parse_ip_ranges

    try:
        ranges = parse_ip_ranges(value)
    except errors.InvalidInput as exc:
        assert exc.message.strip() and exc.field == "ip_ranges" and len(exc.message) < 1600  # up to 10 entries named
        return
    assert ranges and len(ranges) == len(set(ranges))
    for entry in ranges:
        network = ipaddress.ip_network(entry)
        assert str(network) == entry and network.is_global
