"""Which screen is showing is the shell's own record: a browser that shows another
screen of the page (a forged ``display`` on its layout) or hides the shown one gets it
put back, and that screen's actions do nothing."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from connect_widgets.core.auth.steps import LoginStep
from connect_widgets.pages.connect import ConnectApp
from connect_widgets.screens.login.change_password import ChangePasswordScreen
from connect_widgets.screens.login.email import EmailScreen
from connect_widgets.screens.login.password import PasswordScreen
from connect_widgets.screens.login.welcome import WelcomeScreen
from connect_widgets.store.models import AdminUser, AuditEvent, LoginSession
from tests.conftest import NEW_PASSWORD
from tests.screens.conftest import (
    count_rows,
    log_in_first_time,
    press_enter,
    reach_password,
    rows,
    shown_message,
    submit_email,
)


def browser_sets(widget: widgets.Widget, **state: Any) -> None:
    """What the page's JavaScript sends when it changes a synced trait (a forged message looks the same)."""
    widget._handle_msg({"content": {"data": {"method": "update", "state": state, "buffer_paths": []}}, "buffers": []})


def select_in_browser(app: ConnectApp, screen: Any) -> None:
    """The page shows ``screen`` (if it drew it ahead) and hides the one showing: forged ``display`` updates."""
    for slot in app.stack.slots:
        browser_sets(slot.layout, display=None if slot.children == (screen,) else "none")


def displayed(app: ConnectApp) -> list[Any]:
    """The screens the browser displays: those in a slot whose ``display`` the kernel last left shown."""
    return [screen for slot in app.stack.slots if slot.layout.display != "none" for screen in slot.children]


def test_a_browser_selected_screen_is_put_back_on_the_one_the_shell_shows(app, account):
    email = app.current
    assert isinstance(email, EmailScreen)
    select_in_browser(app, app.login_screens[LoginStep.CHANGE_PASSWORD])
    assert app.current is email
    assert app.stack.selected_index == app.screens.index(email)
    assert displayed(app) == [email]


def test_change_password_selected_by_the_browser_checks_no_password_when_signed_in(app, services, account):
    """Finding 9: selected_index=6 used to reach Change password; wrong current passwords then went uncounted."""
    welcome = log_in_first_time(app, services, account)
    assert isinstance(welcome, WelcomeScreen)
    audit_rows = count_rows(services, AuditEvent)
    hidden = app.login_screens[LoginStep.CHANGE_PASSWORD]
    assert isinstance(hidden, ChangePasswordScreen)
    select_in_browser(app, hidden)
    hidden.current.value = "not my password at all"
    hidden.new.value = hidden.confirm.value = "a brand new passphrase 77"
    hidden.change_button.click()
    assert app.current is welcome
    assert app.stack.selected_index == app.screens.index(welcome)
    assert displayed(app) == [welcome]
    assert shown_message(app) == ""  # no refusal either: the click did not reach the flow
    [user] = rows(services, AdminUser)
    assert user.failed_logins == 0
    assert count_rows(services, AuditEvent) == audit_rows


def test_the_right_current_password_on_a_browser_selected_change_password_changes_nothing(app, services, account):
    welcome = log_in_first_time(app, services, account)
    [before] = rows(services, AdminUser)
    hidden = app.login_screens[LoginStep.CHANGE_PASSWORD]
    select_in_browser(app, hidden)
    hidden.current.value = NEW_PASSWORD
    hidden.new.value = hidden.confirm.value = "a brand new passphrase 77"
    press_enter(hidden.confirm)
    hidden.change_button.click()
    [after] = rows(services, AdminUser)
    assert after.password_hash == before.password_hash
    assert app.current is welcome


def test_a_browser_selected_password_screen_at_the_email_step_does_not_log_in(app, services, account):
    password = app.login_screens[LoginStep.PASSWORD]
    assert isinstance(password, PasswordScreen)
    select_in_browser(app, password)
    password.password.value = account.temporary_password
    password.next_button.click()
    assert app.flow.step is LoginStep.EMAIL
    assert isinstance(app.current, EmailScreen)
    assert count_rows(services, LoginSession) == 0


def test_the_shown_screen_keeps_working_after_a_browser_selected_another(app, account):
    select_in_browser(app, app.login_screens[LoginStep.PASSCODE])
    submit_email(app, account.admin_email)  # the Email screen's own Next still goes through
    assert app.flow.step is LoginStep.METHOD
    assert app.current is app.login_screens[LoginStep.METHOD]


def test_the_busy_state_is_the_shells_record_not_the_message_css(app, account):
    """A browser can set the message's classes; whether a step said anything is kept in Python."""
    app.show_message("Checking…", kind="busy")
    assert app.message_kind == "busy"
    browser_sets(app.message, _dom_classes=["connect-message"])
    assert app.message_kind == "busy"
    app.show_message("")
    assert app.message_kind == ""


def test_a_page_builds_only_the_email_screen_and_adds_each_other_screen_when_first_needed(app, account):
    assert app.screens == (app.email_screen,) and app.stack.selected_index == 0
    assert displayed(app) == [app.email_screen]
    password = reach_password(app, account.admin_email)
    method = app.login_screens[LoginStep.METHOD]
    assert app.screens == (app.email_screen, method, password)  # each joined the Stack when the flow reached it
    assert app.stack.selected_index == 2 and displayed(app) == [password]
    assert app.login_screens[LoginStep.PASSWORD] is password  # built once, then kept


def test_a_browser_selecting_an_earlier_screen_is_put_back_on_one_built_later(app, services, account):
    welcome = log_in_first_time(app, services, account)
    wanted = app.screens.index(welcome)
    assert wanted > 0
    select_in_browser(app, app.screens[0])
    assert app.stack.selected_index == wanted and app.current is welcome
    assert displayed(app) == [welcome]


def test_a_screen_built_after_the_page_loaded_takes_focus_when_its_view_is_drawn(app, account, monkeypatch):
    focused: list[str] = []
    monkeypatch.setattr(app.email_screen.email, "focus", lambda: focused.append("email"))
    password = reach_password(app, account.admin_email)
    monkeypatch.setattr(password.password, "focus", lambda: focused.append("password"))
    browser_sets(app.email_screen, _view_count=1)  # a hidden screen's view: no focus
    browser_sets(password, _view_count=1)
    assert focused == ["password"]
