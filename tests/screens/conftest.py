"""The whole Connect app in-process, driven the way an admin drives it.

Tests set a control's ``.value`` and call ``.click()`` (or send the text field's
Enter event), then read what the page shows and what the database holds. The
services come from the shared ``services`` fixture: a fresh SQLite file and a
frozen clock per test.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Iterator
from typing import Any

import ipywidgets as widgets
import pytest
from sqlmodel import func, select

from connect_widgets.core.accounts.create import NewAccount
from connect_widgets.core.clock import FrozenClock
from connect_widgets.core.services import ConnectServices
from connect_widgets.core.tasks.catalogue import TaskState
from connect_widgets.pages.connect import ConnectApp
from connect_widgets.screens.console_home import ConsoleHomeScreen
from connect_widgets.screens.kit import Place
from connect_widgets.screens.login.change_password import ChangePasswordScreen
from connect_widgets.screens.login.email import EmailScreen
from connect_widgets.screens.login.enrol_phone import EnrolPhoneScreen
from connect_widgets.screens.login.log_in import LogInScreen
from connect_widgets.screens.login.passcode import PasscodeScreen
from connect_widgets.screens.login.password import PasswordScreen
from connect_widgets.screens.login.returning import ReturningScreen
from connect_widgets.screens.login.setup_complete import SetupCompleteScreen
from connect_widgets.screens.login.welcome import WelcomeScreen
from connect_widgets.screens.tasks.page import TaskScreen
from connect_widgets.screens.tasks.steps import StepView
from connect_widgets.store.engine import new_session
from tests.conftest import GB_MOBILE, NEW_PASSWORD, SMS_NOT_SENT, code_from_sms, verify_domain

# --- fixtures ------------------------------------------------------------------------


@pytest.fixture
def app(services: ConnectServices, account: NewAccount) -> ConnectApp:
    """The Connect page as a browser would open it, with the ACME account created."""
    return ConnectApp(services)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


class _CallbackErrors(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if "Exception in callback" in record.getMessage():
            self.records.append(record)


@pytest.fixture(autouse=True)
def callback_errors(request: pytest.FixtureRequest) -> Iterator[list[logging.LogRecord]]:
    """ipywidgets swallows an exception raised by a click handler (it only logs it);
    a test that otherwise passed must not hide one."""
    handler = _CallbackErrors()
    logger = logging.getLogger("traitlets")
    logger.addHandler(handler)
    try:
        yield handler.records
    finally:
        logger.removeHandler(handler)
    call_report = getattr(request.node, "report_call", None)
    if call_report is not None and call_report.passed and handler.records:
        errors = "; ".join(r.getMessage() for r in handler.records)
        pytest.fail(f"a widget callback raised: {errors}")


# --- reading the page ---------------------------------------------------------------


def plain(markup: str) -> str:
    """HTML as the admin reads it: tags dropped, entities decoded, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def shown_message(app: ConnectApp) -> str:
    return plain(app.message.value)


def intro(screen: Any) -> str:
    return plain(screen.intro.value)


def press_enter(field: widgets.Text) -> None:
    """What the browser sends when Enter is pressed in a text field."""
    field._handle_custom_msg({"event": "submit"}, [])


def _widget_parts(obj: Any) -> Iterator[widgets.Widget]:
    if isinstance(obj, widgets.Widget):
        yield obj
    elif isinstance(obj, dict):
        for value in obj.values():
            yield from _widget_parts(value)
    elif isinstance(obj, (list, tuple)):
        for value in obj:
            yield from _widget_parts(value)


def all_widgets(app: ConnectApp) -> list[widgets.Widget]:
    """Every widget of the page: the children tree, plus controls a screen holds
    but is not showing right now (e.g. the reset form's later fields)."""
    seen: dict[int, widgets.Widget] = {}
    todo: list[widgets.Widget] = [app]
    while todo:
        widget = todo.pop()
        if id(widget) in seen:
            continue
        seen[id(widget)] = widget
        todo.extend(getattr(widget, "children", ()) or ())
        if isinstance(widget, (ConnectApp, widgets.Box)):
            for name, value in vars(widget).items():
                if not name.startswith("_trait"):
                    todo.extend(_widget_parts(value))
    return list(seen.values())


def widget_texts(app: ConnectApp) -> list[str]:
    """Every string a widget holds or shows: value, description, tooltip, placeholder, titles."""
    texts: list[str] = []
    for widget in all_widgets(app):
        for name in ("value", "description", "tooltip", "placeholder", "label"):
            value = getattr(widget, name, None)
            if isinstance(value, str):
                texts.append(value)
        texts.extend(t for t in getattr(widget, "titles", ()) or () if isinstance(t, str))
    return texts


def page_text(app: ConnectApp) -> str:
    """Every widget text of the page as one string, for "does the page say ..." checks."""
    return " ".join(widget_texts(app))


def holds_anywhere(app: ConnectApp, secret: str) -> list[str]:
    """The widget texts that contain ``secret`` (empty when none does)."""
    return [text for text in widget_texts(app) if secret in text]


# --- the database --------------------------------------------------------------------


def count_rows(services: ConnectServices, model: type, *where: Any) -> int:
    with new_session(services.engine) as db:
        return db.exec(select(func.count()).select_from(model).where(*where)).one()


def rows(services: ConnectServices, model: type, *where: Any) -> list[Any]:
    with new_session(services.engine) as db:
        return list(db.exec(select(model).where(*where)))


# --- driving the login -----------------------------------------------------------------


