"""``connect-kit``: the command line, split by audience."""

from connect_widgets.cli.commands import main

__all__ = ["main"]
