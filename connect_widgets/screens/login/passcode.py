"""Step 5: the passcode sent by SMS; Verify, or Resend once the countdown ends.

The Resend button counts down to when the flow will send another code. The count is
a :class:`~connect_widgets.screens.polling.PagePoll` ticking each second while there
is something to wait for; the button is a hint only, the flow enforces the wait.
"""

from __future__ import annotations

import math

import ipywidgets as widgets

from connect_widgets.core.auth.flow import LoginFlow
from connect_widgets.core.auth.passcodes import LIFETIME, Purpose
from connect_widgets.core.clock import spoken
from connect_widgets.screens.kit import (
    LoginScreen,
    ScreenHost,
    link_button,
    paragraph,
    primary_button,
    text_field,
)
from connect_widgets.screens.polling import PagePoll

COUNTDOWN_SECONDS = 1.0


class PasscodeScreen(LoginScreen):
    """Says where the code went ("the number ending 42"), never the code itself."""

    def __init__(self, host: ScreenHost, flow: LoginFlow) -> None:
        super().__init__(host, title="Enter your passcode")
        self.flow = flow
        self.clock = flow.services.clock
        self.code = text_field("Passcode", width="12em")
        self.verify_button = primary_button("Verify", self.verify, enter_in=(self.code,))
        self.resend_button = link_button("Resend code", self.resend)
        self.change_number_button = link_button("Use a different number", lambda: self.submit(self.flow.change_number))
        self.expiry = paragraph("", css="connect-hint")
        self.countdown = PagePoll(self._count_down, seconds=COUNTDOWN_SECONDS, name="resend countdown")
        self.compose(self.code, self.verify_button, self.expiry, self.resend_button, self.change_number_button)

    def on_show(self) -> None:
        sent = self.flow.code_sent
        if sent is not None and sent.delivered and self.flow.notice:  # an earlier code, still valid
            self.set_intro(self.flow.notice)
            self.expiry.value = "<p>Never share it.</p>"
        elif sent is not None and sent.delivered:
            self.set_intro(f"We sent a one-time passcode by SMS to the number ending {sent.ending}.")
            self.expiry.value = f"<p>It expires in {spoken(LIFETIME[Purpose.LOGIN])}. Never share it.</p>"
        else:
            notice = self.flow.notice or "No passcode is waiting. Use Resend code."
            if self.flow.destination_ending and "number ending" not in notice:
                notice += f" Codes go to the number ending {self.flow.destination_ending}."
            self.set_intro(notice)
            self.expiry.value = ""
        self.change_number_button.layout.display = None if self.flow.needs_phone_enrolment else "none"
        self.tick()

    def seconds_until_resend(self) -> int:
        if self.flow.resend_at is None:
            return 0
        return max(0, math.ceil((self.flow.resend_at - self.clock.now()).total_seconds()))

    def tick(self) -> None:
        """Refresh the Resend countdown; while there is a wait, the countdown ticks each second."""
        if self._count_down():
            self.countdown.start()  # once: a tick while it runs changes nothing
        else:
            self.countdown.stop()

    def _count_down(self) -> bool:
        """Show the wait on the Resend button; True while there is still a wait (the poll's check)."""
        wait = self.seconds_until_resend()
        if wait > 60:  # the same rounding as the message ("Try again in 9 minutes")
            minutes = math.ceil(wait / 60)
            self.resend_button.description = f"Resend code in {minutes} min"
        else:
            self.resend_button.description = f"Resend code in {wait} s" if wait else "Resend code"
        self.resend_button.disabled = bool(wait)  # a hint only: the flow enforces the wait
        return bool(wait)

    def verify(self) -> None:
        typed = self.code.value
        self.clear_secrets()
        self.submit(lambda: self.flow.verify_passcode(typed))

    def resend(self) -> None:
        if self.submit(self.flow.resend_passcode):
            self.on_show()

    def clear_secrets(self) -> None:
        self.code.value = ""

    def first_field(self) -> widgets.DOMWidget | None:
        return self.code
