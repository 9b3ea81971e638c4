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


# How `make test` shares the tests between its processes (pytest-xdist, --dist loadgroup):
# the browser tests run one after another in one process, against one served Connect, as a
# person's browser would (two served Connects and two Chromiums at once on 2 cores made pages
# miss their timeouts); every other test goes wherever a process is free. The longest start
# first, so that none starts last while the other process sits idle: the fresh install (on its
# own: it serves from a venv of its own), the browser group, the integration tests, the races.
_STARTS_FIRST = ("fresh_install", "browser", "integration", "slow")


def _start_rank(item: pytest.Item) -> int:
    return next((rank for rank, mark in enumerate(_STARTS_FIRST) if item.get_closest_marker(mark)), len(_STARTS_FIRST))


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Longest first (the groups are marked by tests/conftest.py)."""
    items.sort(key=_start_rank)  # stable: pytest-randomly's order stays within each kind
