""" "Connect Progress": every task by area, its state, and N of M required tasks done."""

from __future__ import annotations

import html
from itertools import groupby

import ipywidgets as widgets

from connect_widgets.core.tasks.board import TaskBoard, TaskStatus
from connect_widgets.core.tasks.catalogue import TaskState
from connect_widgets.screens.kit import TASK_ICONS, Screen, ScreenHost


class DashboardScreen(Screen):
    """Where Cancel on the Returning screen lands; a click opens a task."""

    def __init__(self, host: ScreenHost, board: TaskBoard) -> None:
        super().__init__(host, title="Connect Progress")
        self.board = board
        self.summary = widgets.HTML()
        self.areas = widgets.VBox()
        self.key = widgets.HTML(
            '<p class="connect-key">'
            + " · ".join(f"{icon} {html.escape(label)}" for icon, label in TASK_ICONS.values())
            + " (until the tasks it needs are complete) · optional tasks do not count towards the total</p>"
        )
        self.task_links: dict[str, widgets.Button] = {}
        self._state_labels: dict[str, widgets.HTML] = {}
        self.compose(self.summary, self.areas, self.key)

    def on_show(self) -> None:
        overview = self.board.overview()
        self.summary.value = (
            f"<p><b>{overview.required_done} of {overview.required_total}</b> required tasks complete</p>"
        )
        if overview.required_done == overview.required_total:
            optional_open = any(not s.task.required and s.state is not TaskState.COMPLETE for s in overview.tasks)
            self.summary.value += (
                '<p class="connect-done" role="status"><b>✔ Setup complete.</b> Every required task is done: '
                "manage your account from the Administration Console from now on."
                + (" The optional tasks below stay open for whenever you want them." if optional_open else "")
                + "</p>"
            )
        if not self.task_links:  # the catalogue never changes: its rows are built once, then given new words
            self._build_rows(overview.tasks)
        for status in overview.tasks:
            icon, label = TASK_ICONS[status.state]
            optional = " (optional)" if not status.task.required else ""
            link = self.task_links[status.task.key]
            link.description = f"{icon}  {status.task.title}{optional}"
            link.tooltip = label
            if status.waiting_for:
                label = f"{label}: needs {' and '.join(status.waiting_for)}"
            self._state_labels[status.task.key].value = f'<span class="connect-state">{html.escape(label)}</span>'

    def _build_rows(self, tasks: tuple[TaskStatus, ...]) -> None:
        """One section per area, one row per task: its link and its state."""
        sections: list[widgets.Widget] = []
        for area, statuses in groupby(tasks, key=lambda s: s.task.area):
            rows: list[widgets.Widget] = [widgets.HTML(f"<h3>{html.escape(area)}</h3>")]
            for status in statuses:
                link = self.task_link(status.task.title, status.task.key)
                self.task_links[status.task.key] = link
                self._state_labels[status.task.key] = state = widgets.HTML()
                rows.append(widgets.HBox([link, state], layout=widgets.Layout(align_items="center")))
            sections.append(widgets.VBox(rows))
        self.areas.children = tuple(sections)