def submit_email(app: ConnectApp, email: str) -> None:
    screen = app.current
    assert isinstance(screen, EmailScreen), type(screen)
    screen.email.value = email
    screen.next_button.click()


def reach_password(app: ConnectApp, email: str) -> PasswordScreen:
    """Email, Next, Cloud, Next: the Password screen."""
    submit_email(app, email)
    app.current.next_button.click()  # Method screen, Cloud is the default
    screen = app.current
    assert isinstance(screen, PasswordScreen), shown_message(app)
    return screen


def reach_enrol(app: ConnectApp, account: NewAccount) -> EnrolPhoneScreen:
    screen = reach_password(app, account.admin_email)
    screen.password.value = account.temporary_password
    screen.next_button.click()
    enrol = app.current
    assert isinstance(enrol, EnrolPhoneScreen), shown_message(app)
    return enrol


def reach_first_passcode(app: ConnectApp, account: NewAccount) -> PasscodeScreen:
    enrol = reach_enrol(app, account)
    enrol.number.value = GB_MOBILE
    enrol.next_button.click()
    screen = app.current
    assert isinstance(screen, PasscodeScreen), shown_message(app)
    return screen


def resend_after_a_failed_sms(app: ConnectApp, clock: FrozenClock, account: NewAccount) -> PasscodeScreen:
    """The first passcode page while SMS cannot be sent: it says so, and 30 seconds on Resend is clicked."""
    screen = reach_first_passcode(app, account)
    assert intro(screen) == SMS_NOT_SENT
    clock.advance(seconds=30)
    screen.resend_button.click()
    return screen


def verify_code(app: ConnectApp, services: ConnectServices) -> LogInScreen:
    screen = app.current
    assert isinstance(screen, PasscodeScreen), type(screen)
    screen.code.value = code_from_sms(services)
    screen.verify_button.click()
    log_in = app.current
    assert isinstance(log_in, LogInScreen), shown_message(app)
    return log_in


def reach_change_password(app: ConnectApp, services: ConnectServices, account: NewAccount) -> ChangePasswordScreen:
    reach_first_passcode(app, account)
    verify_code(app, services).log_in_button.click()
    screen = app.current
    assert isinstance(screen, ChangePasswordScreen), shown_message(app)
    return screen


def log_in_first_time(app: ConnectApp, services: ConnectServices, account: NewAccount) -> WelcomeScreen:
    """Every screen of a first login, ending on Welcome with the password NEW_PASSWORD."""
    screen = reach_change_password(app, services, account)
    screen.current.value = account.temporary_password
    screen.new.value = NEW_PASSWORD
    screen.confirm.value = NEW_PASSWORD
    screen.change_button.click()
    welcome = app.current
    assert isinstance(welcome, ConsoleHomeScreen if app.console else WelcomeScreen), shown_message(app)
    return welcome


def log_in_again(app: ConnectApp, services: ConnectServices, email: str, password: str = NEW_PASSWORD) -> Any:
    """A later login (phone saved, password changed); returns the landing screen."""
    screen = reach_password(app, email)
    screen.password.value = password
    screen.next_button.click()
    assert isinstance(app.current, PasscodeScreen), shown_message(app)
    verify_code(app, services).log_in_button.click()
    landing = app.current
    expected = (ConsoleHomeScreen,) if app.console else (WelcomeScreen, ReturningScreen, SetupCompleteScreen)
    assert isinstance(landing, expected), shown_message(app)
    return landing


# --- setup tasks ---------------------------------------------------------------


def open_task(app: ConnectApp, key: str) -> Any:
    """Open a task's page (starting it if needed) and return its view."""
    app.go(Place.TASK, key=key)
    screen = app.current
    assert isinstance(screen, TaskScreen), screen
    if screen.start_button.layout.display != "none":
        screen.start_button.click()
    view = screen.body.children[0]
    return view  # type: ignore[return-value]


def state(app: ConnectApp, key: str) -> TaskState:
    return app.board.overview().get(key).state


def step_line(view: StepView) -> str:
    return view.progress_line.value


def completes(app: ConnectApp, key: str, button: widgets.Button, *, shows: str) -> None:
    """A click on ``button`` completes task ``key``, and the page then says ``shows``."""
    button.click()
    assert state(app, key) is TaskState.COMPLETE, shown_message(app)
    assert shows in page_text(app)


@pytest.fixture
def dns_app(services, account, zone):
    """Signed in after a first login, with DNS checks asking the test's zone; returns the app and the zone's records."""
    records, port = zone
    services.settings = services.settings.model_copy(update={"dns_nameservers": f"127.0.0.1:{port}"})
    app = ConnectApp(services)
    log_in_first_time(app, services, account)
    return app, records


@pytest.fixture
def ready_app(dns_app):
    """Signed in, details confirmed, primary domain verified through the page."""
    app, records = dns_app
    details = open_task(app, "confirm_details")
    details.correct.value = True
    details.confirm_button.click()
    domains = open_task(app, "validate_domains")
    domains.add_button.click()
    records.txt["acme.example"] = [domains.task.domains()[0].record_value]
    domains.check_buttons["acme.example"].click()
    domains.finish_button.click()
    assert state(app, "validate_domains") is TaskState.COMPLETE
    return app, records


@pytest.fixture
def signed_in(services, account) -> ConnectApp:
    """A first login done, details confirmed and a domain verified: the import tasks are open."""
    app = ConnectApp(services)
    log_in_first_time(app, services, account)
    app.board.save("confirm_details", version=0, state=TaskState.COMPLETE)
    verify_domain(services)
    return app
