"""Log out, session time-outs, and failures nobody planned for."""

from __future__ import annotations

import ipywidgets as widgets
from sqlmodel import create_engine

from connect_widgets.core.auth.steps import LoginStep
from connect_widgets.core.clock import FrozenClock
from connect_widgets.pages.connect import STORAGE_UNAVAILABLE, UNEXPECTED, ConnectApp
from connect_widgets.screens.login.email import EmailScreen
from connect_widgets.screens.login.method import MethodScreen
from connect_widgets.screens.login.passcode import PasscodeScreen
from connect_widgets.screens.login.password import PasswordScreen
from connect_widgets.screens.tasks.dashboard import DashboardScreen
from connect_widgets.screens.tasks.page import TaskScreen
from connect_widgets.store.models import LoginSession, TaskProgress
from tests.conftest import NEW_PASSWORD
from tests.screens.conftest import (
    count_rows,
    log_in_again,
    log_in_first_time,
    reach_change_password,
    reach_first_passcode,
    reach_password,
    rows,
    shown_message,
    submit_email,
    verify_code,
    widget_texts,
)

SIGNED_OUT = "You have been signed out. Log in again to carry on."


def assert_no_traceback(app) -> None:
    for text in widget_texts(app):
        for marker in ("Traceback", "RuntimeError", "OperationalError", 'File "', "sqlalchemy"):
            assert marker not in text, text


# --- log out --------------------------------------------------------------------------


def test_log_out_from_the_header_ends_the_session_and_shows_the_email_screen(app, services, account):
    log_in_first_time(app, services, account)
    app.log_out_button.click()
    assert isinstance(app.current, EmailScreen)
    assert shown_message(app) == "You have logged out."
    assert "info" in app.message._dom_classes
    assert "error" not in app.message._dom_classes
    assert app.signed_in_as.value == ""
    assert app.log_out_button.layout.display == "none"
    [session] = rows(services, LoginSession)
    assert session.end_reason == "logout"
    assert app.flow.step is LoginStep.EMAIL


def test_log_out_from_connect_progress_also_ends_the_session(app, services, account):
    log_in_first_time(app, services, account).all_tasks_link.click()
    assert isinstance(app.current, DashboardScreen)
    app.log_out_button.click()
    assert isinstance(app.current, EmailScreen)
    [session] = rows(services, LoginSession)
    assert session.end_reason == "logout"


def test_after_log_out_the_task_pages_are_out_of_reach(app, services, account):
    welcome = log_in_first_time(app, services, account)
    welcome.all_tasks_link.click()
    app.log_out_button.click()
    welcome.start_button.click()  # stale clicks from the pages before log out
    app.dashboard.task_links["confirm_details"].click()
    app.task.start_button.click()
    assert isinstance(app.current, EmailScreen)
    assert count_rows(services, TaskProgress) == 0


# --- session expiry -------------------------------------------------------------------


def click_after_idling(app: ConnectApp, clock: FrozenClock, button: widgets.Button) -> None:
    """A click after 31 idle minutes: the session is over, the email screen says why."""
    clock.advance(minutes=31)
    button.click()
    assert isinstance(app.current, EmailScreen)
    assert shown_message(app) == SIGNED_OUT


def test_an_idle_session_ends_and_a_click_on_welcome_shows_the_email_screen(app, services, account, clock):
    welcome = log_in_first_time(app, services, account)
    click_after_idling(app, clock, welcome.all_tasks_link)
    assert app.signed_in_as.value == ""
    assert app.log_out_button.layout.display == "none"
    [session] = rows(services, LoginSession)
    assert session.end_reason == "idle"


def test_an_idle_session_ends_when_a_task_is_opened_from_the_dashboard(app, services, account, clock):
    log_in_first_time(app, services, account).all_tasks_link.click()
    dashboard = app.current
    assert isinstance(dashboard, DashboardScreen)
    click_after_idling(app, clock, dashboard.task_links["confirm_details"])


def test_an_idle_session_refuses_to_start_a_task(app, services, account, clock):
    """Get started opens Confirm Your Details, which starts it: not after 30 idle minutes."""
    welcome = log_in_first_time(app, services, account)
    click_after_idling(app, clock, welcome.start_button)
    assert count_rows(services, TaskProgress) == 0


def test_activity_keeps_the_session_alive(app, services, account, clock):
    welcome = log_in_first_time(app, services, account)
    clock.advance(minutes=20)
    welcome.all_tasks_link.click()
    clock.advance(minutes=20)
    app.current.task_links["confirm_details"].click()
    assert isinstance(app.current, TaskScreen)


