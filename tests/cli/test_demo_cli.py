"""`connect-kit demo seed` and `connect-kit demo reset`, in-process.

One data folder for the module (building stages is the slow part): initialised,
seeded twice, with the real account ACME beside the demo accounts; what seeding
printed and stored is read once, right after it. Each test resets a different demo
account, so the order the tests run in does not matter.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from connect_widgets.demo.stages import STAGES, load_demo_accounts
from tests.cli.kit import ACME_CREATE, Kit, Run, audit_rows, fields, one_error_line, query

DEMOS = load_demo_accounts()


@dataclass(frozen=True)
class SeededFolder:
    kit: Kit
    first: Run
    second: Run
    accounts_after_seeding: list[tuple]

    @property
    def data_dir(self) -> Path:
        return self.kit.data_dir


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory, migrated_template: Path) -> SeededFolder:
    data_dir = tmp_path_factory.mktemp("cli-demo") / "data"
    data_dir.mkdir()
    shutil.copy(migrated_template, data_dir / "connect.db")
    kit = Kit(data_dir)
    assert kit(*ACME_CREATE).returncode == 0
    first = kit("demo", "seed")
    second = kit("demo", "seed")
    return SeededFolder(kit, first, second, query(data_dir, "SELECT code, is_demo FROM accounts ORDER BY id"))


def test_seed_creates_the_demo_accounts_once_and_prints_how_to_log_in(seeded: SeededFolder) -> None:
    assert seeded.first.returncode == 0, seeded.first.stderr
    for demo in DEMOS:
        assert f"{demo.code}: created at fresh" in seeded.first.stdout
        assert f"email: {demo.admin_name}@{demo.code.lower()}.mimecast.connect" in seeded.first.stdout
    assert seeded.first.stdout.count("password: ") == len(DEMOS)
    assert seeded.second.returncode == 0
    assert seeded.second.stdout.count("already there; left as it is") == len(DEMOS)
    assert "password: " not in seeded.second.stdout
    assert seeded.accounts_after_seeding == [("ACME", 0), *((d.code, 1) for d in DEMOS)]


def test_reset_to_mid_tasks_prints_the_login_and_builds_the_stage(seeded: SeededFolder) -> None:
    demo = DEMOS[0]
    result = seeded.kit("demo", "reset", demo.code.lower(), "--stage", "mid-tasks")
    assert result.returncode == 0, result.stderr
    printed = fields(result.stdout)
    assert printed["stage"] == "mid-tasks"
    assert printed["email"] == f"{demo.admin_name}@{demo.code.lower()}.mimecast.connect"
    assert printed["password"] == demo.password
    assert printed["url"].endswith(f"/voila/render/connect.ipynb?account={demo.code}")
    assert query(
        seeded.data_dir,
        "SELECT t.task_key, t.state, t.step FROM task_progress t JOIN accounts a "
        "ON a.id = t.account_id WHERE a.code = ? ORDER BY t.id",
        demo.code,
    ) == [
        ("confirm_details", "complete", "review"),
        ("validate_domains", "complete", "primary"),
        ("outbound_email", "in_progress", "spf"),
    ]
    resets = [(actor, detail) for actor, _user, _outcome, detail in audit_rows(seeded.data_dir, "demo_reset")]
    assert ("cli", f"demo account {demo.code} reset to mid-tasks") in resets


def test_reset_to_fresh_prints_a_new_supplied_password(seeded: SeededFolder) -> None:
    demo = DEMOS[1]
    result = seeded.kit("demo", "reset", demo.code, "--stage", "fresh")
    assert result.returncode == 0, result.stderr
    password = fields(result.stdout)["password"]
    assert password != demo.password and password not in seeded.first.stdout
    assert query(
        seeded.data_dir,
        "SELECT u.must_change_password FROM admin_users u JOIN accounts a ON a.id = u.account_id WHERE a.code = ?",
        demo.code,
    ) == [(1,)]


def test_reset_refuses_a_real_account_and_an_unknown_stage_in_one_line(seeded: SeededFolder) -> None:
    before = query(seeded.data_dir, "SELECT * FROM accounts WHERE code = 'ACME'")
    refused = seeded.kit("demo", "reset", "ACME", "--stage", "fresh")
    assert refused.returncode == 1 and "ACME is not a demo account" in one_error_line(refused)
    assert query(seeded.data_dir, "SELECT * FROM accounts WHERE code = 'ACME'") == before

    unknown = seeded.kit("demo", "reset", DEMOS[2].code, "--stage", "halfway")
    assert unknown.returncode == 1 and ", ".join(STAGES) in one_error_line(unknown)
