"""Update Your MX Records: the hosts to point at, then Check MX."""

from __future__ import annotations

import html

import ipywidgets as widgets

from connect_widgets.core.adapters.dns import DnsChecker
from connect_widgets.core.tasks.board import TaskStatus
from connect_widgets.core.tasks.mx_records import MxRecordsTask
from connect_widgets.screens.kit import primary_button
from connect_widgets.screens.tasks.page import TaskScreen
from connect_widgets.screens.tasks.steps import StepView


class MxRecordsView(StepView):
    labels = {"hosts": "Point MX at the service", "check": "Check MX"}

    def __init__(self, page: TaskScreen) -> None:
        settings = page.board.flow.services.settings
        super().__init__(page, MxRecordsTask(page.board, checker=DnsChecker(settings)))
        self.task: MxRecordsTask
        self.next_button = primary_button(
            "I have changed them", lambda: self.page.submit(lambda: self.task.ready(version=self.status.version))
        )
        self.check_button = primary_button("Check MX", self.check_mx)
        self._domains: list[str] = []  # the domains the page lists, named while they are checked

    def _records(self) -> widgets.HTML:
        self._domains = self.task.domains()
        lines = [f"{html.escape(d)}.  {html.escape(r)}" for d in self._domains for r in self.task.records()]
        return self.block("records", "<pre>" + "\n".join(lines) + "</pre>")

    def step_hosts(self, status: TaskStatus) -> list[widgets.Widget]:
        return [
            self.text(
                "hosts intro",
                "Replace the MX records of each domain with these, and remove the old ones. "
                "Mail then flows through the service.",
            ),
            self._records(),
            self.next_button,
        ]

    def step_check(self, status: TaskStatus) -> list[widgets.Widget]:
        return [
            self._records(),
            self.check_result(status, "mx_check"),
            self.text("check again", "DNS changes can take a while to spread; check again as often as you need."),
            self.check_button,
        ]

    def summary(self, status: TaskStatus) -> list[widgets.Widget]:
        return [
            self.text("done", "✔ Your MX records point at the service."),
            self.check_result(status, "mx_check"),
        ]

    def check_mx(self) -> None:
        self.page.submit(
            lambda: self.task.check_mx(version=self.status.version),
            busy=f"Checking the MX records for {' and '.join(self._domains) or 'your domains'}…",
        )
