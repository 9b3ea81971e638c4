"""Passcode secrets at rest (issue 11, finding 8): sealed OTP secrets, SMS codes blanked once dead,
an owner-only data folder and database files.

Everything is read the way someone holding a copy of the data folder would: plain SQL
on the real SQLite file, and ``stat`` on the files.
"""

from __future__ import annotations

import os
import re
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest
from alembic import command
from sqlalchemy import text

from connect_widgets.core import errors
from connect_widgets.core.adapters.secretbox import KEY_FILE, SecretBox
from connect_widgets.core.auth.flow import LoginFlow
from connect_widgets.core.auth.passcodes import LIFETIME, MAX_TRIES, RESEND_AFTER, Purpose, otp_secret, secret_box
from connect_widgets.core.auth.steps import LoginStep
from connect_widgets.settings import load_settings
from connect_widgets.store.engine import make_engine, new_session
from connect_widgets.store.models import Phone
from connect_widgets.store.schema import alembic_config, upgrade_schema
from tests.conftest import FAST_ARGON2, NEW_PASSWORD, code_from_sms, last_sms, reach_password, wrong_code

_BASE32 = re.compile(r"^[A-Z2-7]{32}$")
_CODE = re.compile(r"\b\d{6}\b")


def raw(settings, sql: str, *args: object) -> list[tuple]:
    """Plain SQL on the database file, as a copy of the data folder would be read."""
    connection = sqlite3.connect(settings.data_dir / "connect.db")
    try:
        return connection.execute(sql, args).fetchall()
    finally:
        connection.close()


def sms_rows(settings) -> list[tuple[int, str]]:
    return raw(settings, "SELECT id, body FROM messages WHERE channel = 'sms' ORDER BY id")


def at_passcode(services, email: str) -> LoginFlow:
    page = LoginFlow(services)
    reach_password(page, email)
    assert page.submit_password(NEW_PASSWORD) is LoginStep.PASSCODE
    return page


# --- (a) the OTP secret is sealed -------------------------------------------------------


def test_the_phones_otp_secret_is_stored_sealed(settings, services, enrolled):
    """The phones table has no plain secret column; the stored value is a Fernet token, not the base32 secret."""
    columns = [row[1] for row in raw(settings, "PRAGMA table_info(phones)")]
    assert "otp_secret" not in columns and "otp_secret_encrypted" in columns
    [(stored,)] = raw(settings, "SELECT otp_secret_encrypted FROM phones")
    with new_session(services.engine) as db:
        phone = db.get(Phone, 1)
        secret = otp_secret(phone, secret_box(services))
    assert _BASE32.match(secret)  # a real pyotp.random_base32() secret...
    assert secret not in stored and not _BASE32.match(stored)  # ...which the column does not hold
    assert secret not in repr(phone) and stored not in repr(phone)
    files = b"".join(p.read_bytes() for p in settings.data_dir.glob("connect.db*"))
    assert secret.encode() not in files


def test_the_sealed_secret_still_makes_the_codes_the_phone_receives(services, enrolled, clock):
    """The code in the SMS is HOTP(unsealed secret) at the passcode's counter: the login still works."""
    page = at_passcode(services, enrolled.admin_email)
    [(counter,)] = raw(services.settings, "SELECT counter FROM passcodes ORDER BY id DESC LIMIT 1")
    with new_session(services.engine) as db:
        secret = otp_secret(db.get(Phone, 1), secret_box(services))
    assert code_from_sms(services) == pyotp.HOTP(secret).at(counter)
    page.verify_passcode(code_from_sms(services))
    assert page.step is LoginStep.LOG_IN


def test_a_different_key_cannot_make_the_codes(services, enrolled):
    """Without the kit's key the stored value is useless: opening it with another key is refused."""
    [(stored,)] = raw(services.settings, "SELECT otp_secret_encrypted FROM phones")
    from cryptography.fernet import Fernet

    other = SecretBox(Fernet.generate_key())
    with pytest.raises(errors.ConnectError):
        other.open(stored)


