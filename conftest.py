"""Set-up for the whole pytest run, including the notebooks nbval executes."""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

# The real servers tests start (DNS zone, slapd), as fixtures every test folder can ask for.
pytest_plugins = ["tests.servers"]


def pytest_configure(config: object) -> None:
    # nbval's kernels inherit this environment: give them a throw-away data folder
    # rather than a data/var/ inside notebooks/.
    os.environ.setdefault("CONNECT_DATA_DIR", tempfile.mkdtemp(prefix="connect-notebooks-"))


def pytest_sessionstart(session: pytest.Session) -> None:
    """Empty the screenshots folder once a run: in the one process, or in xdist's controller only
    (a worker emptying it would delete what the other workers already saved)."""
    from tests.browser.conftest import ARTIFACTS  # here, after pytest_plugins: its imports get assert rewriting

    if not hasattr(session.config, "workerinput"):
        shutil.rmtree(ARTIFACTS, ignore_errors=True)
