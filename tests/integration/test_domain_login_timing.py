"""The Domain login does the same work whatever the outcome, so its time says nothing.

Unknown address, wrong directory password, someone else's logon, a locked admin
and the right password each cost one argon2 verification and one directory round
(two binds: the bind account and a user; one search), against a real slapd.
benchmarks/domain_login_timing.py measures the resulting times.
"""

from __future__ import annotations

import threading
from collections import Counter

import ldap3
import pytest

from connect_widgets.core import errors
from connect_widgets.core.auth.steps import LoginStep
from tests.integration.conftest import domain_password_page

WRONG = "Wrong-Directory-Pass-9"


class WorkCounter:
    """Counts argon2 verifications and LDAP binds and searches; each still runs for real."""

    def __init__(self, services, monkeypatch: pytest.MonkeyPatch) -> None:
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        verify = services.hasher.verify

        def counting_verify(password_hash: str, password: str) -> bool:
            self._count("argon2")
            return verify(password_hash, password)

        services.hasher.verify = counting_verify
        for name in ("bind", "search"):
            original = getattr(ldap3.Connection, name)

            def counting(connection, *args, _name=name, _original=original, **kwargs):  # type: ignore[no-untyped-def]
                self._count(_name)
                return _original(connection, *args, **kwargs)

            monkeypatch.setattr(ldap3.Connection, name, counting)

    def _count(self, name: str) -> None:
        with self._lock:
            self.counts[name] += 1

    def reset(self) -> None:
        self.counts.clear()


SAME_WORK = {"argon2": 1, "bind": 2, "search": 1}


@pytest.mark.parametrize("case", ["unknown address", "wrong password", "another's logon", "locked", "right"])
def test_every_domain_outcome_costs_one_argon2_and_one_directory_round(
    domain_enabled,
    slapd,
    services,
    monkeypatch,
    case,
):
    email = "nobody@acme.mimecast.connect" if case == "unknown address" else domain_enabled.admin_email
    if case == "locked":
        for _ in range(5):
            with pytest.raises(errors.InvalidCredentials):
                domain_password_page(services, email).submit_password(WRONG, logon="jane")
    logon, password = {
        "another's logon": ("sam", slapd.users["sam"]),
        "locked": ("jane", slapd.users["jane"]),
        "right": ("jane", slapd.users["jane"]),
    }.get(case, ("jane", WRONG))
    flow = domain_password_page(services, email)
    work = WorkCounter(services, monkeypatch)
    if case == "right":
        assert flow.submit_password(password, logon=logon) is LoginStep.PASSCODE
    else:
        with pytest.raises(errors.InvalidCredentials):
            flow.submit_password(password, logon=logon)
    assert dict(work.counts) == SAME_WORK


def test_an_unknown_address_or_a_wrong_logon_never_binds_as_a_real_entry(
    domain_enabled,
    slapd,
    services,
    monkeypatch,
):
    """The equalising round looks for and binds as nobody: no directory account counts a failure for it."""
    seen: list[str] = []
    original = ldap3.Connection.bind

    def watching(connection, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(str(connection.user))
        return original(connection, *args, **kwargs)

    monkeypatch.setattr(ldap3.Connection, "bind", watching)
    with pytest.raises(errors.InvalidCredentials):
        domain_password_page(services, "nobody@acme.mimecast.connect").submit_password(WRONG, logon="jane")
    with pytest.raises(errors.InvalidCredentials):
        domain_password_page(services, domain_enabled.admin_email).submit_password(WRONG, logon="sam")
    users = [dn for dn in seen if dn != slapd.bind_dn]
    assert len(users) == 2 and all(dn.startswith("uid=connect-nobody-") for dn in users), users
    assert not any(slapd.user_dn(uid) in seen for uid in slapd.users)
