"""The SQLModel tables, all in one place.

Timestamps are timezone-aware UTC (:class:`UTCDateTime`) and always set by the
caller from the injected clock, so tests can freeze time. Secret-bearing columns
(password hashes, OTP secrets, message bodies, session token hashes) are left out
of ``repr`` so that they never reach a log line or a traceback by accident.
Schema changes go through the Alembic migrations in ``store/migrations``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Index, Integer, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from connect_widgets.store.types import UTCDateTime


def _when(*, nullable: bool = False, index: bool = False) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


def _owner(table: str, *, nullable: bool = False, ondelete: str = "CASCADE") -> Any:
    """A foreign key column to ``table.id``; audit rows use SET NULL to outlive users."""
    return Field(
        default=None,
        sa_column=Column(Integer, ForeignKey(f"{table}.id", ondelete=ondelete), nullable=nullable, index=True),
    )


class Account(SQLModel, table=True):
    """A customer's email-security account, created by sales/support."""

    __tablename__ = "accounts"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True, index=True)
    company: str = Field(max_length=200)
    primary_domain: str = Field(max_length=253)
    platform: str = Field(max_length=40)
    region: str = Field(max_length=8)
    auth_mode: str = Field(default="cloud", max_length=16)
    created_at: datetime = _when()
    # A trainer's demo account (data/demo_accounts.toml): only these may be reset or deleted.
    is_demo: bool = Field(default=False)


class AdminUser(SQLModel, table=True):
    """An administrator who logs in to Connect for one account."""

    __tablename__ = "admin_users"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = _owner("accounts")
    email: str = Field(max_length=254, unique=True, index=True)
    contact_email: str | None = Field(default=None, max_length=254)
    password_hash: str = Field(max_length=255, repr=False)
    must_change_password: bool = Field(default=True)
    password_set_at: datetime = _when()
    failed_logins: int = Field(default=0, ge=0)
    lock_count: int = Field(default=0, ge=0)
    locked_until: datetime | None = _when(nullable=True)
    last_login_at: datetime | None = _when(nullable=True)
    created_at: datetime = _when()
    # The admin's logon in the account's directory, set when they enable Domain login.
    directory_logon: str | None = Field(default=None, max_length=256)


class Phone(SQLModel, table=True):
    """A mobile phone for 2-step authentication; saved once ``verified_at`` is set."""

    __tablename__ = "phones"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = _owner("admin_users")
    e164: str = Field(max_length=16, repr=False)
    # The HOTP secret sealed with the kit's key (core/secretbox.py): a copy of the
    # database alone cannot compute the phone's codes.
    otp_secret_encrypted: str = Field(sa_type=Text, repr=False)
    counter: int = Field(default=0, ge=0)
    verified_at: datetime | None = _when(nullable=True)
    created_at: datetime = _when()


class Passcode(SQLModel, table=True):
    """One one-time passcode sent by SMS; the code itself is never stored.

    The code is HOTP(phone secret, counter); checking it recomputes it.
    """

    __tablename__ = "passcodes"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = _owner("admin_users")
    # SET NULL, not CASCADE: forgetting a phone must not erase the send history
    # that the rate limit counts.
    phone_id: int | None = _owner("phones", nullable=True, ondelete="SET NULL")
    purpose: str = Field(max_length=16)  # "login" | "reset"
    counter: int = Field(ge=0)
    sent_at: datetime = _when(index=True)
    expires_at: datetime = _when()
    tries: int = Field(default=0, ge=0)
    used_at: datetime | None = _when(nullable=True)
    revoked_at: datetime | None = _when(nullable=True)
    revoked_reason: str | None = Field(default=None, max_length=32)
    # The stored SMS whose text still shows this code (outbox transport only); its
    # digits are blanked and the link cleared once the code is used, replaced,
    # revoked, locked or expired, so the code exists only while it is live.
    message_id: int | None = _owner("messages", nullable=True, ondelete="SET NULL")


class LoginSession(SQLModel, table=True):
    """A signed-in session. Only a SHA-256 of the random session id is stored."""

    __tablename__ = "login_sessions"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True, repr=False)
    user_id: int = _owner("admin_users")
    started_at: datetime = _when()
    last_seen_at: datetime = _when()
    ended_at: datetime | None = _when(nullable=True)
    end_reason: str | None = Field(default=None, max_length=32)


class ConsoleHandoff(SQLModel, table=True):
    """A single-use link from the Administration Console into Connect, signed in.

    Only a SHA-256 of the random token is stored; the link works once
    (``used_at``), for 60 seconds (``expires_at``), and not after the admin
    logged out of the console (``revoked_at``).
    """

    __tablename__ = "console_handoffs"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True, repr=False)
    user_id: int = _owner("admin_users")
    created_at: datetime = _when()
    expires_at: datetime = _when()
    used_at: datetime | None = _when(nullable=True)
    revoked_at: datetime | None = _when(nullable=True)


