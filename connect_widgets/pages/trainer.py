"""The trainer notebook: demo accounts, reset to a stage in one click, the simulated phone, notes.

Everything here touches demo accounts only (the core refuses any other), and
the whole page is off unless the server says it is a training server
(``CONNECT_TRAINER_ENABLED``), because it shows demo passcodes to whoever opens it.

The page is a :class:`~connect_widgets.pages.shell.PageShell` (message area, one
action at a time); what it shows of the demo accounts comes from
:mod:`connect_widgets.demo.trainer_feed` (the page runs no SQL), and the phone and
inbox are redrawn every 2 seconds by a :class:`~connect_widgets.screens.polling.PagePoll`.
"""

from __future__ import annotations

import html
import logging
import re
import tomllib
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

from connect_widgets.core.auth.limits import SEND_WINDOW
from connect_widgets.core.clock import Clock, spoken
from connect_widgets.core.delivery.outbox import StoredMessage
from connect_widgets.core.errors import ConnectError
from connect_widgets.core.services import ConnectServices, build_services
from connect_widgets.core.tasks.catalogue import data_file
from connect_widgets.demo.dns import published_accounts, set_published
from connect_widgets.demo.stages import STAGES, clear_passcode_limits, reset_demo_account, seed_demo_accounts
from connect_widgets.demo.trainer_feed import demo_accounts, demo_devices
from connect_widgets.kernel_log import keep_kernel_log_on_server
from connect_widgets.pages.shell import PageShell, page_query_string
from connect_widgets.screens.kit import primary_button
from connect_widgets.screens.polling import PagePoll
from connect_widgets.settings import Settings, load_settings

log = logging.getLogger(__name__)
UNEXPECTED = "Something went wrong; nothing was changed. Try again."
REFRESH_SECONDS = 2.0
MAIL_CHARACTERS = 2000  # of each email's body (the kit's own mails are shorter)


def load_presenter_notes() -> list[tuple[str, str, str]]:
    """(title, what the admin sees, what to point out) per step, from ``data/presenter_notes.toml``."""
    raw = tomllib.loads(data_file("presenter_notes.toml").read_text(encoding="utf-8"))
    return [(str(s["title"]), str(s["sees"]), str(s["point_out"])) for s in raw.get("steps", [])]


