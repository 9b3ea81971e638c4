"""The next login screen is built ahead, so Next only hides one screen and shows another.

Once the shown screen is drawn in the browser (its view count goes up), the page
builds the screen every login reaches next — Method after Email, Password after
Method — hidden in the page's stack (the browser draws it hidden), and does the
kernel's one-off database set-up. Next then opens no widget model: it sends a few
small updates (the new screen's intro, two screens' ``display``, the focus); a step
that only uses the database does not grey the page out. Built ahead changes nothing
of who decides: the shell still shows only what the flow calls for, and a hidden
screen's events do nothing (``benchmarks/round_trip.py`` measures the browser's side).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import pytest
from sqlalchemy import create_engine

from connect_widgets.core.accounts.create import NewAccount
from connect_widgets.core.auth.steps import LoginStep
from connect_widgets.core.services import ConnectServices
from connect_widgets.pages import connect as page
from connect_widgets.pages.connect import BUILD_AHEAD_DELAY, STORAGE_UNAVAILABLE, ConnectApp
from connect_widgets.screens.kit import Place
from connect_widgets.screens.login.email import EmailScreen
from connect_widgets.screens.login.method import MethodScreen
from connect_widgets.screens.login.password import PasswordScreen
from connect_widgets.settings import Settings
from tests.conftest import use_domain_logins
from tests.screens.conftest import shown_message, submit_email
from tests.screens.test_shell_decides_what_shows import browser_sets, displayed, select_in_browser

NEXT_MESSAGES_AT_MOST = 6  # the intro and its display, two slots shown and hidden, the old slot emptied, the focus


def on_a_thread_of_its_own(work: Callable[[], Any]) -> Any:
    """Run ``work`` where no event loop runs unless it starts one: a thread of its own.

    The test process's main thread may have one marked running (a session's sync
    Playwright keeps its loop so), and the page takes any running loop for a kernel's.
    """
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(work).result()


def drawn(screen: widgets.Widget) -> None:
    """What the page sends when it has drawn a screen's view."""
    browser_sets(screen, _view_count=1)


class Traffic:
    """What the widgets send to the page: models opened, and every other message by widget and kind."""

    def __init__(self) -> None:
        self.opened: list[str] = []
        self.sent: list[tuple[str, str]] = []

    def clear(self) -> None:
        self.opened.clear()
        self.sent.clear()


@pytest.fixture
def traffic(monkeypatch: pytest.MonkeyPatch) -> Iterator[Traffic]:
    seen = Traffic()
    real_open, real_send = widgets.Widget.open, widgets.Widget._send

    def opening(widget: widgets.Widget) -> None:
        if widget.comm is None:
            seen.opened.append(type(widget).__name__)
        real_open(widget)

    def sending(widget: widgets.Widget, msg: dict[str, Any], buffers: Any = None) -> None:
        seen.sent.append((type(widget).__name__, str(msg.get("method"))))
        real_send(widget, msg, buffers)

    monkeypatch.setattr(widgets.Widget, "open", opening)
    monkeypatch.setattr(widgets.Widget, "_send", sending)
    yield seen


def test_the_method_screen_is_built_hidden_once_the_email_screen_is_drawn(app: ConnectApp, account: NewAccount) -> None:
    email = app.email_screen
    assert list(app.screens) == [email] and app.login_screens.built(LoginStep.METHOD) is None
    drawn(email)
    method = app.login_screens.built(LoginStep.METHOD)
    assert isinstance(method, MethodScreen)
    assert app.screens == (email, method)  # in the stack, after the shown screen
    assert app.current is email and app.stack.selected_index == 0 and displayed(app) == [email]  # still hidden
    assert app.login_screens.built(LoginStep.PASSWORD) is None  # one step ahead, no more
    drawn(email)  # a second view (another tab of the same page) builds nothing more
    assert app.screens == (email, method)


def test_next_after_the_screen_was_built_ahead_opens_no_widget_and_sends_a_few_updates(
    app: ConnectApp, account: NewAccount, traffic: Traffic
) -> None:
    drawn(app.email_screen)
    method = app.login_screens.built(LoginStep.METHOD)
    app.email_screen.email.value = account.admin_email
    traffic.clear()

    async def click_in_a_kernel() -> None:  # an event loop runs: what follows the switch waits (see below)
        app.email_screen.next_button.click()

    on_a_thread_of_its_own(lambda: asyncio.run(click_in_a_kernel()))
    assert app.current is method and displayed(app) == [method]
    assert traffic.opened == []  # before building ahead: 22 models (a widget, its layout, its style...)
    assert len(traffic.sent) <= NEXT_MESSAGES_AT_MOST, traffic.sent
    assert ("Layout", "update") in traffic.sent and ("Button", "update") not in traffic.sent  # no busy state


