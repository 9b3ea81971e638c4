"""One-time passcodes sent by SMS: HOTP codes with a server-side counter.

Each phone has its own secret from :func:`pyotp.random_base32`, stored sealed with
the kit's key (:mod:`.secretbox`); each code is ``HOTP(secret).at(counter)`` for the
phone's next counter value, so no two codes repeat and the code itself is stored
nowhere but in the SMS sent (with the ``outbox`` transport, only while the code is
live: its digits are blanked once it is used, replaced, revoked, locked or expired).
A :class:`~connect_widgets.store.models.Passcode` row records the counter, when it
was sent, when it expires, how many tries it took and when it was used or revoked.

Rules: 6 digits; a login code lives 5 minutes, a reset code 10; single use; the 5th
wrong try kills the code; a new code may be asked for 30 seconds after the last one
of the same purpose and kills it; at most 5 login codes per admin in any 15 minutes,
and, separately, at most 3 reset codes per admin in any hour, so that anonymous
reset requests can never use up the admin's own login codes.

Every counter is kept by the database in one statement, never read into Python and
written back, so the rules hold with many kernels at once: a try is reserved with a
conditional ``UPDATE … SET tries = tries + 1 WHERE … tries < 5 RETURNING tries``
before the code is compared; a code is used by ``UPDATE … SET used_at WHERE used_at
IS NULL`` (one winner); the phone's counter moves with ``UPDATE … SET counter =
counter + 1 RETURNING counter``. Callers run the counting units with
``services.transaction(immediate=True)`` and keep them short: the SMS goes out
after the code's row is committed (:func:`issue_passcode`, then
:func:`deliver_passcode`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import pyotp
from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from connect_widgets.core.adapters.secretbox import SecretBox
from connect_widgets.core.audit import AuditAction, record_admin_event, record_event
from connect_widgets.core.auth.limits import SEND_WINDOW, SENDS_PER_WINDOW
from connect_widgets.core.auth.phones import number_ending
from connect_widgets.core.clock import spoken
from connect_widgets.core.delivery.message import Channel, OutgoingMessage, blank_codes
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
from connect_widgets.core.services import ConnectServices
from connect_widgets.store.models import AdminUser, Message, Passcode, Phone

DIGITS = 6
MAX_TRIES = 5
RESEND_AFTER = timedelta(seconds=30)
RESET_WINDOW = timedelta(hours=1)
RESETS_PER_WINDOW = 3
_CODE_RE = re.compile(rf"^[0-9]{{{DIGITS}}}$")
_UNCHANGED = {"synchronize_session": False}  # rows are re-read where their new values matter


class Purpose(StrEnum):
    LOGIN = "login"
    RESET = "reset"


LIFETIME = {Purpose.LOGIN: timedelta(minutes=5), Purpose.RESET: timedelta(minutes=10)}
#: How many codes of each purpose may go to one admin within how long.
SEND_LIMITS = {Purpose.LOGIN: (SENDS_PER_WINDOW, SEND_WINDOW), Purpose.RESET: (RESETS_PER_WINDOW, RESET_WINDOW)}


@dataclass(frozen=True)
class CodeSent:
    """What the admin is told after a send: where it went, and what comes next."""

    ending: str
    expires_at: datetime
    resend_at: datetime
    delivered: bool


@dataclass(frozen=True)
class IssuedCode:
    """A code whose row is saved and whose SMS is still to go (see :func:`deliver_passcode`)."""

    passcode_id: int
    user_id: int
    account_id: int
    actor: str
    purpose: Purpose
    expires_at: datetime
    ending: str
    recipient: str = field(repr=False)
    text: str = field(repr=False)  # the SMS, code included


def otp_secret(phone: Phone, box: SecretBox) -> str:
    """The phone's HOTP secret, unsealed (never store, log or show it)."""
    return box.open(phone.otp_secret_encrypted)


def new_phone(db: Session, *, user: AdminUser, e164: str, now: datetime, box: SecretBox) -> Phone:
    """A pending phone for ``user`` (saved for good only when its code is verified).

    Any earlier pending phone of the user is dropped: the latest number typed wins.
    """
    for stale in db.exec(select(Phone).where(Phone.user_id == user.id, col(Phone.verified_at).is_(None))):
        db.delete(stale)
    assert user.id is not None  # a stored admin
    phone = Phone(user_id=user.id, e164=e164, otp_secret_encrypted=box.seal(pyotp.random_base32()), created_at=now)
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
        .execution_options(populate_existing=True)
    ).first()


