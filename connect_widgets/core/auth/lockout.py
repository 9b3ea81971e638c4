"""Wrong passwords in a row, and the lock they lead to, counted by the database.

One checker for every password Connect checks itself or through the directory:
the admins' Cloud and Domain passwords and the current password on the change
form (:mod:`.flow`), and the staff login (:mod:`connect_widgets.core.staff.members`).
Several Voila kernels may check passwords for the same person at the same instant,
so nothing here reads a count into Python and writes it back. A try goes in three
steps, each one conditional statement or none:

1. **Reserve** (:func:`try_password`, in a unit of work of its own that holds the
   write lock): the caller's ``read`` says who is trying (a :class:`Candidate`), and
   :meth:`Lockout.reserve` counts the try before the password is checked: one
   ``UPDATE … SET failed_logins = failed_logins + 1 WHERE id = :id AND not locked
   AND failed_logins < 5 RETURNING failed_logins``. No row back means locked (or
   five tries already in flight): the try is refused without checking.
2. **Check** the password outside any transaction: argon2 against the hash step 1
   read, or the directory's LDAP bind (the ``check`` hook, after the same argon2
   cost). Every try costs one argon2 verification, also an unknown name's, a
   locked one's and a paste too long to ever match, so the time tells nothing. A
   right password whose hash was made with older costs gets a new hash here.
3. **Settle** (:meth:`Lockout.settle`, in the caller's second unit of work, on the
   row read again by :meth:`Lockout.reread`): a right password clears the count
   (:meth:`Lockout.accept`, refused if a lock landed meanwhile) and stores the new
   hash; a wrong one stays counted, and the caller holding the 5th reservation locks
   (:meth:`Lockout.lock_if_due`): ``… WHERE id = :id AND failed_logins >= 5``, which
   also zeroes the count, so each lock and its doubling happen exactly once. A try
   refused unchecked tries the same lock: if the kernel holding the 5th reservation
   died before settling, the account locks instead of staying refused for ever.
   The :class:`Settlement` says what happened; the caller audits it in its own words.

A check that could not be made (the directory did not answer) gives its
reservation back (:meth:`Lockout.release`).

Admins' locks double (15 minutes, 30, 60 … at most 24 hours, see
:func:`lock_duration`); a correct password starts them again at 15 minutes.
Staff locks are always 15 minutes. The statements are plain SQL (``CASE`` and
``RETURNING``): the same on SQLite and PostgreSQL. The numbers live in
:mod:`.limits`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import case, literal, or_, update
from sqlmodel import Session, col

from connect_widgets.core.auth.limits import FIRST_LOCK, LONGEST_LOCK, MAX_FAILED_LOGINS
from connect_widgets.core.auth.passwords import MAX_LENGTH, PasswordHasher
from connect_widgets.core.services import ConnectServices
from connect_widgets.store.models import AdminUser, StaffMember
from connect_widgets.store.types import UTCDateTime

_DOUBLINGS = 8  # 15 minutes * 2**7 is 32 hours: past the longest lock

Row = TypeVar("Row", bound=AdminUser | StaffMember)
"""A table whose rows log in with a password: admins or staff members."""


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


@dataclass(frozen=True)
class Candidate:
    """Who is trying (step 1): the row whose try counts, and the hash to check against.

    ``row_id`` is ``None`` for nobody (an unknown name, or someone whose try may not
    count): the try is refused unchecked, at the cost of a check. The hash is empty
    when nobody is trying or the directory checks the password.
    """

    row_id: int | None
    password_hash: str = field(default="", repr=False)

    @classmethod
    def of(cls, row: AdminUser | StaffMember | None) -> Candidate:
        """The candidate for a row read by name (``None``: nobody by that name)."""
        return cls(None) if row is None else cls(row.id, row.password_hash)


AnyCandidate = TypeVar("AnyCandidate", bound=Candidate)


@dataclass(frozen=True)
class PasswordTry(Generic[AnyCandidate]):
    """Steps 1 and 2 done: who tried, the try's number, and what the check said.

    Attributes:
        candidate: what ``read`` returned in step 1.
        attempt: the try's place in the run of failures (1 to 5), or ``None`` when
            it was refused unchecked (nobody, locked, five tries already counted).
        correct: whether the password is right (never, when refused unchecked).
        rehashed: a new hash of a right password whose hash has outdated costs.
    """

    candidate: AnyCandidate
    attempt: int | None
    correct: bool
    rehashed: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Settlement:
    """Step 3 done: whether the try got in, and if not, how it counted.

    Attributes:
        accepted: a right password, and no lock landed meanwhile: the count is clear.
        counted: a refused try's place in the run of failures, or ``None`` when it
            was refused unchecked (the account is locked).
        lock: the lock this refusal set (the 5th in a row, or a refused try that
            found five failures counted and no lock).
    """

    accepted: bool
    counted: int | None = None
    lock: Lock | None = None

    def refusal(self, how: str, *, locked: str = "account locked") -> str:
        """The audit's words for a refused try: ``"<how> (3 in a row)"``, or ``locked`` when unchecked."""
        return locked if self.counted is None else f"{how} ({self.counted} in a row)"


