"""Sending SMS and email through a transport; every message is recorded.

A :class:`Courier` writes each message to the ``messages`` table, hands it to the
channel's transport and records the outcome, so a failed delivery is visible and
nothing is lost. The ``outbox`` transport delivers nowhere else: the stored row is
the message, which the trainer's demo phone and ``connect-kit outbox`` read.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from sqlmodel import Session

from connect_widgets.core.errors import DeliveryFailed
from connect_widgets.settings import Settings
from connect_widgets.store.models import Message

log = logging.getLogger(__name__)


class Channel(StrEnum):
    SMS = "sms"
    EMAIL = "email"


@dataclass(frozen=True)
class OutgoingMessage:
    channel: Channel
    recipient: str
    body: str = field(repr=False)
    subject: str | None = None
    user_id: int | None = None


class Transport(Protocol):
    """Delivers one message or raises :class:`DeliveryFailed` saying why."""

    name: str

    def deliver(self, message: OutgoingMessage) -> None: ...


class OutboxTransport:
    """Keeps messages in the database only (demos, training, tests)."""

    name = "outbox"

    def deliver(self, message: OutgoingMessage) -> None:
        return None


class Courier:
    """Sends messages on the right transport and records each one."""

    def __init__(self, *, sms: Transport, email: Transport) -> None:
        self._transports = {Channel.SMS: sms, Channel.EMAIL: email}

    @classmethod
    def from_settings(cls, settings: Settings) -> Courier:
        transports: dict[str, Transport] = {"outbox": OutboxTransport()}
        return cls(sms=transports[settings.sms_transport], email=transports[settings.email_transport])

    def send(self, db: Session, message: OutgoingMessage, *, now: datetime) -> Message:
        """Record and deliver ``message``; the row's ``status`` says how it went."""
        transport = self._transports[message.channel]
        row = Message(
            user_id=message.user_id,
            channel=message.channel.value,
            recipient=message.recipient,
            subject=message.subject,
            body=message.body,
            transport=transport.name,
            status="pending",
            created_at=now,
        )
        db.add(row)
        db.flush()
        try:
            transport.deliver(message)
        except (DeliveryFailed, OSError) as exc:
            reason = exc.message if isinstance(exc, DeliveryFailed) else type(exc).__name__
            row.status, row.error = "failed", reason[:500]
            log.warning("%s message %s failed on %s: %s", row.channel, row.id, transport.name, reason)
        else:
            row.status, row.sent_at = "sent", now
            log.info("%s message %s sent by %s", row.channel, row.id, transport.name)
        db.add(row)
        return row
