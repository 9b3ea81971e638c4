"""Engine and session factories.

SQLite is the embedded default (WAL, foreign keys on, a busy timeout so two Voila
kernels writing at once wait instead of failing). Everything SQLite-specific lives
here; the rest of the code speaks plain SQLAlchemy, so PostgreSQL works through
``CONNECT_DATABASE_URL``.

Transactions: pysqlite's own transaction handling is switched off and SQLAlchemy's
``begin`` emits the ``BEGIN`` itself (the recipe of SQLAlchemy's SQLite dialect
documentation). A unit of work that writes opens with ``BEGIN IMMEDIATE``
(:data:`IMMEDIATE`; ``services.transaction()``'s default), so it holds SQLite's write
lock from its first statement: a read followed by a write can then never fail with
"database is locked" because another kernel wrote in between, and kernels take turns
(waiting up to the busy timeout). On PostgreSQL the option does nothing; the conditional
``UPDATE … WHERE … RETURNING`` statements of the core are atomic there by themselves.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import CursorResult, Engine, make_url
from sqlalchemy.exc import DBAPIError as DBAPIError  # re-exported for the CLI, which imports no SQLAlchemy
from sqlmodel import Session, create_engine

from connect_widgets.paths import private_file, private_folder
from connect_widgets.settings import Settings

SQLITE_BUSY_TIMEOUT_MS = 5_000

#: Execution option for :meth:`Session.connection`: open the transaction with the write lock.
IMMEDIATE = {"connect_immediate": True}


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # SQLAlchemy's begin event emits BEGIN
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def _on_sqlite_begin(connection: Any) -> None:
    immediate = connection.get_execution_options().get("connect_immediate", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _private_database_file(path: Path, *, data_dir: Path) -> None:
    """Create the SQLite file owner-only (0600) before SQLite opens it, in a 0700 data folder.

    SQLite gives its ``-wal`` and ``-shm`` files the main file's mode. Only the
    kit's data folder is made private, never another folder the file may sit in.
    """
    folder = path.expanduser().resolve().parent
    if folder == data_dir:
        private_folder(folder)
    else:
        folder.mkdir(parents=True, exist_ok=True)
    private_file(folder / path.name)
    for journal in (folder / f"{path.name}-wal", folder / f"{path.name}-shm"):
        if journal.exists():  # left by an earlier version of the kit, perhaps 0644
            private_file(journal)


def make_engine(settings: Settings) -> Engine:
    """Create the engine for ``settings.sqlalchemy_url``, creating the SQLite folder and file owner-only."""
    url = make_url(settings.sqlalchemy_url)
    # hide_parameters: SQL errors and SQL logging would otherwise print bound values,
    # which include message bodies (passcodes), phone numbers and password hashes.
    kwargs: dict[str, Any] = {"pool_pre_ping": True, "hide_parameters": True}
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            _private_database_file(Path(url.database), data_dir=settings.data_dir)
        kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
    engine = create_engine(url, **kwargs)
    if url.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _on_sqlite_connect)
        event.listen(engine, "begin", _on_sqlite_begin)
    return engine


def new_session(engine: Engine) -> Session:
    """A session whose objects stay readable after commit (the screens show them)."""
    return Session(engine, expire_on_commit=False)


def rows_matched(result: object) -> int:
    """How many rows an ``UPDATE`` or ``DELETE`` matched.

    ``Session.execute`` is typed as returning rows; for these statements it returns
    a cursor result, whose ``rowcount`` says whether a conditional write won.
    """
    assert isinstance(result, CursorResult)
    return result.rowcount
