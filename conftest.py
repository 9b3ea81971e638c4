"""Set-up for the whole pytest run, including the notebooks nbval executes."""

from __future__ import annotations

import os
import tempfile

import pytest

# The real servers tests start (DNS zone, slapd), as fixtures every test folder can ask for.
pytest_plugins = ["tests.servers"]


def pytest_configure(config: pytest.Config) -> None:
    # nbval's kernels inherit this environment: give them a throw-away data folder, one
    # for each test process (xdist's workers inherit the controller's environment, and two
    # notebooks setting up one folder at once collided), never a developer's own folder.
    worker = getattr(config, "workerinput", {}).get("workerid", "main")
    os.environ["CONNECT_DATA_DIR"] = tempfile.mkdtemp(prefix=f"connect-notebooks-{worker}-")


# The order files start in under pytest-xdist (`make test` keeps each file whole in one
# process, `--dist loadfile --no-loadscope-reorder`): the longest first, so that none starts
# last while the other process sits idle.
_STARTS_FIRST = ("fresh_install", "browser", "integration", "slow")


def _start_rank(item: pytest.Item) -> int:
    return next((rank for rank, mark in enumerate(_STARTS_FIRST) if item.get_closest_marker(mark)), len(_STARTS_FIRST))


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Longest first."""
    items.sort(key=_start_rank)  # stable: pytest-randomly's order stays within each kind
