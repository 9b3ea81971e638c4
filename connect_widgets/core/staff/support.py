"""What support staff do for an admin: unlock, reset the phone, issue a new supplied password."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from connect_widgets.core.audit import AuditAction, record_admin_event
from connect_widgets.core.auth import notices
from connect_widgets.core.auth.passcodes import revoke_live_passcodes
from connect_widgets.core.auth.passwords import generate_temporary_password
from connect_widgets.core.errors import UserNotFound
from connect_widgets.core.inputs import read_text
from connect_widgets.core.services import ConnectServices
from connect_widgets.store.models import Account, AdminUser, Phone


def _find(db: Session, email: object) -> AdminUser:
    text = read_text(email, field="email", label="email address", max_length=254).lower()
    user = db.exec(select(AdminUser).where(AdminUser.email == text)).first()
    if user is None:
        raise UserNotFound(f"No admin has the address {text}.")
    return user


def lift_lock(admin: AdminUser, *, now: datetime) -> bool:
    """Clear the admin's password failures and any lock (the caller adds the row); whether a lock was on."""
    was_locked = admin.locked_until is not None and admin.locked_until > now
    admin.failed_logins, admin.lock_count, admin.locked_until = 0, 0, None
    return was_locked


def unlock_user(services: ConnectServices, *, email: object, actor: str = "support") -> str:
    """Clear the failure count and any lock; returns the admin's address."""
    now = services.clock.now()
    with services.transaction() as db:
        user = _find(db, email)
        was_locked = lift_lock(user, now=now)
        db.add(user)
        detail = "was locked" if was_locked else "was not locked"
        record_admin_event(db, user, AuditAction.USER_UNLOCKED, now=now, actor=actor, detail=detail)
        return user.email


def reset_phone(services: ConnectServices, *, email: object, actor: str = "support") -> str:
    """Forget the admin's phones (lost phone): the next login enrols a new one.

    A notice goes to the admin's contact email when an enrolled phone was removed.
    """
    now = services.clock.now()
    with services.transaction() as db:
        user = _find(db, email)
        assert user.id is not None
        revoke_live_passcodes(db, user_id=user.id, now=now, reason="phone_reset")
        phones = list(db.exec(select(Phone).where(Phone.user_id == user.id)))
        for phone in phones:
            db.delete(phone)
        detail = f"{len(phones)} phone(s) removed"
        record_admin_event(db, user, AuditAction.PHONE_RESET, now=now, actor=actor, detail=detail)
    if any(phone.verified_at for phone in phones):  # after the commit: a mail outage never undoes the reset
        notices.phone_removed(services, user=user, when=now)
    return user.email


def issue_temporary_password(services: ConnectServices, *, email: object, actor: str = "support") -> str:
    """Give the admin a new supplied password (the old one expired or was forgotten).

    The admin must change it at the next login; any lock is lifted. Returns the
    password, once, for support to hand over; only its hash is stored.
    """
    now = services.clock.now()
    with services.transaction() as db:
        user = _find(db, email)
        account = db.get(Account, user.account_id)
        words = (user.email.split("@")[0], account.code.lower() if account else "", account.company if account else "")
        password = generate_temporary_password(personal_words=words)
        user.password_hash = services.hasher.hash(password)
        user.must_change_password, user.password_set_at = True, now
        lift_lock(user, now=now)
        db.add(user)
        record_admin_event(db, user, AuditAction.PASSWORD_ISSUED, now=now, actor=actor, detail="new supplied password")
        return password
