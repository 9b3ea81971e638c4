"""What the trainer page reads: the demo accounts, and a demo account's phone and inbox.

The trainer page (:mod:`connect_widgets.pages.trainer`) runs no SQL of its own: it
asks these functions, which take the services and return plain values. Every read
is a unit of :meth:`ConnectServices.transaction`, so a database that cannot be
read says :class:`~connect_widgets.core.errors.StorageUnavailable` in words, like
every other page. Only demo accounts are ever read (``Account.is_demo``).

The page asks for the demo phone every 2 seconds. A code that died (used,
replaced, revoked, expired) must leave the phone, and blanking it is a write, so
it needs the write lock (``BEGIN IMMEDIATE``) that other kernels take turns for.
Most refreshes find nothing dead, so the feed first asks with a plain read and
takes the lock only when there is something to blank.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, or_, select

from connect_widgets.core.auth.passcodes import blank_dead_codes, has_dead_codes
from connect_widgets.core.delivery.outbox import StoredMessage
from connect_widgets.core.errors import StorageUnavailable
from connect_widgets.core.services import ConnectServices
from connect_widgets.store.models import Account, AdminUser, Message

log = logging.getLogger(__name__)

SHOWN_MESSAGES = 4  # of each kind, newest first


@dataclass(frozen=True)
class DemoAccountChoice:
    """One demo account the trainer can pick."""

    code: str
    company: str


@dataclass(frozen=True)
class DemoDevices:
    """What a demo account's phone and inbox hold: the newest texts and mails, newest first."""

    texts: tuple[StoredMessage, ...]
    mails: tuple[StoredMessage, ...]


@dataclass(frozen=True)
class _DemoAdmins:
    user_ids: tuple[int, ...]
    addresses: tuple[str, ...]  # their Connect addresses and contact addresses
    since: datetime  # the account's creation: mail of an earlier reset is not shown


def demo_accounts(services: ConnectServices) -> list[DemoAccountChoice]:
    """Every demo account, by code."""
    with services.transaction(immediate=False) as db:  # reads only
        accounts = db.exec(select(Account).where(col(Account.is_demo).is_(True)).order_by(col(Account.code))).all()
        return [DemoAccountChoice(code=a.code, company=a.company) for a in accounts]


def demo_devices(services: ConnectServices, code: str, *, shown: int = SHOWN_MESSAGES) -> DemoDevices | None:
    """The demo phone's texts and the inbox's mails of demo account ``code``; ``None`` if it is no demo.

    Codes that died leave the phone first (their digits are blanked). That takes the
    write lock, so it happens only when a plain read found one; a database that
    cannot be written then still shows the phone (a warning is logged).
    """
    now = services.clock.now()
    with services.transaction(immediate=False) as db:  # reads only
        admins = _demo_admins(db, code)
        dead = admins is not None and has_dead_codes(db, user_ids=admins.user_ids, now=now)
    if admins is None:
        return None
    if dead:
        try:
            with services.transaction(immediate=True) as db:
                blank_dead_codes(db, user_ids=admins.user_ids, now=now)
        except StorageUnavailable:
            log.warning("could not blank the expired codes of demo account %s (the database cannot be written)", code)
    with services.transaction(immediate=False) as db:  # reads only
        texts = db.exec(
            select(Message)
            .where(Message.channel == "sms", col(Message.user_id).in_(admins.user_ids))
            .order_by(col(Message.id).desc())
            .limit(shown)
        ).all()
        mails = db.exec(
            select(Message)
            .where(
                Message.channel == "email",
                or_(col(Message.user_id).in_(admins.user_ids), col(Message.recipient).in_(admins.addresses)),
                col(Message.created_at) >= admins.since,
            )
            .order_by(col(Message.id).desc())
            .limit(shown)
        ).all()
        return DemoDevices(texts=tuple(map(StoredMessage.of, texts)), mails=tuple(map(StoredMessage.of, mails)))


def _demo_admins(db: Session, code: str) -> _DemoAdmins | None:
    account = db.exec(select(Account).where(Account.code == code)).first()
    if account is None or not account.is_demo:
        return None
    admins = db.exec(select(AdminUser).where(AdminUser.account_id == account.id)).all()
    return _DemoAdmins(
        user_ids=tuple(a.id for a in admins if a.id is not None),
        addresses=tuple([a.email for a in admins] + [a.contact_email for a in admins if a.contact_email]),
        since=account.created_at,
    )
