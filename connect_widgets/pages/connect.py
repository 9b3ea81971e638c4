"""The shell: one screen at a time, chosen from the login flow's state.

``build_app(settings=...)`` is all a notebook needs. The page is a
:class:`~connect_widgets.pages.shell.PageShell` (the message area, the busy state,
one action at a time) with a header (product name, signed-in admin, Log out); each
screen hands it user actions through :meth:`ConnectApp.run`, which runs the action
as one step through the shell, turns any refusal into plain words in the message
area, and then shows the screen the flow now calls for. Which screen shows is decided here
and only here, and kept in the shell's own field (:attr:`ConnectApp.shown`): the
screens' stack (:class:`~connect_widgets.pages.shell.ScreenStack`) only follows that
field, and a screen the browser shows or hides by itself is put back. Security is
decided by the flow, never by what is shown.

Screens are built when first needed, not all up front: a page opens on the Email
screen, and each other screen (the next login step, Welcome, a task page...) is
built, and added to the stack, the first time the flow reaches it or code asks
for it (``app.welcome``, ``app.login_screens[step]``). Every widget costs the
kernel CPU and the browser a model to receive, and most pages never see most screens.
Only the step every login passes next is built ahead (:data:`BUILD_AHEAD`: Email's
Method screen, Method's Password screen), once the current screen is drawn in the
browser: the page receives its models and draws it, hidden, while the admin types,
and Next then only hides one screen and shows the other — a few small updates instead
of a model per widget, layout and style, and no DOM to build, at the click
(``benchmarks/round_trip.py``). A page nobody looks at builds nothing more.

A storage failure (disk full, read-only, locked too long) reads "Connect cannot
save right now"; nothing unexpected ever shows a traceback, and in a kernel the
log goes to the server (:mod:`connect_widgets.kernel_log`), not to the page.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import parse_qs

from connect_widgets.core.auth.addresses import is_account_code, parse_connect_address
from connect_widgets.core.auth.steps import LoginStep
from connect_widgets.core.errors import ConnectError, SessionExpired
from connect_widgets.core.tasks.catalogue import Resource, load_resources
from connect_widgets.kernel_log import keep_kernel_log_on_server
from connect_widgets.pages.memory import return_free_memory
from connect_widgets.pages.shell import (
    STORAGE_UNAVAILABLE,
    PageHeader,
    PageShell,
    ScreenStack,
    is_pre_heated,
    page_query_string,
)
from connect_widgets.screens.kit import Place, Screen
from connect_widgets.screens.login.email import EmailScreen
from connect_widgets.settings import Settings, load_settings

if TYPE_CHECKING:  # the core loads after the first screen is drawn, each other screen when first built
    from connect_widgets.core.auth.flow import LoginFlow
    from connect_widgets.core.clock import Clock
    from connect_widgets.core.services import ConnectServices
    from connect_widgets.core.tasks.board import TaskBoard
    from connect_widgets.screens.console_home import ConsoleHomeScreen
    from connect_widgets.screens.login.login_issues import LoginIssuesScreen
    from connect_widgets.screens.login.returning import ReturningScreen
    from connect_widgets.screens.login.setup_complete import SetupCompleteScreen
    from connect_widgets.screens.login.welcome import WelcomeScreen
    from connect_widgets.screens.problem import ProblemScreen
    from connect_widgets.screens.tasks.dashboard import DashboardScreen
    from connect_widgets.screens.tasks.page import TaskScreen

log = logging.getLogger(__name__)

UNEXPECTED = (
    "Something went wrong on our side and nothing was changed. Try again; if it keeps "
    'happening, contact Connect support or choose "Login issues?".'
)
__all__ = [
    "STORAGE_UNAVAILABLE",
    "UNEXPECTED",
    "ConnectApp",
    "build_app",
    "handoff_from_query",
    "page_query_string",
    "prefill_from_query",
]


def prefill_from_query(query_string: str, *, suffix: str) -> str:
    """The email to pre-fill from the dedicated URL (``?account=ACME`` or ``?email=...``).

    Only ever pre-fills the field; anything unusable is ignored.
    """
    if not query_string or len(query_string) > 4096:
        return ""
    params = parse_qs(query_string)  # extra parameters (utm_*, ...) are simply ignored
    email = (params.get("email") or [""])[0]
    if email:
        try:
            return parse_connect_address(email, suffix=suffix).email
        except ConnectError:
            return ""
    code = (params.get("account") or [""])[0].strip()
    if code and len(code) <= 32 and is_account_code(code):
        return f"@{code.lower()}.{suffix}"
    return ""


def handoff_from_query(query_string: str) -> str | None:
    """The Administration Console's single-use token (``?handoff=...``), or ``None`` without one.

    Returned as sent, even empty or malformed: the flow refuses it and the admin is told.
    """
    if not query_string:
        return None
    if len(query_string) > 4096:
        return "" if "handoff=" in query_string else None
    tokens = parse_qs(query_string, keep_blank_values=True).get("handoff")
    return tokens[0] if tokens else None


AnyScreen = TypeVar("AnyScreen", bound=Screen)

# The step every login reaches next from each of these: its screen is built ahead (see the story).
BUILD_AHEAD: Mapping[LoginStep, LoginStep] = {LoginStep.EMAIL: LoginStep.METHOD, LoginStep.METHOD: LoginStep.PASSWORD}
BUILD_AHEAD_DELAY = 0.3  # seconds after a built-ahead screen is shown: the browser draws it first
SETTLE_DELAY = 1.0  # seconds after the last screen switch before the kernel gives memory back


class ScreensOnDemand(Mapping[LoginStep, Screen]):
    """The login steps' screens, each built the first time it is asked for.

    Args:
        builders: for each step that has a screen, how to build it (once).
    """

    def __init__(self, builders: Mapping[LoginStep, Callable[[], Screen]]) -> None:
        self._builders = builders
        self._built: dict[LoginStep, Screen] = {}

    def __getitem__(self, step: LoginStep) -> Screen:
        if step not in self._built:
            self._built[step] = self._builders[step]()  # KeyError for a step without a screen
        return self._built[step]

    def built(self, step: LoginStep) -> Screen | None:
        """The step's screen if it was built already (never builds it)."""
        return self._built.get(step)

    def __iter__(self) -> Iterator[LoginStep]:
        return iter(self._builders)

    def __len__(self) -> int:
        return len(self._builders)


