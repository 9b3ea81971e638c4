"""One-time passcodes sent by SMS: HOTP codes with a server-side counter.

Each phone has its own secret from :func:`pyotp.random_base32`; each code is
``HOTP(secret).at(counter)`` for the phone's next counter value, so no two codes
repeat and the code itself is stored nowhere but in the SMS sent. A
:class:`~connect_widgets.store.models.Passcode` row records the counter, when it was
sent, when it expires, how many wrong tries it took and when it was used or revoked.

Rules: 6 digits; a login code lives 5 minutes, a reset code 10; single use; the 5th
wrong try kills the code; a new code may be asked for 30 seconds after the last one
and kills it; at most 5 codes per admin in any 15 minutes.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import pyotp
from sqlmodel import Session, col, select

from connect_widgets.core.audit import AuditAction, record_event
from connect_widgets.core.delivery import Channel, Courier, OutgoingMessage
from connect_widgets.core.errors import (
    InvalidInput,
    NoActivePasscode,
    PasscodeExpired,
    PasscodeLocked,
    PasscodeUsed,
    PasscodeWrong,
    ResendTooSoon,
    SendLimitReached,
)
from connect_widgets.core.inputs import read_text
from connect_widgets.core.phones import number_ending
from connect_widgets.store.models import AdminUser, Passcode, Phone

DIGITS = 6
MAX_TRIES = 5
RESEND_AFTER = timedelta(seconds=30)
SEND_WINDOW = timedelta(minutes=15)
SENDS_PER_WINDOW = 5
_CODE_RE = re.compile(rf"^[0-9]{{{DIGITS}}}$")


class Purpose(StrEnum):
    LOGIN = "login"
    RESET = "reset"


LIFETIME = {Purpose.LOGIN: timedelta(minutes=5), Purpose.RESET: timedelta(minutes=10)}


@dataclass(frozen=True)
class CodeSent:
    """What the admin is told after a send: where it went, and what comes next."""

    ending: str
    expires_at: datetime
    resend_at: datetime
    delivered: bool


def new_phone(db: Session, *, user: AdminUser, e164: str, now: datetime) -> Phone:
    """A pending phone for ``user`` (saved for good only when its code is verified).

    Any earlier pending phone of the user is dropped: the latest number typed wins.
    """
    for stale in db.exec(
        select(Phone).where(Phone.user_id == user.id, col(Phone.verified_at).is_(None))
    ):
        db.delete(stale)
    phone = Phone(user_id=user.id, e164=e164, otp_secret=pyotp.random_base32(), created_at=now)
    db.add(phone)
    db.flush()
    return phone


def saved_phone(db: Session, *, user_id: int) -> Phone | None:
    """The user's verified phone, if any."""
    return db.exec(
        select(Phone)
        .where(Phone.user_id == user_id, col(Phone.verified_at).is_not(None))
        .order_by(col(Phone.verified_at).desc())
    ).first()


def latest_passcode(db: Session, *, user_id: int, purpose: Purpose) -> Passcode | None:
    return db.exec(
        select(Passcode)
        .where(Passcode.user_id == user_id, Passcode.purpose == purpose.value)
        .order_by(col(Passcode.id).desc())
    ).first()


def check_can_send(db: Session, *, user_id: int, now: datetime) -> None:
    """Refuse a send that comes too soon after the last one, or over the window's limit.

    Raises:
        ResendTooSoon: the last code went out less than 30 seconds ago.
        SendLimitReached: 5 codes already went out in the last 15 minutes.
    """
    recent = db.exec(
        select(Passcode.sent_at)
        .where(Passcode.user_id == user_id, Passcode.sent_at > now - SEND_WINDOW)
        .order_by(col(Passcode.sent_at))
    ).all()
    # The longer wait is the true one: a limit reached seconds after the last send
    # must not be announced as "30 seconds" and then as "9 minutes".
    if len(recent) >= SENDS_PER_WINDOW:
        wait = recent[-SENDS_PER_WINDOW] + SEND_WINDOW - now
        raise SendLimitReached(wait_seconds=max(1, math.ceil(wait.total_seconds())))
    if recent and now - recent[-1] < RESEND_AFTER:
        wait = RESEND_AFTER - (now - recent[-1])
        raise ResendTooSoon(wait_seconds=max(1, math.ceil(wait.total_seconds())))


