"""One task's page: where it stands, the way in, and the task's own view.

A task whose pages exist has a :class:`TaskView` (registered by the shell);
the others show their steps until their pages are built. Every action on a view
goes through the shell like any other step, and the page is redrawn from the
saved state afterwards, so what shows is always what is stored.

While a task page is open it checks the task's version every few seconds
(:meth:`TaskScreen.check_for_changes`, one small query that does not count as
activity), so the Connect team's decision reaches the admin without leaving the
page. A page showing nothing to type in (waiting for validation, complete, not
started) is redrawn at once. A page with a form is not redrawn under the admin's
hands: a notice says what happened, with a button to see it, so nothing typed
is lost unless they choose.
"""

from __future__ import annotations

import html
import importlib
from collections.abc import Callable

import ipywidgets as widgets

from connect_widgets.core.tasks.board import TaskBoard, TaskStamp, TaskStatus
from connect_widgets.core.tasks.catalogue import TaskState
from connect_widgets.screens.kit import (
    TASK_ICONS,
    Place,
    Screen,
    ScreenHost,
    link_button,
    primary_button,
    secondary_button,
)
from connect_widgets.screens.polling import PagePoll

CHECK_SECONDS = 3.0  # how often an open task page looks for a decision or another admin's change


class TaskView(widgets.VBox):  # type: ignore[misc]  # ipywidgets ships no types: its classes are Any to mypy
    """The task-specific part of a task page (forms, checks, summary).

    ``labels`` names each of the task's catalogue steps in the admin's words; the
    task's intro lists them (a step's key is never shown).
    """

    labels: dict[str, str] = {}
    task_key: str = ""  # set by the page that builds the view

    def __init__(self, page: TaskScreen) -> None:
        super().__init__()
        self.page = page
        self._status: TaskStatus | None = None

    @property
    def status(self) -> TaskStatus:
        """The task as this view last drew it; as saved now if it was never drawn.

        A view is built (and its controls reach the browser) even for a locked task it
        does not show, and a browser can click them: the action then goes to the core
        with the saved state, and the core says why it cannot run.
        """
        if self._status is None:
            return self.page.board.overview().get(self.task_key)
        return self._status

    def render(self, status: TaskStatus) -> None:
        """Draw the view for the task's saved state (subclasses extend)."""
        self._status = status


TaskViewFactory = Callable[["TaskScreen"], TaskView]

# Each task's page lives in its own module, imported when the task is first opened.
TASK_VIEWS: dict[str, str] = {
    "confirm_details": "connect_widgets.screens.tasks.confirm_details:ConfirmDetailsView",
    "validate_domains": "connect_widgets.screens.tasks.validate_domains:ValidateDomainsView",
    "directory_sync": "connect_widgets.screens.tasks.directory_sync:DirectorySyncView",
    "add_users": "connect_widgets.screens.tasks.add_users:AddUsersView",
    "user_authentication": "connect_widgets.screens.tasks.user_authentication:UserAuthenticationView",
    "outbound_email": "connect_widgets.screens.tasks.outbound_email:OutboundEmailView",
    "inbound_email": "connect_widgets.screens.tasks.inbound_email:InboundEmailView",
    "mx_records": "connect_widgets.screens.tasks.mx_records:MxRecordsView",
    "permitted_senders": "connect_widgets.screens.tasks.permitted_senders:PermittedSendersView",
    "recipient_validation": "connect_widgets.screens.tasks.recipient_validation:RecipientValidationView",
    "journaling": "connect_widgets.screens.tasks.journaling:JournalingView",
}


def load_view(spec: str) -> TaskViewFactory:
    """The view class named by ``"module:Class"``."""
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


