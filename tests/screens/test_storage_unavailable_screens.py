"""When the database cannot be written, every page says "Connect cannot save right now" in
plain words: the Connect login, the Connect Team console and the trainer page."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine

from connect_widgets.core.staff.members import add_staff_member
from connect_widgets.pages.connect import STORAGE_UNAVAILABLE, ConnectApp
from connect_widgets.pages.team import StaffConsole
from connect_widgets.pages.trainer import TrainerConsole
from connect_widgets.screens.login.email import EmailScreen
from connect_widgets.store.models import AuditEvent
from tests.screens.conftest import count_rows, plain, shown_message, submit_email, widget_texts

STAFF_PASSWORD = "quartz meadow lantern 81 and more"
LEAKS = ("Traceback", "OperationalError", 'File "', "sqlite", "readonly", "[SQL:")


@pytest.fixture
def read_only_engine(services, account, monkeypatch):
    """From now on the page's services open the database file read-only (as a read-only disk would)."""
    path = Path(str(services.engine.url.database))
    engine = create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    writable = services.engine
    monkeypatch.setattr(services, "engine", engine)
    yield writable
    engine.dispose()


def no_leak(texts: list[str]) -> None:
    for text in texts:
        for leak in LEAKS:
            assert leak not in text, text


def test_the_email_step_on_a_read_only_database_says_connect_cannot_save(services, account, read_only_engine):
    app = ConnectApp(services)
    audit_rows = count_rows(services, AuditEvent)
    submit_email(app, account.admin_email)
    assert shown_message(app) == STORAGE_UNAVAILABLE
    assert isinstance(app.current, EmailScreen) and not app.busy
    assert count_rows(services, AuditEvent) == audit_rows
    no_leak(widget_texts(app))


def test_a_staff_login_on_a_read_only_database_says_connect_cannot_save(services, account, monkeypatch):
    add_staff_member(services, name="Priya", password=STAFF_PASSWORD)
    console = StaffConsole(services)
    path = Path(str(services.engine.url.database))
    monkeypatch.setattr(services, "engine", create_engine(f"sqlite:///file:{path}?mode=ro&uri=true"))
    console.name.value, console.password.value = "Priya", STAFF_PASSWORD
    console.log_in_button.click()
    assert plain(console.message.value) == STORAGE_UNAVAILABLE
    assert not console.logged_in
    services.engine.dispose()


def test_creating_demo_accounts_on_a_read_only_database_says_connect_cannot_save(services, account, read_only_engine):
    services.settings = services.settings.model_copy(update={"trainer_enabled": True})
    trainer = TrainerConsole(services)
    assert trainer.run(trainer.seed) is False
    assert plain(trainer.message.value) == STORAGE_UNAVAILABLE
