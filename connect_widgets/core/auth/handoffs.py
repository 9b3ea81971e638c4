"""Single-use links from the Administration Console into Connect, arriving signed in.

The console's Application Switcher links to ``connect.ipynb?handoff=TOKEN``. The
token is 256 random bits held only by that link; the database keeps its SHA-256
(enough for a random token: there is nothing to guess), the admin it belongs to,
and when it stops working. A link works once, within 60 seconds of being made, and
not after the admin logged out of the console.

Redeeming is one conditional ``UPDATE ... WHERE used_at IS NULL AND expires_at > now``
whose row count says who won, so two pages (two kernels, even two servers on one
database) opening the same link cannot both sign in. The login flow
(:meth:`~connect_widgets.core.auth.flow.LoginFlow.sign_in_with_handoff`) decides what a
redeemed link may do; this module only keeps the rows.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeGuard

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from connect_widgets.store.engine import rows_matched
from connect_widgets.store.models import AdminUser, ConsoleHandoff

HANDOFF_LIFETIME = timedelta(seconds=60)
TOKEN_BYTES = 32  # 256 random bits
KEEP_SPENT = timedelta(days=1)  # rows of dead links are deleted after this
# token_urlsafe(32): 43 characters of the URL-safe base64 alphabet, no padding.
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{43}")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def _live(now: datetime) -> tuple[Any, ...]:
    """SQL conditions on ``ConsoleHandoff``: a link not used, not revoked and not expired."""
    return (
        col(ConsoleHandoff.used_at).is_(None),
        col(ConsoleHandoff.revoked_at).is_(None),
        col(ConsoleHandoff.expires_at) > now,
    )


def well_formed(token: object) -> TypeGuard[str]:
    """Whether ``token`` could have been made here (checked before any hashing or query)."""
    return isinstance(token, str) and _TOKEN_SHAPE.fullmatch(token) is not None


@dataclass(frozen=True)
class Handoff:
    """A fresh link's token (secret: never logged or shown as text) and when it dies."""

    token: str = field(repr=False)
    expires_at: datetime


@dataclass(frozen=True)
class Redemption:
    """What redeeming a token found.

    Attributes:
        user_id: whose link it was, when the token is known (also when refused).
        refused: why it cannot be used (``malformed``, ``unknown``, ``used``,
            ``revoked``, ``expired``), or ``None`` when this call used it up.
    """

    user_id: int | None
    refused: str | None = None


def issue_handoff(db: Session, *, user: AdminUser, now: datetime) -> Handoff:
    """Record a new link for ``user``, valid for :data:`HANDOFF_LIFETIME`; returns its token."""
    assert user.id is not None
    db.execute(delete(ConsoleHandoff).where(col(ConsoleHandoff.expires_at) < now - KEEP_SPENT))
    token = secrets.token_urlsafe(TOKEN_BYTES)
    expires_at = now + HANDOFF_LIFETIME
    db.add(ConsoleHandoff(token_hash=_digest(token), user_id=user.id, created_at=now, expires_at=expires_at))
    return Handoff(token=token, expires_at=expires_at)


def redeem_handoff(db: Session, *, token: object, now: datetime) -> Redemption:
    """Use the link up, if it is live; race-free across pages and processes.

    Never raises for a bad token: the caller reads :attr:`Redemption.refused`.
    """
    if not well_formed(token):
        return Redemption(user_id=None, refused="malformed")
    digest = _digest(token)
    used_up = update(ConsoleHandoff).where(col(ConsoleHandoff.token_hash) == digest, *_live(now)).values(used_at=now)
    won = rows_matched(db.execute(used_up)) == 1
    row = db.exec(select(ConsoleHandoff).where(ConsoleHandoff.token_hash == digest)).first()
    if row is None:
        return Redemption(user_id=None, refused="unknown")
    if won:
        return Redemption(user_id=row.user_id)
    if row.used_at is not None:
        reason = "used"
    elif row.revoked_at is not None:
        reason = "revoked"
    else:
        reason = "expired"
    return Redemption(user_id=row.user_id, refused=reason)


def revoke_handoffs(db: Session, *, user_id: int, now: datetime) -> int:
    """Stop every live link of ``user_id`` (the admin logged out); returns how many."""
    revoked = update(ConsoleHandoff).where(col(ConsoleHandoff.user_id) == user_id, *_live(now)).values(revoked_at=now)
    return rows_matched(db.execute(revoked))
