"""The frame of a step-by-step task page: "Step 2 of 3", the step's parts, Back.

A subclass names its steps' labels and builds each step's parts in a method
called ``step_<name>``; a complete task shows ``summary`` instead, and a task
waiting for a check or for staff shows ``waiting``.
"""

from __future__ import annotations

import html

import ipywidgets as widgets

from connect_widgets.core.tasks.board import TaskStatus
from connect_widgets.core.tasks.catalogue import TaskState
from connect_widgets.core.tasks.stepped import SteppedTask
from connect_widgets.screens.kit import link_button
from connect_widgets.screens.tasks.page import TaskView


class StepView(TaskView):
    """One task's pages, one step at a time, with Back to the previous step."""

    labels: dict[str, str] = {}

    def __init__(self, page, task: SteppedTask) -> None:  # type: ignore[no-untyped-def]
        super().__init__(page)
        self.task = task
        self.progress_line = widgets.HTML()
        self.progress_line.add_class("connect-hint")
        self.back_button = link_button("Back to the previous step")
        self.back_button.on_click(lambda _b: self.back())

    def render(self, status: TaskStatus) -> None:
        super().render(status)
        if status.state is TaskState.COMPLETE:
            self.progress_line.value = ""
            self.children = (*self.summary(status),)
            return
        steps = status.task.steps
        step = status.step or steps[0]
        index = steps.index(step)
        label = self.labels.get(step, step.replace("_", " ").capitalize())
        self.progress_line.value = f"<p>Step {index + 1} of {len(steps)}: {html.escape(label)}</p>"
        parts = getattr(self, f"step_{step}")(status)
        self.back_button.layout.display = None if index > 0 else "none"
        self.children = (self.progress_line, *parts, self.back_button)

    def summary(self, status: TaskStatus) -> list[widgets.Widget]:
        """What a complete task's page shows (subclasses say what was done)."""
        return []

    def back(self) -> None:
        self.page.submit(lambda: self.task.back(version=self.status.version))


def check_result(status: TaskStatus, key: str) -> widgets.HTML:
    """The last DNS check kept on the task, as a line the admin reads (empty before any)."""
    last = status.data.get(key) or {}
    block = widgets.HTML()
    if last:
        mark = "✔" if last.get("outcome") == "ok" else "✗"
        found = "".join(f"<li><code>{html.escape(str(f))}</code></li>" for f in last.get("found", []))
        each = [e for e in last.get("each") or () if isinstance(e, dict)]
        if len(each) > 1:  # several domains: one line each, not one run-on paragraph
            bad = sum(1 for e in each if e.get("outcome") != "ok")
            headline = (
                f"All {len(each)} domains are right:"
                if not bad
                else f"{bad} of {len(each)} domains {'needs' if bad == 1 else 'need'} a change:"
            )
            lines = "".join(
                f"<li>{'✔' if e.get('outcome') == 'ok' else '✗'} {html.escape(str(e.get('message', '')))}</li>"
                for e in each
            )
            said = f"{headline}</p><ul>{lines}</ul>"
        else:
            said = f"{html.escape(str(last.get('message', '')))}</p>"
        block.value = f'<p class="connect-check-{"ok" if mark == "✔" else "bad"}">{mark} {said}' + (
            f"<p>Found:</p><ul>{found}</ul>" if found else ""
        )
    return block


def ticks(labels: tuple[str, ...] | list[str]) -> list[widgets.Checkbox]:
    """One checkbox per thing the admin confirms, unticked."""
    return [
        widgets.Checkbox(value=False, description=label, indent=False, layout=widgets.Layout(width="auto"))
        for label in labels
    ]
