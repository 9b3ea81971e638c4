"""A database that cannot be used (read-only, locked past the busy timeout, gone) is one
domain error, StorageUnavailable, raised by the unit of work: nothing is saved, the cause
is logged, and the error carries no SQL, no path and no driver text."""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from connect_widgets.core.auth.flow import LoginFlow
from connect_widgets.core.auth.steps import LoginStep
from connect_widgets.core.errors import InvalidInput, StorageUnavailable
from connect_widgets.core.services import ConnectServices, build_services, is_storage_failure
from connect_widgets.store import engine as engine_module
from connect_widgets.store.models import AuditEvent
from tests.screens.conftest import count_rows

MESSAGE = "Connect cannot save right now; nothing was changed — try again in a minute."
CAUSE_WORDS = ("SQL", "sqlite", "readonly", "locked", "connect.db", "INSERT", "audit_events")


def database_file(services: ConnectServices) -> Path:
    return Path(str(services.engine.url.database))


@pytest.fixture
def read_only(services: ConnectServices, account, clock) -> Iterator[ConnectServices]:
    """The same database file opened read-only by SQLite itself (as a read-only disk would be)."""
    engine = create_engine(f"sqlite:///file:{database_file(services)}?mode=ro&uri=true")
    built = build_services(services.settings, clock=clock, engine=engine)
    yield built
    engine.dispose()


@pytest.fixture
def write_lock_held(services: ConnectServices, account, monkeypatch) -> Iterator[ConnectServices]:
    """Another kernel holds the write lock past a (shortened) busy timeout; yields fresh services."""
    monkeypatch.setattr(engine_module, "SQLITE_BUSY_TIMEOUT_MS", 50)
    other = sqlite3.connect(database_file(services), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    built = build_services(services.settings, clock=services.clock)
    try:
        yield built
    finally:
        other.execute("ROLLBACK")
        other.close()
        built.engine.dispose()


def assert_says_nothing_of_the_cause(error: StorageUnavailable) -> None:
    assert error.message == MESSAGE
    for words in CAUSE_WORDS:
        assert words not in str(error) and words not in repr(error), words


def test_a_read_only_database_refuses_the_email_step_and_saves_nothing(read_only, services, account, caplog):
    audit_rows = count_rows(services, AuditEvent)
    flow = LoginFlow(read_only)
    with (
        caplog.at_level(logging.ERROR, logger="connect_widgets.core.services"),
        pytest.raises(StorageUnavailable) as refused,
    ):
        flow.submit_email(account.admin_email)
    assert_says_nothing_of_the_cause(refused.value)
    assert flow.step is LoginStep.EMAIL
    assert count_rows(services, AuditEvent) == audit_rows
    [logged] = [r for r in caplog.records if r.name == "connect_widgets.core.services"]
    assert logged.exc_info is not None and isinstance(logged.exc_info[1], OperationalError)  # the cause, for the server


def test_a_refusal_whose_bookkeeping_cannot_be_committed_ends_as_storage_unavailable(read_only):
    """A ConnectError raised inside the unit is committed (its bookkeeping must stick): if that fails, say so."""
    with pytest.raises(StorageUnavailable) as refused, read_only.transaction() as db:
        db.add(AuditEvent(actor="test", action="refused_for_the_test", outcome="refused"))
        raise InvalidInput("Enter a name.", field="name")
    assert_says_nothing_of_the_cause(refused.value)
    chain, cause = [], refused.value.__context__
    while cause is not None:
        chain.append(type(cause))
        cause = cause.__context__
    assert chain[0] is OperationalError and chain[-1] is InvalidInput  # the refusal's commit failed


def test_a_write_lock_held_past_the_busy_timeout_refuses_an_immediate_unit_at_its_start(write_lock_held):
    ran = False
    with pytest.raises(StorageUnavailable) as refused, write_lock_held.transaction(immediate=True):
        ran = True
    assert not ran  # refused at BEGIN IMMEDIATE, before the block
    assert_says_nothing_of_the_cause(refused.value)


def test_a_write_lock_held_past_the_busy_timeout_refuses_a_plain_write(write_lock_held, services, account):
    audit_rows = count_rows(services, AuditEvent)
    with pytest.raises(StorageUnavailable):
        LoginFlow(write_lock_held).submit_email(account.admin_email)
    assert count_rows(services, AuditEvent) == audit_rows


def test_a_database_that_cannot_be_opened_is_storage_unavailable(services, clock, tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path}/no/such/folder/connect.db")
    gone = build_services(services.settings, clock=clock, engine=engine)
    with pytest.raises(StorageUnavailable), gone.transaction() as db:
        db.exec(text("SELECT 1"))
    engine.dispose()


def test_a_broken_unique_rule_stays_an_integrity_error_for_the_caller(services):
    with pytest.raises(IntegrityError), services.transaction() as db:
        db.exec(text("CREATE TEMP TABLE claim (name TEXT UNIQUE)"))
        db.exec(text("INSERT INTO claim VALUES ('acme.example')"))
        db.exec(text("INSERT INTO claim VALUES ('acme.example')"))


def test_only_failures_of_the_database_itself_count_as_storage_failures():
    assert is_storage_failure(OperationalError("INSERT", {}, sqlite3.OperationalError("database is locked")))
    assert not is_storage_failure(IntegrityError("INSERT", {}, sqlite3.IntegrityError("UNIQUE")))
    assert not is_storage_failure(ProgrammingError("SELECT", {}, sqlite3.ProgrammingError("closed")))
    assert not is_storage_failure(ConnectionRefusedError("smtp"))  # a network failure inside a unit is not storage
