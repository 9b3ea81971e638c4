"""Set Up Recipient Validation: Known addresses, or Directory users only once the directory syncs."""

from __future__ import annotations

import html

import ipywidgets as widgets

from connect_widgets.core.tasks.board import TaskStatus
from connect_widgets.core.tasks.recipient_validation import MODES, RecipientValidationTask
from connect_widgets.screens.kit import primary_button
from connect_widgets.screens.tasks.page import TaskScreen
from connect_widgets.screens.tasks.steps import StepView, choices


class RecipientValidationView(StepView):
    labels = {"mode": "Choose how recipients are validated"}

    def __init__(self, page: TaskScreen) -> None:
        super().__init__(page, RecipientValidationTask(page.board))
        self.task: RecipientValidationTask
        self.mode = choices(MODES, value="known")
        self.save_button = primary_button("Save", self.save)

    def step_mode(self, status: TaskStatus) -> list[widgets.Widget]:
        note = (
            ""
            if self.task.directory_ready()
            else " Directory users only becomes available once Synchronize Your Directory is complete."
        )
        return [
            self.text(
                "mode intro",
                "The service accepts mail only for addresses it knows. Known addresses uses the users "
                "and addresses you added in Connect; Directory users only uses your synchronized "
                "directory." + note,
            ),
            self.mode,
            self.save_button,
        ]

    def summary(self, status: TaskStatus) -> list[widgets.Widget]:
        label = MODES.get(str(status.data.get("mode")), "")
        return [self.block("done", f"<p>✔ Recipients are validated against: <b>{html.escape(label)}</b>.</p>")]

    def save(self) -> None:
        chosen = self.mode.value
        self.page.submit(lambda: self.task.choose(version=self.status.version, mode=chosen))
