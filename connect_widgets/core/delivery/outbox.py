"""Reading the outbox: the SMS and email the kit stored, newest first.

Every message the courier hands to a transport is stored as a
:class:`~connect_widgets.store.models.Message`, whatever the transport (the outbox
transport stores only). In a demo the outbox is the admin's phone and inbox;
for support it is where a failed delivery says why. Both read each stored
message as a :class:`StoredMessage`. ``connect-kit outbox`` prints
what :func:`read_outbox` returns and runs no query of its own.

An admin's Connect address finds their SMS too: a text goes to a phone number,
so it is matched by the admin it was sent to, not by its recipient.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime

from sqlmodel import col, or_, select

from connect_widgets.core.services import ConnectServices
from connect_widgets.store.engine import new_session
from connect_widgets.store.models import AdminUser, Message

DEFAULT_SHOWN = 10  # messages, when the caller does not say how many


@dataclass(frozen=True)
class StoredMessage:
    """One message of the outbox, as support reads it."""

    created_at: datetime
    channel: str  # "sms" | "email"
    recipient: str = field(repr=False)  # a full phone number for SMS
    status: str  # "pending" | "sent" | "failed"
    transport: str  # the transport that had it: "outbox", "smtp", "webhook"
    subject: str | None
    body: str = field(repr=False)  # may hold a passcode: never logged
    error: str | None  # why the delivery failed, in one line

    @classmethod
    def of(cls, row: Message) -> StoredMessage:
        """The stored row as a plain value: its columns of the same names."""
        return cls(**{column.name: getattr(row, column.name) for column in fields(cls)})


def read_outbox(
    services: ConnectServices, *, to: str | None = None, last: int = DEFAULT_SHOWN, failed: bool = False
) -> list[StoredMessage]:
    """The newest ``last`` stored messages, newest first.

    Args:
        services: the kit's services (their database).
        to: only messages to this phone number or email address (as typed, or in
            lower case); an admin's Connect address also finds every message sent
            to that admin, such as their SMS.
        last: how many messages at most.
        failed: only the messages whose delivery failed.
    """
    with new_session(services.engine) as db:
        query = select(Message)
        if failed:
            query = query.where(Message.status == "failed")
        if to:
            wanted = to.strip()
            admin = db.exec(select(AdminUser).where(AdminUser.email == wanted.lower())).first()
            conditions = [Message.recipient == wanted, Message.recipient == wanted.lower()]
            if admin is not None:
                conditions.append(Message.user_id == admin.id)
            query = query.where(or_(*conditions))
        rows = db.exec(query.order_by(col(Message.created_at).desc(), col(Message.id).desc()).limit(last)).all()
    return [StoredMessage.of(row) for row in rows]
