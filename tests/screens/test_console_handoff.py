"""From the Administration Console's switcher into Connect, signed in, once.

The console is one page (``ConnectApp(console=True)``); each Connect page is built
by ``build_app`` from the link's query string, as Voila builds it for a new tab.
"""

from __future__ import annotations

import html
from urllib.parse import parse_qs, urlsplit

import pytest

from connect_widgets.pages.connect import ConnectApp, build_app, handoff_from_query
from connect_widgets.screens.console_home import LINK_RENEWALS, ConsoleHomeScreen
from connect_widgets.screens.login.email import EmailScreen
from connect_widgets.screens.login.welcome import WelcomeScreen
from connect_widgets.store.models import AuditEvent
from tests.screens.conftest import holds_anywhere, log_in_first_time, plain, rows, shown_message

REFUSED = "That link from the Administration Console has expired or was already used. Log in to continue."


@pytest.fixture
def console(services, account) -> ConnectApp:
    app = ConnectApp(services, console=True)
    log_in_first_time(app, services, account)
    return app


def open_switcher(console: ConnectApp) -> tuple[ConsoleHomeScreen, str]:
    """Click Applications; returns the home screen and the Connect link's query string."""
    home = console.current
    assert isinstance(home, ConsoleHomeScreen)
    home.switcher_button.click()
    return home, connect_query(home)


def connect_query(home: ConsoleHomeScreen) -> str:
    link = html.unescape(home.applications.value.split('href="', 1)[1].split('"', 1)[0])
    target = urlsplit(link)
    assert target.path == "connect.ipynb"
    return target.query


def token_of(query: str) -> str:
    return parse_qs(query)["handoff"][0]


def test_following_the_link_arrives_signed_in_and_a_second_visit_is_refused(
    console, services, settings, account, clock
):
    _, query = open_switcher(console)
    token = token_of(query)
    clock.advance(seconds=3)

    connect = build_app(settings, query_string=query, clock=clock)
    assert isinstance(connect.current, WelcomeScreen), shown_message(connect)
    assert plain(connect.signed_in_as.value) == f"Signed in as {account.admin_email}"
    assert connect.log_out_button.layout.display is None
    assert holds_anywhere(connect, token) == []

    again = build_app(settings, query_string=query, clock=clock)  # the same URL in a new tab
    assert isinstance(again.current, EmailScreen)
    assert shown_message(again) == REFUSED
    assert "info" in again.message._dom_classes  # said plainly, not as an error
    assert again.current.email.value == account.admin_email  # the normal login, email filled in
    assert not again.flow.signed_in and again.signed_in_as.value == ""
    assert holds_anywhere(again, token) == []
    actions = [event.action for event in rows(services, AuditEvent)]
    assert actions.count("handoff_created") == 1
    assert actions.count("handoff_used") == 1 and actions.count("handoff_refused") == 1


def test_a_link_older_than_a_minute_is_refused(console, settings, clock):
    _, query = open_switcher(console)
    clock.advance(seconds=60)
    connect = build_app(settings, query_string=query, clock=clock)
    assert isinstance(connect.current, EmailScreen) and shown_message(connect) == REFUSED


@pytest.mark.parametrize(
    "query",
    [
        "handoff=",
        "handoff=nonsense",
        "handoff=%00%ff&handoff=x",
        "handoff=" + "A" * 43,
        "email=x&handoff=" + "x" * 5000,
    ],
)
def test_a_broken_hand_off_shows_the_email_screen_and_no_traceback(account, settings, clock, query):
    connect = build_app(settings, query_string=query, clock=clock)
    assert isinstance(connect.current, EmailScreen)
    assert shown_message(connect) == REFUSED


def test_without_a_hand_off_the_page_says_nothing(account, settings, clock):
    assert handoff_from_query("email=jane%40acme.mimecast.connect") is None
    connect = build_app(settings, query_string="", clock=clock)
    assert isinstance(connect.current, EmailScreen) and shown_message(connect) == ""


def test_the_link_leaves_the_page_when_the_list_closes_or_the_admin_logs_out(console):
    home, query = open_switcher(console)
    token = token_of(query)
    assert holds_anywhere(console, token)  # in the link's href while the list is open
    home.switcher_button.click()
    assert holds_anywhere(console, token) == [] and home.applications.value == ""
    _, query = open_switcher(console)
    console.log_out()
    assert holds_anywhere(console, token_of(query)) == []


def test_logging_out_of_the_console_kills_the_link(console, settings, clock):
    _, query = open_switcher(console)
    console.log_out()
    connect = build_app(settings, query_string=query, clock=clock)
    assert isinstance(connect.current, EmailScreen) and shown_message(connect) == REFUSED


def test_the_open_list_gets_a_fresh_link_before_the_shown_one_expires(console, settings, clock):
    home, first = open_switcher(console)
    clock.advance(seconds=20)
    assert home.renew_link() is True
    second = connect_query(home)
    assert token_of(second) != token_of(first)
    clock.advance(seconds=45)  # the first link is dead now, the one in the page is not
    assert isinstance(build_app(settings, query_string=first, clock=clock).current, EmailScreen)
    assert isinstance(build_app(settings, query_string=second, clock=clock).current, WelcomeScreen)


def test_the_list_closes_itself_after_five_minutes_of_renewals(console, clock):
    home, _ = open_switcher(console)
    for _ in range(LINK_RENEWALS):
        clock.advance(seconds=20)
        assert home.renew_link() is True
    clock.advance(seconds=20)
    assert home.renew_link() is False
    assert home.applications.layout.display == "none" and home.applications.value == ""


def test_a_renewal_after_the_session_timed_out_shows_the_login(console, clock):
    home, _ = open_switcher(console)
    clock.advance(minutes=30)
    assert home.renew_link() is False
    assert isinstance(console.current, EmailScreen)
    assert shown_message(console) == "You have been signed out. Log in again to carry on."