class TaskProgress(SQLModel, table=True):
    """Where an account stands on one setup task; shared by the account's admins."""

    __tablename__ = "task_progress"
    __table_args__ = (UniqueConstraint("account_id", "task_key"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = _owner("accounts")
    task_key: str = Field(max_length=64)
    state: str = Field(max_length=24)
    step: str | None = Field(default=None, max_length=64)
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    version: int = Field(default=1, ge=1)
    created_at: datetime = _when()
    updated_at: datetime = _when()
    completed_at: datetime | None = _when(nullable=True)
    updated_by_id: int | None = _owner("admin_users", nullable=True, ondelete="SET NULL")


class Domain(SQLModel, table=True):
    """An email domain an account claims, and where its DNS verification stands."""

    __tablename__ = "domains"
    # Several accounts may claim a name while nobody has proved it; one claim per account,
    # and at most one verified claim (the owner) per name, so two checks cannot both win.
    __table_args__ = (
        UniqueConstraint("account_id", "name", name="uq_domains_account_id_name"),
        Index(
            "ux_domains_verified_name",
            "name",
            unique=True,
            sqlite_where=text("verified_at IS NOT NULL"),
            postgresql_where=text("verified_at IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = _owner("accounts")
    name: str = Field(max_length=253, index=True)
    verification_token: str = Field(max_length=64)
    verified_at: datetime | None = _when(nullable=True)
    last_checked_at: datetime | None = _when(nullable=True)
    last_outcome: str | None = Field(default=None, max_length=24)
    last_message: str | None = Field(default=None, max_length=500)
    created_at: datetime = _when()


class Review(SQLModel, table=True):
    """Something an admin sent for support staff to validate (detail corrections, user imports)."""

    __tablename__ = "reviews"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = _owner("accounts")
    task_key: str = Field(max_length=64)
    kind: str = Field(max_length=32)  # a core.review.kinds.ReviewKind value
    payload: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    state: str = Field(default="pending", max_length=16, index=True)  # pending | approved | rejected
    staff_note: str | None = Field(default=None, max_length=500)
    submitted_by_id: int | None = _owner("admin_users", nullable=True, ondelete="SET NULL")
    submitted_at: datetime = _when()
    decided_by: str | None = Field(default=None, max_length=254)
    decided_at: datetime | None = _when(nullable=True)


class Message(SQLModel, table=True):
    """An SMS or email handed to a transport; the outbox transport's store."""

    __tablename__ = "messages"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int | None = _owner("admin_users", nullable=True, ondelete="SET NULL")
    channel: str = Field(max_length=8)  # "sms" | "email"
    recipient: str = Field(max_length=254, repr=False)  # a full phone number for SMS
    subject: str | None = Field(default=None, max_length=200)
    body: str = Field(sa_type=Text, repr=False)
    transport: str = Field(max_length=16)
    status: str = Field(max_length=16)  # "pending" | "sent" | "failed"
    error: str | None = Field(default=None, max_length=500)
    created_at: datetime = _when(index=True)
    sent_at: datetime | None = _when(nullable=True)


class AuditEvent(SQLModel, table=True):
    """Who did what, when, with what outcome. Never holds a secret."""

    __tablename__ = "audit_events"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _when(index=True)
    actor: str = Field(max_length=254)
    account_id: int | None = _owner("accounts", nullable=True, ondelete="SET NULL")
    user_id: int | None = _owner("admin_users", nullable=True, ondelete="SET NULL")
    action: str = Field(max_length=48, index=True)
    outcome: str = Field(max_length=16)
    detail: str = Field(default="", max_length=500)


class MailUser(SQLModel, table=True):
    """A mailbox user of an account, added by an import the Connect team approved."""

    __tablename__ = "mail_users"
    __table_args__ = (UniqueConstraint("account_id", "email"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = _owner("accounts")
    email: str = Field(max_length=254)
    first_name: str = Field(default="", max_length=100)
    last_name: str = Field(default="", max_length=100)
    review_id: int | None = _owner("reviews", nullable=True, ondelete="SET NULL")
    created_at: datetime = _when()


class PermittedSender(SQLModel, table=True):
    """An external address whose mail an account always accepts (Import Permitted Senders)."""

    __tablename__ = "permitted_senders"
    __table_args__ = (UniqueConstraint("account_id", "address"),)

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = _owner("accounts")
    address: str = Field(max_length=254)
    created_at: datetime = _when()
    created_by_id: int | None = _owner("admin_users", nullable=True, ondelete="SET NULL")


class StaffMember(SQLModel, table=True):
    """A Connect team member who may work the review queue, with their own password."""

    __tablename__ = "staff_members"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True, index=True)
    password_hash: str = Field(max_length=255, repr=False)
    failed_logins: int = Field(default=0, ge=0)
    locked_until: datetime | None = _when(nullable=True)
    last_login_at: datetime | None = _when(nullable=True)
    created_at: datetime = _when()


class Directory(SQLModel, table=True):
    """How an account's directory is reached (Synchronize Your Directory); one per account."""

    __tablename__ = "directories"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, unique=True, index=True
        )
    )
    method: str = Field(max_length=24)  # ldap | azure_ad | google_workspace | sync_engine
    url: str | None = Field(default=None, max_length=300)
    base_dn: str | None = Field(default=None, max_length=500)
    bind_dn: str | None = Field(default=None, max_length=500)
    bind_password_encrypted: str | None = Field(default=None, sa_type=Text, repr=False)
    user_filter: str | None = Field(default=None, max_length=500)
    tenant: str | None = Field(default=None, max_length=200)
    last_tested_at: datetime | None = _when(nullable=True)
    last_test_ok: bool | None = Field(default=None)
    last_test_message: str | None = Field(default=None, max_length=500)
    updated_at: datetime = _when()
