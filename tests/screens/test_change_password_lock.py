"""The change-password page counts wrong current passwords; the lock sends the page back to the login."""

from __future__ import annotations

from connect_widgets.screens.login.change_password import ChangePasswordScreen
from connect_widgets.screens.login.email import EmailScreen
from tests.conftest import NEW_PASSWORD, user_by_email
from tests.screens.conftest import reach_change_password, shown_message


def test_the_fifth_wrong_current_password_locks_logs_out_and_shows_the_login(app, services, account):
    screen = reach_change_password(app, services, account)
    for _ in range(4):
        screen.current.value = "not it at all 99"
        screen.new.value = screen.confirm.value = NEW_PASSWORD
        screen.change_button.click()
        assert app.current is screen and shown_message(app) == "Your current password is not right."
    screen.current.value = "not it at all 99"
    screen.new.value = screen.confirm.value = NEW_PASSWORD
    screen.change_button.click()
    assert isinstance(app.current, EmailScreen)
    assert shown_message(app) == (
        "That was the 5th wrong current password in a row, so your account is locked for 15 minutes and you "
        'have been logged out. Use "Login issues?" to reset your password.'
    )
    assert app.signed_in_as.value == "" and app.log_out_button.layout.display == "none"
    assert user_by_email(services, account.admin_email).lock_count == 1
    assert isinstance(screen, ChangePasswordScreen) and screen.current.value == screen.new.value == ""