class ConnectApp(PageShell):
    """The Connect application on one page: header, message area, and the current screen.

    Only the Email screen is built with the page; every other screen is built the
    first time it is needed (see the module's story), then kept for the page's life.

    Args:
        services: the kernel's services, or how to make them: then they, the login
            flow and the database layer behind them (SQLModel, the tables, the core)
            load when first needed — once the first screen is drawn (:meth:`build_ahead`),
            or before a pre-heated kernel's visitor arrives (:meth:`get_ready`) — so a
            kernel started for a visitor shows the Email screen without waiting for them.
        settings: required with a ``services`` factory (otherwise the services' own).
        prefill_email: the dedicated URL's address (see :meth:`use_dedicated_url_email`).
        console: the Administration Console: its home replaces Welcome.
    """

    def __init__(
        self,
        services: ConnectServices | Callable[[], ConnectServices],
        *,
        settings: Settings | None = None,
        prefill_email: str = "",
        console: bool = False,
    ) -> None:
        super().__init__(unexpected=UNEXPECTED)
        self._services_source = services
        if not callable(services):
            settings = services.settings
        elif settings is None:
            raise TypeError("ConnectApp needs the settings when it makes its services itself")
        self.settings = settings
        self.console = console  # the Administration Console: its home replaces Welcome
        self.place = Place.LOGIN

        self.header = PageHeader("Administration Console" if console else "Connect", on_log_out=self.log_out)
        self.product = self.header.product
        self.signed_in_as = self.header.signed_in_as
        self.log_out_button = self.header.log_out_button

        self._resources: tuple[Resource, ...] = load_resources()  # a broken install fails here, not mid-login
        self.stack = ScreenStack()  # each screen joins it when built (_adopt)
        self.email_screen = self._adopt(
            EmailScreen(
                self,
                lambda: self.flow,
                suffix=settings.holding_suffix,
                prefill=prefill_email,
                title="Log in to the Administration Console" if console else "Log in to Connect",
            )
        )
        self.login_screens = ScreensOnDemand(
            {
                LoginStep.EMAIL: lambda: self.email_screen,
                LoginStep.METHOD: self._build_method,
                LoginStep.PASSWORD: self._build_password,
                LoginStep.ENROL_PHONE: self._build_enrol_phone,
                LoginStep.PASSCODE: self._build_passcode,
                LoginStep.LOG_IN: self._build_log_in,
                LoginStep.CHANGE_PASSWORD: self._build_change_password,
            }
        )
        self.shown: Screen = self.email_screen  # set by show() only
        self._settling: asyncio.TimerHandle | None = None  # a pending give_back_memory (see show)
        self.stack.select(self._index_of(self.shown))
        self.busy_area = self.stack  # greyed out while a step runs
        self.busy_controls = (self.log_out_button,)  # the step in progress finishes first
        self.lay_out(self.header, self.message, self.stack)
        self.show()

    # -- the core, loaded when first needed -------------------------------------------

    @cached_property
    def services(self) -> ConnectServices:
        """The kernel's services (the database, the clock, the courier...), made on first use."""
        source = self._services_source
        return source() if callable(source) else source

    @cached_property
    def flow(self) -> LoginFlow:
        """The login flow; loading it loads the database layer (see the class's ``services``)."""
        from connect_widgets.core.auth.flow import LoginFlow

        return LoginFlow(self.services)

    @cached_property
    def board(self) -> TaskBoard:
        from connect_widgets.core.tasks.board import TaskBoard

        return TaskBoard(self.flow)

    @property
    def _loaded_flow(self) -> LoginFlow | None:
        """The flow if something loaded it already (None: the page is still at its start, Email)."""
        return self.__dict__.get("flow")

    @property
    def step(self) -> LoginStep:
        """The flow's step, without loading the flow."""
        flow = self._loaded_flow
        return LoginStep.EMAIL if flow is None else flow.step

    @property
    def signed_in(self) -> bool:
        flow = self._loaded_flow
        return flow is not None and flow.signed_in

    def get_ready(self) -> None:
        """Load the flow and open the database now, while nobody waits (a pre-heated kernel).

        What loading freed goes back to the system before the kernel waits for its visitor.
        """
        _ = self.flow
        self.services.warm_up()
        return_free_memory()

    # -- the screens, each built when first needed ---------------------------------

    def _adopt(self, screen: AnyScreen) -> AnyScreen:
        """Add a newly built screen to the stack (after the others: shown indexes stay put)."""
        self._focus_when_rendered(screen)
        self.stack.add(screen)
        return screen

    @property
    def screens(self) -> tuple[Screen, ...]:
        """The screens built so far, in the stack's order."""
        return tuple(self.stack.screens)

    def _index_of(self, screen: Screen) -> int:
        """Where ``screen`` sits among the screens built (they grow as screens are built; none moves)."""
        return self.screens.index(screen)

    # Each screen's module is imported where the screen is built, the first time it is
    # needed: only the Email screen's module loads with the page, so a kernel that never
    # gets past it never loads the others (nor the task views and core modules they
    # bring) — part of a fresh kernel's import time (benchmarks/kernel_footprint.py).

    def _build_method(self) -> Screen:
        from connect_widgets.screens.login.method import MethodScreen

        return self._adopt(MethodScreen(self, self.flow))

    def _build_password(self) -> Screen:
        from connect_widgets.screens.login.password import PasswordScreen

        return self._adopt(PasswordScreen(self, self.flow))

    def _build_enrol_phone(self) -> Screen:
        from connect_widgets.screens.login.enrol_phone import EnrolPhoneScreen

        return self._adopt(EnrolPhoneScreen(self, self.flow, default_country=self.settings.default_country))

    def _build_passcode(self) -> Screen:
        from connect_widgets.screens.login.passcode import PasscodeScreen

        return self._adopt(PasscodeScreen(self, self.flow))

    def _build_log_in(self) -> Screen:
        from connect_widgets.screens.login.log_in import LogInScreen

        return self._adopt(LogInScreen(self, self.flow))

    def _build_change_password(self) -> Screen:
        from connect_widgets.screens.login.change_password import ChangePasswordScreen

        return self._adopt(ChangePasswordScreen(self, self.flow))

    @cached_property
    def welcome(self) -> WelcomeScreen:
        from connect_widgets.screens.login.welcome import WelcomeScreen

        return self._adopt(WelcomeScreen(self, self.flow, resources=self._resources))

    @cached_property
    def returning(self) -> ReturningScreen:
        from connect_widgets.screens.login.returning import ReturningScreen

        return self._adopt(ReturningScreen(self, self.flow))

    @cached_property
    def setup_complete(self) -> SetupCompleteScreen:
        from connect_widgets.screens.login.setup_complete import SetupCompleteScreen

        return self._adopt(SetupCompleteScreen(self, self.flow, resources=self._resources))

    @cached_property
    def login_issues(self) -> LoginIssuesScreen:
        from connect_widgets.core.auth.reset import PasswordReset
        from connect_widgets.screens.login.login_issues import LoginIssuesScreen

        reset = PasswordReset(self.services)
        return self._adopt(LoginIssuesScreen(self, self.flow, reset, suffix=self.settings.holding_suffix))

    @cached_property
    def dashboard(self) -> DashboardScreen:
        from connect_widgets.screens.tasks.dashboard import DashboardScreen

        return self._adopt(DashboardScreen(self, self.board))

    @cached_property
    def task(self) -> TaskScreen:
        from connect_widgets.screens.tasks.page import TaskScreen

        return self._adopt(TaskScreen(self, self.board, signed_in=lambda: self.flow.signed_in))

    @cached_property
    def problem(self) -> ProblemScreen:
        from connect_widgets.screens.problem import ProblemScreen

        return self._adopt(ProblemScreen(self))

    @cached_property
    def console_home(self) -> ConsoleHomeScreen:
        from connect_widgets.screens.console_home import ConsoleHomeScreen

        return self._adopt(ConsoleHomeScreen(self, self.board, self.flow))

    # -- what is shown ----------------------------------------------------------

    @property
    def current(self) -> Screen:
        """The screen showing, as the shell decided it (never read back from the browser)."""
        return self.shown

    def _screen_for_state(self) -> Screen:
        step = self.step
        if step is not LoginStep.SIGNED_IN:
            if self.place is Place.LOGIN_ISSUES:
                return self.login_issues
            self.place = Place.LOGIN
            return self.login_screens[step]
        if self.console:
            return self.console_home  # the console has no task pages of its own
        if self.place is Place.DASHBOARD:
            return self.dashboard
        if self.place is Place.TASK:
            return self.task
        kind = self.flow.landing().kind
        return {"welcome": self.welcome, "complete": self.setup_complete}.get(kind, self.returning)

    def show(self) -> None:
        """Show the screen the flow's state (and the chosen place) calls for.

        Drawing a page reads the database too; if that fails the admin sees why
        and a way to try again, never a page that silently did not change.
        """
        try:
            screen = self._screen_for_state()
            screen.on_show()
        except SessionExpired as expired:
            self.place = Place.LOGIN
            self.show_message(expired.message)
            screen = self.login_screens[self.flow.step]
            screen.on_show()
        except ConnectError as refused:
            self.show_message(refused.message)
            screen = self.problem
        except Exception as failed:
            log.exception("could not draw the %s page", self.place.value)
            self.show_message(self.words_for(failed))
            screen = self.problem
        self.shown = screen
        drawn_ahead = self.stack.select(self._index_of(screen))
        self.header.show_signed_in((self.flow.email or "") if self.signed_in else None)
        field = screen.first_field()
        if field is not None:
            field.focus()
        if drawn_ahead:  # the switch was all it took: the next screen, and tidying, once it is seen
            self._build_ahead_soon()
        self._give_back_memory_soon()

    def use_dedicated_url_email(self, email: str) -> None:
        """Put the dedicated URL's address in the Email field; it never skips a step."""
        if email and self.step is LoginStep.EMAIL:
            self.email_screen.use_prefill(email)

    def arrive_from_console(self, token: str | None) -> None:
        """Sign in with the Administration Console's single-use link, when the page has one.

        A link that cannot be used leaves the Email screen, saying why; never a
        traceback. The token only goes to the flow: it is kept and shown nowhere.
        """
        if token is None or self.console:
            return
        try:
            self.flow.sign_in_with_handoff(token)
        except ConnectError as refused:
            self.show_message(refused.message, kind="info")
        except Exception as failed:
            log.exception("could not use the link from the Administration Console")
            self.show_message(self.words_for(failed))
        self.show()

    def _focus_when_rendered(self, screen: Screen) -> None:
        """Focus a screen's first field once the browser has drawn the screen, then build ahead.

        A focus request sent before the page exists is lost (the first screen is
        built before the page loads), so the screen counts its views and focuses
        its field when one appears. The count lives on the screen's box, not on
        the field: a sync pending on the field's own model would hold back the
        admin's typing behind it, and a click could then overtake the text.
        The same moment — the shown screen is on the page, the admin reads it —
        is when the likely next screen is built (:meth:`build_ahead`). A screen
        built ahead is drawn while hidden, so for it :meth:`show` does both at once.
        """
        if screen.first_field() is None:
            return
        screen._view_count = 0

        def rendered(change: dict[str, Any]) -> None:
            if (change["new"] or 0) > (change["old"] or 0) and screen is self.current:
                field = screen.first_field()  # asked now: a screen built ahead learns its step's details later
                if field is not None:
                    field.focus()
                self.build_ahead()

        screen.observe(rendered, "_view_count")

    def _build_ahead_soon(self) -> None:
        """:meth:`build_ahead`, and empty the screen left behind, once the browser has shown a screen drawn ahead.

        In a kernel, :data:`BUILD_AHEAD_DELAY` seconds later, from its event loop: sent
        at once, the next screen's models (about 30, 35 KB) and the old screen's
        removal would reach the page right behind the switch and hold back showing it.
        Outside a kernel (tests, scripts) there is nothing to draw: both at once.
        """

        def build() -> None:
            try:
                self.build_ahead()
                self.stack.tidy()
            except Exception:  # a timer's failure has nobody to tell: the step builds it when reached
                log.exception("could not build the next screen ahead")

        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            build()
            return
        loop.call_later(BUILD_AHEAD_DELAY, build)

    def _give_back_memory_soon(self) -> None:
        """:meth:`give_back_memory`, :data:`SETTLE_DELAY` seconds after the last screen switch, in a kernel.

        From the kernel's event loop, once the page has settled: never on a click's
        path. Each switch puts the pending call off, so a burst of steps gives back
        once. Outside a kernel (tests, scripts) nothing is put off: there is no
        server to give memory back to, and tests call :meth:`give_back_memory` itself.
        """
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        if self._settling is not None:
            self._settling.cancel()

        def settle() -> None:
            self._settling = None
            try:
                self.give_back_memory()
            except Exception:  # a timer's failure has nobody to tell, and costs only memory
                log.exception("could not give memory back")

        self._settling = loop.call_later(SETTLE_DELAY, settle)

    def give_back_memory(self) -> None:
        """Hand back what the kernel holds but no longer needs (see :mod:`connect_widgets.pages.memory`).

        Past the password change (the flow's step is signed in), the admin has no new
        password left to type: the password check's dictionaries go. Then the
        allocator's free pages go back to the system.
        """
        if self.step is LoginStep.SIGNED_IN:
            from connect_widgets.core.auth.passwords import release_guess_checker

            release_guess_checker()
        return_free_memory()

    def build_ahead(self) -> Screen | None:
        """Build the screen of the step every login reaches next (:data:`BUILD_AHEAD`); None when none.

        The browser draws it hidden (:meth:`ScreenStack.draw_ahead`): nothing shows
        it but :meth:`show`, and its actions do nothing until then (:meth:`run`
        ignores a screen not showing). Done only while the shown screen is the flow's
        current login step and no step runs, so a late or forged view count builds
        at most that one screen.
        """
        step = self.flow.step
        following = BUILD_AHEAD.get(step)
        if following is None or self.busy or self.place is not Place.LOGIN:
            return None
        if self.shown is not self.login_screens.built(step):
            return None
        ahead = self.login_screens[following]
        self.stack.draw_ahead(ahead)
        if step is LoginStep.EMAIL:
            self.services.warm_up()  # the first Next is the kernel's first database step
        return ahead

    # -- ScreenHost -------------------------------------------------------------

    def run(self, screen: Screen, action: Callable[[], Any], *, busy: str = "", quick: bool = False) -> bool:
        """Run one user action; refusals become a message, never a traceback.

        Events from a screen that is not showing (a queued double click, a forged
        message) are ignored: the flow would refuse most of them anyway. "Showing"
        is :attr:`shown`, the shell's own field, never the browser's selected tab.
        While the action runs the page is greyed out, Log out is disabled, and
        ``busy`` (when given) shows with a spinner: the widget state is sent before
        the action starts.
        """
        if self.busy:  # the step in progress finishes first; nothing is redrawn meanwhile
            log.info("ignored an action while another one runs")
            return False
        if screen is not self.current:
            log.info("ignored an event from hidden screen %s", type(screen).__name__)
            return False
        ok = self.run_action(action, busy=busy, what=type(screen).__name__, quick=quick)
        self.show()
        return ok

    def go(self, place: Place, **details: str) -> None:
        """Show a place that is not a login step; the flow still decides what is allowed."""
        self.show_message("")
        if place is Place.TASK:
            self.task.show_task(details.get("key", ""))
        self.place = place
        self.show()

    def log_out(self) -> None:
        if self.busy:  # a forged click on the disabled button: the step in progress finishes first
            log.info("ignored Log out while a step runs")
            return
        self.place = Place.LOGIN
        self.flow.log_out()
        for screen in self.screens:  # only screens built so far can hold anything
            screen.forget()  # the next admin at this browser finds nothing of the last one
        self.show_message("You have logged out.", kind="info")
        self.show()


def build_app(
    settings: Settings | None = None,
    *,
    query_string: str | None = None,
    clock: Clock | None = None,
    console: bool = False,
) -> ConnectApp:
    """Build the Connect application (or the Administration Console) for one page.

    Args:
        settings: defaults to the environment (``CONNECT_*``).
        query_string: the page's query string; defaults to Voila's ``QUERY_STRING``.
        clock: a frozen clock for tests and demos.
        console: the Administration Console: the same login, then its home with the
            Application Switcher instead of Connect's pages.
    """
    settings = settings or load_settings()
    keep_kernel_log_on_server(settings)

    def services() -> ConnectServices:
        from connect_widgets.core.services import build_services

        return build_services(settings, clock=clock)

    app = ConnectApp(services, settings=settings, console=console)
    if query_string is None:
        if is_pre_heated():
            app.get_ready()  # before the request: its visitor finds everything loaded
        query_string = page_query_string()
    app.use_dedicated_url_email(prefill_from_query(query_string, suffix=settings.holding_suffix))
    app.arrive_from_console(handoff_from_query(query_string))
    return app
