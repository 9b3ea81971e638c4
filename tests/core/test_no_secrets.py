"""No secret leaves the places made for it, over a whole day of logins.

One scenario runs a first login, a lock-out and a support unlock, a second login with
a resend, a forgotten-password reset (and one for an unknown address) and a third
login with the new password, with wrong passwords and wrong passcodes along the way
and every log record captured at DEBUG. Then each test looks in one place: audit
rows, log records, reprs, the errors raised, and the database (its rows and the raw
bytes of its files). Secrets are the passwords (supplied, typed wrong, new, reset),
every passcode sent, the phone's OTP secret, the full mobile number (its last two
digits may show) and the session ids.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import MetaData
from sqlmodel import SQLModel, col, select

from connect_widgets.core import errors
from connect_widgets.core.auth.flow import LoginFlow
from connect_widgets.core.auth.passcodes import otp_secret, secret_box
from connect_widgets.core.auth.reset import PasswordReset, ResetStep
from connect_widgets.core.auth.steps import LoginStep
from connect_widgets.core.errors import ConnectError
from connect_widgets.core.staff.support import unlock_user
from connect_widgets.store.engine import new_session
from connect_widgets.store.models import AdminUser, AuditEvent, Message, Phone
from tests.conftest import (
    GB_MOBILE,
    GB_MOBILE_E164,
    NEW_PASSWORD,
    code_from_sms,
    last_sms,
    reach_password,
    wrong_code,
)

RESET_PASSWORD = "lantern orchard pebble 77"
WRONG_PASSWORDS = (
    "Summer-Holiday-2026!",
    "not the supplied one",
    "hunter2-but-longer-x",
    "Correct-Horse-Zebra-7",
    "tangerine-oboe-quartz",
    "wobbly-granite-ferns-3",
    "harbour kettle violin 24",
)
MISMATCHED_CONFIRMATION = NEW_PASSWORD + "!"
REJECTED_NEW_PASSWORD = "jane-acme-secret-words"  # contains the admin's name
# The full number in every form an error or a log might spell it; "…56" may show.
PHONE_FORMS = (GB_MOBILE_E164, GB_MOBILE, "7400 123456", "+44 7400 123456")
_SMS_CODE = re.compile(r"\b(\d{6})\b")
_ARGON2ID = re.compile(r"^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$")


@dataclass
class Evidence:
    """What the scenario left behind, and the secrets to look for in it."""

    passwords: list[str]
    codes: list[str] = field(default_factory=list)  # every code sent by SMS
    typed_codes: list[str] = field(default_factory=list)  # wrong or stale codes typed
    tokens: list[str] = field(default_factory=list)  # raw session ids
    otp_secret: str = ""
    errors: list[ConnectError] = field(default_factory=list)
    reprs: list[str] = field(default_factory=list)
    log_messages: list[str] = field(default_factory=list)
    log_text: str = ""

    def secrets(self) -> dict[str, str]:
        """Every secret with a label that says what it is (the label is safe to print)."""
        named = {f"password #{i}": p for i, p in enumerate(self.passwords)}
        named |= {f"passcode #{i}": c for i, c in enumerate(self.codes)}
        named |= {f"typed passcode #{i}": c for i, c in enumerate(self.typed_codes)}
        named |= {f"session id #{i}": t for i, t in enumerate(self.tokens)}
        named |= {f"phone as {form!r}": form for form in PHONE_FORMS}
        named["OTP secret"] = self.otp_secret
        return named


def leaks(text: str, evidence: Evidence) -> list[str]:
    """The labels of the secrets that appear in ``text``."""
    return [label for label, secret in evidence.secrets().items() if secret and secret in text]


def sms_bodies(services) -> list[str]:
    with new_session(services.engine) as db:
        return [m.body for m in db.exec(select(Message).where(Message.channel == "sms"))]


@pytest.fixture
def evidence(services, account, clock, caplog) -> Evidence:
    """Run the whole scenario with every log record captured; return what it left."""
    caplog.set_level(logging.DEBUG)
    email = account.admin_email
    found = Evidence(
        passwords=[
            account.temporary_password,
            NEW_PASSWORD,
            RESET_PASSWORD,
            MISMATCHED_CONFIRMATION,
            REJECTED_NEW_PASSWORD,
            *WRONG_PASSWORDS,
        ]
    )

    def refused(error_type: type[ConnectError], call) -> None:
        with pytest.raises(error_type) as caught:
            call()
        found.errors.append(caught.value)

    def typed_wrong(check, code: str) -> None:
        found.typed_codes.append(code)
        refused(errors.PasscodeWrong, lambda: check(code))

    seen_sms: set[int] = set()

    def sms_code() -> str:
        """The code on the phone now, noted once per SMS (its stored text is blanked when it dies)."""
        message = last_sms(services)
        if message.id not in seen_sms:
            seen_sms.add(message.id)  # type: ignore[arg-type]
            found.codes.append(code_from_sms(services))
        return code_from_sms(services)

    # First login: a wrong password, a wrong code, three refused new passwords.
    first = LoginFlow(services)
    reach_password(first, email)
    refused(errors.InvalidCredentials, lambda: first.submit_password(WRONG_PASSWORDS[0]))
    assert first.submit_password(account.temporary_password) is LoginStep.ENROL_PHONE
    refused(errors.InvalidInput, lambda: first.enrol_phone(country="GB", number="0" + GB_MOBILE))
    first.enrol_phone(country="GB", number=GB_MOBILE)
    found.reprs += [repr(first), repr(first.code_sent)]
    typed_wrong(first.verify_passcode, wrong_code(sms_code()))
    first.verify_passcode(sms_code())
    assert first.log_in() is LoginStep.CHANGE_PASSWORD
    found.tokens.append(first._token)  # type: ignore[arg-type]
    refused(
        errors.CurrentPasswordWrong,
        lambda: first.change_password(current=WRONG_PASSWORDS[1], new=NEW_PASSWORD, confirm=NEW_PASSWORD),
    )
    refused(
        errors.PasswordsDoNotMatch,
        lambda: first.change_password(
            current=account.temporary_password, new=NEW_PASSWORD, confirm=MISMATCHED_CONFIRMATION
        ),
    )
    refused(
        errors.PasswordRejected,
        lambda: first.change_password(
            current=account.temporary_password, new=REJECTED_NEW_PASSWORD, confirm=REJECTED_NEW_PASSWORD
        ),
    )
    refused(
        errors.PasswordRejected,
        lambda: first.change_password(
            current=account.temporary_password, new=account.temporary_password, confirm=account.temporary_password
        ),
    )
    first.change_password(current=account.temporary_password, new=NEW_PASSWORD, confirm=NEW_PASSWORD)
    found.reprs.append(repr(first))
    first.landing()
    first.log_out()

    # Five wrong passwords lock the admin out; support unlocks.
    clock.advance(minutes=2)
    locked = LoginFlow(services)
    reach_password(locked, email)
    for wrong in WRONG_PASSWORDS[2:7]:
        refused(errors.InvalidCredentials, lambda wrong=wrong: locked.submit_password(wrong))
    refused(errors.InvalidCredentials, lambda: locked.submit_password(NEW_PASSWORD))
    found.reprs.append(repr(locked))
    unlock_user(services, email=email)

    # Second login: a wrong code, a resend, the dead first code, then the new one.
    clock.advance(minutes=2)
    second = LoginFlow(services)
    reach_password(second, email)
    assert second.submit_password(NEW_PASSWORD) is LoginStep.PASSCODE
    stale = sms_code()
    typed_wrong(second.verify_passcode, wrong_code(stale))
    clock.advance(seconds=31)
    second.resend_passcode()
    typed_wrong(second.verify_passcode, stale)
    second.verify_passcode(sms_code())
    assert second.log_in() is LoginStep.SIGNED_IN
    found.tokens.append(second._token)  # type: ignore[arg-type]
    found.reprs += [repr(second), repr(second.code_sent), repr(second.landing())]
    second.log_out()

    # Forgot password: a wrong code, a mismatch, the current password again, then a new one.
    clock.advance(minutes=2)
    reset = PasswordReset(services)
    reset.request(email)
    typed_wrong(reset.verify_code, wrong_code(sms_code()))
    reset.verify_code(sms_code())
    refused(errors.PasswordsDoNotMatch, lambda: reset.set_password(new=RESET_PASSWORD, confirm=MISMATCHED_CONFIRMATION))
    refused(errors.PasswordRejected, lambda: reset.set_password(new=NEW_PASSWORD, confirm=NEW_PASSWORD))
    reset.set_password(new=RESET_PASSWORD, confirm=RESET_PASSWORD)
    assert reset.step is ResetStep.DONE
    found.reprs.append(repr(reset))
    nobody = PasswordReset(services)
    nobody.request("nobody@acme.mimecast.connect")
    typed_wrong(nobody.verify_code, found.codes[-1])  # a real code, typed for the wrong address
    found.reprs.append(repr(nobody))

    # Third login with the reset password; this session stays open.
    clock.advance(minutes=10)
    third = LoginFlow(services)
    reach_password(third, email)
    refused(errors.InvalidCredentials, lambda: third.submit_password(NEW_PASSWORD))
    assert third.submit_password(RESET_PASSWORD) is LoginStep.PASSCODE
    third.verify_passcode(sms_code())
    assert third.log_in() is LoginStep.SIGNED_IN
    found.tokens.append(third._token)  # type: ignore[arg-type]
    found.reprs += [repr(third), repr(account), repr(services), repr(services.hasher)]

    assert len(found.codes) == 5  # first, second, resend, reset, third
    assert all(not _SMS_CODE.search(body) for body in sms_bodies(services))  # every code is dead by now
    with new_session(services.engine) as db:
        phone = db.exec(select(Phone)).one()
        found.otp_secret = otp_secret(phone, secret_box(services))
    found.log_messages = [record.getMessage() for record in caplog.records]
    found.log_text = caplog.text
    return found


def database_values(services) -> list[tuple[str, str, str]]:
    """(table, column, value as text) for every non-null value of every table."""
    reflected = MetaData()
    reflected.reflect(bind=services.engine)
    assert {t.name for t in SQLModel.metadata.sorted_tables} <= set(reflected.tables)
    values = []
    with services.engine.connect() as connection:
        for table in reflected.sorted_tables:
            for row in connection.execute(table.select()).mappings():
                for column, value in row.items():
                    if value is None:
                        continue
                    if isinstance(value, bytes):
                        value = value.decode("utf-8", "replace")
                    values.append((table.name, column, str(value)))
    return values


def database_file_bytes(services) -> bytes:
    folder: Path = services.settings.data_dir
    files = [folder / "connect.db", folder / "connect.db-wal"]
    assert files[0].exists()
    return b"".join(path.read_bytes() for path in files if path.exists())


# --- where secrets must never show --------------------------------------------------


def test_scenario_produced_the_evidence_it_claims(evidence):
    """The checks below look at a real day: failures refused, codes sent, sessions opened."""
    assert len(evidence.errors) >= 20 and len(evidence.tokens) == 3
    assert len(set(evidence.codes)) == len(evidence.codes) == 5
    assert evidence.otp_secret and evidence.log_messages
    assert any("audit" in message for message in evidence.log_messages)


def test_audit_rows_hold_no_secret(services, evidence):
    """No audit row's actor, action, outcome or detail carries a password, code, secret or number."""
    with new_session(services.engine) as db:
        events = db.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all()
    assert len(events) > 30
    found = {
        (event.action, label)
        for event in events
        for label in leaks(" ".join([event.actor, event.action, event.outcome, event.detail]), evidence)
    }
    assert found == set()
    assert any("ending 56" in event.detail for event in events)  # the last two digits may show


