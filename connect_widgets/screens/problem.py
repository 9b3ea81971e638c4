"""Shown when a page could not be drawn: the message area says why; Try again retries."""

from __future__ import annotations

import ipywidgets as widgets

from connect_widgets.screens.kit import Screen, ScreenHost, primary_button


class ProblemScreen(Screen):
    def __init__(self, host: ScreenHost) -> None:
        super().__init__(
            host, title="This page could not be opened", intro="Nothing you entered was lost. Try again in a moment."
        )
        self.try_again_button = primary_button("Try again", lambda: self.submit(lambda: None))
        self.compose(self.try_again_button)

    def first_field(self) -> widgets.DOMWidget | None:
        return self.try_again_button