def _when(value: datetime) -> Any:
    return literal(value, type_=UTCDateTime())


class Lockout(Generic[Row]):
    """The failure count and lock of one table's rows (:class:`AdminUser` or :class:`StaffMember`).

    Args:
        table: the mapped class with ``id``, ``password_hash``, ``failed_logins`` and ``locked_until``.
        doubles: whether repeated locks double (needs a ``lock_count`` column).
    """

    def __init__(self, table: type[Row], *, doubles: bool) -> None:
        self._table: type[Row] = table
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
            lock_count = col(table.lock_count)  # type: ignore[attr-defined]  # only AdminUser doubles
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

    def reread(self, db: Session, tried: PasswordTry[Any]) -> Row | None:
        """Step 3 begins: the row that tried, read again in the second unit of work.

        Returns:
            ``None`` when nobody tried (an unknown name) or the row was removed meanwhile.
        """
        row_id = tried.candidate.row_id
        return db.get(self._table, row_id) if row_id is not None else None

    def settle(self, db: Session, row: Row, tried: PasswordTry[Any], *, now: datetime) -> Settlement:
        """Step 3: accept a right password (and store its new hash), or count the refusal.

        Args:
            row: the row that tried, from :meth:`reread` in this unit of work.
            tried: what :func:`try_password` found.

        Returns:
            Whether the try got in; for a refusal, its place in the run and the lock
            it set. The caller audits it (in its own words) and refuses.
        """
        row_id = row.id
        assert row_id is not None, "a row that tried is stored"
        if tried.correct and self.accept(db, row_id, now=now):
            if tried.rehashed is not None:  # the costs changed since this hash was made
                row.password_hash = tried.rehashed
                db.add(row)
            return Settlement(accepted=True)
        counted = None if tried.correct else tried.attempt  # right but locked meanwhile: as if unchecked
        if counted is not None and counted < MAX_FAILED_LOGINS:
            return Settlement(accepted=False, counted=counted)
        return Settlement(accepted=False, counted=counted, lock=self.lock_if_due(db, row_id, now=now))


def try_password(
    services: ConnectServices,
    lockout: Lockout[Any],
    read: Callable[[Session], AnyCandidate],
    password: str,
    *,
    now: datetime,
    check: Callable[[AnyCandidate, int | None], bool] | None = None,
) -> PasswordTry[AnyCandidate]:
    """Steps 1 and 2 of a try: count it in a unit of work of its own, then check it with none held.

    Args:
        services: the kit's services (their transactions and hasher).
        lockout: the table's lockout (:data:`ADMIN_LOCKOUT` or :data:`STAFF_LOCKOUT`).
        read: who is trying, read in the first unit of work (it holds the write
            lock: keep it short). Usually ``Candidate.of(row)``; it may raise a
            refusal, whose bookkeeping is committed.
        password: the password as typed (normalised).
        now: the time of the try, also for step 3.
        check: for a password another system checks (the directory): whether it is
            right, given the candidate and the try's number (``None``: refused
            unchecked, so do the same work for nothing). It runs after an argon2
            verification's worth of time, so that every try costs one. Without it,
            the password is checked against ``candidate.password_hash``.

    Returns:
        The try, for :meth:`Lockout.reread` and :meth:`Lockout.settle` in the caller's
        second unit of work.
    """
    with services.transaction(immediate=True) as db:
        candidate = read(db)
        row_id = candidate.row_id
        attempt = lockout.reserve(db, row_id, now=now) if row_id is not None else None
    # No transaction is held over argon2 or the network.
    if check is None:
        correct, rehashed = _check_hash(services.hasher, attempt, candidate.password_hash, password)
    else:
        services.hasher.burn_time(password[:MAX_LENGTH])
        correct, rehashed = check(candidate, attempt), None
    return PasswordTry(candidate, attempt, correct, rehashed)


def _check_hash(
    hasher: PasswordHasher, attempt: int | None, password_hash: str, password: str
) -> tuple[bool, str | None]:
    """Step 2 against a stored hash: one argon2 verification whatever the case.

    A try refused unchecked (``attempt`` is ``None``: unknown, locked) and a paste
    too long to ever match burn the same time.

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
