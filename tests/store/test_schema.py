"""The store: migrations match the models, SQLite pragmas, UTC timestamps, secret-free reprs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.exc import StatementError
from sqlmodel import SQLModel, select

import connect_widgets.store.models  # noqa: F401  (registers every table on SQLModel.metadata)
from connect_widgets.settings import Settings, load_settings
from connect_widgets.store.engine import make_engine, new_session
from connect_widgets.store.models import Account, AdminUser, ConsoleHandoff, LoginSession, Message, Phone
from connect_widgets.store.schema import current_revision, head_revision, upgrade_schema
from tests.conftest import FAST_ARGON2

TABLES = {
    "accounts",
    "admin_users",
    "phones",
    "passcodes",
    "login_sessions",
    "task_progress",
    "messages",
    "audit_events",
    "console_handoffs",
}


def _schema_sql(engine) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    with engine.connect() as connection:
        return list(
            connection.exec_driver_sql("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name").all()
        )


def _account(**overrides: object) -> Account:
    fields: dict[str, object] = dict(
        code="ACME",
        company="Acme Ltd",
        primary_domain="acme.example",
        platform="microsoft_365",
        region="uk",
        created_at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
    )
    fields.update(overrides)
    return Account(**fields)


# --- migrations -------------------------------------------------------------------


def test_first_upgrade_creates_every_table_and_reports_none_to_head(tmp_path: Path) -> None:
    """An empty database goes from no revision to head, with all the tables."""
    engine = make_engine(load_settings(data_dir=tmp_path, **FAST_ARGON2))
    try:
        assert current_revision(engine) is None
        assert upgrade_schema(engine) == (None, head_revision())
        assert current_revision(engine) == head_revision()
        assert TABLES <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_second_upgrade_is_a_no_op(settings: Settings) -> None:
    """upgrade_schema on a database already at head changes nothing and says so."""
    engine = make_engine(settings)
    try:
        before = _schema_sql(engine)
        assert before, "the conftest database should already be migrated"
        assert upgrade_schema(engine) == (head_revision(), head_revision())
        assert upgrade_schema(engine) == (head_revision(), head_revision())
        assert _schema_sql(engine) == before
    finally:
        engine.dispose()


def test_migrations_and_models_describe_the_same_schema(settings: Settings) -> None:
    """Alembic autogenerate finds nothing to do: every schema change went through a migration."""
    engine = make_engine(settings)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, SQLModel.metadata)
    finally:
        engine.dispose()
    assert differences == [], "the models and the migrations disagree; write a migration for: " + "; ".join(
        repr(d) for d in differences
    )


def test_the_autogenerate_check_notices_a_model_change(settings: Settings) -> None:
    """The comparison above is live: a column missing from the migrations is reported."""
    from sqlalchemy import Column, MetaData, String

    changed = MetaData()
    for table in SQLModel.metadata.tables.values():
        table.to_metadata(changed)
    changed.tables["accounts"].append_column(Column("notes", String(100), nullable=True))
    engine = make_engine(settings)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, changed)
    finally:
        engine.dispose()
    assert [d[0] for d in differences] == ["add_column"]
    assert differences[0][3].name == "notes"


# --- SQLite connection ------------------------------------------------------------


def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(settings: Settings) -> None:
    """Every pooled SQLite connection has WAL, foreign keys on, and waits 5 s when busy."""
    engine = make_engine(settings)
    try:
        with engine.connect() as connection:
            pragma = lambda name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()  # noqa: E731
            assert str(pragma("journal_mode")).lower() == "wal"
            assert pragma("foreign_keys") == 1
            assert pragma("busy_timeout") == 5000
    finally:
        engine.dispose()


def test_foreign_keys_are_enforced(settings: Settings) -> None:
    """An admin pointing at a missing account is refused by the database itself."""
    from sqlalchemy.exc import IntegrityError

    engine = make_engine(settings)
    try:
        with new_session(engine) as db:
            now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
            db.add(
                AdminUser(
                    account_id=999,
                    email="ghost@acme.mimecast.connect",
                    password_hash="x",
                    password_set_at=now,
                    created_at=now,
                )
            )
            with pytest.raises(IntegrityError, match="FOREIGN KEY"):
                db.commit()
    finally:
        engine.dispose()


# --- UTC timestamps ---------------------------------------------------------------


def test_an_aware_datetime_comes_back_aware_in_utc(settings: Settings) -> None:
    """A +02:00 time is stored as UTC and read back as the same instant, tz=UTC."""
    engine = make_engine(settings)
    try:
        paris_summer = datetime(2026, 7, 1, 12, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)))
        with new_session(engine) as db:
            db.add(_account(created_at=paris_summer))
            db.commit()
        with new_session(engine) as db:
            stored = db.exec(select(Account)).one().created_at
        with engine.connect() as connection:
            raw = connection.exec_driver_sql("SELECT created_at FROM accounts").scalar()
    finally:
        engine.dispose()
    assert stored.tzinfo is not None and stored.utcoffset() == timedelta(0)
    assert stored == paris_summer
    assert stored == datetime(2026, 7, 1, 10, 30, 15, 123456, tzinfo=UTC)
    assert str(raw).startswith("2026-07-01 10:30:15")  # kept as UTC on disk, not local time


def test_a_naive_datetime_is_refused_and_nothing_is_stored(settings: Settings) -> None:
    """Storing an Account with a naive created_at raises instead of guessing the zone."""
    engine = make_engine(settings)
    try:
        with new_session(engine) as db:
            db.add(_account(created_at=datetime(2026, 3, 2, 9, 0)))
            with pytest.raises(StatementError, match="naive datetime"):
                db.commit()
        with new_session(engine) as db:
            assert db.exec(select(Account)).first() is None
    finally:
        engine.dispose()


# --- reprs ------------------------------------------------------------------------


SECRETS = {
    "password_hash": "$argon2id$v=19$m=19456,t=2,p=1$c2VjcmV0c2FsdA$SECRETHASHVALUE",
    "otp_secret_encrypted": "gAAAAABpSEALEDOTPSECRET",
    "e164": "+447400123456",
    "body": "Your Connect passcode is 314159",
    "token_hash": "d" * 64,
}


@pytest.mark.parametrize(
    ("row", "secret_fields"),
    [
        (
            AdminUser(id=1, account_id=1, email="jane@acme.mimecast.connect", password_hash=SECRETS["password_hash"]),
            ["password_hash"],
        ),
        (
            Phone(id=1, user_id=1, e164=SECRETS["e164"], otp_secret_encrypted=SECRETS["otp_secret_encrypted"]),
            ["e164", "otp_secret_encrypted"],
        ),
        (
            Message(
                id=1, channel="sms", recipient="+447400000042", body=SECRETS["body"], transport="outbox", status="sent"
            ),
            ["body"],
        ),
        (LoginSession(id=1, token_hash=SECRETS["token_hash"], user_id=1), ["token_hash"]),
        (ConsoleHandoff(id=1, token_hash=SECRETS["token_hash"], user_id=1), ["token_hash"]),
    ],
    ids=["AdminUser", "Phone", "Message", "LoginSession", "ConsoleHandoff"],
)
def test_reprs_leave_out_secret_columns(row: SQLModel, secret_fields: list[str]) -> None:
    """repr/str of secret-bearing rows show neither the secret values nor their field names."""
    shown = repr(row) + "\n" + str(row)
    for name in secret_fields:
        assert getattr(row, name) == SECRETS[name]  # the value is there to leak...
        assert SECRETS[name] not in shown  # ...but is not shown
        assert f"{name}=" not in shown
    assert "id=1" in shown  # the repr still identifies the row


def test_database_errors_do_not_echo_bound_values(settings: Settings) -> None:
    """An SQL error (or SQL logging) must not print parameters such as an SMS body."""
    from sqlalchemy.exc import IntegrityError

    def passcode_sms(code: str) -> Message:
        """The outbox row of a passcode SMS; always id 1, so a second one breaks the primary key."""
        return Message(
            id=1,
            channel="sms",
            recipient="+447400123456",
            body=f"Your passcode is {code}",
            transport="outbox",
            status="sent",
            created_at=datetime.now(UTC),
        )

    engine = make_engine(settings)
    with new_session(engine) as db:
        db.add(passcode_sms("314159"))
        db.commit()
        db.add(passcode_sms("271828"))
        with pytest.raises(IntegrityError) as failed:
            db.commit()
    assert "271828" not in str(failed.value) and "+447400123456" not in str(failed.value)
    engine.dispose()
