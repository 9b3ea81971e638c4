"""Validate Your Domains: the primary domain first, its TXT record, Check now, more domains."""

from __future__ import annotations

import html

import ipywidgets as widgets

from connect_widgets.core.adapters.dns import DnsChecker
from connect_widgets.core.adapters.service_values import load_service_values
from connect_widgets.core.tasks.board import TaskStatus
from connect_widgets.core.tasks.catalogue import TaskState
from connect_widgets.core.tasks.confirm_details import DetailsTask
from connect_widgets.core.tasks.validate_domains import DomainBook, expired_words, taken_words
from connect_widgets.screens.kit import link_button, on_enter, paragraph, primary_button, text_field
from connect_widgets.screens.tasks.page import TaskView

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


class ValidateDomainsView(TaskView):
    """One row per domain with the record to publish; the task completes once the primary is verified."""

    labels = {
        "primary": "Add your primary domain",
        "publish": "Publish its TXT record at your DNS provider",
        "check": "Check the record",
        "more": "Add any other domains",
    }

    def __init__(self, page) -> None:  # type: ignore[no-untyped-def]
        super().__init__(page)
        flow = page.board.flow
        self.book = DomainBook(
            flow, checker=DnsChecker(flow.services.settings), service=load_service_values(), board=page.board
        )
        self.details_task = DetailsTask(page.board)
        self.rows = widgets.VBox()
        self.check_buttons: dict[str, widgets.Button] = {}
        self.new_domain = text_field("Domain")
        self.add_button = widgets.Button(description="Add domain")
        self.add_button.add_class("connect-secondary")
        self.add_button.on_click(lambda _b: self.add())
        on_enter(self.new_domain, self.add)
        self.finish_button = primary_button("Finish")
        self.finish_button.on_click(lambda _b: self.finish())
        self.last_result = widgets.HTML()
        self.share_domain = widgets.Dropdown(
            options=[], description="Domain to share", layout=widgets.Layout(width="14em")
        )
        self.share_domain.add_class("connect-field")
        self.share_to = text_field("Email of whoever runs your DNS")
        self.share_button = widgets.Button(description="Email the record")
        self.share_button.add_class("connect-secondary")
        self.share_button.on_click(lambda _b: self.share())
        on_enter(self.share_to, self.share)
        self.share_form = widgets.VBox(
            [
                paragraph("Someone else runs your DNS? Email them the record to publish:"),
                widgets.HBox([self.share_domain, self.share_to, self.share_button]),
            ]
        )

    def render(self, status: TaskStatus) -> None:
        super().render(status)
        primary = self.details_task.details().primary_domain
        domains = self.book.domains()
        rows: list[widgets.Widget] = []
        self.check_buttons = {}
        for domain in domains:
            if domain.verified:
                text = f"<p>✔ <b>{html.escape(domain.name)}</b> is verified.</p>"
                rows.append(widgets.HTML(text))
                continue
            if domain.taken or domain.expired:  # nothing to publish or check: the words say what to do
                words = taken_words(domain.name) if domain.taken else expired_words(domain.name)
                rows.append(widgets.HTML(f'<p class="connect-check-bad">✗ {html.escape(words)}</p>'))
                continue
            rows.append(
                widgets.HTML(
                    f"<p><b>{html.escape(domain.name)}</b>: publish this TXT record at your DNS provider, then "
                    f"check it.</p>{record_table(domain.record_name, domain.record_value)}"
                    + (
                        f'<p class="connect-hint">Last check: ✗ {html.escape(domain.last_message)}</p>'
                        if domain.last_message
                        else ""
                    )
                )
            )
            check = link_button(f"Check now: {domain.name}")
            check.on_click(lambda _b, name=domain.name: self.check(name))
            self.check_buttons[domain.name] = check
            rows.append(check)
        self.rows.children = tuple(rows)
        waiting = [d.name for d in domains if d.waiting]
        chosen = self.share_domain.value
        self.share_domain.options = waiting
        self.share_domain.value = chosen if chosen in waiting else (waiting[0] if waiting else None)
        self.share_form.layout.display = None if waiting else "none"
        add_row = widgets.HBox([self.new_domain, self.add_button])
        if status.state is TaskState.COMPLETE:
            self.children = (
                paragraph("Your primary domain is verified. You can add more domains at any time."),
                self.rows,
                self.last_result,
                self.share_form,
                add_row,
            )
            return
        if not domains:
            if not self.new_domain.value:  # never overwrite what the admin typed
                self.new_domain.value = primary
            intro = paragraph(f"Start with your primary domain, {primary}.")
        else:
            intro = paragraph("Add any other domains you send or receive email for.")
        self.children = (self.rows, self.last_result, self.share_form, intro, add_row, self.finish_button)

    def add(self) -> None:
        typed = self.new_domain.value
        if self.page.submit(lambda: self.book.add(typed)):
            self.new_domain.value = ""

    def check(self, name: str) -> None:
        self.last_result.value = ""
        self.page.submit(
            lambda: self.book.check(name),  # the domain's row shows the outcome
            busy=f"Checking the TXT record for {name}…",
        )

    def share(self) -> None:
        name, to = self.share_domain.value, self.share_to.value

        def run() -> None:
            sent_to = self.book.share(name, to)
            self.last_result.value = (
                f"<p>✔ Emailed the record for {html.escape(str(name))} to {html.escape(sent_to)}.</p>"
            )

        if self.page.submit(run, busy=f"Emailing the record for {name} to {to.strip()}…"):
            self.share_to.value = ""

    def finish(self) -> None:
        primary = self.details_task.details().primary_domain
        self.page.submit(
            lambda: self.book.finish(board=self.page.board, version=self.status.version, primary_domain=primary)
        )
