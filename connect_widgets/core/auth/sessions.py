"""Signed-in sessions: a random id held by the page, its SHA-256 in the database.

A session ends after 30 minutes without activity or 12 hours after it started,
whichever comes first, or when the admin logs out.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, select

from connect_widgets.core.errors import SessionExpired
from connect_widgets.store.models import AdminUser, LoginSession

IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_TIMEOUT = timedelta(hours=12)
TOKEN_BYTES = 32  # 256 random bits


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def start_session(db: Session, *, user: AdminUser, now: datetime) -> str:
    """Record a new session for ``user`` and return its id (keep it secret)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    assert user.id is not None
    db.add(LoginSession(token_hash=_digest(token), user_id=user.id, started_at=now, last_seen_at=now))
    return token


def resume_session(db: Session, *, token: str, now: datetime, activity: bool = True) -> AdminUser:
    """The session's admin, after checking both timeouts; marks the session active.

    Args:
        activity: False for work the page does by itself (a timer), which must not
            keep an idle session alive.

    Raises:
        SessionExpired: unknown, ended, idle for 30 minutes, or older than 12 hours.
    """
    row = db.exec(select(LoginSession).where(LoginSession.token_hash == _digest(token))).first()
    if row is None or row.ended_at is not None:
        raise SessionExpired()
    reason = None
    if now - row.last_seen_at >= IDLE_TIMEOUT:
        reason = "idle"
    elif now - row.started_at >= ABSOLUTE_TIMEOUT:
        reason = "absolute"
    if reason:
        row.ended_at, row.end_reason = now, reason
        db.add(row)
        raise SessionExpired()
    user = db.get(AdminUser, row.user_id)
    if user is None:
        raise SessionExpired()
    if activity:
        row.last_seen_at = now
        db.add(row)
    return user


def live_session(token: str, *, now: datetime) -> tuple[ColumnElement[bool], ...]:
    """SQL conditions on :class:`LoginSession` that hold only while ``token``'s session is live.

    For a page that looks without acting (the open task page checking for news):
    a query with these conditions marks nothing, so an idle page still times out.
    """
    return (
        col(LoginSession.token_hash) == _digest(token),
        col(LoginSession.ended_at).is_(None),
        col(LoginSession.last_seen_at) > now - IDLE_TIMEOUT,
        col(LoginSession.started_at) > now - ABSOLUTE_TIMEOUT,
    )


def end_session(db: Session, *, token: str, now: datetime, reason: str = "logout") -> None:
    """End the session if it is still open."""
    row = db.exec(select(LoginSession).where(LoginSession.token_hash == _digest(token))).first()
    if row is not None and row.ended_at is None:
        row.ended_at, row.end_reason = now, reason
        db.add(row)
