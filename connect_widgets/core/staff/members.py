"""Connect team members: their accounts, their login, and their session on the review queue.

The staff notebook is served by the same Voila server as the admins' notebook, so
any visitor can open it. Nothing of the queue is read until a staff member logs in
with their own name and password. What they get back is a :class:`StaffSession`:
it holds the :class:`ReviewQueue` and checks on every call that the session is
still alive (logged in, active in the last 30 minutes, at most 12 hours old, staff
member not removed) before it reads or decides anything.

The login mirrors the admins' (:mod:`connect_widgets.core.auth.flow`) and goes
through the same checker (:func:`~connect_widgets.core.auth.lockout.try_password`):
one answer for an unknown name, a wrong password and a locked staff account, in the
same time (a dummy hash check); five wrong passwords in a row lock the staff account
for 15 minutes, counted by the database before each check. Every attempt is audited as
``staff:<name>``; the password never is. The login has a single factor, so a staff
password has at least 15 characters (an admin's, 12).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from connect_widgets.core.accounts.create import PLATFORMS, REGIONS
from connect_widgets.core.audit import AuditAction, record_event
from connect_widgets.core.auth.limits import FIRST_LOCK, MAX_FAILED_LOGINS
from connect_widgets.core.auth.lockout import STAFF_LOCKOUT, Candidate, Settlement, try_password
from connect_widgets.core.auth.passwords import MAX_LENGTH, read_password, review_password
from connect_widgets.core.clock import spoken
from connect_widgets.core.errors import (
    ConnectError,
    InvalidCredentials,
    InvalidInput,
    PasswordRejected,
    SessionExpired,
)
from connect_widgets.core.inputs import read_text
from connect_widgets.core.review.handlers import review_label
from connect_widgets.core.review.kinds import ReviewKind
from connect_widgets.core.review.queue import PendingReview, ReviewQueue
from connect_widgets.core.services import ConnectServices
from connect_widgets.store.models import Account, StaffMember

log = logging.getLogger(__name__)

LOCK_DURATION = FIRST_LOCK  # staff locks do not double
STAFF_MIN_LENGTH = 15  # a single-factor password (NIST SP 800-63B); admins' is 12
IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_TIMEOUT = timedelta(hours=12)
NAME_MIN, NAME_MAX = 2, 100
NAME_PUNCTUATION = " .-_"
USERS_SHOWN = 20  # addresses listed on a user-import card; the rest are counted

_SPACES = re.compile(r"\s+")


class StaffMemberExists(ConnectError):
    code = "staff_member_exists"


class StaffCredentialsRefused(InvalidCredentials):
    """One answer for an unknown name, a wrong password and a locked staff account."""

    code = "staff_credentials_refused"
    default_message = (
        f"The name or password is not right, or this staff account is locked for {spoken(LOCK_DURATION)} "
        "after too many tries. Check both and try again later."
    )


class StaffSessionExpired(SessionExpired):
    code = "staff_session_expired"
    default_message = (
        f"Your staff session has ended ({spoken(IDLE_TIMEOUT)} without activity, or {spoken(ABSOLUTE_TIMEOUT)} "
        "after logging in). Log in again to carry on."
    )


class NotLoggedIn(ConnectError):
    code = "staff_not_logged_in"
    default_message = "Log in with your staff name and password first."


def read_staff_name(value: object) -> str:
    """A staff name as typed: 2-100 letters, digits, spaces, dots, hyphens, underscores.

    Runs of spaces become one space.

    Raises:
        InvalidInput: the name is empty, too short or long, or uses other characters.
    """
    text = _SPACES.sub(" ", read_text(value, field="name", label="staff name", max_length=NAME_MAX))
    if len(text) < NAME_MIN or not all(ch.isalnum() or ch in NAME_PUNCTUATION for ch in text):
        raise InvalidInput(
            f"The staff name uses {NAME_MIN} to {NAME_MAX} letters, digits, spaces, dots, hyphens and underscores.",
            field="name",
        )
    return text


def staff_personal_words(name: str) -> tuple[str, ...]:
    """The whole name and its first part are banned inside the password; all feed zxcvbn."""
    parts = [p for p in re.split(r"[ ._-]+", name) if p]
    return (name, parts[0] if parts else name, *parts[1:])


def _find(db: Session, name: str) -> StaffMember | None:
    """The staff member whose name matches ignoring case (the team is small)."""
    wanted = name.casefold()
    for staff_id, stored in db.exec(select(StaffMember.id, StaffMember.name)).all():
        if stored.casefold() == wanted:
            return db.get(StaffMember, staff_id)
    return None


def enforce_staff_password(password: object, *, staff_name: str) -> str:
    """A staff password: the admins' policy, but at least 15 characters; returns it normalised.

    The staff login has a password and no second step, and NIST SP 800-63B asks 15
    characters of a password that is the only factor (admins, who also enter an SMS
    passcode, need 12).

    Raises:
        InvalidInput: the password is empty or has unusable characters.
        PasswordRejected: with every rule it breaks, each in plain words.
    """
    secret = read_password(password, field="password", label="password")
    problems = [
        check.message
        for check in review_password(secret, personal_words=staff_personal_words(staff_name))
        if not check.met and check.rule != "length"
    ]
    if len(secret) > MAX_LENGTH:
        problems.insert(0, f"Use at most {MAX_LENGTH} characters.")
    elif len(secret) < STAFF_MIN_LENGTH:
        problems.insert(
            0,
            f"Use at least {STAFF_MIN_LENGTH} characters: the staff login has no second step "
            "(no passcode), so its password must be longer than an admin's.",
        )
    if problems:
        raise PasswordRejected(problems)
    return secret


def add_staff_member(services: ConnectServices, *, name: object, password: object, actor: str = "support") -> str:
    """Create a staff member who may work the review queue; returns the name as stored.

    The password must pass the admins' policy, with the name as a personal word,
    and be at least 15 characters long (:func:`enforce_staff_password`).

    Raises:
        InvalidInput: the name or password is unusable.
        PasswordRejected: the password breaks the policy (every reason is given).
        StaffMemberExists: the name is taken (in any case).
    """
    staff_name = read_staff_name(name)
    secret = enforce_staff_password(password, staff_name=staff_name)
    password_hash = services.hasher.hash(secret)
    now = services.clock.now()
    try:
        with services.transaction() as db:
            existing = _find(db, staff_name)
            if existing is not None:
                raise _taken(existing.name)
            db.add(StaffMember(name=staff_name, password_hash=password_hash, created_at=now))
            record_event(
                db, action=AuditAction.STAFF_CREATED, now=now, actor=actor, detail=f"staff member {staff_name}"
            )
    except IntegrityError:  # added by someone else between the check and the insert
        raise _taken(staff_name) from None
    return staff_name


def ensure_name_free(services: ConnectServices, name: str) -> None:
    """Refuse a taken name early (before a password is asked for); the insert checks again."""
    with services.transaction() as db:
        existing = _find(db, name)
    if existing is not None:
        raise _taken(existing.name)


def _taken(name: str) -> StaffMemberExists:
    return StaffMemberExists(f"A staff member named {name} already exists. Choose another name.")


class StaffDoor:
    """The only way into the review queue: a staff name and that member's password."""

    def __init__(self, services: ConnectServices) -> None:
        self._services = services

    def __repr__(self) -> str:
        return "StaffDoor()"

    def log_in(self, *, name: object, password: object) -> StaffSession:
        """Check the name and password; return the member's session on the queue.

        The try is counted before the password is checked (:mod:`~connect_widgets.core.auth.lockout`), so
        several pages together still get only five checks before the lock; every
        outcome costs one argon2 verification and no transaction is held over it.

        Raises:
            InvalidInput: a field is empty (nothing is checked or counted).
            StaffCredentialsRefused: unknown name, wrong password or locked (one answer).
        """
        if name is None or (isinstance(name, str) and not name.strip()):
            raise InvalidInput("Enter your staff name.", field="name")
        secret = read_password(password)
        services, now = self._services, self._services.clock.now()
        try:
            staff_name = read_staff_name(name)
        except InvalidInput:
            staff_name = ""
        tried = try_password(
            services,
            STAFF_LOCKOUT,
            lambda db: Candidate.of(_find(db, staff_name) if staff_name else None),
            secret,
            now=now,
        )
        with services.transaction(immediate=True) as db:
            member = STAFF_LOCKOUT.reread(db, tried)
            if member is None:
                # What was typed as a name is not recorded: people type passwords there.
                record_event(
                    db,
                    action=AuditAction.STAFF_LOGIN_FAILED,
                    now=now,
                    actor="staff:?",
                    outcome="refused",
                    detail="unknown staff name",
                )
                raise StaffCredentialsRefused()
            actor = f"staff:{member.name}"
            settled = STAFF_LOCKOUT.settle(db, member, tried, now=now)
            if not settled.accepted:
                self._refused(db, settled, actor, now)
                raise StaffCredentialsRefused()
            member.last_login_at = now
            db.add(member)
            record_event(db, action=AuditAction.STAFF_LOGIN, now=now, actor=actor)
            staff_id, staff_name = member.id, member.name
        assert staff_id is not None
        return StaffSession(services, staff_id=staff_id, staff=staff_name)

    @staticmethod
    def _refused(db: Session, settled: Settlement, actor: str, now: datetime) -> None:
        """Audit a refused try (:meth:`Lockout.settle`) and the lock it set, if it set one."""
        detail = settled.refusal("wrong password", locked="staff account locked")
        record_event(db, action=AuditAction.STAFF_LOGIN_FAILED, now=now, actor=actor, outcome="refused", detail=detail)
        if settled.lock is not None:
            record_event(
                db,
                action=AuditAction.STAFF_LOCKED,
                now=now,
                actor=actor,
                outcome="locked",
                detail=f"locked for {settled.lock.minutes} minutes after {MAX_FAILED_LOGINS} wrong passwords",
            )


