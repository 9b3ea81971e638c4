"""Set Up Your Authentication: Cloud only, or Domain after a successful test login."""

from __future__ import annotations

import html

import ipywidgets as widgets

from connect_widgets.core.tasks.board import TaskStatus
from connect_widgets.core.tasks.user_authentication import MODES, UserAuthenticationTask
from connect_widgets.screens.kit import primary_button, text_field
from connect_widgets.screens.tasks.page import TaskScreen
from connect_widgets.screens.tasks.steps import StepView, choices


class UserAuthenticationView(StepView):
    labels = {"mode": "Choose how admins log in", "test_login": "Test a domain login", "enable": "Enable Domain"}

    def __init__(self, page: TaskScreen) -> None:
        super().__init__(page, UserAuthenticationTask(page.board))
        self.task: UserAuthenticationTask
        self.mode = choices(MODES, value="cloud")
        self.mode_button = primary_button(
            "Next",
            lambda: self.page.submit(lambda: self.task.choose_mode(version=self.status.version, mode=self.mode.value)),
        )
        self.logon = text_field("Your domain logon")
        self.password = text_field("Your domain password", password=True)
        self.test_button = primary_button("Test login", self.test_login, enter_in=(self.password,))
        self.enable_button = primary_button(
            "Enable Domain", lambda: self.page.submit(lambda: self.task.enable(version=self.status.version))
        )

    def step_mode(self, status: TaskStatus) -> list[widgets.Widget]:
        note = (
            ""
            if self.task.directory_ready()
            else " Domain becomes available once Synchronize Your Directory is complete with an LDAP directory."
        )
        return [
            self.text(
                "mode intro",
                "Admins log in with their Connect password (Cloud), or with their own directory logon "
                "and password (Domain); the passcode by SMS follows either way." + note,
            ),
            self.mode,
            self.mode_button,
        ]

    def step_test_login(self, status: TaskStatus) -> list[widgets.Widget]:
        return [
            self.text(
                "test intro",
                "Log in once with your own directory logon and password. Only a successful test lets "
                "you enable Domain; that logon becomes the one you use with Domain.",
            ),
            self.logon,
            self.password,
            self.test_button,
        ]

    def step_enable(self, status: TaskStatus) -> list[widgets.Widget]:
        logon = html.escape(str(status.data.get("tested_logon", "")))
        return [
            self.block(
                "tested",
                f"<p>✔ The test login as <b>{logon}</b> worked.</p><p>Enable Domain: from your next "
                "login, choose Domain on the method page and use this logon and your directory "
                "password. Cloud stays available.</p>",
            ),
            self.enable_button,
        ]

    def summary(self, status: TaskStatus) -> list[widgets.Widget]:
        return [self.text("done", f"✔ {MODES.get(str(status.data.get('mode')), '')} is set up.")]

    def test_login(self) -> None:
        logon, password = self.logon.value, self.password.value
        self.password.value = ""
        self.page.submit(
            lambda: self.task.test_login(version=self.status.version, logon=logon, password=password),
            busy=f"Testing the login for {logon.strip()[:80] or 'your logon'} with your directory…",
        )
