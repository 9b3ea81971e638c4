"""After login, once every required task is complete: "Setup complete" instead of "Welcome back"."""

from __future__ import annotations

import html

import ipywidgets as widgets

from connect_widgets.core.auth.flow import LoginFlow
from connect_widgets.core.tasks.catalogue import Resource
from connect_widgets.screens.kit import Place, ScreenHost, primary_button
from connect_widgets.screens.login.landing import LandingScreen

CONSOLE_PAGE = "admin_console.ipynb"  # the Administration Console, beside Connect on the same server


class SetupCompleteScreen(LandingScreen):
    """What was done, the optional tasks still open, and where the account is managed from now on."""

    def __init__(self, host: ScreenHost, flow: LoginFlow, *, resources: tuple[Resource, ...]) -> None:
        super().__init__(host, flow, title="Setup complete", resources=resources)
        self.done = widgets.HTML()
        self.done.add_class("connect-text")
        self.optional = widgets.VBox()
        self.next_steps = widgets.HTML(
            "<h3>What to do next</h3><ul>"
            f'<li>Manage your account from the <a href="{CONSOLE_PAGE}" target="_self">Administration Console</a> '
            "from now on. Connect stays available from its Application Switcher if you want to look back at a "
            "task.</li>"
            "<li>For a change to the details or domains you set up here, contact Connect support.</li>"
            "</ul>"
        )
        self.next_steps.add_class("connect-text")
        self.progress_button = primary_button("See Connect Progress", lambda: self.host.go(Place.DASHBOARD))
        self.progress_button.layout.width = "auto"  # the whole label, never "See Connect Progr…"
        self.progress_button.layout.align_self = "flex-start"  # not stretched across the card
        self.compose(self.done, self.optional, self.next_steps, self.resources, self.progress_button)

    def on_show(self) -> None:
        landing = self.flow.landing()
        self.set_intro("Every required setup task for your account is complete. Well done.")
        self.done.value = (
            "<h3>What was done</h3><ul>"
            + "".join(f"<li>✔ {html.escape(t.title)}</li>" for t in landing.completed)
            + "</ul>"
        )
        self.list_tasks(
            self.optional, "Optional tasks you can still do at any time:", landing.optional_left, note=" (optional)"
        )

    def first_field(self) -> widgets.DOMWidget | None:
        return self.progress_button
