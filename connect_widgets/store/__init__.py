"""Persistence: engine, sessions, SQLModel tables and migrations."""

from connect_widgets.store.engine import make_engine, new_session
from connect_widgets.store.schema import upgrade_schema

__all__ = ["make_engine", "new_session", "upgrade_schema"]
