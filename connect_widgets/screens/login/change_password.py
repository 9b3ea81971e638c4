"""Step 7 (first login): replace the supplied password, with a live rule indicator."""

from __future__ import annotations

import html

import ipywidgets as widgets

from connect_widgets.core.auth.flow import LoginFlow
from connect_widgets.core.auth.passwords import PolicyCheck
from connect_widgets.screens.kit import Screen, ScreenHost, on_enter, primary_button, text_field


def rules_html(checks: list[PolicyCheck], *, new: str, confirm: str) -> str:
    """The live indicator: each rule ✓ or ✗, then whether the two passwords match."""
    typed = bool(new)
    lines = [(c.met and typed, c.label) for c in checks]
    lines.append((typed and new == confirm, "The two new passwords match"))
    return (
        "<ul>"
        + "".join(
            f'<li class="{"met" if ok else "unmet"}">{"✓" if ok else "✗"} {html.escape(text)}</li>'
            for ok, text in lines
        )
        + "</ul>"
    )


class ChangePasswordScreen(Screen):
    """Current, new and confirm; the indicator shows each rule and whether the two match."""

    def __init__(self, host: ScreenHost, flow: LoginFlow) -> None:
        super().__init__(
            host,
            title="Change your password",
            intro="This is your first login: replace the password you were given with one of your own.",
        )
        self.flow = flow
        self.current = text_field("Current password", password=True)
        self.new = text_field("New password", password=True)
        self.confirm = text_field("Confirm password", password=True)
        self.indicator = widgets.HTML()
        self.indicator.add_class("connect-rules")
        self.change_button = primary_button("Change password", self.change)
        # Enter moves on to the next field; in the last one it submits.
        on_enter(self.current, self.new.focus)
        on_enter(self.new, self.confirm.focus)
        on_enter(self.confirm, self.change)
        self.new.observe(lambda _c: self.refresh_indicator(), "value")
        self.confirm.observe(lambda _c: self.refresh_indicator(), "value")
        self.compose(self.current, self.new, self.confirm, self.indicator, self.change_button)

    def on_show(self) -> None:
        self.refresh_indicator()

    def refresh_indicator(self) -> None:
        """One line per rule, ✓ or ✗, plus whether the confirmation matches."""
        try:
            checks = self.flow.review_new_password(self.new.value)
        except Exception:  # noqa: BLE001 - not signed in (yet): show nothing
            self.indicator.value = ""
            return
        self.indicator.value = rules_html(checks, new=self.new.value, confirm=self.confirm.value)

    def change(self) -> None:
        current, new, confirm = self.current.value, self.new.value, self.confirm.value
        self.clear_secrets()
        self.submit(lambda: self.flow.change_password(current=current, new=new, confirm=confirm))

    def clear_secrets(self) -> None:
        for field in (self.current, self.new, self.confirm):
            field.value = ""

    def first_field(self) -> widgets.DOMWidget | None:
        return self.current
