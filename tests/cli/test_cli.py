"""`connect-kit`, run for real as a subprocess against a temporary data folder.

Each command costs a Python start-up, so the folders that only accumulate state
(an initialised empty database; one holding the ACME and GLOBEX accounts) are built
once per module. Tests that write (unlock, reset-phone) compare before and after,
so the order the tests run in does not matter.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import argon2
import pytest

from connect_widgets.store.schema import head_revision

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

Run = subprocess.CompletedProcess[str]


def kit_environment(data_dir: Path, **extra: str) -> dict[str, str]:
    """This process's environment without any CONNECT_*, pointed at ``data_dir``, cheap argon2."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("CONNECT_")}
    env.update(
        CONNECT_DATA_DIR=str(data_dir),
        CONNECT_ARGON2_TIME_COST="2",
        CONNECT_ARGON2_MEMORY_KIB="19456",
        CONNECT_ARGON2_PARALLELISM="1",
        NO_COLOR="1",
        COLUMNS="200",
    )
    env.update(extra)
    return env


def connect_kit(*args: str, data_dir: Path, cwd: Path | None = None, **extra_env: str) -> Run:
    """Run ``connect-kit ARGS``; whatever happens, it must never print a traceback."""
    result = subprocess.run(
        [sys.executable, "-m", "connect_widgets.cli", *args],
        env=kit_environment(data_dir, **extra_env),
        cwd=cwd or data_dir.parent,  # a default data/var would land in the test's temp folder
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in result.stderr, f"connect-kit {' '.join(args)} crashed:\n{result.stderr}"
    assert "Traceback" not in result.stdout
    return result


def fields(stdout: str) -> dict[str, str]:
    """``key: value`` lines of a command's output."""
    return dict(line.split(": ", 1) for line in stdout.splitlines() if ": " in line)


def one_error_line(result: Run) -> str:
    """The single ``error:`` line a failed command prints on stderr."""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one error line, got:\n{result.stderr}"
    assert lines[0].startswith("error: ")
    return lines[0]


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


def message_headers(stdout: str) -> list[list[str]]:
    """For each message the outbox printed: [date, time, 'UTC', channel, recipient, status]."""
    return [line.split() for line in stdout.splitlines() if line and not line.startswith(" ")]


def audit_rows(data_dir: Path, action: str) -> list[tuple]:
    return query(
        data_dir, "SELECT actor, user_id, outcome, detail FROM audit_events WHERE action = ? ORDER BY id", action
    )


def admin_id(data_dir: Path, email: str) -> int:
    return query(data_dir, "SELECT id FROM admin_users WHERE email = ?", email)[0][0]


# --- shared folders -----------------------------------------------------------------


@dataclass(frozen=True)
class InitialisedFolder:
    data_dir: Path
    first: Run
    second: Run


@dataclass(frozen=True)
class AcmeFolder:
    data_dir: Path
    acme: Run
    globex: Run

    @property
    def password(self) -> str:
        return fields(self.acme.stdout)["password"]


@pytest.fixture(scope="module")
def empty_db(tmp_path_factory: pytest.TempPathFactory) -> InitialisedFolder:
    """A data folder where `init` ran twice and nothing else."""
    data_dir = tmp_path_factory.mktemp("cli-empty") / "data"
    first = connect_kit("init", data_dir=data_dir)
    second = connect_kit("init", data_dir=data_dir)
    return InitialisedFolder(data_dir, first, second)


@pytest.fixture(scope="module")
def accounts(tmp_path_factory: pytest.TempPathFactory) -> AcmeFolder:
    """An initialised folder with ACME (welcome to it@acme.example) then GLOBEX (to its admin)."""
    data_dir = tmp_path_factory.mktemp("cli-accounts") / "data"
    assert connect_kit("init", data_dir=data_dir).returncode == 0
    acme = connect_kit(*ACME_CREATE, data_dir=data_dir)
    globex = connect_kit(*GLOBEX_CREATE, data_dir=data_dir)
    assert acme.returncode == 0, acme.stderr
    assert globex.returncode == 0, globex.stderr
    return AcmeFolder(data_dir, acme, globex)


@pytest.fixture
def never_initialised(tmp_path: Path) -> Path:
    return tmp_path / "data"


# --- init ---------------------------------------------------------------------------


def test_init_creates_the_schema(empty_db: InitialisedFolder) -> None:
    """The first `init` creates the database at head and says 'created'."""
    run = empty_db.first
    assert run.returncode == 0, run.stderr
    assert fields(run.stdout)["database"] == f"sqlite:///{empty_db.data_dir.resolve() / 'connect.db'}"
    assert fields(run.stdout)["schema"] == f"{head_revision()} (created)"
    tables = {row[0] for row in query(empty_db.data_dir, "SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"accounts", "admin_users", "phones", "messages", "audit_events", "alembic_version"} <= tables
    assert query(empty_db.data_dir, "SELECT version_num FROM alembic_version") == [(head_revision(),)]


def test_init_twice_is_safe_and_says_already_up_to_date(empty_db: InitialisedFolder) -> None:
    """A second `init` changes nothing and reports 'already up to date'."""
    run = empty_db.second
    assert run.returncode == 0, run.stderr
    assert fields(run.stdout)["schema"] == f"{head_revision()} (already up to date)"
    assert "created" not in run.stdout
    assert query(empty_db.data_dir, "SELECT count(*) FROM alembic_version") == [(1,)]


# --- create-account -----------------------------------------------------------------


def test_create_account_prints_the_address_password_and_url(accounts: AcmeFolder) -> None:
    """The admin's Connect address, a supplied password and the dedicated URL are printed."""
    printed = fields(accounts.acme.stdout)
    assert printed["account"] == "ACME"
    assert printed["email"] == ACME_ADMIN
    assert len(printed["password"]) >= 12 and " " not in printed["password"]
    assert printed["url"] == "http://127.0.0.1:8866/voila/render/connect.ipynb?account=ACME"
    assert accounts.acme.stderr == ""
    assert fields(accounts.globex.stdout)["email"] == GLOBEX_ADMIN


def test_the_printed_password_logs_in_against_the_stored_argon2id_hash(accounts: AcmeFolder) -> None:
    """The stored hash is argon2id and verifies the printed password (and only it)."""
    [(password_hash, must_change)] = query(
        accounts.data_dir, "SELECT password_hash, must_change_password FROM admin_users WHERE email = ?", ACME_ADMIN
    )
    assert password_hash.startswith("$argon2id$")
    verifier = argon2.PasswordHasher()
    assert verifier.verify(password_hash, accounts.password)
    with pytest.raises(argon2.exceptions.VerifyMismatchError):
        verifier.verify(password_hash, accounts.password + "x")
    assert must_change == 1  # the supplied password must be changed at first login


def test_the_plain_password_is_nowhere_in_the_data_folder(accounts: AcmeFolder) -> None:
    """No byte of any file in the data folder (database, WAL, anything) holds the password."""
    files = [path for path in accounts.data_dir.rglob("*") if path.is_file()]
    assert accounts.data_dir / "connect.db" in files
    secret = accounts.password.encode()
    for path in files:
        content = path.read_bytes()
        assert secret not in content, f"the supplied password is stored in clear in {path.name}"
        assert secret.decode().encode("utf-16-le") not in content


def test_a_taken_account_code_is_one_error_line(accounts: AcmeFolder) -> None:
    """Creating ACME again (any case) exits 1 with one error line and creates nothing."""
    run = connect_kit(
        "create-account",
        "--code",
        "acme",
        "--company",
        "Other",
        "--domain",
        "other.example",
        "--admin",
        "bob",
        data_dir=accounts.data_dir,
    )
    assert run.returncode == 1
    assert "ACME already exists" in one_error_line(run)
    assert "password" not in run.stdout
    assert query(accounts.data_dir, "SELECT count(*) FROM accounts") == [(2,)]
    assert query(accounts.data_dir, "SELECT count(*) FROM admin_users WHERE email LIKE 'bob@%'") == [(0,)]


@pytest.mark.parametrize(
    ("option", "value", "complaint"),
    [
        ("--code", "", "account code"),
        ("--code", "a'; DROP TABLE accounts;--", "account code"),
        ("--company", "x" * 10_000, "too long"),
        ("--domain", "not a domain", "primary domain"),
        ("--platform", "nope", "platform"),
    ],
    ids=["empty-code", "sql-in-code", "10k-company", "bad-domain", "unknown-platform"],
)
def test_bad_create_account_values_are_one_error_line_and_store_nothing(
    accounts: AcmeFolder, option: str, value: str, complaint: str
) -> None:
    """Each unusable value exits 1 with an `error:` line that says what to fix."""
    values = {"--code": "NEWCO", "--company": "New Co", "--domain": "newco.example", "--admin": "sam"}
    values[option] = value
    run = connect_kit("create-account", *[part for pair in values.items() for part in pair], data_dir=accounts.data_dir)
    assert run.returncode == 1
    assert complaint in one_error_line(run)
    assert "password" not in run.stdout
    assert query(accounts.data_dir, "SELECT code FROM accounts ORDER BY id") == [("ACME",), ("GLOBEX",)]


# --- outbox -------------------------------------------------------------------------


def test_outbox_lists_every_message_newest_first(accounts: AcmeFolder) -> None:
    """GLOBEX's welcome (sent second) comes before ACME's; bodies carry the URL, not the password."""
    run = connect_kit("outbox", data_dir=accounts.data_dir)
    assert run.returncode == 0, run.stderr
    headers = message_headers(run.stdout)
    assert [(h[3], h[4], h[5]) for h in headers] == [
        ("email", GLOBEX_ADMIN, "sent"),
        ("email", "it@acme.example", "sent"),
    ]
    assert "Subject: Your Connect account is ready" in run.stdout
    assert "connect.ipynb?account=ACME" in run.stdout
    assert accounts.password not in run.stdout


def test_outbox_to_a_recipient_shows_only_their_messages(accounts: AcmeFolder) -> None:
    """--to it@acme.example shows ACME's welcome and not GLOBEX's."""
    run = connect_kit("outbox", "--to", "it@acme.example", data_dir=accounts.data_dir)
    assert run.returncode == 0, run.stderr
    assert [h[4] for h in message_headers(run.stdout)] == ["it@acme.example"]
    assert "account=ACME" in run.stdout and "account=GLOBEX" not in run.stdout


def test_outbox_to_an_admin_address_finds_the_admins_messages(accounts: AcmeFolder) -> None:
    """--to the admin's Connect address (any case) finds mail sent to their contact mailbox."""
    run = connect_kit("outbox", "--to", "Jane@ACME.mimecast.connect", data_dir=accounts.data_dir)
    assert run.returncode == 0, run.stderr
    assert [h[4] for h in message_headers(run.stdout)] == ["it@acme.example"]
    assert f"Log in as {ACME_ADMIN}" in run.stdout


def test_outbox_last_limits_to_the_newest(accounts: AcmeFolder) -> None:
    """--last 1 shows only the newest message."""
    run = connect_kit("outbox", "--last", "1", data_dir=accounts.data_dir)
    assert run.returncode == 0, run.stderr
    assert [h[4] for h in message_headers(run.stdout)] == [GLOBEX_ADMIN]


def test_outbox_with_no_match_says_no_messages(accounts: AcmeFolder) -> None:
    """A filter that matches nothing says so instead of printing nothing."""
    run = connect_kit("outbox", "--to", "nobody@example.com", data_dir=accounts.data_dir)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "no messages to nobody@example.com"


def test_outbox_of_an_empty_database_says_no_messages(empty_db: InitialisedFolder) -> None:
    """A freshly initialised database has an empty outbox."""
    run = connect_kit("outbox", data_dir=empty_db.data_dir)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "no messages"


# --- support: unlock, reset-phone ---------------------------------------------------


def test_unlock_clears_the_lock_and_writes_an_audit_row(accounts: AcmeFolder) -> None:
    """`unlock` resets failures and the lock of a locked admin; audited as user_unlocked."""
    jane = admin_id(accounts.data_dir, ACME_ADMIN)
    execute(
        accounts.data_dir,
        "UPDATE admin_users SET failed_logins = 5, lock_count = 2, "
        "locked_until = '2099-01-01 00:00:00.000000' WHERE id = ?",
        jane,
    )
    audited_before = audit_rows(accounts.data_dir, "user_unlocked")

    run = connect_kit("unlock", ACME_ADMIN, data_dir=accounts.data_dir)

    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == f"unlocked: {ACME_ADMIN}"
    assert query(
        accounts.data_dir, "SELECT failed_logins, lock_count, locked_until FROM admin_users WHERE id = ?", jane
    ) == [(0, 0, None)]
    added = audit_rows(accounts.data_dir, "user_unlocked")[len(audited_before) :]
    assert added == [("support", jane, "ok", "was locked")]


def test_reset_phone_forgets_the_phone_and_writes_an_audit_row(accounts: AcmeFolder) -> None:
    """`reset-phone` removes the admin's enrolled phone; audited as phone_reset."""
    jane = admin_id(accounts.data_dir, ACME_ADMIN)
    execute(
        accounts.data_dir,
        "INSERT INTO phones (user_id, e164, otp_secret_encrypted, counter, verified_at, "
        "created_at) VALUES (?, '+447400123456', 'JBSWY3DPEHPK3PXP', 3, "
        "'2026-03-02 09:00:00.000000', '2026-03-02 09:00:00.000000')",
        jane,
    )
    audited_before = audit_rows(accounts.data_dir, "phone_reset")

    run = connect_kit("reset-phone", ACME_ADMIN, data_dir=accounts.data_dir)

    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == f"phone reset: {ACME_ADMIN}"
    assert query(accounts.data_dir, "SELECT count(*) FROM phones WHERE user_id = ?", jane) == [(0,)]
    added = audit_rows(accounts.data_dir, "phone_reset")[len(audited_before) :]
    assert added == [("support", jane, "ok", "1 phone(s) removed")]
    assert not any("+447400123456" in row[3] or "JBSWY3DP" in row[3] for row in added)


@pytest.mark.parametrize(("command", "action"), [("unlock", "user_unlocked"), ("reset-phone", "phone_reset")])
def test_support_commands_refuse_an_unknown_admin(accounts: AcmeFolder, command: str, action: str) -> None:
    """An address no admin has exits 1 with one error line and no audit row."""
    audited_before = audit_rows(accounts.data_dir, action)
    run = connect_kit(command, "bob@acme.mimecast.connect", data_dir=accounts.data_dir)
    assert run.returncode == 1
    assert "No admin has the address bob@acme.mimecast.connect" in one_error_line(run)
    assert run.stdout == ""
    assert audit_rows(accounts.data_dir, action) == audited_before


# --- mistakes: order, usage, configuration --------------------------------------------


def test_a_command_before_init_says_to_run_init(never_initialised: Path) -> None:
    """Using the kit before `init` exits 1 with one line telling the operator what to run."""
    run = connect_kit("outbox", data_dir=never_initialised)
    assert run.returncode == 1
    assert "run: connect-kit init" in one_error_line(run)
    assert run.stdout == ""


@pytest.mark.parametrize(
    "args",
    [
        ["create-account", "--code", "NEWCO"],
        ["outbox", "--last", "0"],
        ["unlock"],
    ],
    ids=["missing-options", "last-zero", "missing-argument"],
)
def test_usage_mistakes_exit_2_with_a_usage_message(accounts: AcmeFolder, args: list[str]) -> None:
    """Missing options/arguments and out-of-range values are usage errors (exit 2), not crashes."""
    run = connect_kit(*args, data_dir=accounts.data_dir)
    assert run.returncode == 2
    assert "Usage:" in run.stderr
    assert run.stdout == ""


def test_a_bad_environment_value_is_one_line_naming_the_variable(accounts: AcmeFolder) -> None:
    """CONNECT_HOLDING_SUFFIX='bad suffix' exits 2 with one stderr line naming the variable."""
    run = connect_kit("outbox", data_dir=accounts.data_dir, CONNECT_HOLDING_SUFFIX="bad suffix")
    assert run.returncode == 2
    assert one_error_line(run).startswith("error: CONNECT_HOLDING_SUFFIX: ")
    assert run.stdout == ""


# --- operator mistakes outside the typed command --------------------------------------
# The CLI promises "one error: line and a non-zero exit, never a traceback" for
# anything the operator got wrong; these are the set-ups an operator gets wrong most.


def test_a_data_file_that_is_not_a_database_is_one_error_line(tmp_path: Path) -> None:
    """A connect.db that is not SQLite (wrong file, corrupted copy) is reported, not a crash."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "connect.db").write_bytes(b"this is a spreadsheet, not a database\n" * 200)
    run = connect_kit("init", data_dir=data_dir)
    assert run.returncode == 1
    assert "database" in one_error_line(run)


def test_a_data_folder_that_cannot_be_created_is_one_error_line(tmp_path: Path) -> None:
    """CONNECT_DATA_DIR below a regular file cannot be created: reported in one line."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder's parent should be")
    run = connect_kit("init", data_dir=blocker / "data", cwd=tmp_path)
    assert run.returncode in (1, 2)
    assert "not-a-folder" in one_error_line(run)


def test_an_unusable_postgresql_url_is_one_error_line_without_the_password(tmp_path: Path) -> None:
    """A PostgreSQL URL that cannot be used (no driver, nothing listening) is one line, password hidden."""
    run = connect_kit(
        "init", data_dir=tmp_path / "data", CONNECT_DATABASE_URL="postgresql://kit:s3cretpw@127.0.0.1:1/connect"
    )
    assert run.returncode in (1, 2)
    one_error_line(run)
    assert "s3cretpw" not in run.stderr + run.stdout
