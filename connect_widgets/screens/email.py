"""Step 1: the email address on the holding domain, then Next."""

from __future__ import annotations

from connect_widgets.core.login import LoginFlow
from connect_widgets.screens.screen import LoginScreen, ScreenHost, on_enter, primary_button, text_field


class EmailScreen(LoginScreen):
    """Asks for ``name@<accountcode>.<suffix>``; the dedicated URL may pre-fill it."""

    def __init__(self, host: ScreenHost, flow: LoginFlow, *, suffix: str, prefill: str = "") -> None:
        super().__init__(
            host,
            title="Log in to Connect",
            intro=f"Enter your email address. It belongs to your holding domain: <account code>.{suffix}",
        )
        self.flow = flow
        self.email = text_field("Email address")
        self.prefill = prefill
        self.email.value = prefill
        self.next_button = primary_button("Next")
        self.next_button.on_click(lambda _b: self.next())
        on_enter(self.email, self.next)
        self.compose(self.email, self.next_button)

    def forget(self) -> None:
        self.email.value = self.prefill

    def next(self) -> None:
        self.submit(lambda: self.flow.submit_email(self.email.value))

    def first_field(self):  # type: ignore[no-untyped-def]
        return self.email
