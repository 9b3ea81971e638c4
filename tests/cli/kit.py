"""Running ``connect-kit`` in tests: in-process (fast) or as a real process (the smoke tests).

:class:`Kit` runs a command in this process through typer's ``CliRunner`` and
turns a failure into the exit status and ``error:`` line :func:`connect_widgets.cli.main`
would give (:func:`connect_widgets.cli.failure`), so a test reads the same
``returncode``, ``stdout`` and ``stderr`` as from a subprocess. An exception the CLI
does not know (a bug: a traceback for the operator) is raised in the test.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

from connect_widgets.cli import app, failure
from connect_widgets.settings import ARGON2_MIN_MEMORY_KIB, ARGON2_MIN_TIME_COST

ACME_ADMIN = "jane@acme.mimecast.connect"
GLOBEX_ADMIN = "hank@globex.mimecast.connect"
ACME_CREATE = [
    "create-account",
    "--code",
    "ACME",
    "--company",
    "Acme Ltd",
    "--domain",
    "acme.example",
    "--admin",
    "jane",
    "--contact-email",
    "it@acme.example",
]
GLOBEX_CREATE = [
    "create-account",
    "--code",
    "GLOBEX",
    "--company",
    "Globex Corporation",
    "--domain",
    "globex.example",
    "--admin",
    "hank",
]

# The cheapest argon2id that still meets OWASP's floor keeps the commands fast.
CHEAP_ARGON2 = {
    "CONNECT_ARGON2_TIME_COST": str(ARGON2_MIN_TIME_COST),
    "CONNECT_ARGON2_MEMORY_KIB": str(ARGON2_MIN_MEMORY_KIB),
    "CONNECT_ARGON2_PARALLELISM": "1",
}


@dataclass(frozen=True)
class Run:
    """What a command did: its exit status and what it printed (and, in-process, the error it said)."""

    returncode: int
    stdout: str
    stderr: str
    error: BaseException | None = None  # the exception behind the ``error:`` line

    @property
    def output(self) -> str:
        """Everything printed, as on a terminal (prompts included)."""
        return self.stdout + self.stderr


class Kit:
    """``connect-kit`` in this process, on the data folder ``data_dir``."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None, **extra_env: str) -> Run:
        env = {"CONNECT_DATA_DIR": str(self.data_dir), **CHEAP_ARGON2, **extra_env}
        result = self._runner.invoke(app, list(args), input=input, env=env)
        returncode, stderr = result.exit_code, result.stderr
        exc = result.exception
        if exc is None or isinstance(exc, SystemExit):
            return Run(returncode, result.stdout, stderr)
        known = failure(exc)
        if known is None:  # the operator would read a traceback
            raise exc
        returncode, line = known
        return Run(returncode, result.stdout, stderr + line + "\n", error=exc)


def connect_kit(*args: str, data_dir: Path, command: list[str] | None = None, **extra_env: str) -> Run:
    """Run ``connect-kit ARGS`` as a real process (by default ``python -m connect_widgets.cli``).

    Whatever happens, it must never print a traceback.
    """
    env = {name: value for name, value in os.environ.items() if not name.startswith("CONNECT_")}
    env.update(CONNECT_DATA_DIR=str(data_dir), NO_COLOR="1", COLUMNS="200", **CHEAP_ARGON2, **extra_env)
    result = subprocess.run(
        [*(command or [sys.executable, "-m", "connect_widgets.cli"]), *args],
        env=env,
        cwd=data_dir.parent,  # a default data/var would land in the test's temp folder
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in result.stderr, f"connect-kit {' '.join(args)} crashed:\n{result.stderr}"
    assert "Traceback" not in result.stdout
    return Run(result.returncode, result.stdout, result.stderr)


def fields(stdout: str) -> dict[str, str]:
    """``key: value`` lines of a command's output."""
    return dict(line.split(": ", 1) for line in stdout.splitlines() if ": " in line)


def one_error_line(result: Run) -> str:
    """The single ``error:`` line a failed command prints on stderr."""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one error line, got:\n{result.stderr}"
    assert lines[0].startswith("error: ")
    return lines[0]


def message_headers(stdout: str) -> list[list[str]]:
    """For each message the outbox printed: [date, time, 'UTC', channel, recipient, status]."""
    return [line.split() for line in stdout.splitlines() if line and not line.startswith(" ")]


def query(data_dir: Path, sql: str, *params: object) -> list[tuple]:
    connection = sqlite3.connect(data_dir / "connect.db")
    try:
        return connection.execute(sql, params).fetchall()
    finally:
        connection.close()


def execute(data_dir: Path, sql: str, *params: object) -> None:
    connection = sqlite3.connect(data_dir / "connect.db")
    try:
        with connection:
            connection.execute(sql, params)
    finally:
        connection.close()


def audit_rows(data_dir: Path, action: str) -> list[tuple]:
    return query(
        data_dir, "SELECT actor, user_id, outcome, detail FROM audit_events WHERE action = ? ORDER BY id", action
    )


def admin_id(data_dir: Path, email: str) -> int:
    return query(data_dir, "SELECT id FROM admin_users WHERE email = ?", email)[0][0]
