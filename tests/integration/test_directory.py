"""The directory layer against a real OpenLDAP server (slapd) on loopback."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from ldap3.utils.log import EXTENDED, get_library_log_detail_level, set_library_log_detail_level

from connect_widgets.core.adapters.ldap import (
    DirectoryBaseNotFound,
    DirectoryBindRefused,
    DirectoryConnection,
    DirectoryError,
    DirectoryLoginRefused,
    DirectoryTlsFailed,
    DirectoryUnreachable,
    authenticate_user,
    parse_connection,
)
from connect_widgets.core.adapters.ldap import test_connection as run_connection_test
from connect_widgets.core.errors import InvalidInput
from tests.servers import Slapd, free_port, running_slapd

JANE_PASSWORD = "Directory-Pass-1"


def connect(server: Slapd, **changes: str) -> DirectoryConnection:
    fields = {
        "url": server.url,
        "base_dn": server.base_dn,
        "bind_dn": server.bind_dn,
        "bind_password": server.bind_password,
        "user_filter": "",
        "ca_certificate": "",
    }
    return parse_connection(**{**fields, **changes})


@contextlib.contextmanager
def silent_server() -> Iterator[int]:
    """A port that accepts TCP connections (the kernel's backlog) and never says a word."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


@contextlib.contextmanager
def stopped(server: Slapd) -> Iterator[None]:
    """The directory is down inside the block and back up after it, whatever the test did."""
    server.stop()
    try:
        yield
    finally:
        server.start()


# --- test_connection ----------------------------------------------------------------


def test_connection_counts_the_user_entries_under_the_base(slapd: Slapd) -> None:
    result = run_connection_test(connect(slapd))
    assert result.user_count == len(slapd.users) == 3
    assert not result.limited
    assert result.message == f"Connected to {slapd.url} and found 3 user entries under dc=example,dc=com."


def test_connection_applies_the_admins_user_filter(slapd: Slapd) -> None:
    result = run_connection_test(connect(slapd, user_filter="(uid=jane)"))
    assert result.user_count == 1
    assert "found 1 user entry under" in result.message


def test_connection_reads_every_page_of_a_paged_search(slapd: Slapd) -> None:
    assert run_connection_test(connect(slapd), page_size=1).user_count == 3


def test_connection_says_when_the_directory_size_limit_stopped_the_count(slapd: Slapd) -> None:
    """The limited-reader account may read only 2 entries per search (a slapd `limits` rule)."""
    result = run_connection_test(connect(slapd, bind_dn=slapd.limited_dn, bind_password=slapd.limited_password))
    assert (result.user_count, result.limited) == (2, True)
    assert "at least 2 user entries" in result.message


def test_a_wrong_bind_password_is_refused_naming_the_bind_account(slapd: Slapd) -> None:
    with pytest.raises(DirectoryBindRefused) as refused:
        run_connection_test(connect(slapd, bind_password="Not-The-Sync-Pass"))
    assert refused.value.code == "directory_bind_refused"
    assert slapd.bind_dn in refused.value.message and slapd.url in refused.value.message


def test_an_unknown_base_dn_is_reported_with_the_nearest_existing_entry(slapd: Slapd) -> None:
    with pytest.raises(DirectoryBaseNotFound) as missing:
        run_connection_test(connect(slapd, base_dn="ou=nowhere,dc=example,dc=com"))
    assert missing.value.code == "directory_base_not_found"
    assert "ou=nowhere,dc=example,dc=com does not exist" in missing.value.message
    assert "nearest entry that exists is dc=example,dc=com" in missing.value.message


def test_a_closed_port_is_unreachable(slapd: Slapd) -> None:
    closed = f"ldap://127.0.0.1:{free_port()}"
    with pytest.raises(DirectoryUnreachable) as unreachable:
        run_connection_test(connect(slapd, url=closed), timeout=2)
    assert unreachable.value.code == "directory_unreachable"
    assert f"could not reach the directory at {closed}" in unreachable.value.message


def test_ldaps_to_the_plain_ldap_port_is_a_tls_failure(slapd: Slapd) -> None:
    """slapd reads the TLS ClientHello as a broken LDAP message and hangs up: the handshake fails."""
    with pytest.raises(DirectoryTlsFailed) as failed:
        run_connection_test(connect(slapd, url=slapd.url.replace("ldap://", "ldaps://")), timeout=2)
    assert failed.value.code == "directory_tls"
    assert "TLS" in failed.value.message and "LDAPS" in failed.value.message


def test_a_certificate_no_trusted_authority_signed_is_refused(slapd: Slapd) -> None:
    """slapd's ldaps:// port has a self-signed certificate for 127.0.0.1: ldap3 alone would accept it."""
    with pytest.raises(DirectoryTlsFailed) as untrusted:
        run_connection_test(connect(slapd, url=slapd.tls_url), timeout=2)
    assert "certificate Connect does not trust (self-signed certificate)" in untrusted.value.message
    with pytest.raises(DirectoryTlsFailed):
        authenticate_user(connect(slapd, url=slapd.tls_url), logon="jane", password=JANE_PASSWORD, timeout=2)


def test_ldaps_works_with_the_admins_ca_certificate(slapd: Slapd) -> None:
    connection = connect(slapd, url=slapd.tls_url, ca_certificate=slapd.certificate)
    assert run_connection_test(connection).user_count == 3
    assert authenticate_user(connection, logon="jane", password=JANE_PASSWORD) == slapd.user_dn("jane")


def test_a_trusted_certificate_for_another_name_is_refused(slapd: Slapd) -> None:
    """The certificate names 127.0.0.1; reached as localhost, it is not the server's."""
    connection = connect(slapd, url=f"ldaps://localhost:{slapd.tls_port}", ca_certificate=slapd.certificate)
    with pytest.raises(DirectoryTlsFailed) as wrong_name:
        run_connection_test(connection, timeout=2)
    assert "does not trust (it is not issued for localhost)" in wrong_name.value.message


@pytest.mark.parametrize("scheme", ["ldap", "ldaps"])
def test_a_server_that_never_answers_times_out_as_unreachable(slapd: Slapd, scheme: str) -> None:
    """A silent port is not a TLS problem even on ldaps://: it did not answer at all."""
    with silent_server() as port, pytest.raises(DirectoryUnreachable) as unreachable:
        run_connection_test(connect(slapd, url=f"{scheme}://127.0.0.1:{port}"), timeout=1)
    assert "did not answer in time" in unreachable.value.message


# --- authenticate_user ----------------------------------------------------------------


@pytest.mark.parametrize("logon", ["jane", "jane@acme.example", "JANE", "  jane  "])
def test_a_user_logs_in_by_uid_or_mail(slapd: Slapd, logon: str) -> None:
    assert authenticate_user(connect(slapd), logon=logon, password=JANE_PASSWORD) == slapd.user_dn("jane")


def test_filter_characters_in_a_logon_match_only_themselves(slapd: Slapd) -> None:
    """o'brien's second uid is literally `ob*(legacy)`; unescaped, `ob*` would match it as a prefix."""
    password = slapd.users["o'brien"]
    assert authenticate_user(connect(slapd), logon="ob*(legacy)", password=password) == slapd.user_dn("o'brien")
    assert authenticate_user(connect(slapd), logon="o'brien", password=password) == slapd.user_dn("o'brien")
    with pytest.raises(DirectoryLoginRefused):
        authenticate_user(connect(slapd), logon="ob*", password=password)


def test_wrong_password_unknown_user_and_shared_address_get_the_same_answer(slapd: Slapd) -> None:
    """team@acme.example belongs to sam and o'brien: a logon that matches two people is refused."""
    attempts = [("jane", "Wrong-Pass-9"), ("nobody", JANE_PASSWORD), ("team@acme.example", slapd.users["sam"])]
    messages = set()
    for logon, password in attempts:
        with pytest.raises(DirectoryLoginRefused) as refused:
            authenticate_user(connect(slapd), logon=logon, password=password)
        assert refused.value.code == "directory_login_refused"
        messages.add(refused.value.message)
    assert len(messages) == 1


@pytest.mark.parametrize(
    "logon",
    [
        "*",
        ")(uid=*",
        "jane)(|(uid=*",
        "\\00",
        "jane\x00",
        "*)(objectClass=*",
        "jane*",
        "j*e",
        "(uid=jane)",
        "jane\\",
        "\\2a",
    ],
)
def test_filter_injection_in_the_logon_never_logs_anyone_in(slapd: Slapd, logon: str) -> None:
    for password in slapd.users.values():
        with pytest.raises(DirectoryLoginRefused):
            authenticate_user(connect(slapd), logon=logon, password=password)


@pytest.mark.parametrize("password", ["", None])
def test_an_empty_password_is_refused_before_the_directory_is_asked(slapd: Slapd, password: object) -> None:
    """An empty simple bind is an anonymous bind that "succeeds"; with slapd down the answer is still InvalidInput."""
    with stopped(slapd):
        with pytest.raises(InvalidInput) as refused:
            authenticate_user(connect(slapd), logon="jane", password=password)
    assert (refused.value.field, refused.value.message) == ("password", "Enter your domain password.")


def test_an_empty_logon_asks_for_one(slapd: Slapd) -> None:
    with pytest.raises(InvalidInput) as refused:
        authenticate_user(connect(slapd), logon="   ", password=JANE_PASSWORD)
    assert refused.value.field == "logon"


def test_a_refused_bind_account_is_not_reported_as_the_users_fault(slapd: Slapd) -> None:
    with pytest.raises(DirectoryBindRefused):
        authenticate_user(connect(slapd, bind_password="Not-The-Sync-Pass"), logon="jane", password=JANE_PASSWORD)


def test_the_directory_stopping_mid_flow_says_to_use_cloud_and_recovers(slapd: Slapd) -> None:
    connection = connect(slapd)
    assert run_connection_test(connection).user_count == 3
    with stopped(slapd):
        with pytest.raises(DirectoryUnreachable) as down:
            authenticate_user(connection, logon="jane", password=JANE_PASSWORD, timeout=2)
        assert down.value.message == f"The directory at {slapd.url} did not answer; use Cloud to log in for now."
        with pytest.raises(DirectoryUnreachable):
            run_connection_test(connection, timeout=2)
    assert authenticate_user(connection, logon="jane", password=JANE_PASSWORD) == slapd.user_dn("jane")


def test_no_password_reaches_an_error_a_repr_or_a_log(slapd: Slapd, caplog: pytest.LogCaptureFixture) -> None:
    """ldap3's own logging is switched to its most detailed level for the test."""
    user_passwords = ["Wrong-Pass-9", "Pass²word ﬁ 7"]  # the second one NFKC would change
    secrets = [slapd.bind_password, *slapd.users.values(), *user_passwords, "Not-The-Sync-Pass"]
    caught: list[BaseException] = []
    before = get_library_log_detail_level()
    set_library_log_detail_level(EXTENDED)
    try:
        with caplog.at_level(logging.DEBUG):
            good = connect(slapd)
            run_connection_test(good)
            authenticate_user(good, logon="jane", password=JANE_PASSWORD)
            attempts = [
                lambda: run_connection_test(connect(slapd, bind_password="Not-The-Sync-Pass")),
                lambda: run_connection_test(connect(slapd, url=slapd.url.replace("ldap:", "ldaps:")), timeout=2),
                lambda: authenticate_user(good, logon="jane", password=user_passwords[0]),
                lambda: authenticate_user(good, logon="sam", password=user_passwords[1]),
                lambda: authenticate_user(good, logon="jane", password=slapd.users["sam"]),
                lambda: parse_connection(url="ldap://host", base_dn="dc=a", bind_dn="cn=b", bind_password="x\x00y"),
            ]
            for attempt in attempts:
                with pytest.raises((DirectoryError, InvalidInput)) as failed:
                    attempt()
                caught.append(failed.value)
            with stopped(slapd), pytest.raises(DirectoryUnreachable) as down:
                authenticate_user(good, logon="jane", password=JANE_PASSWORD, timeout=2)
            caught.append(down.value)
    finally:
        set_library_log_detail_level(before)
    assert len(caught) == len(attempts) + 1
    assert any(record.name.startswith("ldap3") for record in caplog.records), "ldap3 logged nothing: test is moot"
    texts = [caplog.text, repr(good), str(good)]
    for error in caught:
        chain: BaseException | None = error
        while chain is not None:
            texts += [str(chain), repr(chain), repr(chain.args), repr(vars(chain))]
            chain = chain.__cause__ or chain.__context__
    for secret in secrets:
        assert not [text for text in texts if secret in text], f"a password leaked: {secret[:2]}…"


# --- parse_connection ------------------------------------------------------------------


GOOD = {
    "url": "ldaps://dc1.acme.com:636",
    "base_dn": "dc=acme,dc=com",
    "bind_dn": "cn=connect-sync,ou=service,dc=acme,dc=com",
    "bind_password": "Sync-Pass-1",
    "user_filter": "",
}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("url", "http://dc1.acme.com"),
        ("url", "dc1.acme.com"),
        ("url", "ldap://"),
        ("url", "ldap://:389"),
        ("url", "ldap://dc1.acme.com:0"),
        ("url", "ldap://dc1.acme.com:70000"),
        ("url", "ldap://dc1.acme.com:port"),
        ("url", "ldap://dc1.acme.com/dc=acme,dc=com"),
        ("url", "ldap://dc1.acme.com?uid"),
        ("url", "ldap://svc:secret@dc1.acme.com"),
        ("url", "ldap://dc1 acme.com"),
        ("url", "ldap://dc1\x00.acme.com"),
        ("url", None),
        ("base_dn", ""),
        ("base_dn", "acme.com"),
        ("base_dn", "dc=acme,,dc=com"),
        ("base_dn", "dc=acme\x00,dc=com"),
        ("bind_dn", "connect-sync"),
        ("bind_dn", "cn=connect-sync;dc=acme"),
        ("bind_dn", 42),
        ("bind_password", ""),
        ("bind_password", None),
        ("bind_password", "Sync\x00Pass"),
        ("user_filter", "(uid=jane"),
        ("user_filter", "uid=jane"),
        ("user_filter", "(uid=jane))(uid=sam"),
        ("user_filter", "(uid=jane)(uid=sam)"),
        ("user_filter", "(=jane)"),
        ("user_filter", "(&)"),
        ("user_filter", "(cn=a\\zz)"),
        ("user_filter", "(uid=\x00)"),
        ("ca_certificate", "not a certificate"),
        ("ca_certificate", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"),
    ],
)
def test_parse_connection_refuses_each_field(field: str, value: object) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_connection(**{**GOOD, field: value})
    assert refused.value.field == field
    if field == "bind_password" and isinstance(value, str) and value:
        assert value not in refused.value.message