def check_can_send(db: Session, *, user_id: int, now: datetime, purpose: Purpose = Purpose.LOGIN) -> None:
    """Refuse a send that comes too soon after the last one, or over the window's limit.

    Only codes of the same purpose count: reset codes never use up the login codes.

    Raises:
        ResendTooSoon: the last code went out less than 30 seconds ago.
        SendLimitReached: the limit of codes in the window (5 login codes in 15
            minutes; 3 reset codes in an hour) is reached.
    """
    most, window = SEND_LIMITS[purpose]
    recent = db.exec(
        select(Passcode.sent_at)
        .where(Passcode.user_id == user_id, Passcode.purpose == purpose.value, Passcode.sent_at > now - window)
        .order_by(col(Passcode.sent_at))
    ).all()
    # The longer wait is the true one: a limit reached seconds after the last send
    # must not be announced as "30 seconds" and then as "9 minutes".
    if len(recent) >= most:
        wait = recent[-most] + window - now
        raise SendLimitReached(wait_seconds=max(1, math.ceil(wait.total_seconds())))
    if recent and now - recent[-1] < RESEND_AFTER:
        wait = RESEND_AFTER - (now - recent[-1])
        raise ResendTooSoon(wait_seconds=max(1, math.ceil(wait.total_seconds())))


def _sms_text(code: str, purpose: Purpose) -> str:
    lifetime = spoken(LIFETIME[purpose])
    if purpose is Purpose.RESET:
        return (
            f"Your Connect password reset code is {code}. It expires in {lifetime}. "
            "If you did not ask for it, ignore this message."
        )
    return f"Your Connect passcode is {code}. It expires in {lifetime}. Never share it."


def _live(now: datetime) -> tuple[Any, ...]:
    """SQL conditions true while a code may still be used."""
    return (col(Passcode.used_at).is_(None), col(Passcode.revoked_at).is_(None), col(Passcode.expires_at) > now)


def issue_passcode(
    db: Session,
    *,
    user: AdminUser,
    phone: Phone,
    purpose: Purpose,
    now: datetime,
    box: SecretBox,
) -> IssuedCode:
    """Save the next code for ``phone``; earlier live codes of ``purpose`` die ("replaced").

    Run it in ``services.transaction(immediate=True)`` (the check and the insert
    then hold against other kernels), commit, and only then send the SMS with
    :func:`deliver_passcode`, so no write lock is held while the SMS goes out.

    Raises:
        ResendTooSoon, SendLimitReached: see :func:`check_can_send`.
    """
    assert user.id is not None and phone.id is not None
    check_can_send(db, user_id=user.id, now=now, purpose=purpose)
    db.exec(
        update(Passcode)
        .where(
            col(Passcode.user_id) == user.id,
            col(Passcode.purpose) == purpose.value,
            col(Passcode.used_at).is_(None),
            col(Passcode.revoked_at).is_(None),
        )
        .values(revoked_at=now, revoked_reason="replaced")
        .execution_options(**_UNCHANGED)
    )
    blank_dead_codes(db, user_ids=[user.id], now=now)
    # One statement: two kernels can never be given the same counter (and so the same code).
    counter = (
        db.exec(
            update(Phone)
            .where(col(Phone.id) == phone.id)
            .values(counter=Phone.counter + 1)
            .returning(col(Phone.counter))
            .execution_options(**_UNCHANGED)
        ).scalar_one()
        - 1
    )
    passcode = Passcode(
        user_id=user.id,
        phone_id=phone.id,
        purpose=purpose.value,
        counter=counter,
        sent_at=now,
        expires_at=now + LIFETIME[purpose],
    )
    db.add(passcode)
    db.flush()
    assert passcode.id is not None
    code = pyotp.HOTP(otp_secret(phone, box), digits=DIGITS).at(counter)
    return IssuedCode(
        passcode_id=passcode.id,
        user_id=user.id,
        account_id=user.account_id,
        actor=user.email,
        purpose=purpose,
        expires_at=passcode.expires_at,
        ending=number_ending(phone.e164),
        recipient=phone.e164,
        text=_sms_text(code, purpose),
    )


