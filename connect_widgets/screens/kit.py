"""What every screen shares: the host it reports to, its frame, and small controls.

A screen is an ``ipywidgets.VBox`` built from its services. It exposes its
controls as attributes (``.email``, ``.next_button``) so that tests and users take
the same path (set ``.value``, call ``.click()``). It never changes what is shown:
it hands each user action to its :class:`ScreenHost` (the shell), which runs it as
one step, shows the outcome and then shows whatever screen the flow's state calls
for. Non-flow moves (open "Login issues?", back to the login) are typed
:class:`Place` requests to the host.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable
from enum import StrEnum
from typing import Any, Protocol

import ipywidgets as widgets

from connect_widgets.core.tasks.catalogue import Resource, TaskState

# Glyphs that every system font has (no emoji: they vanish without an emoji font).
TASK_ICONS = {
    TaskState.COMPLETE: ("✔", "Complete"),
    TaskState.IN_PROGRESS: ("◐", "In progress"),
    TaskState.AWAITING_VALIDATION: ("◷", "Awaiting validation"),
    TaskState.NOT_STARTED: ("○", "Not started"),
    TaskState.LOCKED: ("⊘", "Locked"),
}


class Place(StrEnum):
    """Places the shell can show that are not a login step."""

    LOGIN = "login"  # whichever login step the flow is at
    LOGIN_ISSUES = "login_issues"
    DASHBOARD = "dashboard"
    TASK = "task"
    CONSOLE = "console"  # the Administration Console's home (console notebook only)


class ScreenHost(Protocol):
    """The shell, as a screen sees it."""

    @property
    def current(self) -> Screen:
        """The screen showing, from the host's own record (never a trait the browser sets)."""
        ...

    def run(self, screen: Screen, action: Callable[[], Any], *, busy: str = "", quick: bool = False) -> bool:
        """Run ``action`` as one step; False if it was refused (the host shows why).

        Refused without running when ``screen`` is not :attr:`current` (a forged or
        queued event from a hidden screen). ``busy`` is what the admin reads, beside
        a spinner, while a slow step runs; a ``quick`` step (database only) does not
        grey the page out.
        """
        ...

    def go(self, place: Place, **details: str) -> None:
        """Show a place that is not a login step (e.g. ``go(Place.TASK, key=...)``)."""
        ...


def on_enter(field: widgets.Text, callback: Callable[[], object]) -> None:
    """Call ``callback`` when Enter is pressed in ``field`` (the text view's submit event)."""

    def handle(_widget: widgets.Widget, content: dict[str, Any], _buffers: object) -> None:
        if isinstance(content, dict) and content.get("event") == "submit":
            callback()

    field.on_msg(handle)


def text_field(label: str, *, placeholder: str = "", password: bool = False, width: str = "22em") -> widgets.Text:
    """A text or password input with a visible label above it, tied to it for screen readers.

    The label stays when the field is filled (a placeholder would vanish); a
    placeholder, when given, shows an example of what to type.
    """
    kind = widgets.Password if password else widgets.Text
    field = kind(description=label, placeholder=placeholder, layout=widgets.Layout(width=width))
    field.add_class("connect-field")
    return field


def _acting(button: widgets.Button, action: Callable[[], object] | None, enter_in: Iterable[widgets.Text]) -> None:
    if action is not None:
        button.on_click(lambda _b: action())
        for field in enter_in:
            on_enter(field, action)


def primary_button(
    label: str, action: Callable[[], object] | None = None, *, enter_in: Iterable[widgets.Text] = ()
) -> widgets.Button:
    """The screen's main button; it runs ``action`` when clicked, or on Enter in one of ``enter_in``."""
    button = widgets.Button(description=label, button_style="primary")
    button.add_class("connect-primary")
    _acting(button, action, enter_in)
    return button


def secondary_button(
    label: str, action: Callable[[], object] | None = None, *, enter_in: Iterable[widgets.Text] = ()
) -> widgets.Button:
    """A button beside the main one (Add, Cancel, Email the record), acting like :func:`primary_button`."""
    button = widgets.Button(description=label)
    button.add_class("connect-secondary")
    _acting(button, action, enter_in)
    return button


