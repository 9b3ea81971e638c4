"""Step 4 (first login): enrol a mobile phone for 2-step authentication."""

from __future__ import annotations

import html

import ipywidgets as widgets

from connect_widgets.core.auth.flow import LoginFlow
from connect_widgets.core.auth.phones import country_choices, example_mobile
from connect_widgets.screens.kit import LoginScreen, ScreenHost, paragraph, primary_button, text_field


class EnrolPhoneScreen(LoginScreen):
    """Country drop-down (the account's region's country, else the server's default) and the number."""

    def __init__(self, host: ScreenHost, flow: LoginFlow, *, default_country: str) -> None:
        super().__init__(
            host,
            title="Enrol in 2-Step Authentication",
            intro="Enter your mobile phone number. We'll send a one-time passcode to it by SMS.",
        )
        self.flow = flow
        self.default_country = default_country
        self.country = widgets.Dropdown(
            options=country_choices(),
            value=default_country,
            description="Country",
            layout=widgets.Layout(width="22em"),
        )
        self.country.add_class("connect-field")
        self.number = text_field("Mobile number")
        self.hint = paragraph("", css="connect-hint")
        self.country.observe(lambda _c: self.show_hint(), "value")
        self.show_hint()
        self.next_button = primary_button("Next", self.next, enter_in=(self.number,))
        self.compose(self.country, self.number, self.hint, self.next_button)

    def on_show(self) -> None:
        if not self.number.value:  # a country the admin chose is kept while they correct the number
            self.country.value = self.flow.phone_country(self.default_country)

    def show_hint(self) -> None:
        example = example_mobile(self.country.value or "")
        text = "Enter the number with no leading zero and no country code" + (
            f", for example {example}." if example else "."
        )
        self.hint.value = f"<p>{html.escape(text)}</p>"

    def next(self) -> None:
        if self.submit(lambda: self.flow.enrol_phone(country=self.country.value, number=self.number.value)):
            self.number.value = ""  # the full number lives in the phone table only

    def forget(self) -> None:
        self.number.value = ""
        self.country.value = self.default_country

    def first_field(self) -> widgets.DOMWidget | None:
        return self.number
