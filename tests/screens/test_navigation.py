"""Small ways around the login that a real admin expects."""

from __future__ import annotations

from connect_widgets.core.auth.steps import LoginStep
from connect_widgets.screens.login.change_password import ChangePasswordScreen
from connect_widgets.screens.login.method import MethodScreen
from tests.screens.conftest import press_enter, reach_change_password, reach_password, shown_message


def test_the_password_page_leads_back_to_the_method_choice(app, account):
    screen = reach_password(app, account.admin_email)
    screen.method_link.click()
    assert isinstance(app.current, MethodScreen) and app.flow.step is LoginStep.METHOD


def test_back_to_method_is_refused_anywhere_but_the_password_step(app, account):
    password_screen = app.login_screens[LoginStep.PASSWORD]
    password_screen.method_link.click()  # forged: the password page is hidden
    assert app.flow.step is LoginStep.EMAIL


def test_enter_in_the_current_password_does_not_submit_the_change(app, services, account):
    screen = reach_change_password(app, services, account)
    assert isinstance(screen, ChangePasswordScreen)
    screen.current.value = account.temporary_password
    press_enter(screen.current)
    assert screen.current.value == account.temporary_password
    assert shown_message(app) == "" and app.flow.step is LoginStep.CHANGE_PASSWORD