def _sms_text(code: str, purpose: Purpose) -> str:
    minutes = int(LIFETIME[purpose].total_seconds() // 60)
    if purpose is Purpose.RESET:
        return (
            f"Your Connect password reset code is {code}. It expires in {minutes} minutes. "
            "If you did not ask for it, ignore this message."
        )
    return f"Your Connect passcode is {code}. It expires in {minutes} minutes. Never share it."


def send_passcode(
    db: Session,
    *,
    user: AdminUser,
    phone: Phone,
    purpose: Purpose,
    courier: Courier,
    now: datetime,
) -> CodeSent:
    """Issue the next code for ``phone`` and send it by SMS; earlier live codes die.

    The caller commits, also when the SMS could not be delivered (``delivered`` is
    then false and the code already revoked), so the failure stays on record.

    Raises:
        ResendTooSoon, SendLimitReached: see :func:`check_can_send`.
    """
    assert user.id is not None and phone.id is not None
    check_can_send(db, user_id=user.id, now=now)
    for live in db.exec(
        select(Passcode).where(
            Passcode.user_id == user.id,
            Passcode.purpose == purpose.value,
            col(Passcode.used_at).is_(None),
            col(Passcode.revoked_at).is_(None),
        )
    ):
        live.revoked_at, live.revoked_reason = now, "replaced"
        db.add(live)
    counter = phone.counter
    phone.counter = counter + 1
    passcode = Passcode(
        user_id=user.id,
        phone_id=phone.id,
        purpose=purpose.value,
        counter=counter,
        sent_at=now,
        expires_at=now + LIFETIME[purpose],
    )
    db.add_all([phone, passcode])
    db.flush()
    code = pyotp.HOTP(phone.otp_secret, digits=DIGITS).at(counter)
    message = courier.send(
        db,
        OutgoingMessage(channel=Channel.SMS, recipient=phone.e164, body=_sms_text(code, purpose), user_id=user.id),
        now=now,
    )
    ending = number_ending(phone.e164)
    delivered = message.status == "sent"
    if not delivered:
        passcode.revoked_at, passcode.revoked_reason = now, "not_delivered"
        db.add(passcode)
    record_event(
        db,
        action=AuditAction.CODE_SENT if delivered else AuditAction.CODE_NOT_SENT,
        outcome="ok" if delivered else "failed",
        now=now,
        actor=user.email,
        account_id=user.account_id,
        user_id=user.id,
        detail=f"{purpose.value} code to the number ending {ending}",
    )
    return CodeSent(
        ending=ending,
        expires_at=passcode.expires_at,
        resend_at=now + RESEND_AFTER,
        delivered=delivered,
    )


def read_code(value: object) -> str:
    """The typed passcode with spaces removed, or :class:`InvalidInput`."""
    text = read_text(value, field="passcode", label="passcode", max_length=32)
    text = re.sub(r"[\s-]", "", text)
    if not _CODE_RE.match(text):
        raise InvalidInput(f"Enter the {DIGITS}-digit passcode from the SMS.", field="passcode")
    return text


def verify_passcode(
    db: Session,
    *,
    user: AdminUser,
    purpose: Purpose,
    code: object,
    now: datetime,
) -> Passcode:
    """Check ``code`` against the user's latest code for ``purpose``; mark it used.

    Wrong tries are counted on the row, so the caller must commit even when this
    raises a :class:`~connect_widgets.core.errors.PasscodeError`.

    Raises:
        InvalidInput: not six digits (not counted as a try).
        NoActivePasscode, PasscodeUsed, PasscodeExpired, PasscodeLocked, PasscodeWrong.
    """
    typed = read_code(code)
    assert user.id is not None
    passcode = latest_passcode(db, user_id=user.id, purpose=purpose)
    if passcode is None:
        raise NoActivePasscode()

    def refuse(reason: str, error: Exception) -> Exception:
        record_event(
            db,
            action=AuditAction.CODE_REJECTED,
            outcome="refused",
            now=now,
            actor=user.email,
            account_id=user.account_id,
            user_id=user.id,
            detail=f"{purpose.value} code {reason}",
        )
        return error

    if passcode.used_at is not None:
        raise refuse("already used", PasscodeUsed())
    if passcode.revoked_reason == "too_many_tries":
        raise refuse("locked after too many tries", PasscodeLocked())
    if passcode.revoked_at is not None:
        raise refuse(f"revoked ({passcode.revoked_reason})", NoActivePasscode())
    if now >= passcode.expires_at:
        raise refuse("expired", PasscodeExpired())
    phone = db.get(Phone, passcode.phone_id) if passcode.phone_id is not None else None
    if phone is None:
        raise refuse("phone removed", NoActivePasscode())
    if pyotp.HOTP(phone.otp_secret, digits=DIGITS).verify(typed, passcode.counter):
        passcode.used_at = now
        db.add(passcode)
        record_event(
            db,
            action=AuditAction.CODE_VERIFIED,
            now=now,
            actor=user.email,
            account_id=user.account_id,
            user_id=user.id,
            detail=f"{purpose.value} code",
        )
        return passcode
    passcode.tries += 1
    if passcode.tries >= MAX_TRIES:
        passcode.revoked_at, passcode.revoked_reason = now, "too_many_tries"
        db.add(passcode)
        raise refuse(f"wrong, try {passcode.tries}; code locked", PasscodeLocked())
    db.add(passcode)
    raise refuse(f"wrong, try {passcode.tries}", PasscodeWrong(tries_left=MAX_TRIES - passcode.tries))


def revoke_live_passcodes(db: Session, *, user_id: int, now: datetime, reason: str) -> None:
    """Kill every code of the user still waiting (number changed, phone reset)."""
    for live in db.exec(
        select(Passcode).where(
            Passcode.user_id == user_id,
            col(Passcode.used_at).is_(None),
            col(Passcode.revoked_at).is_(None),
        )
    ):
        live.revoked_at, live.revoked_reason = now, reason
        db.add(live)

