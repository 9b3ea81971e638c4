"""Add Users Manually: upload the template or add users one by one, review, submit to the Connect team."""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as widgets

from connect_widgets.core.tasks.add_users import AddUsersTask
from connect_widgets.core.tasks.board import TaskStatus
from connect_widgets.core.tasks.catalogue import TaskState
from connect_widgets.core.tasks.uploads import users_template_csv, users_template_xlsx
from connect_widgets.screens.kit import link_button, on_enter, primary_button, text_field
from connect_widgets.screens.tasks.page import TaskView
from connect_widgets.screens.tasks.uploads import (
    XLSX_TYPE,
    busy_words,
    download_link,
    error_table,
    file_line,
    file_picker,
    picker_row,
)

USERS_SHOWN = 50


class AddUsersView(TaskView):
    """Templates, upload, one-by-one entry, the staged users and the rows left out; Submit for review."""

    labels = {
        "source": "Upload your list or add users one by one",
        "review": "Review the users and the rows left out",
        "submit": "Submit them to the Connect team for review",
    }

    def __init__(self, page) -> None:  # type: ignore[no-untyped-def]
        super().__init__(page)
        self.users_task = AddUsersTask(page.board)
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
        self.upload = file_picker(self.check_file, accept=".csv,.xlsx")
        self.file_summary = widgets.HTML()
        self.picker = picker_row(self.upload, self.file_summary)
        self._unusable: str | None = None  # a file just chosen that could not be used
        self._staged_count = 0  # as the page shows it (named while the batch is sent)
        self.errors = widgets.HTML()
        self.email = text_field("Email address", width="17em")
        self.first_name = text_field("First name", width="9em")
        self.last_name = text_field("Last name", width="9em")
        self.add_button = widgets.Button(description="Add user")
        self.add_button.add_class("connect-secondary")
        self.add_button.on_click(lambda _b: self.add_user())
        on_enter(self.email, self.add_user)
        self.staged_heading = widgets.HTML()
        self.staged = widgets.VBox()
        self.staged.add_class("connect-staged")
        self.remove_buttons: dict[str, widgets.Button] = {}
        self.more_users = widgets.HTML()
        self.submit_button = primary_button("Submit for review")
        self.submit_button.on_click(lambda _b: self.submit())

    def render(self, status: TaskStatus) -> None:
        super().render(status)
        batch = self.users_task.batch()
        count = self._staged_count = len(batch.users)
        if status.state is TaskState.COMPLETE:
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
            self.children = (self.note,)
            return
        if status.state is TaskState.AWAITING_VALIDATION:
            self.note.value = (
                f"<p>Your {count:,} {'user is' if count == 1 else 'users are'} with the Connect "
                "team for validation. Their answer appears here.</p>"
            )
            self.children = (self.note,)
            return
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
        self.file_summary.value = file_line(batch.filename, batch.rows_read, unusable=self._unusable)
        self.errors.value = "" if self._unusable else error_table(batch.errors, batch.error_count)
        self._show_users(batch.users)
        self.children = (
            self.note,
            self.intro,
            self.templates,
            self.picker,
            self.errors,
            widgets.HTML("<h3>Add a user</h3>"),
            widgets.HBox([self.email, self.first_name, self.last_name, self.add_button]),
            self.staged_heading,
            self.staged,
            self.more_users,
            self.submit_button,
        )

    def _show_users(self, users: tuple[dict[str, Any], ...]) -> None:
        count = len(users)
        self.staged_heading.value = (
            f"<h3>{count:,} {'user' if count == 1 else 'users'} ready to submit</h3>"
            if count
            else "<h3>No users staged yet</h3>"
        )
        for old in self.staged.children:  # each render builds new rows: free the old ones' kernel models
            for part in old.children:
                part.close()
            old.close()
        rows: list[widgets.Widget] = []
        self.remove_buttons = {}
        for user in users[:USERS_SHOWN]:
            email = str(user.get("email", ""))
            name = " ".join(str(user.get(k) or "") for k in ("first_name", "last_name")).strip()
            source = f"row {user['row']}" if user.get("row") else "added by hand"
            line = widgets.HTML(
                f"<span>{html.escape(email)}</span> · {html.escape(name) or '—'} "
                f'<span class="connect-hint">({html.escape(source)})</span>'
            )
            remove = link_button("Remove")
            remove.tooltip = f"Remove {email}"
            remove.on_click(lambda _b, email=email: self.remove_user(email))
            self.remove_buttons[email] = remove
            rows.append(widgets.HBox([line, remove]))
        self.staged.children = tuple(rows)
        more = count - USERS_SHOWN
        self.more_users.value = f"<p>… and {more:,} more.</p>" if more > 0 else ""

    def check_file(self, name: object, content: object) -> None:
        # The last file's results go as soon as another file is chosen, even one that cannot be used.
        self._unusable = str(name or "That file")
        self.file_summary.value, self.errors.value = file_line(None, 0, unusable=self._unusable), ""

        def run() -> None:
            self.users_task.check_file(version=self.status.version, filename=name, content=content)
            self._unusable = None

        self.page.submit(run, busy=busy_words(name))

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
