"""Step 2: Cloud or Domain authentication, from a drop-down."""

from __future__ import annotations

import ipywidgets as widgets

from connect_widgets.core.auth.flow import AuthMethod, LoginFlow
from connect_widgets.screens.kit import LoginScreen, ScreenHost, paragraph, primary_button

CLOUD_HINT = (
    "Cloud authentication must be used until you have completed the Set Up Your "
    'Authentication task. After this you can select "Domain" and use your domain logon and password.'
)


class MethodScreen(LoginScreen):
    """Both options are listed; the flow refuses Domain until the account enabled it."""

    def __init__(self, host: ScreenHost, flow: LoginFlow) -> None:
        super().__init__(host, title="Choose how to authenticate")
        self.flow = flow
        self.method = widgets.Dropdown(
            options=[("Cloud", AuthMethod.CLOUD.value), ("Domain", AuthMethod.DOMAIN.value)],
            value=AuthMethod.CLOUD.value,
            description="Authentication method",
            layout=widgets.Layout(width="22em"),
        )
        self.method.add_class("connect-field")
        self.hint = paragraph(CLOUD_HINT, css="connect-hint")
        self.next_button = primary_button("Next", self.next)
        self.compose(self.method, self.hint, self.next_button)

    def on_show(self) -> None:
        self.set_intro(f"Logging in as {self.flow.email}.")
        if self.flow.domain_available():
            self.hint.value = "<p>Your account uses your domain logon for Domain authentication.</p>"

    def next(self) -> None:
        self.submit(lambda: self.flow.choose_method(self.method.value), quick=True)

    def first_field(self) -> widgets.DOMWidget | None:
        return self.method