def test_parse_connection_normalises_what_servers_accept() -> None:
    connection = parse_connection(
        **{
            **GOOD,
            "url": " LDAPS://DC1.Acme.com:636/ ",
            "base_dn": "dc=acme, dc=com",
            "bind_password": " Pass²word ﬁ ",
            "user_filter": " (uid=jane) ",
        }
    )
    assert connection.url == "ldaps://dc1.acme.com:636"
    assert connection.base_dn == "dc=acme,dc=com"
    assert connection.bind_password == " Pass²word ﬁ "  # the directory compares exactly what was typed
    assert connection.user_filter == "(uid=jane)"
    assert parse_connection(**{**GOOD, "url": "ldap://[::1]:389"}).url == "ldap://[::1]:389"
    assert parse_connection(**{**GOOD, "url": "ldap://10.0.0.5"}).url == "ldap://10.0.0.5"


def test_the_bind_password_is_not_in_the_repr() -> None:
    connection = parse_connection(**GOOD)
    assert "Sync-Pass-1" not in repr(connection) and "Sync-Pass-1" not in str(connection)


# --- the test server itself ------------------------------------------------------------


def test_running_slapd_leaves_no_process_behind(tmp_path: Path) -> None:
    with running_slapd(tmp_path) as server:
        pid = server.pid
        assert pid is not None and server.running
        assert run_connection_test(connect(server)).user_count == 3
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
