"""The Administration Console: the same login, then its home with the Application Switcher."""

from __future__ import annotations

import html
from urllib.parse import parse_qs, urlsplit

from connect_widgets.core.tasks.board import TaskBoard
from connect_widgets.pages.connect import ConnectApp
from connect_widgets.screens.console_home import ConsoleHomeScreen
from connect_widgets.screens.login.email import EmailScreen
from tests.screens.conftest import log_in_again, log_in_first_time, plain, widget_texts


def test_the_console_asks_for_every_login_step_then_shows_the_account(services, account, clock):
    app = ConnectApp(services, console=True)
    assert isinstance(app.current, EmailScreen)  # nothing of the account before logging in
    assert "Acme Ltd" not in " ".join(widget_texts(app))
    log_in_first_time(app, services, account)  # email, method, password, phone, passcode, new password
    home = app.current
    assert isinstance(home, ConsoleHomeScreen)
    facts = plain(home.facts.value)
    assert "Acme Ltd" in facts and "ACME" in facts and "0 of 8 required tasks complete" in facts


def test_the_application_switcher_links_to_connect_with_a_hand_off_and_the_email(services, account, clock):
    app = ConnectApp(services, console=True)
    log_in_first_time(app, services, account)
    home = app.current
    assert home.applications.layout.display == "none"
    home.switcher_button.click()
    assert home.applications.layout.display is None
    link = html.unescape(home.applications.value.split('href="', 1)[1].split('"', 1)[0])
    target = urlsplit(link)
    assert target.path == "connect.ipynb"  # the Connect notebook of the same server
    query = parse_qs(target.query)
    assert query["email"] == [account.admin_email]  # filled in should the hand-off be refused
    assert len(query["handoff"][0]) == 43  # 256 random bits (see test_console_handoff.py)
    home.switcher_button.click()
    assert home.applications.layout.display == "none"


def test_progress_made_in_connect_shows_in_the_console(services, account, clock):
    app = ConnectApp(services, console=True)
    log_in_first_time(app, services, account)
    TaskBoard(app.flow).start("confirm_details")
    app.log_out()
    clock.advance(minutes=1)
    home = log_in_again(app, services, account.admin_email)
    assert isinstance(home, ConsoleHomeScreen)
    assert "Confirm Your Details" in plain(home.facts.value)
    app.log_out()
    assert "Acme Ltd" not in " ".join(widget_texts(app))


def test_the_console_login_names_the_console_and_its_home_does_not_repeat_the_header(services, account, clock):
    app = ConnectApp(services, console=True)
    assert app.current.title == "Log in to the Administration Console"
    assert ConnectApp(services).current.title == "Log in to Connect"
    log_in_first_time(app, services, account)
    assert "Administration Console" in app.product.value
    assert app.current.title == "Your account"  # the header already says Administration Console
