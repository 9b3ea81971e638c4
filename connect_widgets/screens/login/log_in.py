"""Step 6: Log In, once the passcode is verified."""

from __future__ import annotations

import ipywidgets as widgets

from connect_widgets.core.auth.flow import LoginFlow
from connect_widgets.screens.kit import LoginScreen, ScreenHost, primary_button


class LogInScreen(LoginScreen):
    def __init__(self, host: ScreenHost, flow: LoginFlow) -> None:
        super().__init__(host, title="You're verified", intro="Your passcode is verified. Click Log In to continue.")
        self.flow = flow
        self.log_in_button = primary_button("Log In", self.log_in)
        self.compose(self.log_in_button)

    def log_in(self) -> None:
        self.submit(self.flow.log_in)

    def first_field(self) -> widgets.DOMWidget | None:
        return self.log_in_button