def test_log_records_hold_no_secret(evidence):
    """No log record, formatted or as caplog's text, carries a secret (DEBUG captured)."""
    found = {label for message in evidence.log_messages for label in leaks(message, evidence)}
    assert found == set()
    assert leaks(evidence.log_text, evidence) == []


def test_reprs_of_flows_resets_accounts_and_services_hold_no_secret(evidence):
    """repr() of every LoginFlow, PasswordReset, NewAccount, CodeSent and the services is clean."""
    found = {(text[:40], label) for text in evidence.reprs for label in leaks(text, evidence)}
    assert found == set()


def test_reprs_of_database_rows_hold_no_secret(services, evidence):
    """repr() of every ORM row of every table (what a traceback or a log line would print) is clean."""
    models = [m for m in SQLModel.__subclasses__() if getattr(m, "__table__", None) is not None]
    assert {m.__table__.name for m in models} == {t.name for t in SQLModel.metadata.sorted_tables}
    found = set()
    with new_session(services.engine) as db:
        for model in models:
            for row in db.exec(select(model)).all():
                found |= {(model.__name__, label) for label in leaks(repr(row), evidence)}
    assert found == set()


def test_errors_raised_along_the_way_hold_no_secret(evidence):
    """No refusal's message, str, repr, args or listed problems carries a secret."""
    found = set()
    for error in evidence.errors:
        text = " | ".join(
            [error.message, str(error), repr(error), *map(str, error.args), *getattr(error, "problems", [])]
        )
        found |= {(type(error).__name__, label) for label in leaks(text, evidence)}
    assert found == set()


