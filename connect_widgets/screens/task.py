"""One task's page: where it stands, the way in, and the task's own view.

A task whose pages exist has a :class:`TaskView` (registered by the shell);
the others show their steps until their pages are built. Every action on a view
goes through the shell like any other step, and the page is redrawn from the
saved state afterwards, so what shows is always what is stored.
"""

from __future__ import annotations

import html
import importlib
from collections.abc import Callable

import ipywidgets as widgets

from connect_widgets.core.progress import TaskBoard, TaskStatus
from connect_widgets.core.tasks import TaskState
from connect_widgets.screens.screen import TASK_ICONS, Place, Screen, ScreenHost, link_button, primary_button


class TaskView(widgets.VBox):
    """The task-specific part of a task page (forms, checks, summary)."""

    def __init__(self, page: TaskScreen) -> None:
        super().__init__()
        self.page = page
        self._status: TaskStatus | None = None

    @property
    def status(self) -> TaskStatus:
        assert self._status is not None, "render() comes first"
        return self._status

    def render(self, status: TaskStatus) -> None:
        """Draw the view for the task's saved state (subclasses extend)."""
        self._status = status


TaskViewFactory = Callable[["TaskScreen"], TaskView]

# Each task's page lives in its own module, imported when the task is first opened.
TASK_VIEWS: dict[str, str] = {
    "confirm_details": "connect_widgets.screens.confirm_details:ConfirmDetailsView",
    "validate_domains": "connect_widgets.screens.validate_domains:ValidateDomainsView",
    "directory_sync": "connect_widgets.screens.directory_sync:DirectorySyncView",
    "add_users": "connect_widgets.screens.add_users:AddUsersView",
    "user_authentication": "connect_widgets.screens.user_authentication:UserAuthenticationView",
    "outbound_email": "connect_widgets.screens.outbound_email:OutboundEmailView",
    "inbound_email": "connect_widgets.screens.inbound_email:InboundEmailView",
    "mx_records": "connect_widgets.screens.mx_records:MxRecordsView",
    "permitted_senders": "connect_widgets.screens.permitted_senders:PermittedSendersView",
    "recipient_validation": "connect_widgets.screens.recipient_validation:RecipientValidationView",
    "journaling": "connect_widgets.screens.journaling:JournalingView",
}


def load_view(spec: str) -> TaskViewFactory:
    """The view class named by ``"module:Class"``."""
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


class TaskScreen(Screen):
    def __init__(self, host: ScreenHost, board: TaskBoard,
                 *, views: dict[str, TaskViewFactory | str] | None = None) -> None:
        super().__init__(host, title="Task")
        self.board = board
        self.task_key: str | None = None
        self._factories = dict(TASK_VIEWS if views is None else views)
        self._views: dict[str, TaskView] = {}
        self.details = widgets.HTML()
        self.body = widgets.VBox()
        self.start_button = primary_button("Start task")
        self.start_button.on_click(lambda _b: self.start())
        self.back_link = link_button("Back to Connect Progress")
        self.back_link.on_click(lambda _b: self.host.go(Place.DASHBOARD))
        self.compose(self.details, self.body, self.start_button, self.back_link)

    def show_task(self, key: str) -> None:
        """Choose the task this page shows next time it is shown."""
        self.task_key = key

    def view(self, key: str) -> TaskView | None:
        if key not in self._views and key in self._factories:
            factory = self._factories[key]
            self._views[key] = (load_view(factory) if isinstance(factory, str) else factory)(self)
        return self._views.get(key)

    def forget(self) -> None:
        """Drop every task view (and what was typed in it) when the admin logs out."""
        super().forget()
        self._views.clear()
        self.body.children = ()
        self.task_key = None

    def on_show(self) -> None:
        if self.task_key is None:
            self.host.go(Place.DASHBOARD)
            return
        self.render(self.board.overview().get(self.task_key))

    def render(self, status: TaskStatus) -> None:
        icon, label = TASK_ICONS[status.state]
        self.heading.value = f"<h2>{html.escape(status.task.title)}</h2>"
        waiting = (
            f"<p>Complete {html.escape(' and '.join(status.waiting_for))} first.</p>" if status.waiting_for else ""
        )
        line = f"<p>{html.escape(status.task.area)} · {icon} {html.escape(label)}</p>{waiting}"
        view = self.view(status.task.key)
        opened = status.state not in (TaskState.NOT_STARTED, TaskState.LOCKED)
        if view is not None and opened:
            self.details.value = line
            view.render(status)
            self.body.children = (view,)
        else:
            steps = "".join(
                ('<li class="current">' if step == status.step else "<li>")
                + html.escape(step.replace("_", " ")) + "</li>"
                for step in status.task.steps
            )
            self.details.value = (
                f"{line}<p>Steps:</p><ol>{steps}</ol>"
                "<p>You can leave and come back to this task at any time from Connect Progress.</p>"
            )
            self.body.children = ()
        self.start_button.layout.display = None if status.state is TaskState.NOT_STARTED else "none"

    def start(self) -> None:
        if self.task_key is not None:
            key = self.task_key
            self.submit(lambda: self.board.start(key))