def test_migration_0008_seals_existing_secrets_and_blanks_old_sms_codes(tmp_path):
    """A 0007 database with a plain secret, a live passcode and its SMS comes out sealed, linked and blanked."""
    settings = load_settings(data_dir=tmp_path, **FAST_ARGON2)
    engine = make_engine(settings)
    try:
        command.upgrade(alembic_config(engine), "0007")
        secret = pyotp.random_base32()
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO accounts (code, company, primary_domain, platform, region, auth_mode, created_at, "
                    "is_demo) VALUES ('ACME', 'Acme', 'acme.example', 'microsoft365', 'uk', 'cloud', "
                    "'2026-03-02 09:00:00.000000', 0)"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO admin_users (account_id, email, password_hash, must_change_password, password_set_at, "
                    "failed_logins, lock_count, created_at) VALUES (1, 'jane@acme.mimecast.connect', 'x', 0, "
                    "'2026-03-02 09:00:00.000000', 0, 0, '2026-03-02 09:00:00.000000')"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO phones (user_id, e164, otp_secret, counter, verified_at, created_at) VALUES "
                    "(1, '+447400123456', :secret, 1, '2026-03-02 09:00:00.000000', '2026-03-02 09:00:00.000000')"
                ),
                {"secret": secret},
            )
            connection.execute(
                text(
                    "INSERT INTO passcodes (user_id, phone_id, purpose, counter, sent_at, expires_at, tries) VALUES "
                    "(1, 1, 'login', 0, '2026-03-02 09:00:00.000000', '2026-03-02 09:05:00.000000', 0)"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO messages (user_id, channel, recipient, body, transport, status, created_at) VALUES "
                    "(1, 'sms', '+447400123456', 'Your Connect passcode is 314159. It expires in 5 minutes.', "
                    "'outbox', 'sent', '2026-03-02 09:00:00.000000')"
                )
            )

        before, after = upgrade_schema(engine)
    finally:
        engine.dispose()

    assert before == "0007" and after >= "0008"
    [(sealed,)] = raw(settings, "SELECT otp_secret_encrypted FROM phones")
    assert secret not in sealed
    assert SecretBox.from_settings(settings).open(sealed) == secret  # the key the kit itself uses
    assert (tmp_path / KEY_FILE).exists()
    assert raw(settings, "SELECT phone_id FROM passcodes") == [(1,)]  # the table copy kept the link
    assert raw(settings, "SELECT body FROM messages") == [
        ("Your Connect passcode is ●●●●●●. It expires in 5 minutes.",)
    ]


# --- (b) the SMS keeps the code only while it is live ----------------------------------


def test_the_sms_shows_the_code_while_live_and_blanks_it_once_used(settings, services, enrolled):
    """The demo phone reads a live code; once verified, the stored text has ●●●●●● instead."""
    page = at_passcode(services, enrolled.admin_email)
    message_id, body = sms_rows(settings)[-1]
    code = _CODE.search(body).group()  # type: ignore[union-attr]
    page.verify_passcode(code)
    assert raw(settings, "SELECT body FROM messages WHERE id = ?", message_id) == [
        ("Your Connect passcode is ●●●●●●. It expires in 5 minutes. Never share it.",)
    ]
    assert not any(code in body for _, body in sms_rows(settings))


def test_a_replaced_code_is_blanked_and_the_new_one_stays_readable(settings, services, enrolled, clock):
    """Resend kills the old code: its SMS is blanked at once, the new SMS shows the new code."""
    page = at_passcode(services, enrolled.admin_email)
    old_id, old_body = sms_rows(settings)[-1]
    clock.advance(RESEND_AFTER)
    page.resend_passcode()
    assert not _CODE.search(dict(sms_rows(settings))[old_id])
    assert _CODE.search(last_sms(services).body)
    assert _CODE.search(old_body)  # it did show the code while live


def test_a_locked_code_is_blanked(settings, services, enrolled):
    """The 5th wrong try kills the code, and its digits leave the stored SMS."""
    page = at_passcode(services, enrolled.admin_email)
    code = code_from_sms(services)
    for _ in range(MAX_TRIES - 1):
        with pytest.raises(errors.PasscodeWrong):
            page.verify_passcode(wrong_code(code))
    assert code in last_sms(services).body
    with pytest.raises(errors.PasscodeLocked):
        page.verify_passcode(wrong_code(code))
    assert code not in last_sms(services).body and "●●●●●●" in last_sms(services).body