# --- the database -------------------------------------------------------------------


def test_no_password_is_stored_in_plain_text(services, evidence):
    """No password, right or wrong, is in any column of any table, nor in the SQLite files' bytes."""
    values = database_values(services)
    in_rows = {(table, column) for table, column, value in values for p in evidence.passwords if p in value}
    assert in_rows == set()
    raw = database_file_bytes(services)
    in_files = [i for i, p in enumerate(evidence.passwords) if p.encode("utf-8") in raw]
    assert in_files == []


def test_password_hashes_are_argon2id_at_least_at_the_owasp_floor(services, evidence):
    """Every admin's password_hash is argon2id with m >= 19456 KiB and t >= 2."""
    with new_session(services.engine) as db:
        hashes = [user.password_hash for user in db.exec(select(AdminUser))]
    assert hashes
    for password_hash in hashes:
        match = _ARGON2ID.match(password_hash)
        assert match, "a password hash that is not argon2id"
        memory, time_cost = int(match.group(1)), int(match.group(2))
        assert memory >= 19456 and time_cost >= 2
    assert services.hasher.verify(hashes[0], RESET_PASSWORD)


def test_a_dead_passcode_is_stored_nowhere(services, evidence):
    """Once used or replaced, a code is in no row: its SMS keeps the wording with the digits blanked."""
    values = database_values(services)
    for i, code in enumerate(evidence.codes):
        assert sum(value.count(code) for _, _, value in values) == 0, f"passcode #{i} is still stored"
    with new_session(services.engine) as db:
        bodies = [m.body for m in db.exec(select(Message).where(Message.channel == "sms"))]
    assert len(bodies) == 5 and all("●●●●●●" in body for body in bodies)