@dataclass(frozen=True)
class FieldChange:
    """One corrected detail: its label, the account's value now, and the value asked for."""

    label: str
    current: str
    new: str


@dataclass(frozen=True)
class ReviewSummary:
    """A pending review as the Connect team reads it."""

    review: PendingReview
    task_title: str
    kind_label: str
    changes: tuple[FieldChange, ...] = ()  # a details correction
    user_count: int = 0  # a user import
    users_shown: tuple[str, ...] = ()  # its first addresses


_DETAIL_LABELS = {
    "company": "Company name",
    "primary_domain": "Primary domain",
    "platform": "Platform",
    "region": "Region",
}
_DETAIL_CHOICES = {"platform": PLATFORMS, "region": REGIONS}


def _shown(field: str, value: object) -> str:
    text = "" if value is None else str(value)
    return _DETAIL_CHOICES.get(field, {}).get(text, text)


def _summarise(review: PendingReview, account: Account | None, task_title: str) -> ReviewSummary:
    kind_label = review_label(review.kind)
    payload: dict[str, Any] = review.payload if isinstance(review.payload, dict) else {}
    if review.kind == ReviewKind.USER_IMPORT:
        users = payload.get("users")
        users = users if isinstance(users, list) else []
        emails = [str(u.get("email", "")) if isinstance(u, dict) else str(u) for u in users]
        return ReviewSummary(
            review, task_title, kind_label, user_count=len(emails), users_shown=tuple(emails[:USERS_SHOWN])
        )
    changes = tuple(
        FieldChange(
            label=_DETAIL_LABELS.get(field, field.replace("_", " ").capitalize()),
            current=_shown(field, getattr(account, field, None)) if field in _DETAIL_LABELS else "",
            new=_shown(field, value),
        )
        for field, value in payload.items()
    )
    return ReviewSummary(review, task_title, kind_label, changes=changes)


