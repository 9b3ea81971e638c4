"""Add Users Manually: upload the template or add users one by one, review, submit to the Connect team.

The ``source`` and ``review`` steps share one page: the staged list grows under
the upload and the one-by-one form as the admin adds users, so there is no Back.
``submit`` is the wait for the Connect team. The staged users' rows are built
once (at most :data:`USERS_SHOWN`) and reused, whatever the list holds.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

from connect_widgets.core.tasks.add_users import AddUsersTask
from connect_widgets.core.tasks.board import TaskStatus
from connect_widgets.core.tasks.uploads import users_template_csv, users_template_xlsx
from connect_widgets.screens.kit import primary_button, secondary_button, text_field
from connect_widgets.screens.tasks.page import TaskScreen
from connect_widgets.screens.tasks.steps import ListRow, RowList, StepView
from connect_widgets.screens.tasks.uploads import XLSX_TYPE, FileCheck, download_link

USERS_SHOWN = 50


class StagedUser(ListRow):
    """One staged user's line with its Remove button."""

    def __init__(self, remove: Callable[[str], None]) -> None:
        super().__init__("Remove", remove)

    def show(self, user: dict[str, Any]) -> None:
        self.key = email = str(user.get("email", ""))
        name = " ".join(str(user.get(k) or "") for k in ("first_name", "last_name")).strip()
        source = f"row {user['row']}" if user.get("row") else "added by hand"
        self.words.value = (
            f"<span>{html.escape(email)}</span> · {html.escape(name) or '—'} "
            f'<span class="connect-hint">({html.escape(source)})</span>'
        )
        self.button.tooltip = f"Remove {email}"


class AddUsersView(StepView):
    """Templates, upload, one-by-one entry, the staged users and the rows left out; Submit for review."""

    labels = {
        "source": "Upload your list or add users one by one",
        "review": "Review the users and the rows left out",
        "submit": "Submit them to the Connect team for review",
    }

    goes_back = False  # one page for source and review

    def __init__(self, page: TaskScreen) -> None:
        super().__init__(page, AddUsersTask(page.board))
        self.task: AddUsersTask
        self.users_task = self.task
        self.note = widgets.HTML()
        self.intro = widgets.HTML()
        self.intro.add_class("connect-text")
        self.templates = widgets.HTML(
            "<p>Download the template: "
            + download_link("CSV", "connect-users-template.csv", users_template_csv(), "text/csv")
            + " · "
            + download_link("Excel (.xlsx)", "connect-users-template.xlsx", users_template_xlsx(), XLSX_TYPE)
            + "</p>"
        )
        self.templates.add_class("connect-text")
        self.file = FileCheck(page, self.check_file, accept=".csv,.xlsx")
        self._staged_count = 0  # as the page shows it (named while the batch is sent)
        self.email = text_field("Email address", width="17em")
        self.first_name = text_field("First name", width="9em")
        self.last_name = text_field("Last name", width="9em")
        self.add_button = secondary_button("Add user", self.add_user, enter_in=(self.email,))
        self.add_heading = widgets.HTML("<h3>Add a user</h3>")
        self.add_form = widgets.HBox([self.email, self.first_name, self.last_name, self.add_button])
        self.staged_heading = widgets.HTML()
        self._staged_rows = RowList(lambda: StagedUser(self.remove_user))
        self.staged = self._staged_rows.box
        self.staged.add_class("connect-staged")
        self.remove_buttons: dict[str, widgets.Button] = {}
        self.more_users = widgets.HTML()
        self.submit_button = primary_button("Submit for review", self.submit)

    def summary(self, status: TaskStatus) -> list[widgets.Widget]:
        batch = self.users_task.batch()
        added = batch.users_added or 0
        skipped = (
            ""
            if not batch.users_skipped
            else " 1 was already a user and was skipped."
            if batch.users_skipped == 1
            else f" {batch.users_skipped:,} were already users and were skipped."
        )
        self.note.value = (
            f"<p>✔ The Connect team approved your users: <b>{added:,}</b> "
            f"{'user was' if added == 1 else 'users were'} added to your account.{skipped}</p>"
        )
        return [self.note]

    def waiting(self, status: TaskStatus) -> list[widgets.Widget]:
        count = self._staged_count = len(self.users_task.batch().users)
        self.note.value = (
            f"<p>Your {count:,} {'user is' if count == 1 else 'users are'} with the Connect "
            "team for validation. Their answer appears here.</p>"
        )
        return [self.note]

    def step_source(self, status: TaskStatus) -> list[widgets.Widget]:
        batch = self.users_task.batch()
        self._staged_count = len(batch.users)
        self.note.value = (
            f'<p class="connect-rejected"><b>The Connect team replied:</b> '
            f"{html.escape(batch.rejection)}</p><p>Your batch is below: correct it and submit "
            "it again.</p>"
            if batch.rejection
            else ""
        )
        domains = self.users_task.verified_domains()
        where = (
            f"in your verified domains ({html.escape(', '.join(domains))}) or their subdomains"
            if domains
            else "in a verified domain: verify your domain in Validate Your Domains first"
        )
        self.intro.value = (
            "<p>Upload your users as a CSV or Excel (.xlsx) file made from the template, or add them one by one. "
            f"Addresses must be {where}. Every row is checked before anything is sent; rows with problems are "
            "listed and left out. A new file replaces the users from the last one; users added by hand stay.</p>"
        )
        self.file.show(batch)
        self._show_users(batch.users)
        return [
            self.note,
            self.intro,
            self.templates,
            self.file.picker,
            self.file.errors,
            self.add_heading,
            self.add_form,
            self.staged_heading,
            self.staged,
            self.more_users,
            self.submit_button,
        ]

    def step_review(self, status: TaskStatus) -> list[widgets.Widget]:
        return self.step_source(status)

    def step_submit(self, status: TaskStatus) -> list[widgets.Widget]:
        """Only reached while the Connect team has the batch (:meth:`waiting`); the page otherwise."""
        return self.step_source(status)

    def _show_users(self, users: tuple[dict[str, Any], ...]) -> None:
        count = len(users)
        self.staged_heading.value = (
            f"<h3>{count:,} {'user' if count == 1 else 'users'} ready to submit</h3>"
            if count
            else "<h3>No users staged yet</h3>"
        )
        shown = users[:USERS_SHOWN]
        rows = self._staged_rows.show(shown)
        self.remove_buttons = {row.key: row.button for row in rows}
        more = count - USERS_SHOWN
        self.more_users.value = f"<p>… and {more:,} more.</p>" if more > 0 else ""

    def check_file(self, name: object, content: object) -> None:
        self.users_task.check_file(version=self.status.version, filename=name, content=content)

    def add_user(self) -> None:
        typed = (self.email.value, self.first_name.value, self.last_name.value)
        if self.page.submit(
            lambda: self.users_task.add_user(
                version=self.status.version, email=typed[0], first_name=typed[1], last_name=typed[2]
            )
        ):
            self.email.value = self.first_name.value = self.last_name.value = ""

    def remove_user(self, email: str) -> None:
        self.page.submit(lambda: self.users_task.remove_user(version=self.status.version, email=email))

    def submit(self) -> None:
        count = self._staged_count
        self.page.submit(
            lambda: self.users_task.submit(version=self.status.version),
            busy=f"Sending your {count:,} {'user' if count == 1 else 'users'} to the Connect team…",
        )
