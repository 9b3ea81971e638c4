"""Fixtures of the CLI tests: ``connect-kit`` in-process on a fresh data folder per test."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.cli.kit import Kit


@pytest.fixture
def never_initialised(tmp_path: Path) -> Path:
    """A data folder that does not exist yet (no database)."""
    return tmp_path / "data"


@pytest.fixture
def data_dir(tmp_path: Path, migrated_template: Path) -> Path:
    """A data folder holding a database at this version's schema, and nothing else."""
    folder = tmp_path / "data"
    folder.mkdir()
    shutil.copy(migrated_template, folder / "connect.db")
    return folder


@pytest.fixture
def kit(data_dir: Path) -> Kit:
    """``connect-kit`` in this process, on the initialised ``data_dir``."""
    return Kit(data_dir)
