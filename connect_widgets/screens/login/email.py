"""Step 1: the email address on the holding domain, then Next.

The dedicated URL (``?account=ACME``) names the account, not the admin: the field
then takes just the name, with ``@acme.<suffix>`` shown beside it, so typing
``sam`` straight after the page opens gives ``sam@acme.<suffix>``. Typing a whole
address works too (the domain beside the field steps aside as soon as an ``@`` is
typed). ``?email=...`` pre-fills the whole address.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import ipywidgets as widgets

from connect_widgets.screens.kit import LoginScreen, ScreenHost, primary_button, text_field

if TYPE_CHECKING:
    from connect_widgets.core.auth.flow import LoginFlow


class EmailScreen(LoginScreen):
    """Asks for ``name@<accountcode>.<suffix>``; the dedicated URL may pre-fill it.

    ``flow`` gives the login flow when Next needs it: the page draws this screen first
    and loads the flow, with the database behind it, afterwards (see ``ConnectApp``).
    """

    def __init__(
        self,
        host: ScreenHost,
        flow: Callable[[], LoginFlow],
        *,
        suffix: str,
        prefill: str = "",
        title: str = "Log in to Connect",
    ) -> None:
        super().__init__(host, title=title)
        self.flow = flow
        self.suffix = suffix
        self.email = text_field("Email address")
        self.domain = widgets.HTML()  # "@acme.<suffix>" beside the field, for a dedicated URL
        self.domain.add_class("connect-domain")
        self.email.observe(self._show_domain, "value")
        self.next_button = primary_button("Next", self.next, enter_in=(self.email,))
        row = widgets.HBox([self.email, self.domain])
        row.add_class("connect-email-row")
        self.compose(row, self.next_button)
        self.prefill = ""
        self.use_prefill(prefill)

    @property
    def account_domain(self) -> str:
        """The holding domain of the dedicated URL (``acme.<suffix>``), or ``""``."""
        return self.prefill[1:] if self.prefill.startswith("@") else ""

    def use_prefill(self, prefill: str) -> None:
        """A whole address (``?email=``) fills the field; ``@domain`` (``?account=``) goes beside it."""
        self.prefill = prefill
        self.email.value = "" if self.account_domain else prefill
        if self.account_domain:
            self.set_intro("Enter the name of your email address: the part before the @.")
        else:
            self.set_intro(f"Enter your email address. It belongs to your holding domain: <account code>.{self.suffix}")
        self._show_domain()

    def _show_domain(self, _change: dict[str, Any] | None = None) -> None:
        domain = self.account_domain
        shown = bool(domain) and "@" not in self.email.value
        self.domain.value = f"<span>@{html.escape(domain)}</span>" if shown else ""
        self.domain.layout.display = None if shown else "none"

    def typed_address(self) -> str:
        """What the admin means: the name plus the URL's domain, or the whole address they typed."""
        typed = str(self.email.value)
        domain = self.account_domain
        if domain and typed.strip() and "@" not in typed:
            return f"{typed.strip()}@{domain}"
        return typed

    def forget(self) -> None:
        self.use_prefill(self.prefill)

    def next(self) -> None:
        self.submit(lambda: self.flow().submit_email(self.typed_address()), quick=True)

    def first_field(self) -> widgets.DOMWidget | None:
        return self.email
