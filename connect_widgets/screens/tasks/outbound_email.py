"""Set Up Your Outbound Email: outbound ranges, SPF with Check SPF, the connector."""

from __future__ import annotations

import html

import ipywidgets as widgets

from connect_widgets.core.adapters.dns import DnsChecker
from connect_widgets.core.tasks.board import TaskStatus
from connect_widgets.core.tasks.outbound_email import BadRanges, OutboundEmailTask
from connect_widgets.screens.kit import primary_button
from connect_widgets.screens.tasks.page import TaskScreen
from connect_widgets.screens.tasks.steps import StepView


class OutboundEmailView(StepView):
    labels = {"ip_ranges": "Your outbound IP ranges", "spf": "Publish SPF", "connector": "Confirm the connector"}

    def __init__(self, page: TaskScreen) -> None:
        settings = page.board.flow.services.settings
        super().__init__(page, OutboundEmailTask(page.board, checker=DnsChecker(settings)))
        self.task: OutboundEmailTask
        self.ranges = widgets.Textarea(
            description="Public IP ranges",
            placeholder="one range per line, as address/prefix",
            rows=5,
            layout=widgets.Layout(width="22em"),
        )  # the label sits above: no fixed height
        self.ranges.add_class("connect-field")
        self.range_problems = widgets.HTML()  # every entry that needs correcting, one per line
        self.ranges_next = primary_button("Next", self.save_ranges)
        self.check_button = primary_button("Check SPF", self.check_spf)
        self.connector = widgets.Checkbox(value=False, indent=False, layout=widgets.Layout(width="auto"))
        self.finish_button = primary_button("Finish", self.confirm)
        self._spf_domain = "your domain"  # the SPF step names it when drawn

    def step_ip_ranges(self, status: TaskStatus) -> list[widgets.Widget]:
        if not self.ranges.value and status.data.get("ip_ranges"):
            self.ranges.value = "\n".join(status.data["ip_ranges"])
        return [
            self.text(
                "ranges intro",
                "Enter the public IP addresses or ranges your mail servers send from, one per line "
                "(CIDR form: address/prefix length).",
            ),
            self.ranges,
            self.range_problems,
            self.ranges_next,
        ]

    def step_spf(self, status: TaskStatus) -> list[widgets.Widget]:
        domain = self._spf_domain = self.task.primary_domain()
        record = self.task.spf_record(status.data.get("ip_ranges"))
        return [
            self.block(
                "spf record",
                f"<p>Publish one SPF record on <b>{html.escape(domain)}</b> that includes "
                f"<code>include:{html.escape(self.task.service.spf_include)}</code>. If the domain already has "
                "an SPF record, add the include to it instead of adding a second record. For example:</p>"
                f'<pre>{html.escape(domain)}.  TXT  "{html.escape(record)}"</pre>',
            ),
            self.check_result(status, "spf_check"),
            self.check_button,
        ]

    def step_connector(self, status: TaskStatus) -> list[widgets.Widget]:
        host = self.task.service.outbound_smarthost
        self.connector.description = f"The outbound connector to {host} is saved and turned on"
        return [
            self.check_result(status, "spf_check"),
            self.block(
                "connector intro",
                f"<p>In your mail system, create an outbound connector that sends all external mail "
                f"through <b>{html.escape(host)}</b> (port 25, TLS required).</p>",
            ),
            self.connector,
            self.finish_button,
        ]

    def summary(self, status: TaskStatus) -> list[widgets.Widget]:
        ranges = ", ".join(status.data.get("ip_ranges", []))
        return [
            self.block(
                "done",
                f"<p>✔ Outbound email is set up: mail from {html.escape(ranges)} leaves through "
                f"{html.escape(str(status.data.get('connector', '')))}, and your SPF record includes the service.</p>",
            )
        ]

    def save_ranges(self) -> None:
        typed = self.ranges.value

        def run() -> None:
            self.range_problems.value = ""
            try:
                self.task.save_ranges(version=self.status.version, ranges=typed)
            except BadRanges as bad:  # the message says it too; here each sits on its own line
                lines = "".join(f"<li>{html.escape(p)}</li>" for p in bad.problems)
                self.range_problems.value = f'<div class="connect-rejected"><ul>{lines}</ul></div>'
                raise

        if self.page.submit(run):  # what was typed stays in the field until it is saved
            self.ranges.value = ""  # the page redraws from what was saved

    def check_spf(self) -> None:
        self.page.submit(
            lambda: self.task.check_spf(version=self.status.version),
            busy=f"Checking the SPF record for {self._spf_domain}…",
        )

    def confirm(self) -> None:
        ticked = self.connector.value
        self.page.submit(lambda: self.task.confirm_connector(version=self.status.version, confirmed=ticked))