def test_after_expiry_the_admin_logs_in_again_from_the_email_screen(app, services, account, clock):
    welcome = log_in_first_time(app, services, account)
    click_after_idling(app, clock, welcome.start_button)
    landing = log_in_again(app, services, account.admin_email)
    assert app.signed_in_as.value == f"Signed in as {account.admin_email}"
    assert landing is app.current


# --- unexpected failures --------------------------------------------------------------


def _boom(*_args, **_kwargs):
    raise RuntimeError("database exploded at /srv/connect/data/connect.db")


def test_an_unexpected_error_in_a_step_shows_the_generic_message_not_a_traceback(app, account, monkeypatch):
    monkeypatch.setattr(app.flow, "submit_email", _boom)
    submit_email(app, account.admin_email)
    assert isinstance(app.current, EmailScreen)
    assert shown_message(app) == UNEXPECTED
    assert shown_message(app).startswith("Something went wrong on our side")
    assert_no_traceback(app)
    assert app.busy is False


def test_an_unusable_database_at_the_password_step_says_connect_cannot_save(
    app, services, account, monkeypatch, tmp_path
):
    screen = reach_password(app, account.admin_email)
    services.engine.dispose()
    monkeypatch.setattr(services, "engine", create_engine(f"sqlite:///{tmp_path}/missing/dir/connect.db"))
    screen.password.value = account.temporary_password
    screen.next_button.click()
    assert isinstance(app.current, PasswordScreen)
    assert shown_message(app) == STORAGE_UNAVAILABLE
    assert screen.password.value == ""
    assert_no_traceback(app)


def test_an_unexpected_error_in_verify_keeps_the_passcode_screen(app, services, account, monkeypatch):
    screen = reach_first_passcode(app, account)
    monkeypatch.setattr(app.flow, "verify_passcode", _boom)
    screen.code.value = "123456"
    screen.verify_button.click()
    assert isinstance(app.current, PasscodeScreen)
    assert shown_message(app) == UNEXPECTED
    assert app.flow.step is LoginStep.PASSCODE
    assert_no_traceback(app)


def test_an_unexpected_error_in_change_password_shows_the_generic_message(app, services, account, monkeypatch):
    screen = reach_change_password(app, services, account)
    monkeypatch.setattr(app.flow, "change_password", _boom)
    screen.current.value = account.temporary_password
    screen.new.value = screen.confirm.value = NEW_PASSWORD
    screen.change_button.click()
    assert shown_message(app) == UNEXPECTED
    assert (screen.current.value, screen.new.value, screen.confirm.value) == ("", "", "")
    assert_no_traceback(app)


def test_a_database_failure_when_opening_connect_progress_shows_the_generic_message(
    app, services, account, monkeypatch
):
    """Opening a page is an action too: the admin must see why nothing opened."""
    welcome = log_in_first_time(app, services, account)
    monkeypatch.setattr(app.board, "overview", _boom)
    welcome.all_tasks_link.click()
    assert shown_message(app) == UNEXPECTED
    assert_no_traceback(app)


def test_a_failure_while_drawing_the_landing_page_shows_the_generic_message(app, services, account, clock, monkeypatch):
    """Log In succeeded but the landing page could not be read: say so, don't freeze on Log In."""
    log_in_first_time(app, services, account)
    app.log_out_button.click()
    clock.advance(minutes=1)
    screen = reach_password(app, account.admin_email)
    screen.password.value = NEW_PASSWORD
    screen.next_button.click()
    log_in = verify_code(app, services)
    monkeypatch.setattr(app.flow, "landing", _boom)
    log_in.log_in_button.click()
    assert shown_message(app) == UNEXPECTED
    assert_no_traceback(app)


def test_an_unexpected_error_on_the_method_step_keeps_the_method_screen(app, account, monkeypatch):
    submit_email(app, account.admin_email)
    monkeypatch.setattr(app.flow, "choose_method", _boom)
    app.current.next_button.click()
    assert isinstance(app.current, MethodScreen)
    assert shown_message(app) == UNEXPECTED


def test_try_again_opens_the_page_once_the_failure_is_over(app, services, account, monkeypatch):
    """After a page could not be drawn, Try again draws it; nothing the admin did is lost."""
    welcome = log_in_first_time(app, services, account)
    real_overview = app.board.overview
    monkeypatch.setattr(app.board, "overview", _boom)
    welcome.all_tasks_link.click()
    assert app.current is app.problem and app.flow.signed_in
    monkeypatch.setattr(app.board, "overview", real_overview)
    app.problem.try_again_button.click()
    assert isinstance(app.current, DashboardScreen) and shown_message(app) == ""
