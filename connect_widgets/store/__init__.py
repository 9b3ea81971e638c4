"""Persistence: engine, sessions, SQLModel tables and migrations.

The migrations (:mod:`.schema`, on Alembic) are not imported here: a kernel opens the
database but never migrates it, and Alembic (with Mako and Pygments) would cost each
kernel about 100 ms and 10 MiB. ``connect-kit init`` and the server's start-up check
import :mod:`connect_widgets.store.schema` themselves.
"""

from connect_widgets.store.engine import make_engine, new_session

__all__ = ["make_engine", "new_session"]
