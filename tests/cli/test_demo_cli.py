"""`connect-kit demo seed` and `connect-kit demo reset`, run for real as subprocesses.

One data folder for the module: initialised, seeded twice, with the real account
ACME beside the demo accounts. Each test resets a different demo account, so the
order the tests run in does not matter.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from connect_widgets.demo.stages import STAGES, load_demo_accounts
from tests.cli.test_cli import ACME_CREATE, Run, audit_rows, connect_kit, fields, one_error_line, query

DEMOS = load_demo_accounts()


@dataclass(frozen=True)
class SeededFolder:
    data_dir: Path
    first: Run
    second: Run


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> SeededFolder:
    data_dir = tmp_path_factory.mktemp("cli-demo") / "data"
    assert connect_kit("init", data_dir=data_dir).returncode == 0
    assert connect_kit(*ACME_CREATE, data_dir=data_dir).returncode == 0
    first = connect_kit("demo", "seed", data_dir=data_dir)
    second = connect_kit("demo", "seed", data_dir=data_dir)
    return SeededFolder(data_dir, first, second)


def test_seed_creates_the_demo_accounts_once_and_prints_how_to_log_in(seeded):
    assert seeded.first.returncode == 0, seeded.first.stderr
    for demo in DEMOS:
        assert f"{demo.code}: created at fresh" in seeded.first.stdout
        assert f"email: {demo.admin_name}@{demo.code.lower()}.mimecast.connect" in seeded.first.stdout
    assert seeded.first.stdout.count("password: ") == len(DEMOS)
    assert seeded.second.returncode == 0
    assert seeded.second.stdout.count("already there; left as it is") == len(DEMOS)
    assert "password: " not in seeded.second.stdout
    assert query(seeded.data_dir, "SELECT code, is_demo FROM accounts ORDER BY id") == [
        ("ACME", 0),
        *((d.code, 1) for d in DEMOS),
    ]


def test_reset_to_mid_tasks_prints_the_login_and_builds_the_stage(seeded):
    demo = DEMOS[0]
    result = connect_kit("demo", "reset", demo.code.lower(), "--stage", "mid-tasks", data_dir=seeded.data_dir)
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


def test_reset_to_fresh_prints_a_new_supplied_password(seeded):
    demo = DEMOS[1]
    result = connect_kit("demo", "reset", demo.code, "--stage", "fresh", data_dir=seeded.data_dir)
    assert result.returncode == 0, result.stderr
    password = fields(result.stdout)["password"]
    assert password != demo.password and password not in seeded.first.stdout
    assert query(
        seeded.data_dir,
        "SELECT u.must_change_password FROM admin_users u JOIN accounts a ON a.id = u.account_id WHERE a.code = ?",
        demo.code,
    ) == [(1,)]


def test_reset_refuses_a_real_account_and_an_unknown_stage_in_one_line(seeded):
    before = query(seeded.data_dir, "SELECT * FROM accounts WHERE code = 'ACME'")
    refused = connect_kit("demo", "reset", "ACME", "--stage", "fresh", data_dir=seeded.data_dir)
    assert refused.returncode == 1 and "ACME is not a demo account" in one_error_line(refused)
    assert query(seeded.data_dir, "SELECT * FROM accounts WHERE code = 'ACME'") == before

    unknown = connect_kit("demo", "reset", DEMOS[2].code, "--stage", "halfway", data_dir=seeded.data_dir)
    assert unknown.returncode == 1 and ", ".join(STAGES) in one_error_line(unknown)