def deliver_passcode(services: ConnectServices, issued: IssuedCode, *, now: datetime) -> CodeSent:
    """Send an issued code's SMS and record how it went, in a unit of work of its own.

    The transport is waited for before anything is written, so no lock is held
    meanwhile. A failed delivery is recorded (the message ``failed``, the code
    revoked "not_delivered", an audit row): ``delivered`` is then false.
    """
    with services.transaction() as db:
        message = services.courier.send(
            db,
            OutgoingMessage(channel=Channel.SMS, recipient=issued.recipient, body=issued.text, user_id=issued.user_id),
            now=now,
        )
        delivered = message.status == "sent"
        if not delivered:
            db.exec(
                update(Passcode)
                .where(
                    col(Passcode.id) == issued.passcode_id,
                    col(Passcode.used_at).is_(None),
                    col(Passcode.revoked_at).is_(None),
                )
                .values(revoked_at=now, revoked_reason="not_delivered")
                .execution_options(**_UNCHANGED)
            )
        if message.body == issued.text:  # the stored text shows the code (outbox): link it while the code lives
            linked = db.exec(
                update(Passcode)
                .where(col(Passcode.id) == issued.passcode_id, *_live(now))
                .values(message_id=message.id)
                .execution_options(**_UNCHANGED)
            ).rowcount
            if linked != 1:  # already dead (used up, replaced, failed): the text must not keep it
                message.body = blank_codes(message.body)
                db.add(message)
        record_event(
            db,
            action=AuditAction.CODE_SENT if delivered else AuditAction.CODE_NOT_SENT,
            outcome="ok" if delivered else "failed",
            now=now,
            actor=issued.actor,
            account_id=issued.account_id,
            user_id=issued.user_id,
            detail=f"{issued.purpose.value} code to the number ending {issued.ending}",
        )
    return CodeSent(
        ending=issued.ending, expires_at=issued.expires_at, resend_at=now + RESEND_AFTER, delivered=delivered
    )


def _dead_codes_shown(user_ids: list[int], now: datetime) -> tuple[Any, ...]:
    """SQL conditions on ``Passcode``: a code of these users, no longer live, whose SMS still shows it."""
    return (
        col(Passcode.user_id).in_(user_ids),
        col(Passcode.message_id).is_not(None),
        or_(
            col(Passcode.used_at).is_not(None),
            col(Passcode.revoked_at).is_not(None),
            col(Passcode.expires_at) <= now,
        ),
    )


def has_dead_codes(db: Session, *, user_ids: Iterable[int], now: datetime) -> bool:
    """Whether :func:`blank_dead_codes` would find anything: a plain read, no write lock needed."""
    ids = list(user_ids)
    if not ids:
        return False
    return db.exec(select(Passcode.id).where(*_dead_codes_shown(ids, now)).limit(1)).first() is not None


