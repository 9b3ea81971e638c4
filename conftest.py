"""Set-up for the whole pytest run, including the notebooks nbval executes."""

from __future__ import annotations

import os
import tempfile

# The real servers tests start (DNS zone, slapd), as fixtures every test folder can ask for.
pytest_plugins = ["tests.servers"]


def pytest_configure(config: object) -> None:
    # nbval's kernels inherit this environment: give them a throw-away data folder
    # rather than a data/var/ inside notebooks/.
    os.environ.setdefault("CONNECT_DATA_DIR", tempfile.mkdtemp(prefix="connect-notebooks-"))
