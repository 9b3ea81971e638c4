"""`connect-kit`, in-process (typer's CliRunner) against a fresh data folder per test.

Each test builds the folder it reads (an initialised database; ACME then GLOBEX
created through the command line), so no test sees another's messages or audit
rows and the order the tests run in does not matter. The real processes (the
console script, ``python -m``, the exit statuses) are tested in test_entry_points.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import argon2
import pytest

from connect_widgets.store.schema import head_revision
from tests.cli.kit import (
    ACME_ADMIN,
    ACME_CREATE,
    GLOBEX_ADMIN,
    GLOBEX_CREATE,
    Kit,
    Run,
    admin_id,
    audit_rows,
    execute,
    fields,
    message_headers,
    one_error_line,
    query,
)

# --- folders ------------------------------------------------------------------------


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


@pytest.fixture
def empty_db(never_initialised: Path) -> InitialisedFolder:
    """A data folder where `init` ran twice and nothing else."""
    kit = Kit(never_initialised)
    first = kit("init")
    second = kit("init")
    return InitialisedFolder(never_initialised, first, second)


@pytest.fixture
def accounts(kit: Kit) -> AcmeFolder:
    """An initialised folder with ACME (welcome to it@acme.example) then GLOBEX (to its admin)."""
    acme = kit(*ACME_CREATE)
    globex = kit(*GLOBEX_CREATE)
    assert acme.returncode == 0, acme.stderr
    assert globex.returncode == 0, globex.stderr
    return AcmeFolder(kit.data_dir, acme, globex)


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
    run = Kit(accounts.data_dir)(
        "create-account",
        "--code",
        "acme",
        "--company",
        "Other",
        "--domain",
        "other.example",
        "--admin",
        "bob",
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
    run = Kit(accounts.data_dir)("create-account", *[part for pair in values.items() for part in pair])
    assert run.returncode == 1
    assert complaint in one_error_line(run)
    assert "password" not in run.stdout
    assert query(accounts.data_dir, "SELECT code FROM accounts ORDER BY id") == [("ACME",), ("GLOBEX",)]


# --- outbox -------------------------------------------------------------------------


def test_outbox_lists_every_message_newest_first(accounts: AcmeFolder) -> None:
    """GLOBEX's welcome (sent second) comes before ACME's; bodies carry the URL, not the password."""
    run = Kit(accounts.data_dir)("outbox")
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
    run = Kit(accounts.data_dir)("outbox", "--to", "it@acme.example")
    assert run.returncode == 0, run.stderr
    assert [h[4] for h in message_headers(run.stdout)] == ["it@acme.example"]
    assert "account=ACME" in run.stdout and "account=GLOBEX" not in run.stdout


def test_outbox_to_an_admin_address_finds_the_admins_messages(accounts: AcmeFolder) -> None:
    """--to the admin's Connect address (any case) finds mail sent to their contact mailbox."""
    run = Kit(accounts.data_dir)("outbox", "--to", "Jane@ACME.mimecast.connect")
    assert run.returncode == 0, run.stderr
    assert [h[4] for h in message_headers(run.stdout)] == ["it@acme.example"]
    assert f"Log in as {ACME_ADMIN}" in run.stdout


def test_outbox_last_limits_to_the_newest(accounts: AcmeFolder) -> None:
    """--last 1 shows only the newest message."""
    run = Kit(accounts.data_dir)("outbox", "--last", "1")
    assert run.returncode == 0, run.stderr
    assert [h[4] for h in message_headers(run.stdout)] == [GLOBEX_ADMIN]


def test_outbox_with_no_match_says_no_messages(accounts: AcmeFolder) -> None:
    """A filter that matches nothing says so instead of printing nothing."""
    run = Kit(accounts.data_dir)("outbox", "--to", "nobody@example.com")
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "no messages to nobody@example.com"


def test_outbox_of_an_empty_database_says_no_messages(empty_db: InitialisedFolder) -> None:
    """A freshly initialised database has an empty outbox."""
    run = Kit(empty_db.data_dir)("outbox")
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "no messages"


# --- support: unlock, reset-phone ---------------------------------------------------


PHONE_SECRET = "JBSWY3DPEHPK3PXP"


