"""The collaborators every flow needs, built once from settings and passed around."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from sqlmodel import Session

from connect_widgets.core.clock import Clock, SystemClock
from connect_widgets.core.delivery import Courier
from connect_widgets.core.errors import ConnectError
from connect_widgets.core.passwords import PasswordHasher
from connect_widgets.core.tasks import TaskCatalogue, load_catalogue
from connect_widgets.settings import Settings
from connect_widgets.store.engine import make_engine, new_session


@dataclass
class ConnectServices:
    """Settings, database, clock, hasher, courier and task catalogue, together."""

    settings: Settings
    engine: Engine = field(repr=False)
    clock: Clock
    hasher: PasswordHasher
    courier: Courier = field(repr=False)
    catalogue: TaskCatalogue = field(repr=False)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work.

        Commits on success and also when a :class:`ConnectError` escapes, because
        refusals carry bookkeeping that must stick (a wrong try, a failure count,
        an audit row). Anything else rolls back.
        """
        db = new_session(self.engine)
        try:
            yield db
        except ConnectError:
            db.commit()
            raise
        except BaseException:
            db.rollback()
            raise
        else:
            db.commit()
        finally:
            db.close()


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
        courier=courier or Courier.from_settings(settings),
        catalogue=load_catalogue(),
    )
