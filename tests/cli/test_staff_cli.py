"""`connect-kit add-staff`: a generated password printed once, or one typed twice, hidden.

In-process: typer's CliRunner feeds the hidden prompts from ``input`` (a
subprocess's hidden prompt would read the terminal).
"""

from __future__ import annotations

from pathlib import Path

import argon2
import pytest

from connect_widgets.core.errors import PasswordRejected
from connect_widgets.core.services import ConnectServices
from connect_widgets.core.staff.members import StaffCredentialsRefused, StaffDoor
from connect_widgets.settings import Settings
from tests.cli.kit import Kit, audit_rows, fields, one_error_line, query

TYPED = "quartz meadow lantern 81"
TEAM_URL = "http://127.0.0.1:8866/voila/render/connect_team.ipynb"


@pytest.fixture
def generated(kit: Kit) -> dict[str, str]:
    run = kit("add-staff", "Priya Shah", "--generate")
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    return fields(run.stdout)


def test_generate_prints_the_name_a_password_once_and_the_team_url(generated: dict[str, str]) -> None:
    assert generated["staff"] == "Priya Shah"
    assert generated["url"] == TEAM_URL
    assert len(generated["password"]) >= 12


def test_the_generated_password_matches_the_stored_argon2id_hash(data_dir: Path, generated: dict[str, str]) -> None:
    """Only the hash is stored; it verifies the printed password; the addition is audited."""
    [(password_hash,)] = query(data_dir, "SELECT password_hash FROM staff_members WHERE name = ?", "Priya Shah")
    assert password_hash.startswith("$argon2id$")
    assert argon2.PasswordHasher().verify(password_hash, generated["password"])
    assert ("support", None, "ok", "staff member Priya Shah") in audit_rows(data_dir, "staff_created")
    for path in (p for p in data_dir.rglob("*") if p.is_file()):
        assert generated["password"].encode() not in path.read_bytes()


def test_a_taken_name_is_one_error_line_and_prints_no_password(
    kit: Kit, data_dir: Path, generated: dict[str, str]
) -> None:
    run = kit("add-staff", "priya shah", "--generate")
    assert run.returncode == 1
    assert "Priya Shah already exists" in one_error_line(run)
    assert run.stdout == ""
    assert query(data_dir, "SELECT count(*) FROM staff_members") == [(1,)]


def test_an_unusable_name_is_one_error_line(kit: Kit) -> None:
    run = kit("add-staff", "<script>", "--generate")
    assert run.returncode == 1
    assert "staff name uses" in one_error_line(run)
    assert run.stdout == ""


def test_before_init_it_says_to_run_init(never_initialised: Path) -> None:
    run = Kit(never_initialised)("add-staff", "Priya", "--generate")
    assert run.returncode == 1
    assert "run: connect-kit init" in one_error_line(run)


# --- the typed password (hidden prompt, asked twice) ------------------------------------------


@pytest.fixture
def typed_kit(settings: Settings) -> Kit:
    """``connect-kit`` on the test's migrated database (the ``services`` fixture's)."""
    return Kit(settings.data_dir)


def test_a_typed_password_is_asked_twice_never_echoed_and_logs_in(typed_kit: Kit, services: ConnectServices) -> None:
    result = typed_kit("add-staff", "Priya", input=f"{TYPED}\n{TYPED}\n")
    assert result.returncode == 0, result.stderr
    assert result.output.count("Password") == 1 and "Repeat for confirmation" in result.output
    assert TYPED not in result.output and "password:" not in result.output
    assert fields(result.stdout)["staff"] == "Priya"
    assert StaffDoor(services).log_in(name="Priya", password=TYPED).name == "Priya"


def test_a_confirmation_that_differs_is_asked_again(typed_kit: Kit, services: ConnectServices) -> None:
    typed = f"{TYPED}\nsomething else entirely\n{TYPED}\n{TYPED}\n"
    result = typed_kit("add-staff", "Priya", input=typed)
    assert result.returncode == 0, result.stderr
    assert "do not match" in result.output
    assert StaffDoor(services).log_in(name="Priya", password=TYPED).name == "Priya"


def test_a_weak_typed_password_is_refused_and_nothing_is_stored(typed_kit: Kit, services: ConnectServices) -> None:
    result = typed_kit("add-staff", "Priya", input="password1234\npassword1234\n")
    assert result.returncode == 1
    assert isinstance(result.error, PasswordRejected)  # main() prints it as one error: line
    assert "password1234" not in str(result.error) and "password1234" not in one_error_line(result)
    with pytest.raises(StaffCredentialsRefused):
        StaffDoor(services).log_in(name="Priya", password="password1234")


def test_a_bad_name_is_refused_before_the_password_is_asked_for(typed_kit: Kit) -> None:
    result = typed_kit("add-staff", "x", input=f"{TYPED}\n{TYPED}\n")
    assert result.returncode == 1
    assert "Password" not in result.output


def test_a_taken_name_is_refused_before_the_password_is_asked_for(typed_kit: Kit, services: ConnectServices) -> None:
    first = typed_kit("add-staff", "Priya", input=f"{TYPED}\n{TYPED}\n")
    assert first.returncode == 0, first.stderr
    again = typed_kit("add-staff", "PRIYA", input=f"{TYPED}\n{TYPED}\n")
    assert again.returncode == 1 and "Password" not in again.output
    assert "already exists" in str(again.error)