def test_an_expired_code_is_blanked_on_the_next_verify(settings, services, enrolled, clock):
    """Nothing happens at the moment a code expires; the user's next verify sweeps it out of the SMS."""
    page = at_passcode(services, enrolled.admin_email)
    code = code_from_sms(services)
    clock.advance(LIFETIME[Purpose.LOGIN])
    assert code in last_sms(services).body  # nobody acted yet
    with pytest.raises(errors.PasscodeExpired):
        page.verify_passcode(code)
    assert code not in last_sms(services).body


def test_an_expired_code_is_blanked_on_the_next_send(settings, services, enrolled, clock):
    """A new code for the user also sweeps the expired one (and only the new one stays readable)."""
    page = at_passcode(services, enrolled.admin_email)
    old_id, _ = sms_rows(settings)[-1]
    clock.advance(LIFETIME[Purpose.LOGIN])
    page.resend_passcode()
    bodies = dict(sms_rows(settings))
    assert not _CODE.search(bodies[old_id])
    assert sum(bool(_CODE.search(body)) for body in bodies.values()) == 1


def test_number_change_blanks_the_pending_code(settings, services, account):
    """Going back to type another number revokes the code sent to the first one, and blanks it."""
    page = LoginFlow(services)
    reach_password(page, account.admin_email)
    page.submit_password(account.temporary_password)
    page.enrol_phone(country="GB", number="7400123456")
    code = code_from_sms(services)
    page.change_number()
    assert code not in last_sms(services).body


# --- (c) owner-only files --------------------------------------------------------------


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """A umask that would give 0755 folders and 0644 files, as the report found them."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def test_a_new_data_folder_and_database_files_are_owner_only(tmp_path, open_umask):
    """The data folder is 0700 and connect.db, -wal and -shm 0600, whatever the umask; parents untouched."""
    data_dir = tmp_path / "parent" / "var"
    settings = load_settings(data_dir=data_dir, **FAST_ARGON2)
    engine = make_engine(settings)
    try:
        upgrade_schema(engine)
        with engine.connect() as connection:  # WAL and shared-memory files exist while connected
            connection.execute(text("SELECT count(*) FROM accounts"))
            files = {name: data_dir / name for name in ("connect.db", "connect.db-wal", "connect.db-shm")}
            assert all(path.exists() for path in files.values())
            assert {name: oct(mode(path)) for name, path in files.items()} == dict.fromkeys(files, "0o600")
        assert oct(mode(data_dir)) == "0o700"
        assert oct(mode(data_dir.parent)) == "0o755"  # a folder on the way is not the kit's to change
        SecretBox.from_settings(settings)
        assert oct(mode(data_dir / KEY_FILE)) == "0o600"
    finally:
        engine.dispose()


def test_an_existing_open_data_folder_and_database_are_tightened(tmp_path, open_umask):
    """A data folder and database left 0755/0644 by an earlier version lose group and other access."""
    data_dir = tmp_path / "var"
    data_dir.mkdir(mode=0o755)
    database = data_dir / "connect.db"
    sqlite3.connect(database).close()
    database.chmod(0o644)
    engine = make_engine(load_settings(data_dir=data_dir, **FAST_ARGON2))
    try:
        upgrade_schema(engine)
    finally:
        engine.dispose()
    assert (oct(mode(data_dir)), oct(mode(database))) == ("0o700", "0o600")


def test_a_read_only_data_folder_stays_read_only(tmp_path, open_umask):
    """Tightening only takes access away: an owner-read-only folder is not made writable."""
    data_dir = tmp_path / "var"
    data_dir.mkdir()
    sqlite3.connect(data_dir / "connect.db").close()
    data_dir.chmod(0o555)
    try:
        make_engine(load_settings(data_dir=data_dir, **FAST_ARGON2)).dispose()
        assert oct(mode(data_dir)) == "0o500"
    finally:
        data_dir.chmod(0o700)
