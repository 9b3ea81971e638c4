"""Sending SMS and email through a transport; every message is recorded.

A :class:`Courier` hands each message to the channel's transport and writes it,
with the outcome, to the ``messages`` table, so a failed delivery is visible and
nothing is lost. The ``outbox`` transport delivers nowhere else: the stored row is
the message, which the trainer's demo phone and ``connect-kit outbox`` read.

The real transports (``smtp`` for email, ``webhook`` for SMS, in
:mod:`.transports`) deliver to a server. For them the database keeps the whole of
each email but not the passcode of an SMS: once a code is on its way to the phone,
a stored copy would only be a second place to steal it from, so the stored SMS
text has its digits blanked out ("Your Connect passcode is ●●●●●●. ...").
:func:`build_courier` puts the transports the settings name together; the message
types both sides share live in :mod:`.message`.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel import Session

from connect_widgets.core.delivery.message import Channel, OutgoingMessage, Transport, blank_codes
from connect_widgets.core.delivery.transports import SmtpTransport, WebhookTransport
from connect_widgets.core.errors import DeliveryFailed
from connect_widgets.settings import Settings
from connect_widgets.store.models import Message

__all__ = ["Courier", "OutboxTransport", "build_courier"]

log = logging.getLogger(__name__)


class OutboxTransport:
    """Keeps messages in the database only (demos, training, tests)."""

    name = "outbox"
    keeps_sms_text = True  # the stored row is the demo phone's screen

    def deliver(self, message: OutgoingMessage) -> None:
        return None


class Courier:
    """Sends messages on the right transport and records each one."""

    def __init__(self, *, sms: Transport, email: Transport) -> None:
        self._transports = {Channel.SMS: sms, Channel.EMAIL: email}

    def transport(self, channel: Channel) -> Transport:
        """The transport that carries ``channel``'s messages."""
        return self._transports[channel]

    def send(self, db: Session, message: OutgoingMessage, *, now: datetime) -> Message:
        """Deliver ``message`` and record it; the row's ``status`` says how it went.

        Never raises for a failed delivery: the row is ``failed`` with the reason in
        ``error`` and callers tell the admin. The row is added to ``db`` after the
        transport has answered, so a caller that has written nothing yet holds no
        database lock while a slow server is waited for; it is committed (or rolled
        back) with the caller's unit of work either way.
        """
        transport = self._transports[message.channel]
        keep_text = message.channel is Channel.EMAIL or getattr(transport, "keeps_sms_text", False)
        row = Message(
            user_id=message.user_id,
            channel=message.channel.value,
            recipient=message.recipient,
            subject=message.subject,
            body=message.body if keep_text else blank_codes(message.body),
            transport=transport.name,
            status="pending",
            created_at=now,
        )
        reason: str | None = None
        try:
            transport.deliver(message)
        except (DeliveryFailed, OSError) as exc:
            reason = exc.message if isinstance(exc, DeliveryFailed) else type(exc).__name__
            row.status, row.error = "failed", reason[:500]
        else:
            row.status, row.sent_at = "sent", now
        db.add(row)
        db.flush()
        if reason is None:
            log.info("%s message %s sent by %s", row.channel, row.id, transport.name)
        else:
            log.warning("%s message %s failed on %s: %s", row.channel, row.id, transport.name, reason)
        return row


def build_courier(settings: Settings) -> Courier:
    """A courier on the transports the settings choose (``outbox``, ``smtp``, ``webhook``)."""
    outbox = OutboxTransport()
    sms: Transport = WebhookTransport.from_settings(settings) if settings.sms_transport == "webhook" else outbox
    email: Transport = SmtpTransport.from_settings(settings) if settings.email_transport == "smtp" else outbox
    return Courier(sms=sms, email=email)
