"""`connect-kit demo-account` run twice, and the port messages of `connect-kit serve`.

`make demo` runs `demo-account` every time: the second run must not replace the
supplied password a trainer may already have handed out. `serve` refuses a port in
use with the option or make variable that picks another one.
"""

from __future__ import annotations

import socket
from pathlib import Path

import argon2
import pytest

from tests.cli.test_cli import Run, connect_kit, execute, fields, one_error_line, query

DEMO_ADMIN = "alex@demo.mimecast.connect"


def stored_hash(data_dir: Path) -> str:
    return query(data_dir, "SELECT password_hash FROM admin_users WHERE email = ?", DEMO_ADMIN)[0][0]


@pytest.fixture(scope="module")
def demo_twice(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Run, Run, str, str]:
    data_dir = tmp_path_factory.mktemp("cli-demo-account") / "data"
    assert connect_kit("init", data_dir=data_dir).returncode == 0
    first = connect_kit("demo-account", data_dir=data_dir)
    hash_after_first = stored_hash(data_dir)
    second = connect_kit("demo-account", data_dir=data_dir)
    return data_dir, first, second, hash_after_first, stored_hash(data_dir)


def test_first_run_creates_the_demo_admin_and_prints_its_supplied_password(demo_twice) -> None:
    _, first, _, hash_after_first, _ = demo_twice
    assert first.returncode == 0, first.stderr
    printed = fields(first.stdout)
    assert printed["email"] == DEMO_ADMIN
    assert printed["url"].endswith("/voila/render/connect.ipynb?account=DEMO")
    assert argon2.PasswordHasher().verify(hash_after_first, printed["password"])


def test_second_run_keeps_the_password_and_says_how_to_get_a_new_one(demo_twice) -> None:
    _, first, second, hash_after_first, hash_after_second = demo_twice
    assert second.returncode == 0, second.stderr
    printed = fields(second.stdout)
    assert printed["email"] == DEMO_ADMIN
    assert hash_after_second == hash_after_first
    assert fields(first.stdout)["password"] not in second.stdout
    assert printed["password"].startswith("unchanged: the supplied password printed when the account was created")
    assert f"connect-kit issue-password {DEMO_ADMIN}" in printed["password"]


def test_after_the_admin_chose_a_password_a_run_says_it_is_theirs(demo_twice) -> None:
    data_dir, *_ = demo_twice
    execute(data_dir, "UPDATE admin_users SET must_change_password = 0 WHERE email = ?", DEMO_ADMIN)
    before = stored_hash(data_dir)
    result = connect_kit("demo-account", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    assert fields(result.stdout)["password"].startswith("unchanged: the one the admin chose")
    assert stored_hash(data_dir) == before


@pytest.fixture(scope="module")
def initialised(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("cli-ports") / "data"
    assert connect_kit("init", data_dir=data_dir).returncode == 0
    return data_dir


def test_a_web_port_in_use_names_the_option_and_the_make_variable(initialised: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = connect_kit("serve", "--port", str(port), data_dir=initialised)
    assert result.returncode == 1
    assert one_error_line(result) == (
        f"error: port {port} on 127.0.0.1 is already in use (the Connect web pages); "
        "choose another with --port N (make demo: PORT=N make demo)"
    )


def test_a_demo_dns_port_in_use_names_the_make_and_environment_variables(initialised: Path) -> None:
    with socket.socket() as free, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        free.bind(("127.0.0.1", 0))
        web_port = free.getsockname()[1]
        free.close()
        taken.bind(("127.0.0.1", 0))
        dns_port = taken.getsockname()[1]
        result = connect_kit(
            "serve", "--port", str(web_port), data_dir=initialised, CONNECT_DEMO_DNS_PORT=str(dns_port)
        )
    assert result.returncode == 1
    assert one_error_line(result) == (
        f"error: UDP port {dns_port} on 127.0.0.1 is already in use (the demo DNS zone); "
        "choose another with DEMO_DNS_PORT=N make demo (or CONNECT_DEMO_DNS_PORT=N connect-kit serve)"
    )
