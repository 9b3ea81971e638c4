"""Step 3: the password."""

from __future__ import annotations

from connect_widgets.core.login import AuthMethod, LoginFlow
from connect_widgets.screens.screen import (
    LoginScreen,
    ScreenHost,
    link_button,
    on_enter,
    primary_button,
    text_field,
)


class PasswordScreen(LoginScreen):
    def __init__(self, host: ScreenHost, flow: LoginFlow) -> None:
        super().__init__(host, title="Enter your password")
        self.flow = flow
        self.password = text_field("Password", password=True)
        self.next_button = primary_button("Next")
        self.next_button.on_click(lambda _b: self.next())
        on_enter(self.password, self.next)
        self.back_button = link_button("Use a different email address")
        self.back_button.on_click(lambda _b: self.submit(self.flow.restart))
        self.method_link = link_button("Choose Cloud or Domain again")
        self.method_link.on_click(lambda _b: self.submit(self.flow.back_to_method))
        self.compose(self.password, self.next_button, self.method_link, self.back_button)

    def on_show(self) -> None:
        kind = "domain" if self.flow.method is AuthMethod.DOMAIN else "Connect (cloud)"
        self.set_intro(f"Enter the {kind} password for {self.flow.email}.")

    def next(self) -> None:
        typed = self.password.value
        self.clear_secrets()
        self.submit(lambda: self.flow.submit_password(typed))

    def clear_secrets(self) -> None:
        self.password.value = ""

    def first_field(self):  # type: ignore[no-untyped-def]
        return self.password