class TaskScreen(Screen):
    """A task's page for the signed-in admin.

    Args:
        host: the shell.
        board: the account's progress, as the admin sees it.
        signed_in: whether the page still has a signed-in admin (the login flow's answer).
        views: the task views by task key (defaults to :data:`TASK_VIEWS`).
    """

    def __init__(
        self,
        host: ScreenHost,
        board: TaskBoard,
        *,
        signed_in: Callable[[], bool],
        views: dict[str, TaskViewFactory | str] | None = None,
    ) -> None:
        super().__init__(host, title="Task")
        self.board = board
        self._signed_in = signed_in
        self.task_key: str | None = None
        self._factories = dict(TASK_VIEWS if views is None else views)
        self._views: dict[str, TaskView] = {}
        self.details = widgets.HTML()
        self.body = widgets.VBox()
        self.start_button = primary_button("Start task", self.start)
        self.back_link = link_button("Back to Connect Progress", lambda: self.host.go(Place.DASHBOARD))
        self.news = widgets.HTML()
        self.show_latest_button = secondary_button("Show the latest", self.show_latest)
        self.show_latest_button.layout.width = "auto"
        self.news_box = widgets.HBox([self.news, self.show_latest_button])
        self.news_box.add_class("connect-news")
        self.news_box.layout.display = "none"
        self.poll = PagePoll(self.check_for_changes, seconds=CHECK_SECONDS, name="task page check")
        self._shown: tuple[int, TaskState] | None = None  # version and state the page shows
        self._noticed: int | None = None  # the version a notice was already shown for
        self.compose(self.details, self.news_box, self.body, self.start_button, self.back_link)

    def show_task(self, key: str) -> None:
        """Choose the task this page shows next time it is shown."""
        self.task_key = key

    def view(self, key: str) -> TaskView | None:
        if key not in self._views and key in self._factories:
            factory = self._factories[key]
            self._views[key] = (load_view(factory) if isinstance(factory, str) else factory)(self)
            self._views[key].task_key = key
        return self._views.get(key)

    def forget(self) -> None:
        """Drop every task view (and what was typed in it) when the admin logs out."""
        super().forget()
        self.poll.stop()
        self._views.clear()
        self.body.children = ()
        self.task_key = None
        self._shown = self._noticed = None
        self._hide_news()

    def on_show(self) -> None:
        if self.task_key is None:
            self.host.go(Place.DASHBOARD)
            return
        status = self.board.overview().get(self.task_key)
        if status.state is TaskState.NOT_STARTED and not status.task.intro and self.view(status.task.key) is not None:
            # Nothing to read before the first step: opening the task starts it, with
            # every check Start task has (a locked task is refused by the board).
            status = self.board.start(status.task.key)
        self.render(status)
        self.poll.start()

    def render(self, status: TaskStatus) -> None:
        self._shown, self._noticed = (status.version, status.state), None
        self._hide_news()
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
            labels = view.labels if view is not None else {}
            steps = "".join(
                ('<li class="current">' if step == status.step else "<li>")
                + html.escape(labels.get(step) or step.replace("_", " ").capitalize())
                + "</li>"
                for step in status.task.steps
            )
            intro = f"<p>{html.escape(status.task.intro)}</p>" if status.task.intro else ""
            self.details.value = (
                f"{line}{intro}<p>Steps:</p><ol>{steps}</ol>"
                "<p>You can leave and come back to this task at any time from Connect Progress.</p>"
            )
            self.body.children = ()
        self.start_button.layout.display = None if status.state is TaskState.NOT_STARTED else "none"

    def start(self) -> None:
        if self.task_key is not None:
            key = self.task_key
            self.submit(lambda: self.board.start(key))

    # -- news while the page is open ----------------------------------------------------

    def check_for_changes(self) -> bool:
        """Look once for a change to the shown task; the poll calls it every few seconds.

        Returns:
            False when there is nothing left to watch (the page is not shown, nobody
            is signed in): the poll stops.
        """
        host = self.host
        if self.task_key is None or self._shown is None or getattr(host, "current", self) is not self:
            return False
        if getattr(host, "busy", False):  # a step is running: look again next time
            return True
        stamp = self.board.glance(self.task_key)
        if stamp is None:  # the session is over: drawing the page again shows the login and says why
            if self._signed_in():
                host.go(Place.TASK, key=self.task_key)
            return False
        version, state = self._shown
        if stamp.version == version or stamp.version == self._noticed:
            return True
        if state is TaskState.IN_PROGRESS:  # a form: what the admin typed stays until they choose
            self._noticed = stamp.version
            self.news.value = f'<p role="status">{html.escape(self._news_words(stamp, redrawn=False))}</p>'
            self.show_latest_button.description = "Show their answer" if stamp.by_staff else "Show the latest"
            self.news_box.layout.display = None
            return True
        host.go(Place.TASK, key=self.task_key)  # nothing to type in: redraw with the news
        if stamp.by_staff:
            self.news.value = f'<p role="status">{html.escape(self._news_words(stamp, redrawn=True))}</p>'
            self.show_latest_button.layout.display = "none"
            self.news_box.layout.display = None
        return True

    @staticmethod
    def _news_words(stamp: TaskStamp, *, redrawn: bool) -> str:
        if not stamp.by_staff:
            return "This task was changed in another window or by another admin of your account" + (
                "." if redrawn else " since you opened it. Your typing is kept until you show the latest."
            )
        if not redrawn:
            return "The Connect team has answered while this page was open. What you typed is kept until you look."
        if stamp.state is TaskState.COMPLETE:
            return "The Connect team has answered: approved, and this task is complete."
        return "The Connect team has answered: their reply is below."

    def show_latest(self) -> None:
        """Redraw the task as saved now (what was typed in its form is dropped)."""
        if self.task_key is not None:
            self.host.go(Place.TASK, key=self.task_key)

    def _hide_news(self) -> None:
        self.news.value = ""
        self.news_box.layout.display = "none"
        self.show_latest_button.layout.display = None
