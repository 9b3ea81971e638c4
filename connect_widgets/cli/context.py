"""What every command stands on: the settings, the kit's services on an initialised database.

Commands call the same core services the screens use and run no query of their
own. A problem the operator can fix (a missing driver, a data folder that cannot
be made, a database not initialised) is a :class:`CommandError`: one ``error:``
line and exit status 1, said by :func:`connect_widgets.cli.main`.
"""

from __future__ import annotations

from connect_widgets.core.services import ConnectServices, build_services
from connect_widgets.settings import Settings, load_settings
from connect_widgets.store.engine import make_engine
from connect_widgets.store.schema import current_revision, head_revision


class CommandError(Exception):
    """A problem to report in one line (exit status 1)."""


def kit_settings() -> Settings:
    """The settings of the environment (``CONNECT_*``), read afresh for each command."""
    return load_settings()


def kit_services(settings: Settings | None = None, *, initialised: bool = True) -> ConnectServices:
    """The kit's services, with a missing driver or an unusable data folder said in one line.

    Args:
        settings: the settings to use (by default those of the environment).
        initialised: refuse a database that is not at this version's schema, saying
            to run ``connect-kit init`` (only ``init`` itself passes False).

    Raises:
        CommandError: the database cannot be opened, or is not initialised.
    """
    settings = settings or kit_settings()
    try:
        engine = make_engine(settings)
    except ImportError as exc:
        raise CommandError(
            f"no database driver for {settings.database_driver} "
            f"(missing module {exc.name}); for PostgreSQL: pip install 'connect-widgets[postgres]'"
        ) from None
    except OSError as exc:
        raise CommandError(f"cannot create the data folder {settings.data_dir}: {exc.strerror or exc}") from None
    if initialised and current_revision(engine) != head_revision():
        raise CommandError(
            f"the database at {settings.database_location} is not initialised or is out of date; run: connect-kit init"
        )
    return build_services(settings, engine=engine)
