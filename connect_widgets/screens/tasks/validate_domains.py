"""Validate Your Domains: the primary domain first, its TXT record, Check now, more domains.

The four catalogue steps share the domain list: the step shown follows from the
primary domain's claim (:meth:`ValidateDomainsTask.step_for`), and only the words
above the "Add domain" row change with it. Each domain's row is built once and
reused; a redraw gives the rows new words.
"""

from __future__ import annotations

import html
from collections.abc import Callable

import ipywidgets as widgets

from connect_widgets.core.adapters.dns import DnsChecker
from connect_widgets.core.adapters.service_values import load_service_values
from connect_widgets.core.tasks.board import TaskStatus
from connect_widgets.core.tasks.confirm_details import ConfirmDetailsTask
from connect_widgets.core.tasks.validate_domains import (
    DomainStatus,
    ValidateDomainsTask,
    expired_words,
    taken_words,
)
from connect_widgets.screens.kit import paragraph, primary_button, secondary_button, text_field
from connect_widgets.screens.tasks.page import TaskScreen
from connect_widgets.screens.tasks.steps import ListRow, RowList, StepView

# Copies the button's data-copy text. The kernel cannot reach the admin's clipboard, so the
# browser does it: the Clipboard API where the page is a secure context (https, or
# http://127.0.0.1 and localhost), else a selected scratch field and the copy command.
COPY_SCRIPT = (
    "var b=this,t=b.getAttribute('data-copy');"
    "function done(){b.textContent='Copied';setTimeout(function(){b.textContent='Copy'},2000)}"
    "function old(){var a=document.createElement('textarea');a.value=t;a.style.position='fixed';"
    "a.style.opacity='0';document.body.appendChild(a);a.select();"
    "try{if(document.execCommand('copy'))done()}finally{a.remove()}}"
    "if(navigator.clipboard&&window.isSecureContext){navigator.clipboard.writeText(t).then(done,old)}else{old()}"
)


def copy_button(text: str, *, what: str) -> str:
    """A small HTML button that copies ``text`` in the browser (``what`` names it for screen readers)."""
    return (
        f'<button type="button" class="connect-copy" data-copy="{html.escape(text)}" '
        f'aria-label="Copy {html.escape(what)}" title="Copy {html.escape(what)}" '
        f'onclick="{html.escape(COPY_SCRIPT)}">Copy</button>'
    )


def record_table(name: str, value: str) -> str:
    """The TXT record as the admin types it at their DNS provider: name, type, value, each kept whole."""
    return (
        '<table class="connect-record"><tbody>'
        f'<tr><th scope="row">Name</th><td><code class="connect-token">{html.escape(name)}</code></td>'
        f"<td>{copy_button(name, what='the name')}</td></tr>"
        '<tr><th scope="row">Type</th><td><code class="connect-token">TXT</code></td><td></td></tr>'
        f'<tr><th scope="row">Value</th><td><code class="connect-token">{html.escape(value)}</code></td>'
        f"<td>{copy_button(value, what='the value')}</td></tr>"
        "</tbody></table>"
    )


class DomainRow(ListRow):
    """One claimed domain: what to publish (or why not), and its Check now button under it."""

    def __init__(self, check: Callable[[str], None]) -> None:
        super().__init__("Check now", check, stacked=True)

    def show(self, domain: DomainStatus) -> None:
        self.key = domain.name
        checkable = domain.waiting
        self.button.description = f"Check now: {domain.name}"
        self.button.layout.display = None if checkable else "none"
        if domain.verified:
            self.words.value = f"<p>✔ <b>{html.escape(domain.name)}</b> is verified.</p>"
        elif not checkable:  # taken or expired: nothing to publish or check, the words say what to do
            words = taken_words(domain.name) if domain.taken else expired_words(domain.name)
            self.words.value = f'<p class="connect-check-bad">✗ {html.escape(words)}</p>'
        else:
            self.words.value = (
                f"<p><b>{html.escape(domain.name)}</b>: publish this TXT record at your DNS provider, then "
                f"check it.</p>{record_table(domain.record_name, domain.record_value)}"
                + (
                    f'<p class="connect-hint">Last check: ✗ {html.escape(domain.last_message)}</p>'
                    if domain.last_message
                    else ""
                )
            )


