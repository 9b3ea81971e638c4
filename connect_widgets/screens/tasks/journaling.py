"""Journaling (optional): the journal address, then the rule confirmed."""

from __future__ import annotations

import html

import ipywidgets as widgets

from connect_widgets.core.tasks.board import TaskStatus
from connect_widgets.core.tasks.journaling import JournalingTask
from connect_widgets.screens.kit import primary_button
from connect_widgets.screens.tasks.page import TaskScreen
from connect_widgets.screens.tasks.steps import StepView, ticks


class JournalingView(StepView):
    labels = {"address": "Your journal address", "confirm": "Confirm the journal rule"}

    def __init__(self, page: TaskScreen) -> None:
        super().__init__(page, JournalingTask(page.board))
        self.task: JournalingTask
        self.next_button = primary_button(
            "Next", lambda: self.page.submit(lambda: self.task.read_address(version=self.status.version))
        )
        [self.rule] = ticks(["The journal rule is saved in my mail system"])
        self.finish_button = primary_button("Finish", self.confirm)

    def _address(self) -> widgets.HTML:
        return self.block("address", f"<pre>{html.escape(self.task.journal_address())}</pre>")

    def step_address(self, status: TaskStatus) -> list[widgets.Widget]:
        return [
            self.text("address intro", "We created this journal address for your archive:"),
            self._address(),
            self.text(
                "rule next",
                "Next, you add a journal rule in your mail system that sends a copy of every message to it.",
            ),
            self.next_button,
        ]

    def step_confirm(self, status: TaskStatus) -> list[widgets.Widget]:
        return [
            self.text(
                "rule intro",
                "Add a journal rule for all users, for internal and external messages, that sends journal reports to:",
            ),
            self._address(),
            self.rule,
            self.finish_button,
        ]

    def summary(self, status: TaskStatus) -> list[widgets.Widget]:
        return [self.text("done", "✔ Journaling is set up. Journal reports go to:"), self._address()]

    def confirm(self) -> None:
        ticked = self.rule.value
        self.page.submit(lambda: self.task.confirm_rule(version=self.status.version, confirmed=ticked))
