"""Step 3: the password."""

from __future__ import annotations

import ipywidgets as widgets

from connect_widgets.core.auth.flow import AuthMethod, LoginFlow
from connect_widgets.screens.kit import (
    LoginScreen,
    ScreenHost,
    link_button,
    primary_button,
    text_field,
)


class PasswordScreen(LoginScreen):
    def __init__(self, host: ScreenHost, flow: LoginFlow) -> None:
        super().__init__(host, title="Enter your password")
        self.flow = flow
        self.logon = text_field("Domain logon")
        self.password = text_field("Password", password=True)
        self.next_button = primary_button("Next", self.next, enter_in=(self.password, self.logon))
        self.back_button = link_button(
            "Use a different email address", lambda: self.submit(self.flow.restart, quick=True)
        )
        self.method_link = link_button(
            "Choose Cloud or Domain again", lambda: self.submit(self.flow.back_to_method, quick=True)
        )
        self.compose(self.logon, self.password, self.next_button, self.method_link, self.back_button)

    def on_show(self) -> None:
        domain = self.flow.method is AuthMethod.DOMAIN
        self.logon.layout.display = None if domain else "none"
        if domain:
            self.set_intro(f"Enter your domain logon and password (logging in as {self.flow.email}).")
        else:
            self.set_intro(f"Enter the Connect (cloud) password for {self.flow.email}.")

    def next(self) -> None:
        typed, logon = self.password.value, self.logon.value
        self.clear_secrets()
        if self.flow.method is AuthMethod.DOMAIN:
            self.submit(lambda: self.flow.submit_password(typed, logon=logon))
        else:
            self.submit(lambda: self.flow.submit_password(typed))

    def forget(self) -> None:
        super().forget()
        self.logon.value = ""

    def clear_secrets(self) -> None:
        self.password.value = ""

    def first_field(self) -> widgets.DOMWidget | None:
        return self.logon if self.flow.method is AuthMethod.DOMAIN else self.password