class TrainerConsole(PageShell):
    """One trainer's page: pick a demo account, reset it, watch its phone and inbox."""

    def __init__(self, services: ConnectServices) -> None:
        super().__init__(unexpected=UNEXPECTED, classes=("connect-app", "connect-trainer"))
        self.services = services
        self.poll = PagePoll(self._redraw_by_timer, seconds=REFRESH_SECONDS, name="trainer refresh")
        self.header = widgets.HTML("<h1>Connect Trainer</h1>")
        self.header.add_class("connect-brand")
        if not services.settings.trainer_enabled:
            self.lay_out(
                self.header,
                widgets.HTML(
                    "<p>Trainer tools are turned off on this server. They show demo passcodes to whoever opens "
                    "this page, so they run only where <code>CONNECT_TRAINER_ENABLED=true</code> (as "
                    "<code>make demo</code> sets).</p>"
                ),
            )
            return

        self.seed_button = widgets.Button(
            description="Create the demo accounts", icon="plus", layout=widgets.Layout(width="auto")
        )
        self.seed_button.on_click(lambda _b: self.run(self.seed))
        self.account = widgets.Dropdown(
            description="Demo account", style={"description_width": "initial"}, layout=widgets.Layout(width="auto")
        )
        self.account.add_class("connect-account")
        self.account.observe(lambda _c: self.refresh(), "value")
        self.stage_buttons: dict[str, widgets.Button] = {}
        for stage in STAGES:
            button = widgets.Button(
                description=stage,
                tooltip=f"Reset the account to {stage}",
                layout=widgets.Layout(width="auto", min_width="7em"),
            )
            button.on_click(lambda _b, stage=stage: self.run(lambda: self.reset(stage)))
            self.stage_buttons[stage] = button
        self.result = widgets.HTML()
        self.result.add_class("connect-text")
        self.dns_button = primary_button("Publish demo DNS records")
        self.dns_button.layout.width = "auto"
        self.dns_button.on_click(lambda _b: self.run(self.toggle_dns))
        self.dns_state = widgets.HTML()
        self.clear_limits_button = widgets.Button(
            description="Clear passcode limits",
            icon="unlock",
            layout=widgets.Layout(width="auto"),
            tooltip="Let the admin be sent a passcode now, and lift a password lockout",
        )
        self.clear_limits_button.on_click(lambda _b: self.run(self.clear_limits))
        clear_limits_hint = widgets.HTML(
            f"<p>Stuck on “Too many codes were sent in the last {spoken(SEND_WINDOW)}”, or locked out after "
            "mistyped passwords? Clear the limits and the admin can be sent a new code at once.</p>"
        )
        clear_limits_hint.add_class("connect-hint")
        self.phone = widgets.HTML()
        self.phone.add_class("connect-phone")
        self.inbox = widgets.HTML()
        self.inbox.add_class("connect-inbox")
        notes = load_presenter_notes()
        self.notes = widgets.Accordion(
            children=[
                widgets.HTML(
                    f"<p><b>The admin sees:</b> {html.escape(sees)}</p><p><b>Point out:</b> {html.escape(point)}</p>"
                )
                for _t, sees, point in notes
            ],
            titles=tuple(t for t, _s, _p in notes),
        )
        self.notes.add_class("connect-notes")
        stages = _row(*self.stage_buttons.values())
        stages.add_class("connect-stages")
        controls = widgets.VBox(
            [
                _row(self.account, self.seed_button),
                widgets.HTML("<p>Reset the account to a stage (real data, made by Connect's own steps):</p>"),
                stages,
                self.result,
                _row(self.dns_button, self.dns_state),
                _row(self.clear_limits_button, clear_limits_hint),
            ]
        )
        controls.add_class("connect-screen")
        devices = widgets.HBox([self.phone, self.inbox])
        devices.add_class("connect-devices")
        self.lay_out(
            self.header,
            self.message,
            controls,
            devices,
            widgets.HTML("<h3>Presenter notes</h3>"),
            self.notes,
        )
        self.load_accounts()
        self.refresh()
        self.poll.start()  # in a kernel: the phone and inbox follow what happens elsewhere

    # -- actions -------------------------------------------------------------------

    def run(self, action: Callable[[], Any]) -> bool:
        """One trainer action; a refusal is shown on the message line, never a traceback.

        The phone and inbox are redrawn afterwards; if the database cannot be read
        for that, the trainer reads why (the cause is logged on the server).
        """
        ok = self.run_action(action, what="a trainer action")
        try:
            self.refresh()
        except Exception as failed:
            log.exception("could not redraw the demo phone and inbox")
            if ok:
                self.show_message(failed.message if isinstance(failed, ConnectError) else self.words_for(failed))
        return ok

    def load_accounts(self) -> None:
        options = [(f"{a.code} · {a.company}", a.code) for a in demo_accounts(self.services)]
        if tuple(options) == tuple(self.account.options):
            return
        chosen = self.account.value
        self.account.options = options
        if options:
            self.account.value = chosen if chosen in dict(options).values() else options[0][1]

    def seed(self) -> None:
        seed_demo_accounts(self.services)
        self.load_accounts()
        self.show_message("The demo accounts are ready.", kind="info")

    def reset(self, stage: str, *, code: str | None = None) -> None:
        code = code or self.account.value
        if not code:
            self.show_message("Create the demo accounts first.")
            return
        done = reset_demo_account(self.services, code, stage)
        set_published(self.services.settings, code, False)  # a fresh stage starts with nothing published
        url = self.services.settings.account_url(code)
        self.result.value = (
            f'<div class="connect-stage-result"><p><b>{html.escape(code)}</b> is now at <b>{html.escape(stage)}</b>.'
            f"</p><p>Email: <code>{html.escape(done.admin_email)}</code><br>Password: "
            f"<code>{html.escape(done.password)}</code></p><p>"
            f'<a href="{html.escape(url)}" target="_blank">Open Connect for this account</a></p></div>'
        )

    def clear_limits(self, *, code: str | None = None) -> None:
        """Clear the chosen demo account's passcode send limit and password lockout (the core checks it is a demo)."""
        code = code or self.account.value
        if not code:
            self.show_message("Create the demo accounts first.")
            return
        cleared = clear_passcode_limits(self.services, code=code)
        done = []
        if cleared.codes_cleared:
            several = cleared.codes_cleared != 1
            done.append(
                f"{cleared.codes_cleared} code{'s' if several else ''} sent in the last {spoken(SEND_WINDOW)} "
                f"no longer count{'' if several else 's'}"
            )
        if cleared.lockout_lifted:
            done.append("the password lockout is lifted")
        if not done:
            self.show_message(
                f"Nothing was holding {cleared.account_code} back: no codes were sent in the last "
                f"{spoken(SEND_WINDOW)} and its admin is not locked out.",
                kind="info",
            )
            return
        self.show_message(
            f"Passcode limits cleared for {cleared.account_code}: {' and '.join(done)}. A new code can be sent "
            "now: on the Connect page click Resend code, or reload the page and log in again if it is still "
            "counting down. Codes already on the demo phone no longer work.",
            kind="info",
        )

    def toggle_dns(self) -> None:
        code = self.account.value
        if not code:
            return
        published = code in published_accounts(self.services.settings)
        set_published(self.services.settings, code, not published)

    # -- the simulated phone and inbox ---------------------------------------------------

    def refresh(self) -> None:
        """Redraw the phone and inbox of the chosen account (the page's poll calls it every 2 s)."""
        self.load_accounts()  # accounts seeded elsewhere (CLI, another trainer) appear by themselves
        code = self.account.value
        self.phone.value, self.inbox.value = self._phone_and_inbox(code) if code else ("", "")
        if code:
            published = code in published_accounts(self.services.settings)
            self.dns_button.description = "Withdraw demo DNS records" if published else "Publish demo DNS records"
            self.dns_state.value = (
                "<p>✔ Its domains' TXT, SPF and MX records are published.</p>"
                if published
                else "<p>Its DNS checks fail until you publish its records.</p>"
            )

    def _redraw_by_timer(self) -> bool:
        """The poll's check: redraw, and keep watching while the page is open."""
        self.refresh()
        return True

    def _phone_and_inbox(self, code: str) -> tuple[str, str]:
        devices = demo_devices(self.services, code)
        if devices is None:
            return "", ""
        sms = (
            "".join(
                f'<div class="connect-sms">{_with_code(m.body)}<br><small>{m.created_at:%H:%M:%S} UTC · '
                f"{html.escape(m.status)}</small></div>"
                for m in devices.texts
            )
            or "<p>No SMS yet.</p>"
        )
        mail = "".join(_mail(m) for m in devices.mails) or "<p>No email yet.</p>"
        return f"<h3>Demo phone</h3>{sms}", f"<h3>Inbox</h3>{mail}"

    def close(self) -> None:
        self.poll.stop()
        super().close()


