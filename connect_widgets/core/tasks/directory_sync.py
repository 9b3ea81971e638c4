"""Synchronize Your Directory (optional): how Connect reaches the account's directory.

Steps: ``method`` (LDAP, Microsoft Entra ID, Google Workspace or the sync engine),
``connection`` (for LDAP: server URL, base DN, bind account and password, optional
user filter; for the cloud methods: the tenant, which the Connect team checks),
``test`` (LDAP only: a live bind and search; success completes the task).

The bind password is sealed with the server's key (:mod:`.secretbox`) before it is
stored and is never shown again: leaving the field empty when editing keeps it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from connect_widgets.core.adapters.directory import load_connection
from connect_widgets.core.adapters.ldap import (
    DirectoryConnection,
    DirectoryError,
    parse_connection,
)
from connect_widgets.core.adapters.ldap import test_connection as run_connection_test
from connect_widgets.core.adapters.secretbox import SecretBox
from connect_widgets.core.audit import AuditAction, record_admin_event
from connect_widgets.core.errors import InvalidInput, StepOutOfOrder
from connect_widgets.core.inputs import read_text
from connect_widgets.core.review.kinds import ReviewKind
from connect_widgets.core.tasks.board import TaskBoard, TaskStatus, latest_review
from connect_widgets.core.tasks.catalogue import TaskState
from connect_widgets.core.tasks.stepped import SteppedTask
from connect_widgets.store.models import AdminUser, Directory, Review

METHODS = {
    "ldap": "LDAP directory (Active Directory, OpenLDAP)",
    "azure_ad": "Microsoft Entra ID (Azure AD)",
    "google_workspace": "Google Workspace",
    "sync_engine": "Directory sync engine",
}
CLOUD_METHODS = ("azure_ad", "google_workspace", "sync_engine")


@dataclass(frozen=True)
class DirectorySettings:
    """What the admin saved, as the page may show it (never the password)."""

    method: str
    url: str = ""
    base_dn: str = ""
    bind_dn: str = ""
    user_filter: str = ""
    tenant: str = ""
    has_password: bool = False
    last_test_ok: bool | None = None
    last_test_message: str = ""


class DirectorySyncTask(SteppedTask):
    key = "directory_sync"

    def __init__(self, board: TaskBoard, *, box: SecretBox | None = None) -> None:
        super().__init__(board)
        self._box = box or board.flow.services.secret_box

    def saved(self) -> DirectorySettings | None:
        with self._flow.admin_session() as (db, user):
            row = db.exec(select(Directory).where(Directory.account_id == user.account_id)).first()
            if row is None:
                return None
            return DirectorySettings(
                row.method,
                row.url or "",
                row.base_dn or "",
                row.bind_dn or "",
                row.user_filter or "",
                row.tenant or "",
                bool(row.bind_password_encrypted),
                row.last_test_ok,
                row.last_test_message or "",
            )

    def rejection(self) -> str | None:
        """The Connect team's reason, when they rejected the last tenant sent."""
        with self._flow.admin_session() as (db, user):
            latest = latest_review(db, account_id=user.account_id, task_key=self.key)
            return latest.staff_note if latest is not None and latest.state == "rejected" else None

    def connection(self) -> DirectoryConnection | None:
        with self._flow.admin_session() as (db, user):
            return load_connection(db, user.account_id, self._box)

    def choose_method(self, *, version: int, method: object) -> TaskStatus:
        self._at("method")
        if not isinstance(method, str) or method not in METHODS:  # a page can send any value
            raise InvalidInput("Choose how your directory is reached from the list.", field="method")
        return self._save(version=version, step="connection", data={"method": method})

    def _method(self, status: TaskStatus) -> str:
        return str(status.data.get("method") or "")

    def save_ldap(
        self,
        *,
        version: int,
        url: object,
        base_dn: object,
        bind_dn: object,
        bind_password: object,
        user_filter: object = "",
    ) -> TaskStatus:
        """Keep the LDAP connection (password sealed) and move on to the test.

        An empty password keeps the one saved before, so the admin never has to see it.
        """
        status = self._at("connection")
        if self._method(status) != "ldap":
            raise StepOutOfOrder("This directory is not an LDAP one; choose LDAP first.")
        kept = self.connection()
        password = bind_password if (bind_password or kept is None) else kept.bind_password
        connection = parse_connection(
            url=url, base_dn=base_dn, bind_dn=bind_dn, bind_password=password, user_filter=user_filter
        )
        sealed = self._box.seal(connection.bind_password)

        def store(db: Session, user: AdminUser, now: datetime) -> None:
            existing = db.exec(select(Directory).where(Directory.account_id == user.account_id)).first()
            row = existing or Directory(account_id=user.account_id, method="ldap", updated_at=now)
            row.method, row.url, row.base_dn, row.bind_dn = (
                "ldap",
                connection.url,
                connection.base_dn,
                connection.bind_dn,
            )
            row.bind_password_encrypted, row.user_filter, row.tenant = sealed, connection.user_filter or None, None
            row.last_tested_at = row.last_test_ok = row.last_test_message = None
            row.updated_at = now
            db.add(row)
            record_admin_event(
                db,
                user,
                AuditAction.DIRECTORY_SAVED,
                now=now,
                detail=f"LDAP {connection.url} base {connection.base_dn[:200]}",
            )

        return self._board.save(self.key, version=version, step="test", data={"last_test": None}, also=store)

    def save_cloud(self, *, version: int, tenant: object) -> TaskStatus:
        """Record a cloud directory's tenant; the task waits for the Connect team to check it."""
        status = self._at("connection")
        method = self._method(status)
        if method not in CLOUD_METHODS:
            raise StepOutOfOrder("Choose a cloud directory first.")
        text = read_text(tenant, field="tenant", label="tenant or directory ID", max_length=200)
        if len(text) < 3:
            raise InvalidInput("Enter the tenant or directory ID your directory shows.", field="tenant")

        def store(db: Session, user: AdminUser, now: datetime) -> None:
            existing = db.exec(select(Directory).where(Directory.account_id == user.account_id)).first()
            row = existing or Directory(account_id=user.account_id, method=method, updated_at=now)
            row.method, row.tenant, row.updated_at = method, text, now
            row.url = row.base_dn = row.bind_dn = row.bind_password_encrypted = row.user_filter = None
            db.add(row)
            db.add(
                Review(
                    account_id=user.account_id,
                    task_key=self.key,
                    kind=ReviewKind.DIRECTORY_DETAILS,
                    payload={"method": METHODS[method], "tenant": text},
                    submitted_by_id=user.id,
                    submitted_at=now,
                )
            )
            record_admin_event(db, user, AuditAction.REVIEW_REQUESTED, now=now, detail=f"directory details ({method})")

        return self._board.save(
            self.key, version=version, state=TaskState.AWAITING_VALIDATION, data={"tenant": text}, also=store
        )

    def run_test(self, *, version: int) -> TaskStatus:
        """Bind and search now; success completes the task, a failure says why and stays here."""
        self._at("test")
        connection = self.connection()
        if connection is None:
            raise StepOutOfOrder("Save the directory's connection first.")
        timeout = self._flow.services.settings.ldap_timeout_seconds
        try:  # no transaction is held over the network
            outcome = run_connection_test(connection, timeout=timeout)
            ok, message, count = True, outcome.message, outcome.user_count
        except DirectoryError as failed:
            ok, message, count = False, failed.message, None

        def record(db: Session, user: AdminUser, now: datetime) -> None:
            row = db.exec(select(Directory).where(Directory.account_id == user.account_id)).one()
            row.last_tested_at, row.last_test_ok, row.last_test_message = now, ok, message[:500]
            db.add(row)
            record_admin_event(
                db,
                user,
                AuditAction.DIRECTORY_TESTED,
                now=now,
                outcome="ok" if ok else "failed",
                detail=f"{connection.url}: {'ok' if ok else 'failed'}",
            )

        data = {"last_test": {"ok": ok, "message": message[:500]}, "user_count": count}
        return self._board.save(
            self.key, version=version, data=data, also=record, state=TaskState.COMPLETE if ok else TaskState.IN_PROGRESS
        )
