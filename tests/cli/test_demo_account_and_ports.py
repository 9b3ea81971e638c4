"""`connect-kit demo-account` run twice, and the port messages of `connect-kit serve`.

`make demo` runs `demo-account` every time: the second run must not replace the
supplied password a trainer may already have handed out. `serve` refuses a port in
use with the option or make variable that picks another one (before it starts anything).
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path

import argon2
import pytest

from connect_widgets.demo.stages import load_make_demo_account
from tests.cli.kit import Kit, Run, execute, fields, one_error_line, query

DEMO_ADMIN = "alex@demo.mimecast.connect"


def stored_hash(data_dir: Path) -> str:
    return query(data_dir, "SELECT password_hash FROM admin_users WHERE email = ?", DEMO_ADMIN)[0][0]


@dataclass(frozen=True)
class DemoTwice:
    data_dir: Path
    first: Run
    second: Run
    hash_after_first: str
    hash_after_second: str


@pytest.fixture
def demo_twice(kit: Kit) -> DemoTwice:
    first = kit("demo-account")
    hash_after_first = stored_hash(kit.data_dir)
    second = kit("demo-account")
    return DemoTwice(kit.data_dir, first, second, hash_after_first, stored_hash(kit.data_dir))


def test_the_demo_account_comes_from_the_demo_data_file() -> None:
    """`make demo`'s account is the [demo_account] of data/demo_accounts.toml."""
    demo = load_make_demo_account()
    assert (demo.code, demo.company, demo.primary_domain, demo.admin_name) == (
        "DEMO",
        "Demo Ltd",
        "demo.example",
        "alex",
    )
    assert demo.admin_email("mimecast.connect") == DEMO_ADMIN


def test_first_run_creates_the_demo_admin_and_prints_its_supplied_password(demo_twice: DemoTwice) -> None:
    first = demo_twice.first
    assert first.returncode == 0, first.stderr
    printed = fields(first.stdout)
    assert printed["email"] == DEMO_ADMIN
    assert printed["url"].endswith("/voila/render/connect.ipynb?account=DEMO")
    assert argon2.PasswordHasher().verify(demo_twice.hash_after_first, printed["password"])
    assert printed["sms"].startswith(f"connect-kit outbox --to {DEMO_ADMIN} --last 1")
    assert query(demo_twice.data_dir, "SELECT code, company, is_demo FROM accounts") == [("DEMO", "Demo Ltd", 0)]


def test_second_run_keeps_the_password_and_says_how_to_get_a_new_one(demo_twice: DemoTwice) -> None:
    second = demo_twice.second
    assert second.returncode == 0, second.stderr
    printed = fields(second.stdout)
    assert printed["email"] == DEMO_ADMIN
    assert demo_twice.hash_after_second == demo_twice.hash_after_first
    assert fields(demo_twice.first.stdout)["password"] not in second.stdout
    assert printed["password"].startswith("unchanged: the supplied password printed when the account was created")
    assert f"connect-kit issue-password {DEMO_ADMIN}" in printed["password"]


def test_after_the_admin_chose_a_password_a_run_says_it_is_theirs(demo_twice: DemoTwice, kit: Kit) -> None:
    execute(kit.data_dir, "UPDATE admin_users SET must_change_password = 0 WHERE email = ?", DEMO_ADMIN)
    before = stored_hash(kit.data_dir)
    result = kit("demo-account")
    assert result.returncode == 0, result.stderr
    assert fields(result.stdout)["password"].startswith("unchanged: the one the admin chose")
    assert stored_hash(kit.data_dir) == before


def test_a_web_port_in_use_names_the_option_and_the_make_variable(kit: Kit) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = kit("serve", "--port", str(port))
    assert result.returncode == 1
    assert one_error_line(result) == (
        f"error: port {port} on 127.0.0.1 is already in use (the Connect web pages); "
        "choose another with --port N (make demo: PORT=N make demo)"
    )


def test_a_demo_dns_port_in_use_names_the_make_and_environment_variables(kit: Kit) -> None:
    with socket.socket() as free, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        free.bind(("127.0.0.1", 0))
        web_port = free.getsockname()[1]
        free.close()
        taken.bind(("127.0.0.1", 0))
        dns_port = taken.getsockname()[1]
        result = kit("serve", "--port", str(web_port), CONNECT_DEMO_DNS_PORT=str(dns_port))
    assert result.returncode == 1
    assert one_error_line(result) == (
        f"error: UDP port {dns_port} on 127.0.0.1 is already in use (the demo DNS zone); "
        "choose another with DEMO_DNS_PORT=N make demo (or CONNECT_DEMO_DNS_PORT=N connect-kit serve)"
    )
