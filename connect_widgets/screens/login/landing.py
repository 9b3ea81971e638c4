"""What the screens an admin lands on after login share (Welcome, Welcome back, Setup complete).

Each is drawn from the flow's :class:`~connect_widgets.core.tasks.progress.Landing`
every time it shows; each may list tasks as links that open their pages; Welcome
and Setup complete end with the catalogue's Resources links, built once here.
"""

from __future__ import annotations

from collections.abc import Iterable

import ipywidgets as widgets

from connect_widgets.core.auth.flow import LoginFlow
from connect_widgets.core.tasks.catalogue import Resource, TaskDefinition
from connect_widgets.screens.kit import Screen, ScreenHost, paragraph, resource_list


class LandingScreen(Screen):
    """A screen shown once the admin is signed in, with the Resources links in :attr:`resources`.

    Args:
        host: the shell.
        flow: the login flow, whose ``landing()`` says what to show.
        title: the heading.
        resources: the Resources links (none: :attr:`resources` stays empty).
    """

    def __init__(self, host: ScreenHost, flow: LoginFlow, *, title: str, resources: tuple[Resource, ...] = ()) -> None:
        super().__init__(host, title=title)
        self.flow = flow
        self.resources = resource_list(resources)

    def list_tasks(self, box: widgets.VBox, heading: str, tasks: Iterable[TaskDefinition], *, note: str = "") -> None:
        """Fill ``box`` with ``heading`` and a link to each task (``note`` after its title); empty without tasks."""
        links = [self.task_link(f"{task.title}{note}", task.key) for task in tasks]
        box.children = (paragraph(heading), *links) if links else ()
