"""The frame of every task page: "Step 2 of 3", the step's parts, Back.

Every task's view is a :class:`StepView`. It names its catalogue steps' labels
and builds each step's parts in a method called ``step_<name>`` (a test holds
every catalogue step of every task to having one); a complete task shows
``summary`` instead, and a task waiting for the Connect team shows ``waiting``.
A view builds its widgets once and only gives them new values when the task is
drawn again, so a redraw never leaves orphaned widgets in the kernel.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Generic, Protocol, TypeVar

import ipywidgets as widgets

from connect_widgets.core.tasks.board import TaskStatus
from connect_widgets.core.tasks.catalogue import TaskState
from connect_widgets.screens.kit import link_button, paragraph
from connect_widgets.screens.tasks.page import TaskScreen, TaskView


class StepTask(Protocol):
    """What the frame needs of a task's core: going back one step."""

    def back(self, *, version: int) -> TaskStatus: ...


class StepView(TaskView):
    """One task's pages, one step at a time, with Back to the previous step.

    ``goes_back`` is False for a task whose steps share one page (nothing to go back to).
    """

    labels: dict[str, str] = {}
    goes_back = True

    def __init__(self, page: TaskScreen, task: StepTask) -> None:
        super().__init__(page)
        self.task = task
        self.progress_line = widgets.HTML()
        self.progress_line.add_class("connect-hint")
        self.back_button = link_button("Back to the previous step", self.back)
        self.waiting_note = paragraph("The Connect team is checking what you sent. Their answer appears here.")
        self._blocks: dict[str, widgets.HTML] = {}

    def step_for(self, status: TaskStatus) -> str:
        """The catalogue step to draw: the saved one (a view may read it from the task's data instead)."""
        return status.step or status.task.steps[0]

    def render(self, status: TaskStatus) -> None:
        super().render(status)
        if status.state is TaskState.COMPLETE:
            self.progress_line.value = ""
            self.children = (*self.summary(status),)
            return
        if status.state is TaskState.AWAITING_VALIDATION:
            self.progress_line.value = ""
            self.children = (*self.waiting(status),)
            return
        steps = status.task.steps
        step = self.step_for(status)
        index = steps.index(step)
        label = self.labels.get(step, step.replace("_", " ").capitalize())
        self.progress_line.value = f"<p>Step {index + 1} of {len(steps)}: {html.escape(label)}</p>"
        parts = getattr(self, f"step_{step}")(status)
        self.back_button.layout.display = None if index > 0 and self.goes_back else "none"
        self.children = (self.progress_line, *parts, self.back_button)

    def summary(self, status: TaskStatus) -> list[widgets.Widget]:
        """What a complete task's page shows (subclasses say what was done)."""
        return []

    def waiting(self, status: TaskStatus) -> list[widgets.Widget]:
        """What the page shows while the Connect team checks what was sent (subclasses say what)."""
        return [self.waiting_note]

    def block(self, name: str, value: str, *, css: str | None = None) -> widgets.HTML:
        """The view's HTML block called ``name``: built the first time, given new words after."""
        if name not in self._blocks:
            self._blocks[name] = widgets.HTML()
            if css:
                self._blocks[name].add_class(css)
        self._blocks[name].value = value
        return self._blocks[name]

    def text(self, name: str, words: str) -> widgets.HTML:
        """Like :func:`~connect_widgets.screens.kit.paragraph` (escaped, one paragraph), built once."""
        return self.block(name, f"<p>{html.escape(words)}</p>", css="connect-text")

    def check_result(self, status: TaskStatus, key: str) -> widgets.HTML:
        """The last DNS check kept on the task under ``key``, in the view's block of that name."""
        return self.block(f"check:{key}", check_words(status, key))

    def back(self) -> None:
        self.page.submit(lambda: self.task.back(version=self.status.version))


def check_words(status: TaskStatus, key: str) -> str:
    """The last DNS check kept on the task, as lines the admin reads (empty before any)."""
    last = status.data.get(key) or {}
    if not last:
        return ""
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
    return f'<p class="connect-check-{"ok" if mark == "✔" else "bad"}">{mark} {said}' + (
        f"<p>Found:</p><ul>{found}</ul>" if found else ""
    )


class ListRow:
    """One line of a list a view draws: its words and a link button acting on the line's ``key``.

    ``box`` holds both, side by side or (``stacked``) the button under the words.
    Subclasses fill them in :meth:`show`, each time the list is drawn.
    """

    def __init__(self, label: str, act: Callable[[str], object], *, stacked: bool = False) -> None:
        self.key = ""
        self.words = widgets.HTML()
        self.button = link_button(label, lambda: act(self.key))
        self.box = (widgets.VBox if stacked else widgets.HBox)([self.words, self.button])

    def show(self, item: Any) -> None:
        """Give the line ``item``'s key and words."""
        raise NotImplementedError


RowT = TypeVar("RowT", bound=ListRow)


class RowList(Generic[RowT]):
    """A list's rows in ``box``: built the first time the list is that long, given new words after."""

    def __init__(self, make: Callable[[], RowT]) -> None:
        self._make = make
        self._built: list[RowT] = []
        self.rows: list[RowT] = []  # the rows shown, one per item in the list's order
        self.box = widgets.VBox()

    def show(self, items: Sequence[Any]) -> list[RowT]:
        """Show one row per item (reusing the rows built before); returns the rows shown."""
        while len(self._built) < len(items):
            self._built.append(self._make())
        self.rows = self._built[: len(items)]
        for row, item in zip(self.rows, items, strict=True):
            row.show(item)
        self.box.children = tuple(row.box for row in self.rows)
        return self.rows


def choices(options: Mapping[str, str], *, value: str) -> widgets.RadioButtons:
    """One of ``options`` (key -> the words shown), ``value`` chosen to start with."""
    return widgets.RadioButtons(
        options=[(label, key) for key, label in options.items()], value=value, layout=widgets.Layout(width="auto")
    )


def ticks(labels: tuple[str, ...] | list[str]) -> list[widgets.Checkbox]:
    """One checkbox per thing the admin confirms, unticked."""
    return [
        widgets.Checkbox(value=False, description=label, indent=False, layout=widgets.Layout(width="auto"))
        for label in labels
    ]
