"""The collaborators every flow needs, built once from settings and passed around."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DatabaseError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import configure_mappers
from sqlmodel import Session

from connect_widgets.core.adapters.directory import DirectoryGateway
from connect_widgets.core.adapters.secretbox import SecretBox
from connect_widgets.core.auth.passwords import PasswordHasher
from connect_widgets.core.clock import Clock, SystemClock
from connect_widgets.core.delivery.courier import Courier, build_courier
from connect_widgets.core.errors import ConnectError, StorageUnavailable
from connect_widgets.core.tasks.catalogue import TaskCatalogue, load_catalogue
from connect_widgets.settings import Settings
from connect_widgets.store.engine import IMMEDIATE, make_engine, new_session

log = logging.getLogger(__name__)


def is_storage_failure(exc: BaseException) -> bool:
    """Whether ``exc`` says the database cannot be used now, rather than that the code is wrong.

    Disk full, read-only files, "database is locked" past the busy timeout, a lost
    or refused connection (``OperationalError``, ``InterfaceError``), a pool that
    gave no connection in time, and a damaged SQLite file (a plain ``DatabaseError``).
    Never an ``IntegrityError`` (callers catch those: a unique rule said no) nor a
    ``ProgrammingError`` (a bug, which must not read as "try again in a minute").
    """
    if isinstance(exc, OperationalError | InterfaceError | PoolTimeout):
        return True
    return type(exc) is DatabaseError


def _unavailable(failed: BaseException, when: str) -> StorageUnavailable:
    """The domain error for a storage failure; the cause goes to the server's log only."""
    log.error("the database could not be used (on %s)", when, exc_info=failed)
    return StorageUnavailable()


def _first_line(exc: BaseException) -> str:
    """``Type: first line`` of an exception (SQLAlchemy puts the SQL on the lines after it)."""
    lines = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"


@dataclass
class ConnectServices:
    """Settings, database, clock, hasher, courier and task catalogue, together (and the directories)."""

    settings: Settings
    engine: Engine = field(repr=False)
    clock: Clock
    hasher: PasswordHasher
    courier: Courier = field(repr=False)
    catalogue: TaskCatalogue = field(repr=False)

    @cached_property
    def secret_box(self) -> SecretBox:
        """The kit's key (phones' OTP secrets, directory bind passwords), read once per kernel."""
        return SecretBox.from_settings(self.settings)

    @cached_property
    def directory(self) -> DirectoryGateway:
        """The accounts' directories, as the login checks a domain password against them.

        Built once per kernel, on first use, with the settings' LDAP timeout (as the key
        is, above); the key itself is read only when a saved connection is.
        """
        return DirectoryGateway(box=lambda: self.secret_box, timeout=self.settings.ldap_timeout_seconds)

    def warm_up(self) -> None:
        """Do the one-off work of a kernel's first database step now, while nobody waits for it.

        The ORM configures its mappers at the first query (tens of milliseconds) and
        the pool opens its first connection: a page calls this once its first screen
        is drawn, so the admin's first Next does not pay for them. A database that
        cannot be reached is left for the first real step to report in words.
        """
        configure_mappers()
        try:
            with self.engine.connect():
                pass
        except Exception as failed:  # noqa: BLE001 - the first real step reports it
            log.info("could not open the database ahead of the first step: %s", _first_line(failed))

    @contextmanager
    def transaction(self, *, immediate: bool = True) -> Iterator[Session]:
        """One unit of work.

        ``immediate`` (the default): take the database's write lock at the start
        (SQLite's ``BEGIN IMMEDIATE``; nothing on PostgreSQL). Almost every unit
        writes something, if only an audit row, after reading: a unit that began as a
        reader cannot become a writer once another kernel has written meanwhile —
        SQLite then answers "database is locked" at once, without waiting, and the
        admin would read "Connect cannot save right now" (a classroom of 20 pressing
        Next together saw it, ``benchmarks/classroom.py``). Holding the lock from the
        start, kernels take turns instead (waiting up to the busy timeout). Keep units
        short: no hashing and no network inside. ``immediate=False`` only for a unit
        that reads and never writes.

        Commits on success and also when a :class:`ConnectError` escapes, because
        refusals carry bookkeeping that must stick (a wrong try, a failure count,
        an audit row). Anything else rolls back.

        Raises:
            StorageUnavailable: the database could not be opened, read or written
                (see :func:`is_storage_failure`), on begin, inside the block or on
                commit, also when the block raised a refusal whose bookkeeping then
                could not be committed. Nothing of the unit was saved; the cause is
                logged, and the error carries none of it (no SQL, no path).
        """
        db = new_session(self.engine)
        try:
            if immediate:
                try:
                    db.connection(execution_options=IMMEDIATE)
                except Exception as failed:
                    if isinstance(failed, OSError) or is_storage_failure(failed):
                        raise _unavailable(failed, "begin") from failed
                    raise
            try:
                yield db
            except ConnectError:
                self._commit(db)
                raise
            except BaseException as failed:
                self._rollback(db)
                if is_storage_failure(failed):
                    raise _unavailable(failed, "statement") from failed
                raise
            else:
                self._commit(db)
        finally:
            try:
                db.close()
            except Exception as failed:  # noqa: BLE001 - the unit's outcome is already decided
                log.warning("could not close a database session: %s", _first_line(failed))

    @staticmethod
    def _commit(db: Session) -> None:
        try:
            db.commit()
        except Exception as failed:
            if isinstance(failed, OSError) or is_storage_failure(failed):
                ConnectServices._rollback(db)
                raise _unavailable(failed, "commit") from failed
            raise

    @staticmethod
    def _rollback(db: Session) -> None:
        """Roll back; a database that cannot even do that has already lost the unit's changes."""
        try:
            db.rollback()
        except Exception as failed:  # noqa: BLE001 - the original failure is the one to report
            log.warning("could not roll back a database session: %s", _first_line(failed))


def build_services(
    settings: Settings,
    *,
    clock: Clock | None = None,
    engine: Engine | None = None,
    courier: Courier | None = None,
) -> ConnectServices:
    """Wire the real implementations, or the ones given (tests freeze the clock)."""
    return ConnectServices(
        settings=settings,
        engine=engine or make_engine(settings),
        clock=clock or SystemClock(),
        hasher=PasswordHasher.from_settings(settings),
        courier=courier or build_courier(settings),
        catalogue=load_catalogue(),
    )
