"""Time, behind a tiny interface so that tests and demos can freeze it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Anything that tells the current time as an aware UTC datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FrozenClock:
    """A clock that moves only when told to (tests, trainer demos)."""

    def __init__(self, start: datetime | None = None) -> None:
        start = start or datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
        if start.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta | None = None, /, **kwargs: float) -> datetime:
        """Move forward by ``delta`` or by ``timedelta(**kwargs)``; returns the new time."""
        self._now += delta if delta is not None else timedelta(**kwargs)
        return self._now


def spoken(duration: timedelta) -> str:
    """A duration as people read it: "30 seconds", "5 minutes", "1 hour", "2 hours 30 minutes".

    Pages build their sentences from the constants that enforce a rule, through this, so the
    words never drift from the rule ("Resend in 30 seconds" is ``spoken(RESEND_AFTER)``).
    """
    total = int(duration.total_seconds())
    if total < 60:
        return _plural(total, "second")
    hours, rest = divmod(total // 60, 60)
    days, hours = divmod(hours, 24)
    parts = [_plural(n, unit) for n, unit in ((days, "day"), (hours, "hour"), (rest, "minute")) if n]
    return " ".join(parts)


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}{'' if count == 1 else 's'}"