class StaffSession:
    """A logged-in staff member's hold on the review queue; every call first checks the session.

    The session lives in the page's kernel only. It ends on :meth:`log_out`, after
    30 minutes without a call, 12 hours after the login, or when the staff member
    is removed; from then on every call raises :class:`StaffSessionExpired`. The
    :class:`ReviewQueue` is held, not inherited, so that nothing it offers can be
    reached without that check.
    """

    def __init__(self, services: ConnectServices, *, staff_id: int, staff: str) -> None:
        self._services = services
        self._queue = ReviewQueue(services, staff=staff)
        self._staff_id = staff_id
        self.name = staff
        self._started_at = self._last_seen = services.clock.now()
        self._ended = False

    def __repr__(self) -> str:
        return f"StaffSession(name={self.name!r}, ended={self._ended})"

    @property
    def ended(self) -> bool:
        return self._ended

    def check(self) -> None:
        """Refuse unless the session is alive; then count this call as activity.

        Raises:
            StaffSessionExpired: logged out, idle for 30 minutes, 12 hours old, or removed.
        """
        if self._ended:
            raise StaffSessionExpired()
        now = self._services.clock.now()
        reason = None
        if now - self._last_seen >= IDLE_TIMEOUT:
            reason = "idle for 30 minutes"
        elif now - self._started_at >= ABSOLUTE_TIMEOUT:
            reason = "12 hours after login"
        with self._services.transaction() as db:
            if reason is None and db.get(StaffMember, self._staff_id) is None:
                reason = "staff member removed"
            if reason is not None:
                self._ended = True
                record_event(
                    db,
                    action=AuditAction.SESSION_EXPIRED,
                    now=now,
                    actor=f"staff:{self.name}",
                    outcome="ended",
                    detail=reason,
                )
        if reason is not None:
            raise StaffSessionExpired()
        self._last_seen = now

    def log_out(self) -> None:
        """End the session (audited once); later calls are refused."""
        if self._ended:
            return
        self._ended = True
        with self._services.transaction() as db:
            record_event(db, action=AuditAction.LOGOUT, now=self._services.clock.now(), actor=f"staff:{self.name}")

    def pending(self) -> list[PendingReview]:
        """Pending reviews across accounts, oldest first."""
        self.check()
        return self._queue.pending()

    def approve(self, review_id: int) -> None:
        """Apply the change and hand the task back to the admin (see :meth:`ReviewQueue.approve`)."""
        self.check()
        self._queue.approve(review_id)

    def reject(self, review_id: int, *, reason: object) -> None:
        """Refuse the change with a reason the admin sees (see :meth:`ReviewQueue.reject`)."""
        self.check()
        self._queue.reject(review_id, reason=reason)

    def summaries(self) -> list[ReviewSummary]:
        """The pending reviews, oldest first, with what they would change."""
        reviews = self.pending()
        codes = {r.account_code for r in reviews}
        with self._services.transaction() as db:
            rows = db.exec(select(Account).where(col(Account.code).in_(codes))).all() if codes else []
            accounts = {a.code: a for a in rows}
        catalogue = self._services.catalogue
        summaries = []
        for review in reviews:
            try:
                title = catalogue.get(review.task_key).title
            except KeyError:
                title = review.task_key
            summaries.append(_summarise(review, accounts.get(review.account_code), title))
        return summaries
