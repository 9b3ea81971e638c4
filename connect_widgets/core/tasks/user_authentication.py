"""Set Up Your Authentication: Cloud only, or Domain through the account's directory.

Steps: ``mode`` (Cloud completes the task at once; Domain needs Synchronize Your
Directory complete with an LDAP directory), ``test_login`` (the admin logs in
once with their own directory logon and password), ``enable`` (only after a
successful test: the account's Method screen then offers Domain, and the logon
tested becomes this admin's directory logon).
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from connect_widgets.core.adapters.directory import load_connection
from connect_widgets.core.adapters.ldap import DirectoryError, authenticate_user
from connect_widgets.core.adapters.secretbox import SecretBox
from connect_widgets.core.audit import AuditAction, record_admin_event
from connect_widgets.core.errors import InvalidInput, StepOutOfOrder, TaskLocked
from connect_widgets.core.inputs import read_text
from connect_widgets.core.tasks.board import TaskBoard, TaskStatus
from connect_widgets.core.tasks.catalogue import TaskState
from connect_widgets.core.tasks.stepped import SteppedTask
from connect_widgets.store.models import Account, AdminUser

MODES = {"cloud": "Use Cloud authentication only", "domain": "Domain (your directory's logon and password)"}


class UserAuthenticationTask(SteppedTask):
    key = "user_authentication"

    def __init__(self, board: TaskBoard, *, box: SecretBox | None = None) -> None:
        super().__init__(board)
        self._box = box or board.flow.services.secret_box

    def directory_ready(self) -> bool:
        """Domain needs an LDAP directory whose connection test passed."""
        if self._board.overview().get("directory_sync").state is not TaskState.COMPLETE:
            return False
        with self._flow.admin_session() as (db, user):
            return load_connection(db, user.account_id, self._box) is not None

    def choose_mode(self, *, version: int, mode: object) -> TaskStatus:
        self._at("mode")
        if not isinstance(mode, str) or mode not in MODES:  # a page can send any value
            raise InvalidInput("Choose Cloud only or Domain.", field="mode")
        if mode == "cloud":
            return self._set_mode(version=version, mode="cloud", logon=None)
        if not self.directory_ready():
            raise TaskLocked(
                "Domain needs Synchronize Your Directory complete with an LDAP directory, so Connect "
                "can check passwords against it. Complete that task first, or use Cloud only."
            )
        return self._save(version=version, step="test_login", data={"mode": "domain", "tested_logon": None})

    def test_login(self, *, version: int, logon: object, password: object) -> TaskStatus:
        """Log in once against the directory as the admin; success opens Enable."""
        self._at("test_login")
        name = read_text(logon, field="logon", label="domain logon", max_length=256)
        with self._flow.admin_session() as (db, user):
            connection = load_connection(db, user.account_id, self._box)
        if connection is None:
            raise StepOutOfOrder("Synchronize Your Directory first.")
        timeout = self._flow.services.settings.ldap_timeout_seconds
        try:
            dn = authenticate_user(connection, logon=name, password=password, timeout=timeout)
        except DirectoryError as refused:
            self._audit_test(ok=False, logon=name)
            raise refused
        self._audit_test(ok=True, logon=name)
        return self._save(version=version, step="enable", data={"tested_logon": name, "tested_dn": dn[:500]})

    def _audit_test(self, *, ok: bool, logon: str) -> None:
        with self._flow.admin_session() as (db, user):
            record_admin_event(
                db,
                user,
                AuditAction.DOMAIN_TEST_LOGIN,
                now=self._flow.services.clock.now(),
                outcome="ok" if ok else "refused",
                detail=f"logon {logon[:100]}",
            )

    def enable(self, *, version: int) -> TaskStatus:
        """Turn Domain login on for the account (only after a successful test login)."""
        status = self._at("enable")
        logon = status.data.get("tested_logon")
        if not logon:
            raise StepOutOfOrder("Run a successful test login first.")
        return self._set_mode(version=version, mode="domain", logon=str(logon))

    def _set_mode(self, *, version: int, mode: str, logon: str | None) -> TaskStatus:
        def apply(db: Session, user: AdminUser, now: datetime) -> None:
            account = db.get(Account, user.account_id)
            assert account is not None
            before, account.auth_mode = account.auth_mode, mode
            db.add(account)
            if logon is not None:
                user.directory_logon = logon
                db.add(user)
            record_admin_event(db, user, AuditAction.AUTH_MODE_CHANGED, now=now, detail=f"{before} -> {mode}")

        return self._board.save(self.key, version=version, data={"mode": mode}, state=TaskState.COMPLETE, also=apply)
