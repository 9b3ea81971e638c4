"""``python -m connect_widgets.cli``: the same commands as ``connect-kit``."""

from connect_widgets.cli import main

main()
