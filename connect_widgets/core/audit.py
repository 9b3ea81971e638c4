"""The audit trail: one row per security-relevant event, never a secret.

Three ways to write a row, by what it is about: :func:`record_admin_event` (an admin,
whoever acted), :func:`record_account_event` (a whole account, done by staff, support
or the demo) and :func:`record_event` (neither: an address nobody has, a staff login).
"""

from __future__ import annotations

import logging
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from sqlmodel import Session

from connect_widgets.store.models import AuditEvent

log = logging.getLogger(__name__)


class AuditAction(StrEnum):
    EMAIL_SUBMITTED = "email_submitted"
    METHOD_REFUSED = "method_refused"
    LOGIN_FAILED = "login_failed"
    ACCOUNT_LOCKED = "account_locked"
    TEMPORARY_PASSWORD_EXPIRED = "temporary_password_expired"
    PASSWORD_ACCEPTED = "password_accepted"
    CODE_SENT = "code_sent"
    CODE_NOT_SENT = "code_not_sent"
    CODE_VERIFIED = "code_verified"
    CODE_REJECTED = "code_rejected"
    PHONE_ENROLLED = "phone_enrolled"
    LOGIN = "login"
    LOGOUT = "logout"
    SESSION_EXPIRED = "session_expired"
    HANDOFF_CREATED = "handoff_created"
    HANDOFF_USED = "handoff_used"
    HANDOFF_REFUSED = "handoff_refused"
    PASSWORD_CHANGED = "password_changed"
    PASSWORD_CHANGE_REFUSED = "password_change_refused"
    RESET_REQUESTED = "reset_requested"
    RESET_COMPLETED = "reset_completed"
    ACCOUNT_CREATED = "account_created"
    USER_UNLOCKED = "user_unlocked"
    PHONE_RESET = "phone_reset"
    PASSWORD_ISSUED = "password_issued"
    TASK_STARTED = "task_started"
    TASK_SAVED = "task_saved"
    TASK_CONFLICT = "task_conflict"
    TASK_REFUSED = "task_refused"
    DOMAIN_ADDED = "domain_added"
    DOMAIN_REFUSED = "domain_refused"
    DOMAIN_RELEASED = "domain_released"
    DNS_CHECK = "dns_check"
    REVIEW_REQUESTED = "review_requested"
    REVIEW_APPROVED = "review_approved"
    REVIEW_REJECTED = "review_rejected"
    RECORD_SHARED = "record_shared"
    USERS_SUBMITTED = "users_submitted"
    USERS_ADDED = "users_added"
    SENDERS_IMPORTED = "senders_imported"
    STAFF_CREATED = "staff_created"
    STAFF_LOGIN = "staff_login"
    STAFF_LOGIN_FAILED = "staff_login_failed"
    STAFF_LOCKED = "staff_locked"
    DIRECTORY_SAVED = "directory_saved"
    DIRECTORY_TESTED = "directory_tested"
    DOMAIN_TEST_LOGIN = "domain_test_login"
    AUTH_MODE_CHANGED = "auth_mode_changed"
    DIRECTORY_UNAVAILABLE = "directory_unavailable"
    DEMO_RESET = "demo_reset"
    DEMO_DELETED = "demo_deleted"
    DEMO_LIMITS_CLEARED = "demo_limits_cleared"


def record_event(
    db: Session,
    *,
    action: AuditAction,
    now: datetime,
    actor: str,
    outcome: str = "ok",
    account_id: int | None = None,
    user_id: int | None = None,
    detail: str = "",
) -> AuditEvent:
    """Add an audit row to ``db`` (committed with the caller's unit of work).

    ``detail`` is free text for staff; callers never put a secret in it.
    """
    event = AuditEvent(
        at=now,
        actor=actor[:254],
        account_id=account_id,
        user_id=user_id,
        action=action.value,
        outcome=outcome,
        detail=detail[:500],
    )
    db.add(event)
    log.info("audit %s outcome=%s actor=%s %s", action.value, outcome, actor[:254], detail[:500])
    return event


class AuditedAdmin(Protocol):
    """What :func:`record_admin_event` reads of an admin (a ``store.models.AdminUser``)."""

    @property
    def email(self) -> str: ...
    @property
    def account_id(self) -> int | None: ...
    @property
    def id(self) -> int | None: ...


def record_admin_event(
    db: Session,
    admin: AuditedAdmin,
    action: AuditAction,
    *,
    now: datetime,
    actor: str | None = None,
    outcome: str = "ok",
    detail: str = "",
) -> AuditEvent:
    """An audit row about ``admin``: their account and id, and by default their address as the actor.

    ``actor`` names whoever else did it to the admin: support staff, the demo, the CLI.
    """
    return record_event(
        db,
        action=action,
        now=now,
        actor=admin.email if actor is None else actor,
        outcome=outcome,
        account_id=admin.account_id,
        user_id=admin.id,
        detail=detail,
    )


def record_account_event(
    db: Session,
    account_id: int | None,
    action: AuditAction,
    *,
    now: datetime,
    actor: str,
    outcome: str = "ok",
    detail: str = "",
) -> AuditEvent:
    """An audit row about a whole account (no one admin), done by ``actor``: staff, support, the demo.

    ``account_id`` is ``None`` only when the account is already gone; ``detail`` then names it.
    """
    return record_event(db, action=action, now=now, actor=actor, outcome=outcome, account_id=account_id, detail=detail)