@pytest.mark.parametrize(
    ("command", "arrange", "said", "after", "left", "action", "detail"),
    [
        pytest.param(
            "unlock",
            "UPDATE admin_users SET failed_logins = 5, lock_count = 2, "
            "locked_until = '2099-01-01 00:00:00.000000' WHERE id = ?",
            "unlocked",
            "SELECT failed_logins, lock_count, locked_until FROM admin_users WHERE id = ?",
            [(0, 0, None)],
            "user_unlocked",
            "was locked",
            id="unlock-clears-the-lock",
        ),
        pytest.param(
            "reset-phone",
            "INSERT INTO phones (user_id, e164, otp_secret_encrypted, counter, verified_at, "
            f"created_at) VALUES (?, '+447400123456', '{PHONE_SECRET}', 3, "
            "'2026-03-02 09:00:00.000000', '2026-03-02 09:00:00.000000')",
            "phone reset",
            "SELECT count(*) FROM phones WHERE user_id = ?",
            [(0,)],
            "phone_reset",
            "1 phone(s) removed",
            id="reset-phone-forgets-the-phone",
        ),
    ],
)
def test_a_support_command_fixes_the_admin_and_writes_an_audit_row(
    accounts: AcmeFolder,
    command: str,
    arrange: str,
    said: str,
    after: str,
    left: list[tuple[object, ...]],
    action: str,
    detail: str,
) -> None:
    """`unlock` resets failures and the lock (user_unlocked); `reset-phone` removes the enrolled phone
    (phone_reset). Each says what it did, and the audit row names neither the number nor the secret."""
    jane = admin_id(accounts.data_dir, ACME_ADMIN)
    execute(accounts.data_dir, arrange, jane)
    audited_before = audit_rows(accounts.data_dir, action)

    run = Kit(accounts.data_dir)(command, ACME_ADMIN)

    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == f"{said}: {ACME_ADMIN}"
    assert query(accounts.data_dir, after, jane) == left
    added = audit_rows(accounts.data_dir, action)[len(audited_before) :]
    assert added == [("support", jane, "ok", detail)]
    assert not any("+447400123456" in row[3] or PHONE_SECRET[:8] in row[3] for row in added)


@pytest.mark.parametrize(("command", "action"), [("unlock", "user_unlocked"), ("reset-phone", "phone_reset")])
def test_support_commands_refuse_an_unknown_admin(accounts: AcmeFolder, command: str, action: str) -> None:
    """An address no admin has exits 1 with one error line and no audit row."""
    audited_before = audit_rows(accounts.data_dir, action)
    run = Kit(accounts.data_dir)(command, "bob@acme.mimecast.connect")
    assert run.returncode == 1
    assert "No admin has the address bob@acme.mimecast.connect" in one_error_line(run)
    assert run.stdout == ""
    assert audit_rows(accounts.data_dir, action) == audited_before


# --- mistakes: order, usage, configuration --------------------------------------------


def test_a_command_before_init_says_to_run_init(never_initialised: Path) -> None:
    """Using the kit before `init` exits 1 with one line telling the operator what to run."""
    run = Kit(never_initialised)("outbox")
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
    run = Kit(accounts.data_dir)(*args)
    assert run.returncode == 2
    assert "Usage:" in run.stderr
    assert run.stdout == ""


def test_a_bad_environment_value_is_one_line_naming_the_variable(accounts: AcmeFolder) -> None:
    """CONNECT_HOLDING_SUFFIX='bad suffix' exits 2 with one stderr line naming the variable."""
    run = Kit(accounts.data_dir)("outbox", CONNECT_HOLDING_SUFFIX="bad suffix")
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
    run = Kit(data_dir)("init")
    assert run.returncode == 1
    assert "database" in one_error_line(run)


def test_a_data_folder_that_cannot_be_created_is_one_error_line(tmp_path: Path) -> None:
    """CONNECT_DATA_DIR below a regular file cannot be created: reported in one line."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder's parent should be")
    run = Kit(blocker / "data")("init")
    assert run.returncode == 1
    assert "not-a-folder" in one_error_line(run)


def test_an_unusable_postgresql_url_is_one_error_line_without_the_password(tmp_path: Path) -> None:
    """A PostgreSQL URL that cannot be used (no driver, nothing listening) is one line, password hidden."""
    run = Kit(tmp_path / "data")("init", CONNECT_DATABASE_URL="postgresql://kit:s3cretpw@127.0.0.1:1/connect")
    assert run.returncode == 1
    one_error_line(run)
    assert "s3cretpw" not in run.stderr + run.stdout
