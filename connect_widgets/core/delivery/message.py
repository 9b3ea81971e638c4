"""What the courier carries: a message, its channel, and the shape of a transport.

Both the :class:`~.courier.Courier` (which records every message) and the real
transports (:mod:`.transports`) build on these, so neither imports the other's
module for them; the courier alone picks the transports (:func:`.courier.build_courier`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol


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


_CODE_RE = re.compile(r"\d{4,}")  # a passcode (6 digits), never the "5 minutes" around it


def blank_codes(text: str) -> str:
    """``text`` with every run of 4 or more digits replaced by as many ● (what a real transport stores)."""
    return _CODE_RE.sub(lambda match: "●" * len(match.group()), text)


class Transport(Protocol):
    """Delivers one message or raises :class:`~connect_widgets.core.errors.DeliveryFailed` saying why.

    A transport whose stored row *is* the delivery (the outbox) sets
    ``keeps_sms_text = True``; for any other, the stored SMS has its codes blanked.
    """

    name: str

    def deliver(self, message: OutgoingMessage) -> None: ...
