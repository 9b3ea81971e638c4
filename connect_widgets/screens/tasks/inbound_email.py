"""Prepare for Inbound Email: the ranges to trust, then each setting confirmed."""

from __future__ import annotations

import html

import ipywidgets as widgets

from connect_widgets.core.tasks.board import TaskStatus
from connect_widgets.core.tasks.inbound_email import InboundEmailTask
from connect_widgets.screens.kit import primary_button
from connect_widgets.screens.tasks.page import TaskScreen
from connect_widgets.screens.tasks.steps import StepView, ticks


class InboundEmailView(StepView):
    labels = {"ip_ranges": "The ranges to trust", "settings": "Confirm each setting"}

    def __init__(self, page: TaskScreen) -> None:
        super().__init__(page, InboundEmailTask(page.board))
        self.task: InboundEmailTask
        self.next_button = primary_button(
            "Next", lambda: self.page.submit(lambda: self.task.read_ranges(version=self.status.version))
        )
        self.settings = ticks(self.task.service.inbound_settings)
        self.finish_button = primary_button("Finish", self.confirm)

    def _ranges(self) -> widgets.HTML:
        return self.block(
            "ranges", "<pre>" + "\n".join(html.escape(r) for r in self.task.service.inbound_ip_ranges) + "</pre>"
        )

    def step_ip_ranges(self, status: TaskStatus) -> list[widgets.Widget]:
        return [
            self.text(
                "ranges intro",
                "Once your MX records point at the service, your mail arrives from these address "
                "ranges. Your mail system must trust them:",
            ),
            self._ranges(),
            self.next_button,
        ]

    def step_settings(self, status: TaskStatus) -> list[widgets.Widget]:
        return [
            self.text("settings intro", "Make each change in your mail system, then tick it:"),
            self._ranges(),
            *self.settings,
            self.finish_button,
        ]

    def summary(self, status: TaskStatus) -> list[widgets.Widget]:
        return [self.text("done", "✔ Your mail system trusts the service's ranges:"), self._ranges()]

    def confirm(self) -> None:
        values = [box.value for box in self.settings]
        self.page.submit(lambda: self.task.confirm_settings(version=self.status.version, ticks=values))
