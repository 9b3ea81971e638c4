"""Wrong passwords in a row, and the lock they lead to, counted by the database.

One mechanism for every password Connect checks itself or through the directory:
the admins' Cloud and Domain passwords and the current password on the change
form (:mod:`.login`), and the staff login (:mod:`.staff`). Several Voila kernels
may check passwords for the same person at the same instant, so nothing here reads
a count into Python and writes it back. Each rule is one conditional statement:

1. **Reserve** (:meth:`Lockout.reserve`) before the password is checked: one
   ``UPDATE … SET failed_logins = failed_logins + 1 WHERE id = :id AND not locked
   AND failed_logins < 5 RETURNING failed_logins``. No row back means locked (or
   five tries already in flight): the caller refuses without checking, spending
   the same time as a check.
2. **Check** the password (argon2, or an LDAP bind) outside any transaction.
3. **Settle**: a right password clears the count (:meth:`Lockout.accept`, refused
   if a lock landed meanwhile); a wrong one stays counted, and the caller holding
   the 5th reservation locks (:meth:`Lockout.lock_if_due`): ``… WHERE id = :id AND
   failed_logins >= 5``, which also zeroes the count, so each lock and its doubling
   happen exactly once. A refused caller tries the same lock: if the kernel holding
   the 5th reservation died before settling, the account locks instead of staying
   refused for ever.

A check that could not be made (the directory did not answer) gives its
reservation back (:meth:`Lockout.release`).

Admins' locks double (15 minutes, 30, 60 … at most 24 hours, see
:func:`lock_duration`); a correct password starts them again at 15 minutes.
Staff locks are always 15 minutes. The statements are plain SQL (``CASE`` and
``RETURNING``): the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, literal, or_, update
from sqlmodel import Session, col

from connect_widgets.core.auth.limits import FIRST_LOCK as FIRST_LOCK  # the rules' numbers, read from here too
from connect_widgets.core.auth.limits import LONGEST_LOCK
from connect_widgets.core.auth.limits import MAX_FAILED_LOGINS as MAX_FAILED_LOGINS
from connect_widgets.core.auth.passwords import MAX_LENGTH, PasswordHasher
from connect_widgets.store.models import AdminUser, StaffMember
from connect_widgets.store.types import UTCDateTime

_DOUBLINGS = 8  # 15 minutes * 2**7 is 32 hours: past the longest lock


def lock_duration(lock_count: int) -> timedelta:
    """15 minutes for the first lock, doubling for each repeat, at most 24 hours."""
    exponent = min(max(lock_count, 1) - 1, 16)
    return min(FIRST_LOCK * (1 << exponent), LONGEST_LOCK)


@dataclass(frozen=True)
class Lock:
    """A lock just set: how long it lasts and which lock in a row it is (1 for staff)."""

    until: datetime
    duration: timedelta
    number: int

    @property
    def minutes(self) -> int:
        return int(self.duration.total_seconds() // 60)


def _when(value: datetime) -> Any:
    return literal(value, type_=UTCDateTime())


class Lockout:
    """The failure count and lock of one table's rows (:class:`AdminUser` or :class:`StaffMember`).

    Args:
        table: the mapped class with ``id``, ``failed_logins`` and ``locked_until``.
        doubles: whether repeated locks double (needs a ``lock_count`` column).
    """

    def __init__(self, table: type[AdminUser | StaffMember], *, doubles: bool) -> None:
        self._table = table
        self._doubles = doubles

    def __repr__(self) -> str:
        return f"Lockout({self._table.__name__}, doubles={self._doubles})"

    def _row(self, row_id: int) -> Any:
        return col(self._table.id) == row_id

    def _unlocked(self, now: datetime) -> Any:
        locked_until = col(self._table.locked_until)
        return or_(locked_until.is_(None), locked_until <= now)

    def _update(self) -> Any:
        return update(self._table).execution_options(synchronize_session=False)

    def reserve(self, db: Session, row_id: int, *, now: datetime) -> int | None:
        """Count one try before checking it; its place in the run of failures (1 to 5).

        Returns:
            The try's number, or ``None`` when the row is locked, gone, or already has
            five tries counted: refuse without checking.
        """
        failed = col(self._table.failed_logins)
        row = db.exec(
            self._update()
            .where(self._row(row_id), self._unlocked(now), failed < MAX_FAILED_LOGINS)
            .values(failed_logins=failed + 1)
            .returning(failed)
        ).first()
        return None if row is None else int(row[0])

    def release(self, db: Session, row_id: int) -> None:
        """Give a reservation back: the password could not be checked (directory down)."""
        failed = col(self._table.failed_logins)
        db.exec(self._update().where(self._row(row_id), failed > 0).values(failed_logins=failed - 1))

    def accept(self, db: Session, row_id: int, *, now: datetime) -> bool:
        """A right password: clear the count (and the doubling), unless a lock landed meanwhile.

        Returns:
            False when the row is locked (or gone): refuse as for a wrong password.
        """
        values: dict[str, Any] = {"failed_logins": 0, "locked_until": None}
        if self._doubles:
            values["lock_count"] = 0
        row = db.exec(
            self._update().where(self._row(row_id), self._unlocked(now)).values(**values).returning(col(self._table.id))
        ).first()
        return row is not None

    def lock_if_due(self, db: Session, row_id: int, *, now: datetime) -> Lock | None:
        """Lock the row if five failures are counted; only one caller gets the lock back.

        Returns:
            The lock when this call set it; ``None`` when none was due or another
            kernel set it first.
        """
        table = self._table
        values: dict[str, Any] = {"failed_logins": 0}
        returned: Any  # which lock in a row this one is (a column, or 1 for staff)
        if self._doubles:
            lock_count = col(table.lock_count)  # type: ignore[union-attr]
            # The duration follows the row's own lock count, in the same statement.
            values["locked_until"] = case(
                {count: _when(now + lock_duration(count + 1)) for count in range(_DOUBLINGS)},
                value=lock_count,
                else_=_when(now + LONGEST_LOCK),
            )
            values["lock_count"] = lock_count + 1
            returned = lock_count
        else:
            values["locked_until"] = _when(now + FIRST_LOCK)
            returned = literal(1)
        row = db.exec(
            self._update()
            .where(self._row(row_id), col(table.failed_logins) >= MAX_FAILED_LOGINS)
            .values(**values)
            .returning(col(table.locked_until), returned)
        ).first()
        if row is None:
            return None
        until, number = row[0], int(row[1])
        return Lock(until=until, duration=until - now, number=number)


def check_reserved(
    hasher: PasswordHasher, attempt: int | None, password_hash: str, password: str
) -> tuple[bool, str | None]:
    """Step 2: check a password whose try :meth:`Lockout.reserve` counted, outside any transaction.

    Every case costs one argon2 verification: a try refused unchecked (``attempt`` is
    ``None``: unknown, locked) and a paste too long to ever match burn the same time.

    Returns:
        Whether it is right, and a new hash when it is right and the hasher's costs
        changed since ``password_hash`` was made (``None`` otherwise).
    """
    if attempt is not None and len(password) <= MAX_LENGTH:
        correct = hasher.verify(password_hash, password)
    else:
        hasher.burn_time(password[:MAX_LENGTH])
        correct = False
    rehashed = hasher.hash(password) if correct and hasher.needs_rehash(password_hash) else None
    return correct, rehashed


ADMIN_LOCKOUT = Lockout(AdminUser, doubles=True)
STAFF_LOCKOUT = Lockout(StaffMember, doubles=False)