def test_a_screen_built_ahead_and_drawn_hidden_builds_the_one_after_it_once_shown(
    app: ConnectApp, account: NewAccount
) -> None:
    drawn(app.email_screen)
    method = app.login_screens.built(LoginStep.METHOD)
    drawn(method)  # the browser draws it hidden: too early to build further
    assert app.login_screens.built(LoginStep.PASSWORD) is None
    on_a_thread_of_its_own(lambda: submit_email(app, account.admin_email))
    assert app.current is method
    assert isinstance(app.login_screens.built(LoginStep.PASSWORD), PasswordScreen)  # no event loop: at once


def test_in_a_kernel_the_screen_after_is_built_once_the_shown_one_had_time_to_be_drawn(
    app: ConnectApp, account: NewAccount
) -> None:
    """In a kernel (an event loop runs) its ~30 models must not follow the switch at once."""

    async def next_then_wait() -> tuple[bool, bool]:
        submit_email(app, account.admin_email)
        at_the_click = app.login_screens.built(LoginStep.PASSWORD) is not None
        deadline = asyncio.get_running_loop().time() + BUILD_AHEAD_DELAY + 5
        while app.login_screens.built(LoginStep.PASSWORD) is None and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.05)
        return at_the_click, app.login_screens.built(LoginStep.PASSWORD) is not None

    drawn(app.email_screen)
    drawn(app.login_screens.built(LoginStep.METHOD))
    assert on_a_thread_of_its_own(lambda: asyncio.run(next_then_wait())) == (False, True)
    assert app.current is app.login_screens.built(LoginStep.METHOD)  # built hidden: nothing else moved


def test_without_a_drawn_page_next_still_builds_the_next_screen_when_needed(
    app: ConnectApp, account: NewAccount, traffic: Traffic
) -> None:
    submit_email(app, account.admin_email)  # no view count yet (a page not drawn, or a test)
    assert isinstance(app.current, MethodScreen) and traffic.opened  # built at the click, as before


def test_a_screen_built_ahead_does_nothing_while_hidden_and_a_browser_cannot_show_it(
    app: ConnectApp, account: NewAccount
) -> None:
    drawn(app.email_screen)
    method = app.login_screens.built(LoginStep.METHOD)
    assert isinstance(method, MethodScreen)
    method.next_button.click()  # a forged click on the hidden screen
    assert app.flow.step is LoginStep.EMAIL and app.current is app.email_screen
    assert shown_message(app) == ""
    select_in_browser(app, method)
    assert app.current is app.email_screen and displayed(app) == [app.email_screen]


def test_a_hidden_screen_drawn_builds_nothing_ahead(app: ConnectApp, account: NewAccount) -> None:
    app.go(Place.LOGIN_ISSUES)
    drawn(app.email_screen)  # a late or forged view count from a screen not showing
    assert app.login_screens.built(LoginStep.METHOD) is None


def test_a_busy_page_builds_nothing_ahead(app: ConnectApp, account: NewAccount) -> None:
    app.busy = True
    try:
        assert app.build_ahead() is None
    finally:
        app.busy = False
    assert isinstance(app.build_ahead(), MethodScreen)


def test_the_password_screen_built_ahead_focuses_the_logon_for_a_domain_login(
    app: ConnectApp, services: ConnectServices, account: NewAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_domain_logins(services, account.account_code)
    submit_email(app, account.admin_email)
    method = app.current
    assert isinstance(method, MethodScreen)
    drawn(method)
    password = app.login_screens.built(LoginStep.PASSWORD)
    assert isinstance(password, PasswordScreen)  # built while the flow still says Cloud
    focused: list[str] = []
    monkeypatch.setattr(password.logon, "focus", lambda: focused.append("logon"))
    monkeypatch.setattr(password.password, "focus", lambda: focused.append("password"))
    method.method.value = "domain"
    method.next_button.click()
    assert app.current is password and password.logon.layout.display is None
    drawn(password)
    assert focused == ["logon", "logon"]  # when shown, and again when its view is drawn


def test_a_database_that_cannot_be_opened_ahead_is_reported_by_the_step_itself(
    services: ConnectServices, account: NewAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = ConnectApp(services)
    missing = Path(str(services.engine.url.database)).parent / "missing" / "connect.db"
    engine = create_engine(f"sqlite:///file:{missing}?mode=ro&uri=true")
    monkeypatch.setattr(services, "engine", engine)
    try:
        drawn(app.email_screen)  # no traceback from the warm-up (the callback-errors fixture would fail)
        submit_email(app, account.admin_email)
        assert shown_message(app) == STORAGE_UNAVAILABLE
        assert isinstance(app.current, EmailScreen)
    finally:
        engine.dispose()


def test_a_page_loads_its_flow_after_drawing_its_first_screen_unless_its_kernel_is_pre_heated(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A kernel started for a visitor shows Email first; a pre-heated one has everything loaded before them."""
    monkeypatch.setattr(page, "page_query_string", lambda: "")
    monkeypatch.setattr(page, "is_pre_heated", lambda: False)
    app = page.build_app(settings)
    assert "flow" not in app.__dict__ and "services" not in app.__dict__
    monkeypatch.setattr(page, "is_pre_heated", lambda: True)
    app = page.build_app(settings)
    assert "flow" in app.__dict__ and "services" in app.__dict__