class ValidateDomainsView(StepView):
    """One row per domain with the record to publish; the task completes once the primary is verified."""

    labels = {
        "primary": "Add your primary domain",
        "publish": "Publish its TXT record at your DNS provider",
        "check": "Check the record",
        "more": "Add any other domains",
    }
    goes_back = False  # the step follows from the primary domain's claim, not from Back

    def __init__(self, page: TaskScreen) -> None:
        flow = page.board.flow
        super().__init__(
            page,
            ValidateDomainsTask(page.board, checker=DnsChecker(flow.services.settings), service=load_service_values()),
        )
        self.task: ValidateDomainsTask
        self.details_task = ConfirmDetailsTask(page.board)
        self._domain_list = RowList(lambda: DomainRow(self.check))
        self.rows = self._domain_list.box
        self.domain_rows: list[DomainRow] = []  # the rows shown, one per domain in the list's order
        self.check_buttons: dict[str, widgets.Button] = {}
        self.new_domain = text_field("Domain")
        self.add_button = secondary_button("Add domain", self.add, enter_in=(self.new_domain,))
        self.add_row = widgets.HBox([self.new_domain, self.add_button])
        self.finish_button = primary_button("Finish", self.finish)
        self.last_result = widgets.HTML()
        self.share_domain = widgets.Dropdown(
            options=[], description="Domain to share", layout=widgets.Layout(width="14em")
        )
        self.share_domain.add_class("connect-field")
        self.share_to = text_field("Email of whoever runs your DNS")
        self.share_button = secondary_button("Email the record", self.share, enter_in=(self.share_to,))
        self.share_form = widgets.VBox(
            [
                paragraph("Someone else runs your DNS? Email them the record to publish:"),
                widgets.HBox([self.share_domain, self.share_to, self.share_button]),
            ]
        )
        self.intro = paragraph("")
        self.done_note = paragraph("Your primary domain is verified. You can add more domains at any time.")
        self._primary = ""
        self._domains: list[DomainStatus] = []

    def _show_domains(self) -> None:
        """Give each domain a row (reusing the rows built before) and the share form its choices."""
        domains = self._domains
        self.domain_rows = self._domain_list.show(domains)
        self.check_buttons = {d.name: row.button for row, d in zip(self.domain_rows, domains, strict=True) if d.waiting}
        waiting = [d.name for d in domains if d.waiting]
        chosen = self.share_domain.value
        self.share_domain.options = waiting
        self.share_domain.value = chosen if chosen in waiting else (waiting[0] if waiting else None)
        self.share_form.layout.display = None if waiting else "none"

    def render(self, status: TaskStatus) -> None:
        self._primary = self.details_task.details().primary_domain
        self._domains = self.task.domains()
        self._show_domains()
        super().render(status)

    def step_for(self, status: TaskStatus) -> str:
        return self.task.step_for(self._domains, primary_domain=self._primary)

    def _page(self, intro: str) -> list[widgets.Widget]:
        self.intro.value = f"<p>{html.escape(intro)}</p>"
        return [self.rows, self.last_result, self.share_form, self.intro, self.add_row, self.finish_button]

    def step_primary(self, status: TaskStatus) -> list[widgets.Widget]:
        if not self._domains and not self.new_domain.value:  # never overwrite what the admin typed
            self.new_domain.value = self._primary
        return self._page(f"Start with your primary domain, {self._primary}.")

    def step_publish(self, status: TaskStatus) -> list[widgets.Widget]:
        return self._page("Add any other domains you send or receive email for.")

    def step_check(self, status: TaskStatus) -> list[widgets.Widget]:
        return self._page("Add any other domains you send or receive email for.")

    def step_more(self, status: TaskStatus) -> list[widgets.Widget]:
        return self._page("Add any other domains you send or receive email for.")

    def summary(self, status: TaskStatus) -> list[widgets.Widget]:
        return [self.done_note, self.rows, self.last_result, self.share_form, self.add_row]

    def add(self) -> None:
        typed = self.new_domain.value
        if self.page.submit(lambda: self.task.add(typed)):
            self.new_domain.value = ""

    def check(self, name: str) -> None:
        self.last_result.value = ""
        self.page.submit(
            lambda: self.task.check(name),  # the domain's row shows the outcome
            busy=f"Checking the TXT record for {name}…",
        )

    def share(self) -> None:
        name, to = self.share_domain.value, self.share_to.value

        def run() -> None:
            sent_to = self.task.share(name, to)
            self.last_result.value = (
                f"<p>✔ Emailed the record for {html.escape(str(name))} to {html.escape(sent_to)}.</p>"
            )

        if self.page.submit(run, busy=f"Emailing the record for {name} to {to.strip()}…"):
            self.share_to.value = ""

    def finish(self) -> None:
        primary = self.details_task.details().primary_domain
        self.page.submit(lambda: self.task.finish(version=self.status.version, primary_domain=primary))
