""" "Login issues?": forgot password (reset code), no code, lost phone, locked, cloud vs domain."""

from __future__ import annotations

import html

import ipywidgets as widgets

from connect_widgets.core.auth.flow import LoginFlow
from connect_widgets.core.auth.limits import FIRST_LOCK, MAX_FAILED_LOGINS, SEND_WINDOW, SENDS_PER_WINDOW
from connect_widgets.core.auth.passcodes import LIFETIME, RESEND_AFTER, Purpose
from connect_widgets.core.auth.reset import PasswordReset, ResetStep
from connect_widgets.core.clock import spoken
from connect_widgets.screens.kit import (
    Place,
    Screen,
    ScreenHost,
    link_button,
    paragraph,
    primary_button,
    text_field,
)
from connect_widgets.screens.login.change_password import rules_html

# The timings are the rules' own constants, so the help never drifts from what the flow enforces.
HELP = {
    "Didn't get the code?": (
        "Codes arrive by SMS within a minute. The passcode page shows the last two digits of "
        f"the number the code went to: check they are yours. Wait {spoken(RESEND_AFTER)}, then use Resend "
        f"code; a new code replaces the old one. Each code expires after {spoken(LIFETIME[Purpose.LOGIN])}, "
        f"and at most {SENDS_PER_WINDOW} codes can be sent in {spoken(SEND_WINDOW)}."
    ),
    "Lost your phone?": (
        "Contact Connect support. After checking who you are, they reset your phone enrolment; "
        "at your next login you enrol your new number."
    ),
    "Account locked?": (
        f"After {MAX_FAILED_LOGINS} wrong passwords in a row, logging in is blocked for {spoken(FIRST_LOCK)}, "
        "and twice as long each time it happens again; until then even the right password is refused. Wait, "
        'or reset your password under "Forgot your password?" above: a reset lifts the block. '
        "Support can also unlock your account."
    ),
    "Cloud or Domain password?": (
        "Choose Cloud and use your Connect password until your account completes Set Up Your "
        "Authentication. After that you can choose Domain and use your usual domain logon and "
        "password."
    ),
}


class LoginIssuesScreen(Screen):
    """Help for every way a login gets stuck; the password reset runs right here."""

    def __init__(self, host: ScreenHost, flow: LoginFlow, reset: PasswordReset, *, suffix: str) -> None:
        super().__init__(host, title="Login issues?", intro="Pick what went wrong.")
        self.flow = flow
        self.reset = reset
        # Forgot password: three small forms, one shown at a time.
        self.reset_email = text_field("Email address")
        self.send_code_button = primary_button("Send reset code", self.request_code, enter_in=(self.reset_email,))
        self.reset_notice = paragraph("", css="connect-notice")
        self.reset_code = text_field("Passcode", width="12em")
        self.verify_button = primary_button("Verify", self.verify_code, enter_in=(self.reset_code,))
        self.new_password = text_field("New password", password=True)
        self.confirm_password = text_field("Confirm password", password=True)
        self.indicator = widgets.HTML()  # the same live rules as the first login's password change
        self.indicator.add_class("connect-rules")
        self.new_password.observe(lambda _c: self.refresh_indicator(), "value")
        self.confirm_password.observe(lambda _c: self.refresh_indicator(), "value")
        self.set_password_button = primary_button(
            "Set new password", self.set_password, enter_in=(self.confirm_password,)
        )
        self.start_over_link = link_button("Start the reset again", self.start_over)
        self.forgot = widgets.VBox()
        self.forgot_intro = paragraph(
            f"Enter your Connect address (name@<account code>.{suffix}). If it has an enrolled "
            "phone, we send a reset code to it."
        )
        self.sections = widgets.Accordion(
            children=[self.forgot] + [paragraph(text) for text in HELP.values()],
            titles=("Forgot your password?", *HELP),
        )
        self.back_button = primary_button("Back to login", self.back_to_login)
        self.compose(self.sections, self.back_button)
        self.show_reset_step()

    def on_show(self) -> None:
        if not self.reset_email.value and self.flow.email:
            self.reset_email.value = self.flow.email
        self.show_reset_step()

    def show_reset_step(self) -> None:
        step = self.reset.step
        if step is ResetStep.REQUEST:
            parts = [self.forgot_intro, self.reset_email, self.send_code_button]
        elif step is ResetStep.CODE:
            parts = [self.reset_notice, self.reset_code, self.verify_button, self.start_over_link]
        elif step is ResetStep.NEW_PASSWORD:
            parts = [
                paragraph("Choose a new password: at least 12 characters, hard to guess."),
                self.new_password,
                self.confirm_password,
                self.indicator,
                self.set_password_button,
            ]
            self.refresh_indicator()
        else:
            parts = [
                paragraph(
                    "Your password was changed. Go back to the login and use it; you'll still be asked for a passcode."
                ),
                self.start_over_link,
            ]
        self.forgot.children = tuple(parts)

    def refresh_indicator(self) -> None:
        """Each password rule met or not, as the admin types (only once the code is verified)."""
        if self.reset.step is not ResetStep.NEW_PASSWORD:
            self.indicator.value = ""
            return
        checks = self.reset.review_new_password(self.new_password.value)
        self.indicator.value = rules_html(checks, new=self.new_password.value, confirm=self.confirm_password.value)

    def request_code(self) -> None:
        def request() -> None:
            notice = self.reset.request(self.reset_email.value)
            self.reset_notice.value = f"<p>{html.escape(notice)}</p>"

        self.submit(request)
        self.show_reset_step()

    def verify_code(self) -> None:
        typed = self.reset_code.value
        self.reset_code.value = ""
        self.submit(lambda: self.reset.verify_code(typed))
        self.show_reset_step()

    def set_password(self) -> None:
        new, confirm = self.new_password.value, self.confirm_password.value
        self.clear_secrets()
        self.submit(lambda: self.reset.set_password(new=new, confirm=confirm))
        self.show_reset_step()

    def back_to_login(self) -> None:
        if self.reset.step is ResetStep.DONE:  # next visit starts a fresh reset
            self.start_over()
        self.host.go(Place.LOGIN)

    def start_over(self) -> None:
        self.reset.start_over()
        self.clear_secrets()
        self.show_reset_step()

    def clear_secrets(self) -> None:
        for field in (self.reset_code, self.new_password, self.confirm_password):
            field.value = ""

    def forget(self) -> None:
        self.reset_email.value = ""
        self.start_over()

    def first_field(self) -> widgets.DOMWidget | None:
        return self.back_button