def test_passcodes_in_the_sqlite_files_sit_only_inside_sms_wording(services, evidence):
    """In the raw bytes of connect.db and its WAL, any copy of a code left over follows the SMS text.

    (A blanked row's earlier version may linger in the WAL or a free page until SQLite
    reuses it; the files are owner-only.)
    """
    raw = database_file_bytes(services)
    for i, code in enumerate(evidence.codes):
        positions = [m.start() for m in re.finditer(re.escape(code.encode()), raw)]
        outside = [p for p in positions if not raw[:p].endswith((b"passcode is ", b"reset code is "))]
        assert outside == [], f"passcode #{i} is in the database files outside an SMS body"


def test_otp_secret_and_full_number_stay_in_their_columns(services, evidence):
    """The OTP secret is in no column (phones.otp_secret_encrypted holds it sealed); the full number
    only in phones.e164 and the recipient of the SMS sent to it."""
    values = database_values(services)
    secret_at = {(t, c) for t, c, v in values if evidence.otp_secret in v}
    assert secret_at == set()
    assert ("phones", "otp_secret_encrypted") in {(t, c) for t, c, _ in values}
    number_at = {(t, c) for t, c, v in values for form in PHONE_FORMS if form in v}
    assert number_at == {("phones", "e164"), ("messages", "recipient")}


def test_session_ids_are_stored_only_as_sha256(services, evidence):
    """A flow's raw session id is nowhere in the database; its SHA-256 is in login_sessions."""
    values = database_values(services)
    raw = database_file_bytes(services)
    stored_hashes = {v for t, c, v in values if (t, c) == ("login_sessions", "token_hash")}
    for i, token in enumerate(evidence.tokens):
        assert not any(token in value for _, _, value in values), f"session id #{i} is stored raw"
        assert token.encode() not in raw
        assert hashlib.sha256(token.encode()).hexdigest() in stored_hashes
