"""`connect-kit outbox --failed` and `send-welcome`, with email on a real SMTP transport (in-process).

A data folder per test: ACME is created while its mail server is down (its
welcome fails), GLOBEX with the outbox transport (its welcome is stored as sent).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.cli.kit import (
    ACME_ADMIN,
    ACME_CREATE,
    GLOBEX_ADMIN,
    GLOBEX_CREATE,
    Kit,
    message_headers,
    one_error_line,
)
from tests.servers import free_port
from tests.smtp_servers import smtp_server


def smtp_env(port: int) -> dict[str, str]:
    return {
        "CONNECT_EMAIL_TRANSPORT": "smtp",
        "CONNECT_SMTP_HOST": "127.0.0.1",
        "CONNECT_SMTP_PORT": str(port),
        "CONNECT_SMTP_SECURITY": "none",
    }


@dataclass(frozen=True)
class Folder:
    kit: Kit
    closed_port: int
    acme_stdout: str


@pytest.fixture
def folder(kit: Kit) -> Folder:
    closed = free_port()  # nothing listens there: the mail server is down
    acme = kit(*ACME_CREATE, **smtp_env(closed))
    assert acme.returncode == 0, acme.stderr
    globex = kit(*GLOBEX_CREATE)
    assert globex.returncode == 0, globex.stderr
    return Folder(kit, closed, acme.stdout)


def refused(port: int) -> str:
    return f"Could not connect to the mail server at 127.0.0.1:{port}: the connection was refused (is it running?)."


def test_create_account_says_the_welcome_was_not_sent_and_how_to_send_it_again(folder: Folder) -> None:
    """The account is made (exit 0); the operator reads why the email failed and the command to retry."""
    lines = folder.acme_stdout.splitlines()
    assert f"welcome: NOT sent to it@acme.example: {refused(folder.closed_port)}" in lines
    assert f"  give the admin the url yourself, or send it again: connect-kit send-welcome {ACME_ADMIN}" in lines
    assert "url: http://127.0.0.1:8866/voila/render/connect.ipynb?account=ACME" in lines


def test_outbox_failed_lists_only_failures_with_their_error(folder: Folder) -> None:
    run = folder.kit("outbox", "--failed")
    assert run.returncode == 0, run.stderr
    headers = message_headers(run.stdout)
    assert headers and all(h[5] == "failed" for h in headers)
    assert {h[4] for h in headers} == {"it@acme.example"}  # GLOBEX's welcome was sent: not listed
    assert f"  Error (smtp): {refused(folder.closed_port)}" in run.stdout.splitlines()
    assert "Subject: Your Connect account is ready" in run.stdout
    assert "connect.ipynb?account=ACME" not in run.stdout  # the error, not the whole email again


def test_outbox_without_failed_still_lists_everything(folder: Folder) -> None:
    run = folder.kit("outbox")
    assert run.returncode == 0, run.stderr
    statuses = {(h[4], h[5]) for h in message_headers(run.stdout)}
    assert {("it@acme.example", "failed"), (GLOBEX_ADMIN, "sent")} <= statuses
    assert f"(delivery failed: {refused(folder.closed_port)})" in run.stdout


def test_outbox_failed_combines_with_to(folder: Folder) -> None:
    run = folder.kit("outbox", "--failed", "--to", GLOBEX_ADMIN)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == f"no failed messages to {GLOBEX_ADMIN}"


def test_send_welcome_delivers_once_the_mail_server_is_up(folder: Folder) -> None:
    with smtp_server() as (mailbox, port):
        run = folder.kit("send-welcome", ACME_ADMIN, **smtp_env(port))
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "welcome: sent to it@acme.example"
    [mail] = mailbox.to("it@acme.example")
    assert "connect.ipynb?account=ACME" in mail.get_content()


def test_send_welcome_to_a_server_that_is_still_down_exits_1(folder: Folder) -> None:
    run = folder.kit("send-welcome", ACME_ADMIN, **smtp_env(folder.closed_port))
    assert run.returncode == 1
    assert run.stdout.splitlines()[0] == f"welcome: NOT sent to it@acme.example: {refused(folder.closed_port)}"


def test_send_welcome_to_an_unknown_admin_is_one_error_line(folder: Folder) -> None:
    run = folder.kit("send-welcome", "bob@acme.mimecast.connect")
    assert run.returncode == 1
    assert "No admin has the address bob@acme.mimecast.connect" in one_error_line(run)


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"CONNECT_EMAIL_TRANSPORT": "smtp"}, "CONNECT_SMTP_HOST"),
        ({"CONNECT_SMS_TRANSPORT": "webhook"}, "CONNECT_SMS_WEBHOOK_URL"),
        (
            {"CONNECT_EMAIL_TRANSPORT": "smtp", "CONNECT_SMTP_HOST": "mail.example", "CONNECT_SMTP_SECURITY": "tls"},
            "CONNECT_SMTP_SECURITY",
        ),
    ],
    ids=["smtp-without-host", "webhook-without-url", "unknown-security"],
)
def test_a_transport_without_its_server_is_one_line_naming_the_variable(folder: Folder, env, variable) -> None:
    run = folder.kit("outbox", **env)
    assert run.returncode == 2
    assert one_error_line(run).startswith(f"error: {variable}: ")
