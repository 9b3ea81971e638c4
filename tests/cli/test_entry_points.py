"""The real processes: the `connect-kit` console script, `python -m connect_widgets.cli`, exit statuses.

Every other CLI test runs in-process; these few start Python for real, to prove
what only a process shows: the entry points are wired, ``main`` exits with the
status the README promises, and a failure prints one line, never a traceback.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from connect_widgets.store.schema import head_revision
from tests.cli.kit import ACME_ADMIN, ACME_CREATE, connect_kit, fields, one_error_line

# The console script pyproject.toml declares, installed beside this Python.
CONSOLE_SCRIPT = shutil.which("connect-kit", path=str(Path(sys.executable).parent)) or "connect-kit"


def test_the_console_script_initialises_and_creates_an_account(tmp_path: Path) -> None:
    """`connect-kit init` then `connect-kit create-account` (the entry point `connect_widgets.cli:main`)."""
    data_dir = tmp_path / "data"
    init = connect_kit("init", data_dir=data_dir, command=[CONSOLE_SCRIPT])
    assert init.returncode == 0, init.stderr
    assert fields(init.stdout)["schema"] == f"{head_revision()} (created)"
    created = connect_kit(*ACME_CREATE, data_dir=data_dir, command=[CONSOLE_SCRIPT])
    assert created.returncode == 0, created.stderr
    assert fields(created.stdout)["email"] == ACME_ADMIN
    assert created.stderr == ""


def test_python_dash_m_runs_the_same_commands(tmp_path: Path) -> None:
    """`python -m connect_widgets.cli init`, twice: created, then already up to date."""
    data_dir = tmp_path / "data"
    first = connect_kit("init", data_dir=data_dir)
    second = connect_kit("init", data_dir=data_dir)
    assert (first.returncode, second.returncode) == (0, 0), first.stderr + second.stderr
    assert fields(first.stdout)["schema"] == f"{head_revision()} (created)"
    assert fields(second.stdout)["schema"] == f"{head_revision()} (already up to date)"


def test_a_refusal_exits_1_with_one_error_line(tmp_path: Path) -> None:
    """A command before `init` exits 1 with one line telling the operator what to run."""
    run = connect_kit("outbox", data_dir=tmp_path / "data")
    assert run.returncode == 1
    assert "run: connect-kit init" in one_error_line(run)
    assert run.stdout == ""


def test_unusable_settings_and_usage_mistakes_exit_2(tmp_path: Path) -> None:
    """A bad CONNECT_* value is one line naming the variable; a missing argument prints the usage."""
    settings = connect_kit("outbox", data_dir=tmp_path / "data", CONNECT_HOLDING_SUFFIX="bad suffix")
    assert settings.returncode == 2
    assert one_error_line(settings).startswith("error: CONNECT_HOLDING_SUFFIX: ")
    usage = connect_kit("unlock", data_dir=tmp_path / "data")
    assert usage.returncode == 2
    assert "Usage:" in usage.stderr and usage.stdout == ""
