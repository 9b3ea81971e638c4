"""One task's page: what it is, where it stands, and the way in.

The task-specific steps (forms, DNS checks, uploads) arrive with the setup-tasks
work; this page opens a task (recording it as started) and shows its steps.
"""

from __future__ import annotations

import html

import ipywidgets as widgets

from connect_widgets.core.progress import TaskBoard, TaskStatus
from connect_widgets.core.tasks import TaskState
from connect_widgets.screens.screen import TASK_ICONS, Place, Screen, ScreenHost, link_button, primary_button


class TaskScreen(Screen):
    def __init__(self, host: ScreenHost, board: TaskBoard) -> None:
        super().__init__(host, title="Task")
        self.board = board
        self.task_key: str | None = None
        self.details = widgets.HTML()
        self.start_button = primary_button("Start task")
        self.start_button.on_click(lambda _b: self.start())
        self.back_link = link_button("Back to Connect Progress")
        self.back_link.on_click(lambda _b: self.host.go(Place.DASHBOARD))
        self.compose(self.details, self.start_button, self.back_link)

    def show_task(self, key: str) -> None:
        """Choose the task this page shows next time it is shown."""
        self.task_key = key

    def on_show(self) -> None:
        if self.task_key is None:
            self.host.go(Place.DASHBOARD)
            return
        self.render(self.board.overview().get(self.task_key))

    def render(self, status: TaskStatus) -> None:
        icon, label = TASK_ICONS[status.state]
        self.heading.value = f"<h2>{html.escape(status.task.title)}</h2>"
        steps = "".join(
            ('<li class="current">' if step == status.step else "<li>") + html.escape(step.replace("_", " ")) + "</li>"
            for step in status.task.steps
        )
        waiting = (
            f"<p>Complete {html.escape(' and '.join(status.waiting_for))} first.</p>" if status.waiting_for else ""
        )
        self.details.value = (
            f"<p>{html.escape(status.task.area)} · {icon} {html.escape(label)}</p>{waiting}"
            f"<p>Steps:</p><ol>{steps}</ol>"
            "<p>You can leave and come back to this task at any time from Connect Progress.</p>"
        )
        self.start_button.layout.display = None if status.state is TaskState.NOT_STARTED else "none"

    def start(self) -> None:
        if self.task_key is not None:
            key = self.task_key
            self.submit(lambda: self.render(self.board.start(key)))
