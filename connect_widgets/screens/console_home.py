"""The Administration Console's home: the account, its setup progress, and the Application Switcher.

The switcher opens the other applications of the same server in this tab. Its
Connect link carries a single-use hand-off (``connect.ipynb?handoff=...``, see
:mod:`connect_widgets.core.auth.handoffs`) so the admin arrives in Connect signed in.

Why the link is made when the switcher opens and renewed every 20 seconds: the
browser follows an ``<a>`` by itself, without telling the kernel, and a button's
click reaches the kernel but cannot open a page. So a real link must already be in
the page when the admin clicks it, and each link lives 60 seconds. Opening the list
makes a fresh one; while it stays open a timer swaps in a new one every 20 seconds,
so whichever the admin clicks has at least 40 seconds left for Connect's page to
start and use it. The renewals are not activity (an idle session still times out)
and stop after 5 minutes: the list closes, and opening it again makes a new link.
Closing the list or logging out takes the link out of the page.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Protocol
from urllib.parse import urlencode

import ipywidgets as widgets

from connect_widgets.core.accounts.console import console_facts
from connect_widgets.core.auth.handoffs import Handoff
from connect_widgets.core.errors import ConnectError
from connect_widgets.core.tasks.board import TaskBoard
from connect_widgets.screens.kit import Screen, ScreenHost
from connect_widgets.screens.polling import PagePoll

# Other applications of the Administration Console, shown so the switcher looks like the
# real one; only Connect is part of this kit.
OTHER_APPLICATIONS = ("Email Security", "Archive", "Awareness Training")
LINK_RENEWAL_SECONDS = 20  # links live 60 s: a clicked one has at least 40 s left to be used
LINK_RENEWALS = 15  # 5 minutes open, then the list closes itself


def _refusal(error: ConnectError) -> Callable[[], None]:
    """An action that raises ``error`` (bound now), so the shell shows it like any refusal."""

    def refuse() -> None:
        raise error

    return refuse


class HandoffSource(Protocol):
    """What makes the switcher's links: the signed-in admin's login flow."""

    def mint_handoff(self, *, activity: bool = True) -> Handoff:
        """A single-use link into Connect for the signed-in admin."""
        ...


class ConsoleHomeScreen(Screen):
    """The account's facts, and the switcher whose Connect link signs the admin in there."""

    def __init__(self, host: ScreenHost, board: TaskBoard, handoffs: HandoffSource) -> None:
        super().__init__(host, title="Your account")  # the header already names the console
        self.board = board
        self.handoffs = handoffs
        self.switcher_button = widgets.Button(icon="th", tooltip="Application Switcher", description="Applications")
        self.switcher_button.add_class("connect-switcher")
        self.switcher_button.on_click(lambda _b: self.toggle_switcher())
        self.applications = widgets.HTML()
        self.applications.add_class("connect-applications")
        self.applications.layout.display = "none"
        self.facts = widgets.HTML()
        self.renewal = PagePoll(self.renew_link, seconds=LINK_RENEWAL_SECONDS, name="switcher link renewal")
        self._handoff: Handoff | None = None  # the link in the page, while the list is open
        self._admin_email = ""
        self._renewals_left = 0
        self.compose(widgets.HBox([self.switcher_button]), self.applications, self.facts)

    def on_show(self) -> None:
        facts = console_facts(self.board)
        self._admin_email = facts.admin_email
        working = ", ".join(facts.in_progress) if facts.in_progress else "none"
        self.facts.value = (
            f"<h3>{html.escape(facts.company)}</h3>"
            f'<table class="connect-table"><tr><th>Account code</th><td>{html.escape(facts.account_code)}</td></tr>'
            f"<tr><th>Region</th><td>{html.escape(facts.region)}</td></tr>"
            f"<tr><th>Platform</th><td>{html.escape(facts.platform)}</td></tr>"
            f"<tr><th>Setup progress</th><td>{facts.required_done} of {facts.required_total} required "
            f"tasks complete</td></tr><tr><th>In progress</th><td>{html.escape(working)}</td></tr></table>"
            "<p>To set your account up, open <b>Connect</b> from the Application Switcher.</p>"
        )
        self._draw_applications()

    def _draw_applications(self) -> None:
        if self._handoff is None:
            self.applications.value = ""
            return
        # The email too: should the link be refused, Connect's login starts with it filled in.
        connect = "connect.ipynb?" + urlencode({"handoff": self._handoff.token, "email": self._admin_email})
        others = "".join(
            f'<li class="connect-unavailable">{html.escape(name)} <span>(not part of this kit)</span></li>'
            for name in OTHER_APPLICATIONS
        )
        self.applications.value = (
            f'<ul><li><a href="{html.escape(connect)}" target="_self">Connect</a> '
            f"<span>set up your account (you stay signed in)</span></li>{others}</ul>"
        )

    @property
    def switcher_open(self) -> bool:
        return bool(self.applications.layout.display != "none")

    def toggle_switcher(self) -> None:
        if self.switcher_open:
            self.close_switcher()
        else:
            self.submit(self._open_switcher)

    def _open_switcher(self) -> None:
        self._handoff = self.handoffs.mint_handoff()
        self._renewals_left = LINK_RENEWALS
        self.applications.layout.display = None
        self.renewal.start()  # the shell redraws this screen after the step: the link appears then

    def close_switcher(self) -> None:
        """Hide the list and take its link out of the page."""
        self.renewal.stop()
        self._handoff = None
        self._renewals_left = 0
        self.applications.layout.display = "none"
        self._draw_applications()

    def renew_link(self) -> bool:
        """The timer: put a fresh link in the open list; False (and the list closed) when done."""
        if not self.switcher_open or self._renewals_left <= 0:
            self.close_switcher()
            return False
        try:
            self._handoff = self.handoffs.mint_handoff(activity=False)
        except ConnectError as refused:  # signed out meanwhile: the shell says so and shows the login
            self.close_switcher()
            self.submit(_refusal(refused))  # bound now: the name ends with the except block
            return False
        self._renewals_left -= 1
        self._draw_applications()
        return True

    def forget(self) -> None:
        super().forget()
        self.close_switcher()
        self._admin_email = ""
        self.facts.value = ""