def _row(*children: widgets.Widget) -> widgets.HBox:
    """A row of controls that wraps onto a second line rather than overflow a narrow screen."""
    row = widgets.HBox(list(children))
    row.add_class("connect-row")
    return row


def _mail(message: StoredMessage) -> str:
    """One email of the demo inbox: subject, addressee, time, then the text (wrapped in the box)."""
    body = message.body if len(message.body) <= MAIL_CHARACTERS else message.body[:MAIL_CHARACTERS] + "…"
    return (
        f'<div class="connect-mail"><div class="subject">{html.escape(message.subject or "(no subject)")}</div>'
        f'<div class="meta">To {html.escape(message.recipient)} · {message.created_at:%H:%M:%S} UTC</div>'
        f'<div class="body">{html.escape(body.strip())}</div></div>'
    )


def _with_code(body: str) -> str:
    """The SMS text with its passcode made big, for the room to read."""
    escaped = html.escape(body)
    return re.sub(r"\b(\d{6})\b", r'<span class="code">\1</span>', escaped, count=1)


def build_trainer(settings: Settings | None = None, *, clock: Clock | None = None) -> TrainerConsole:
    """Build the trainer page (``notebooks/trainer.ipynb``)."""
    page_query_string()  # a pre-heated kernel waits here for the page to be asked for
    settings = settings or load_settings()
    keep_kernel_log_on_server(settings)
    return TrainerConsole(build_services(settings, clock=clock))