def blank_dead_codes(db: Session, *, user_ids: Iterable[int], now: datetime) -> int:
    """Blank the digits of every stored SMS whose code is no longer live; returns how many.

    Called where a code dies (used, replaced, revoked, locked) and, for codes that
    simply expired, on the user's next send or verify and on the trainer's read.
    """
    ids = list(user_ids)
    if not ids:
        return 0
    dead = db.exec(
        select(Passcode.id, Message.id, Message.body)
        .join(Message, col(Message.id) == col(Passcode.message_id))
        .where(*_dead_codes_shown(ids, now))
    ).all()
    for _passcode_id, message_id, body in dead:
        db.exec(
            update(Message)
            .where(col(Message.id) == message_id)
            .values(body=blank_codes(body))
            .execution_options(**_UNCHANGED)
        )
    if dead:
        db.exec(
            update(Passcode)
            .where(col(Passcode.id).in_([row[0] for row in dead]))
            .values(message_id=None)
            .execution_options(**_UNCHANGED)
        )
    return len(dead)


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
    box: SecretBox,
) -> Passcode:
    """Check ``code`` against the user's latest code for ``purpose``; mark it used.

    A try is reserved in the database before the code is compared, so however many
    pages guess at once, at most 5 wrong codes are ever compared per code; a right
    code gives its try back and is used by one page only. Run it in
    ``services.transaction(immediate=True)``; the caller must commit even when this
    raises a :class:`~connect_widgets.core.errors.PasscodeError` (tries are counted).

    Raises:
        InvalidInput: not six digits (not counted as a try).
        NoActivePasscode, PasscodeUsed, PasscodeExpired, PasscodeLocked, PasscodeWrong.
    """
    typed = read_code(code)
    assert user.id is not None
    blank_dead_codes(db, user_ids=[user.id], now=now)
    passcode = latest_passcode(db, user_id=user.id, purpose=purpose)
    if passcode is None:
        raise NoActivePasscode()

    def refuse(reason: str, error: Exception) -> Exception:
        record_admin_event(
            db, user, AuditAction.CODE_REJECTED, now=now, outcome="refused", detail=f"{purpose.value} code {reason}"
        )
        return error

    phone = db.get(Phone, passcode.phone_id) if passcode.phone_id is not None else None
    tries = db.exec(
        update(Passcode)
        .where(col(Passcode.id) == passcode.id, col(Passcode.tries) < MAX_TRIES, *_live(now))
        .values(tries=Passcode.tries + 1)
        .returning(col(Passcode.tries))
        .execution_options(**_UNCHANGED)
    ).scalar_one_or_none()
    if tries is None:  # no try left to take: say why, from the row as it is now
        db.refresh(passcode)
        if passcode.used_at is not None:
            raise refuse("already used", PasscodeUsed())
        if passcode.revoked_reason == "too_many_tries" or passcode.tries >= MAX_TRIES:
            raise refuse("locked after too many tries", PasscodeLocked())
        if passcode.revoked_at is not None:
            raise refuse(f"revoked ({passcode.revoked_reason})", NoActivePasscode())
        raise refuse("expired", PasscodeExpired())
    if phone is None:
        raise refuse("phone removed", NoActivePasscode())
    if pyotp.HOTP(otp_secret(phone, box), digits=DIGITS).verify(typed, passcode.counter):
        won = db.exec(
            update(Passcode)
            .where(col(Passcode.id) == passcode.id, col(Passcode.used_at).is_(None), col(Passcode.revoked_at).is_(None))
            .values(used_at=now, tries=Passcode.tries - 1)  # a right code costs no try
            .execution_options(**_UNCHANGED)
        ).rowcount
        if won != 1:  # another page used it between the two statements
            raise refuse("already used", PasscodeUsed())
        blank_dead_codes(db, user_ids=[user.id], now=now)
        record_admin_event(db, user, AuditAction.CODE_VERIFIED, now=now, detail=f"{purpose.value} code")
        db.refresh(passcode)
        return passcode
    if tries >= MAX_TRIES:  # this page took the last try: the code dies, once
        db.exec(
            update(Passcode)
            .where(col(Passcode.id) == passcode.id, col(Passcode.used_at).is_(None), col(Passcode.revoked_at).is_(None))
            .values(revoked_at=now, revoked_reason="too_many_tries")
            .execution_options(**_UNCHANGED)
        )
        blank_dead_codes(db, user_ids=[user.id], now=now)
        raise refuse(f"wrong, try {tries}; code locked", PasscodeLocked())
    raise refuse(f"wrong, try {tries}", PasscodeWrong(tries_left=MAX_TRIES - tries))


def revoke_live_passcodes(db: Session, *, user_id: int, now: datetime, reason: str) -> None:
    """Kill every code of the user still waiting (number changed, phone reset)."""
    db.exec(
        update(Passcode)
        .where(col(Passcode.user_id) == user_id, col(Passcode.used_at).is_(None), col(Passcode.revoked_at).is_(None))
        .values(revoked_at=now, revoked_reason=reason)
        .execution_options(**_UNCHANGED)
    )
    blank_dead_codes(db, user_ids=[user_id], now=now)


def secret_box(services: ConnectServices) -> SecretBox:
    """The box that seals and opens phones' OTP secrets (the kit's key)."""
    return services.secret_box
