"""Step 9 (later visits): "Welcome back", with Continue and Cancel."""

from __future__ import annotations

import html

import ipywidgets as widgets

from connect_widgets.core.auth.flow import LoginFlow
from connect_widgets.screens.kit import Place, ScreenHost, paragraph, primary_button, secondary_button
from connect_widgets.screens.login.landing import LandingScreen


class ReturningScreen(LandingScreen):
    """The last completed task, the next one, and links to tasks still in progress."""

    def __init__(self, host: ScreenHost, flow: LoginFlow) -> None:
        super().__init__(host, flow, title="Welcome back")
        self.last_completed = paragraph("")
        self.next_task = paragraph("")
        self.in_progress = widgets.VBox()
        self.continue_button = primary_button("Continue", self.go_on)
        self.cancel_button = secondary_button("Cancel", lambda: self.host.go(Place.DASHBOARD))
        self.buttons = widgets.HBox([self.continue_button, self.cancel_button])
        self.compose(self.last_completed, self.next_task, self.buttons, self.in_progress)
        self._next_key: str | None = None

    def on_show(self) -> None:
        landing = self.flow.landing()
        last = html.escape(landing.last_completed.title) if landing.last_completed else "none yet"
        self.last_completed.value = f"<p><b>Last completed task:</b> {last}</p>"
        self._next_key = landing.next_task.key if landing.next_task else None
        if landing.next_task:
            self.next_task.value = f"<p><b>Next task:</b> {html.escape(landing.next_task.title)}</p>"
        elif landing.awaiting:
            titles = html.escape(" and ".join(t.title for t in landing.awaiting))
            verb = "is" if len(landing.awaiting) == 1 else "are"
            self.next_task.value = (
                f"<p><b>Nothing to do right now:</b> {titles} {verb} waiting for validation by the Connect "
                "team. Their answer appears on the task's page"
                + ("; the tasks that need it open once it is complete.</p>" if landing.locked else ".</p>")
            )
        else:
            self.next_task.value = "<p>No task is open to you right now. Connect Progress shows where each stands.</p>"
        self.list_tasks(self.in_progress, "Tasks in progress but not complete:", landing.in_progress)
        self.set_intro("Here is where you left off.")

    def go_on(self) -> None:
        """Continue: the next step to perform (or the overview when none is open)."""
        self.open_task(self._next_key)

    def first_field(self) -> widgets.DOMWidget | None:
        return self.continue_button
