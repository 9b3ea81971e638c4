"""Synchronize Your Directory: the method, the connection (or tenant), Test connection."""

from __future__ import annotations

import html

import ipywidgets as widgets

from connect_widgets.core.tasks.board import TaskStatus
from connect_widgets.core.tasks.directory_sync import CLOUD_METHODS, METHODS, DirectorySyncTask
from connect_widgets.screens.kit import primary_button, text_field
from connect_widgets.screens.tasks.page import TaskScreen
from connect_widgets.screens.tasks.steps import StepView, choices


class DirectorySyncView(StepView):
    labels = {
        "method": "How Connect reaches your directory",
        "connection": "Connection details",
        "test": "Test the connection",
    }

    def __init__(self, page: TaskScreen) -> None:
        super().__init__(page, DirectorySyncTask(page.board))
        self.task: DirectorySyncTask
        self.method = choices(METHODS, value="ldap")
        self.method_next = primary_button(
            "Next",
            lambda: self.page.submit(
                lambda: self.task.choose_method(version=self.status.version, method=self.method.value)
            ),
        )
        self.url = text_field("Server URL", placeholder="ldaps://dc1.acme.example", width="28em")
        self.base_dn = text_field("Base DN", placeholder="dc=acme,dc=example", width="28em")
        self.bind_dn = text_field("Bind DN", placeholder="cn=connect,ou=service,dc=acme,dc=example", width="28em")
        self.bind_password = text_field("Bind password", password=True, width="28em")
        self.user_filter = text_field("User filter (optional)", placeholder="(objectClass=person)", width="28em")
        self.save_button = primary_button("Save and continue", self.save_ldap)
        self.tenant = text_field("Tenant or directory ID", width="28em")
        self.send_button = primary_button("Send to the Connect team", self.save_cloud)
        self.test_button = primary_button("Test connection", self.run_test)
        self._test_url = ""  # the server the test step names (and the busy words while it runs)
        self.edit_note = widgets.HTML()

    def waiting(self, status: TaskStatus) -> list[widgets.Widget]:
        return [
            self.text(
                "tenant waiting",
                f"The Connect team is checking your directory's tenant "
                f"({status.data.get('tenant', '')}). Their answer appears here.",
            )
        ]

    def step_method(self, status: TaskStatus) -> list[widgets.Widget]:
        if status.data.get("method") in METHODS:
            self.method.value = status.data["method"]
        return [
            self.text("method intro", "Choose how Connect reaches your directory of users."),
            self.method,
            self.method_next,
        ]

    def step_connection(self, status: TaskStatus) -> list[widgets.Widget]:
        method = str(status.data.get("method", ""))
        if method in CLOUD_METHODS:
            reason = self.task.rejection() if status.data.get("review") == "rejected" else None
            note = (
                f'<p class="connect-rejected"><b>The Connect team replied:</b> {html.escape(reason)}</p>'
                "<p>The field keeps the ID you sent: correct it and send it again.</p>"
                if reason
                else ""
            )
            if not self.tenant.value and status.data.get("tenant"):  # what they sent, to correct, not retype
                self.tenant.value = str(status.data["tenant"])
            return [
                self.block("tenant reply", note),
                self.text(
                    "tenant intro",
                    f"{METHODS[method]}: enter your tenant or directory ID. The "
                    "Connect team checks it and completes this task.",
                ),
                self.tenant,
                self.send_button,
            ]
        saved = self.task.saved()
        if saved is not None and saved.method == "ldap" and not self.url.value:
            self.url.value, self.base_dn.value, self.bind_dn.value = saved.url, saved.base_dn, saved.bind_dn
            self.user_filter.value = saved.user_filter
        self.edit_note.value = (
            '<p class="connect-hint">The bind password is saved (it is never shown); leave it empty to keep it.</p>'
            if saved is not None and saved.has_password
            else ""
        )
        return [
            self.text("ldap intro", "Connect reads your users through an account that may search the directory."),
            self.url,
            self.base_dn,
            self.bind_dn,
            self.bind_password,
            self.edit_note,
            self.user_filter,
            self.save_button,
        ]

    def step_test(self, status: TaskStatus) -> list[widgets.Widget]:
        saved = self.task.saved()
        self._test_url = saved.url if saved else ""
        where = html.escape(self._test_url)
        last = status.data.get("last_test") or {}
        mark = "✔" if last.get("ok") else "✗"
        result = f"<p>{mark} {html.escape(str(last.get('message', '')))}</p>" if last else ""
        return [
            self.block(
                "test intro", f"<p>Connect will bind to <b>{where}</b> and count the user entries it can see.</p>"
            ),
            self.block("test result", result),
            self.test_button,
        ]

    def summary(self, status: TaskStatus) -> list[widgets.Widget]:
        saved = self.task.saved()
        if saved is not None and saved.method == "ldap":
            return [
                self.block(
                    "connected ldap",
                    f"<p>✔ Your directory at <b>{html.escape(saved.url)}</b> is connected: "
                    f"{html.escape(saved.last_test_message)}</p>",
                )
            ]
        label = METHODS.get(saved.method, "") if saved else ""
        return [self.text("connected cloud", f"✔ Your directory ({label}) is connected.")]

    def save_ldap(self) -> None:
        values = dict(
            url=self.url.value,
            base_dn=self.base_dn.value,
            bind_dn=self.bind_dn.value,
            bind_password=self.bind_password.value,
            user_filter=self.user_filter.value,
        )
        self.bind_password.value = ""  # never kept in the page, success or not
        self.page.submit(lambda: self.task.save_ldap(version=self.status.version, **values))

    def save_cloud(self) -> None:
        tenant = self.tenant.value
        self.page.submit(
            lambda: self.task.save_cloud(version=self.status.version, tenant=tenant),
            busy="Sending your tenant or directory ID to the Connect team…",
        )

    def run_test(self) -> None:
        # It can take up to the LDAP timeout when the server does not answer.
        self.page.submit(
            lambda: self.task.run_test(version=self.status.version),
            busy=f"Testing the connection to {self._test_url or 'your directory'}…",
        )