def link_button(label: str, action: Callable[[], object] | None = None) -> widgets.Button:
    """A button that looks like a link (its click must reach the kernel, unlike an <a>); it runs ``action``."""
    button = widgets.Button(description=label, tooltip=label)
    button.add_class("connect-link")
    _acting(button, action, ())
    return button


def paragraph(text: str, *, css: str = "connect-text") -> widgets.HTML:
    """Plain text, escaped (admin-visible strings never become markup by accident)."""
    block = widgets.HTML(f"<p>{html.escape(text)}</p>")
    block.add_class(css)
    return block


def resource_list(resources: tuple[Resource, ...]) -> widgets.HTML:
    """The "Resources" links (each opens in a new tab), or nothing when there are none."""
    items = "".join(
        f'<li><a href="{html.escape(r.url, quote=True)}" target="_blank" rel="noopener">'
        f"{html.escape(r.title)}</a> — {html.escape(r.summary)}</li>"
        for r in resources
    )
    block = widgets.HTML(f"<h3>Resources</h3><ul>{items}</ul>" if resources else "")
    block.add_class("connect-resources")
    return block


class Screen(widgets.VBox):  # type: ignore[misc]  # ipywidgets ships no types: its classes are Any to mypy
    """A titled card with a body; subclasses add their controls.

    Args:
        host: the shell that runs actions and changes screens.
        title: the heading the admin reads.
        intro: one line under the heading (optional).
    """

    title: str = ""

    def __init__(self, host: ScreenHost, *, title: str, intro: str = "") -> None:
        super().__init__(layout=widgets.Layout(width="100%"))
        self.host = host
        self.title = title
        self.heading = widgets.HTML(f"<h2>{html.escape(title)}</h2>")
        self.intro = widgets.HTML(f"<p>{html.escape(intro)}</p>" if intro else "")
        self.intro.add_class("connect-intro")
        self.intro.layout.display = None if intro else "none"  # no empty gap under the heading
        self.add_class("connect-screen")

    def compose(self, *parts: widgets.Widget) -> None:
        """Lay out the heading, the intro and the given parts (children are reassigned)."""
        self.children = (self.heading, self.intro, *parts)

    def set_intro(self, text: str) -> None:
        self.intro.value = f"<p>{html.escape(text)}</p>" if text else ""
        self.intro.layout.display = None if text else "none"

    def submit(self, action: Callable[[], Any], *, busy: str = "", quick: bool = False) -> bool:
        """Hand one user action to the shell; True when it went through.

        The shell runs it only while this screen is the one it shows (its own record),
        so an event sent to a hidden screen does nothing.

        Args:
            action: the step, run once by the shell.
            busy: words for a slow step ("Checking the TXT record for acme.example…"),
                shown with a spinner until it ends.
            quick: the step only reads and writes the database (no password hashing,
                no message sent, no directory or DNS asked): the page is not greyed
                out for the few milliseconds it takes.
        """
        return self.host.run(self, action, busy=busy, quick=quick)

    def task_link(self, label: str, key: str) -> widgets.Button:
        """A link that opens task ``key``'s page."""
        return link_button(label, lambda: self.host.go(Place.TASK, key=key))

    def open_task(self, key: str | None) -> None:
        """Open a task's page, or Connect Progress when there is no task to open."""
        if key:
            self.host.go(Place.TASK, key=key)
        else:
            self.host.go(Place.DASHBOARD)

    def on_show(self) -> None:
        """Called by the shell each time this screen becomes the visible one."""

    def first_field(self) -> widgets.DOMWidget | None:
        """The control that takes focus when the screen shows."""
        return None

    def clear_secrets(self) -> None:
        """Empty any field that held a secret (after each submit, success or not)."""

    def forget(self) -> None:
        """Empty everything the last admin typed (on log out)."""
        self.clear_secrets()


class LoginScreen(Screen):
    """A login step: its parts, then the "Login issues?" link at the bottom (as in the seed)."""

    def __init__(self, host: ScreenHost, *, title: str, intro: str = "") -> None:
        super().__init__(host, title=title, intro=intro)
        self.login_issues_link = link_button("Login issues?", lambda: self.host.go(Place.LOGIN_ISSUES))

    def compose(self, *parts: widgets.Widget) -> None:
        footer = widgets.HBox([self.login_issues_link])
        footer.add_class("connect-footer")
        super().compose(*parts, footer)
