"""Engine and session factories.

SQLite is the embedded default (WAL, foreign keys on, a busy timeout so two Voila
kernels writing at once wait instead of failing). Everything SQLite-specific lives
here; the rest of the code speaks plain SQLAlchemy, so PostgreSQL works through
``CONNECT_DATABASE_URL``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, create_engine

from connect_widgets.settings import Settings

SQLITE_BUSY_TIMEOUT_MS = 5_000


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def make_engine(settings: Settings) -> Engine:
    """Create the engine for ``settings.sqlalchemy_url``, creating the SQLite folder."""
    url = make_url(settings.sqlalchemy_url)
    # hide_parameters: SQL errors and SQL logging would otherwise print bound values,
    # which include message bodies (passcodes), phone numbers and password hashes.
    kwargs: dict[str, Any] = {"pool_pre_ping": True, "hide_parameters": True}
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
    engine = create_engine(url, **kwargs)
    if url.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _on_sqlite_connect)
    return engine


def new_session(engine: Engine) -> Session:
    """A session whose objects stay readable after commit (the screens show them)."""
    return Session(engine, expire_on_commit=False)
