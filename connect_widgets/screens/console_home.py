"""The Administration Console's home: the account, its setup progress, and the Application Switcher.

The switcher opens the other applications of the same server in this tab; Connect
opens with the admin's email filled in, and asks for every login step again.
"""

from __future__ import annotations

import html
from urllib.parse import urlencode

import ipywidgets as widgets

from connect_widgets.core.console import console_facts
from connect_widgets.core.progress import TaskBoard
from connect_widgets.screens.screen import Screen, ScreenHost

# Other applications of the Administration Console, shown so the switcher looks like the
# real one; only Connect is part of this kit.
OTHER_APPLICATIONS = ("Email Security", "Archive", "Awareness Training")


class ConsoleHomeScreen(Screen):
    def __init__(self, host: ScreenHost, board: TaskBoard) -> None:
        super().__init__(host, title="Administration Console")
        self.board = board
        self.switcher_button = widgets.Button(icon="th", tooltip="Application Switcher",
                                              description="Applications")
        self.switcher_button.add_class("connect-switcher")
        self.switcher_button.on_click(lambda _b: self.toggle_switcher())
        self.applications = widgets.HTML()
        self.applications.add_class("connect-applications")
        self.applications.layout.display = "none"
        self.facts = widgets.HTML()
        self.compose(widgets.HBox([self.switcher_button]), self.applications, self.facts)

    def on_show(self) -> None:
        facts = console_facts(self.board)
        working = (", ".join(facts.in_progress) if facts.in_progress else "none")
        self.facts.value = (
            f"<h3>{html.escape(facts.company)}</h3>"
            f"<table class=\"connect-table\"><tr><th>Account code</th><td>{html.escape(facts.account_code)}</td></tr>"
            f"<tr><th>Region</th><td>{html.escape(facts.region)}</td></tr>"
            f"<tr><th>Platform</th><td>{html.escape(facts.platform)}</td></tr>"
            f"<tr><th>Setup progress</th><td>{facts.required_done} of {facts.required_total} required "
            f"tasks complete</td></tr><tr><th>In progress</th><td>{html.escape(working)}</td></tr></table>"
            "<p>To set your account up, open <b>Connect</b> from the Application Switcher.</p>"
        )
        connect = "connect.ipynb?" + urlencode({"email": facts.admin_email})
        others = "".join(f'<li class="connect-unavailable">{html.escape(name)} <span>(not part of this kit)'
                         "</span></li>" for name in OTHER_APPLICATIONS)
        self.applications.value = (
            f'<ul><li><a href="{html.escape(connect)}" target="_self">Connect</a> '
            f"<span>set up your account</span></li>{others}</ul>"
        )

    def toggle_switcher(self) -> None:
        shown = self.applications.layout.display != "none"
        self.applications.layout.display = "none" if shown else None

    def forget(self) -> None:
        super().forget()
        self.applications.layout.display = "none"
        self.facts.value = self.applications.value = ""
