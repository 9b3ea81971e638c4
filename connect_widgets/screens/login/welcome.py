"""Step 8 (first time): the Welcome screen, shown until the first task is started."""

from __future__ import annotations

import ipywidgets as widgets

from connect_widgets.core.auth.flow import LoginFlow
from connect_widgets.core.tasks.catalogue import Resource
from connect_widgets.screens.kit import Place, ScreenHost, link_button, paragraph, primary_button
from connect_widgets.screens.login.landing import LandingScreen


class WelcomeScreen(LandingScreen):
    """Introductory information, links to resources, and the way into the first task."""

    def __init__(self, host: ScreenHost, flow: LoginFlow, *, resources: tuple[Resource, ...]) -> None:
        super().__init__(host, flow, title="Welcome to Connect", resources=resources)
        self.about = widgets.VBox(
            [
                paragraph(
                    "Connect guides you through setting up your email-security account as a checklist "
                    "of tasks. You don't have to complete them all in one go: some steps need us to "
                    "validate what you provide, so you'll likely finish over a few sessions."
                ),
                paragraph(
                    "Each time you come back, you'll see the last task you completed and the next one "
                    "to do. Connect Progress shows every task and where it stands."
                ),
            ]
        )
        self.start_button = primary_button("Get started", self.get_started)
        self.all_tasks_link = link_button("See all tasks", lambda: self.host.go(Place.DASHBOARD))
        self.compose(self.about, self.resources, self.start_button, self.all_tasks_link)
        self._next_key: str | None = None

    def on_show(self) -> None:
        landing = self.flow.landing()
        self._next_key = landing.next_task.key if landing.next_task else None
        first = landing.next_task.title if landing.next_task else "your first task"
        self.set_intro(f"Your account is ready to set up. Start with {first}.")

    def get_started(self) -> None:
        self.open_task(self._next_key)

    def first_field(self) -> widgets.DOMWidget | None:
        return self.start_button
