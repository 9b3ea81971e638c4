"""Wrong passwords from many kernels at once: still five checks before the lock, and one lock.

Each "kernel" is its own ConnectServices (own engine, own connections) on the
same SQLite file, released together by a barrier (tests/races.py). The checks
are counted by wrapping each kernel's hasher: a call against the person's real
hash is a password evaluated; the dummy hash of an unchecked (locked) try is not.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import update
from sqlmodel import col, select

from connect_widgets.core.auth.flow import LoginFlow
from connect_widgets.core.auth.limits import MAX_FAILED_LOGINS
from connect_widgets.core.auth.lockout import lock_duration
from connect_widgets.core.errors import InvalidCredentials
from connect_widgets.core.services import ConnectServices
from connect_widgets.core.staff.members import (
    LOCK_DURATION,
    StaffCredentialsRefused,
    StaffDoor,
    add_staff_member,
)
from connect_widgets.store.engine import new_session
from connect_widgets.store.models import AdminUser, AuditEvent, StaffMember
from tests.conftest import NEW_PASSWORD, reach_password, user_by_email
from tests.races import all_at_once, kernels

pytestmark = pytest.mark.slow  # rounds of many kernels at once: make test runs them, make test-fast does not

PAGES = 10
ROUNDS = 20
STAFF_ROUNDS = 8
WRONG = "wrong password 123"
STAFF_PASSWORD = "quartz meadow lantern 81"


class CheckCounter:
    """How many times any kernel checked a password against ``password_hash``."""

    def __init__(self, password_hash: str) -> None:
        self.password_hash = password_hash
        self.checks = 0
        self._lock = threading.Lock()

    def watch(self, services: ConnectServices) -> None:
        verify = services.hasher.verify  # the real check still runs: this only counts

        def counting(password_hash: str, password: str) -> bool:
            if password_hash == self.password_hash:
                with self._lock:
                    self.checks += 1
            return verify(password_hash, password)

        services.hasher.verify = counting  # type: ignore[method-assign]


@contextmanager
def pages(settings, clock, password_hash: str) -> Iterator[tuple[list[ConnectServices], CheckCounter]]:
    counter = CheckCounter(password_hash)
    with kernels(settings, clock, PAGES) as built:
        for services in built:
            counter.watch(services)
        yield built, counter


def events(services: ConnectServices, action: str) -> list[AuditEvent]:
    with new_session(services.engine) as db:
        return list(db.exec(select(AuditEvent).where(AuditEvent.action == action).order_by(col(AuditEvent.id))))


def unlock(services: ConnectServices, table: type[AdminUser | StaffMember]) -> None:
    """Between rounds: the lock has run out (the doubling count stays, as it would)."""
    with services.transaction() as db:
        db.exec(update(table).values(locked_until=None, failed_logins=0))  # type: ignore[call-overload]


def test_ten_pages_of_one_admin_get_five_checks_and_one_lock_per_round(settings, clock, services, account):
    """20 rounds of 10 simultaneous wrong passwords: exactly 5 evaluated, lock count +1, one answer for all."""
    admin = user_by_email(services, account.admin_email)
    with pages(settings, clock, admin.password_hash) as (built, counter):
        for round_number in range(1, ROUNDS + 1):
            flows = [LoginFlow(kernel) for kernel in built]
            for flow in flows:
                reach_password(flow, account.admin_email)
            counter.checks = 0
            results = all_at_once([lambda flow=flow: flow.submit_password(WRONG) for flow in flows])
            assert all(isinstance(r, InvalidCredentials) for r in results), results
            assert len({r.message for r in results}) == 1  # one answer, whoever was checked
            assert counter.checks == MAX_FAILED_LOGINS, f"round {round_number}: {counter.checks} checked"
            user = user_by_email(services, account.admin_email)
            assert user.lock_count == round_number
            assert user.locked_until == clock.now() + lock_duration(round_number)
            assert user.failed_logins == 0
            locks = events(services, "account_locked")
            assert len(locks) == round_number, f"round {round_number}: locked {len(locks)} times in all"
            unlock(services, AdminUser)
    wrong = [e for e in events(services, "login_failed") if e.detail.startswith("wrong password (")]
    assert len(wrong) == ROUNDS * MAX_FAILED_LOGINS
    assert sorted(e.detail for e in wrong[:MAX_FAILED_LOGINS]) == [
        f"wrong password ({n} in a row)" for n in range(1, MAX_FAILED_LOGINS + 1)
    ]


def test_a_right_password_racing_wrong_ones_leaves_the_budget_as_one_after_another(settings, clock, services, enrolled):
    """One page types the right password while eleven type wrong ones.

    The right password clears the count, so wrong tries in flight with it (at most
    four) go uncounted, as four wrong tries before a successful login do one after
    another; then five more at most: never more than 10 checks of 12, one lock at most.
    """
    admin = user_by_email(services, enrolled.admin_email)
    counter = CheckCounter(admin.password_hash)
    with kernels(settings, clock, 12) as built:
        for kernel in built:
            counter.watch(kernel)
        for _ in range(5):
            flows = [LoginFlow(kernel) for kernel in built]
            for flow in flows:
                reach_password(flow, enrolled.admin_email)
            counter.checks = 0
            locks_before = len(events(services, "account_locked"))
            typed = [NEW_PASSWORD] + [WRONG] * (len(flows) - 1)
            results = all_at_once([lambda f=f, p=p: f.submit_password(p) for f, p in zip(flows, typed, strict=True)])
            assert counter.checks <= 2 * MAX_FAILED_LOGINS, counter.checks
            assert all(isinstance(r, InvalidCredentials) for r in results[1:]), results
            assert not isinstance(results[0], Exception) or isinstance(results[0], InvalidCredentials), results[0]
            assert len(events(services, "account_locked")) - locks_before <= 1
            unlock(services, AdminUser)
            clock.advance(minutes=16)  # the passcode sender's limits start again


def test_ten_staff_pages_get_five_checks_and_one_lock_per_round(settings, clock, services):
    """The staff login, raced the same way: 5 checks, one 15-minute lock, one answer for all."""
    add_staff_member(services, name="Priya Shah", password=STAFF_PASSWORD)
    with new_session(services.engine) as db:
        password_hash = db.exec(select(StaffMember)).one().password_hash
    with pages(settings, clock, password_hash) as (built, counter):
        for round_number in range(1, STAFF_ROUNDS + 1):
            doors = [StaffDoor(kernel) for kernel in built]
            counter.checks = 0
            results = all_at_once([lambda door=door: door.log_in(name="Priya Shah", password=WRONG) for door in doors])
            assert all(isinstance(r, StaffCredentialsRefused) for r in results), results
            assert counter.checks == MAX_FAILED_LOGINS, f"round {round_number}: {counter.checks} checked"
            with new_session(services.engine) as db:
                member = db.exec(select(StaffMember)).one()
            assert (member.failed_logins, member.locked_until) == (0, clock.now() + LOCK_DURATION)
            assert len(events(services, "staff_locked")) == round_number
            unlock(services, StaffMember)


@pytest.mark.parametrize("pages_at_once", [2, 5, 6])
def test_fewer_pages_than_the_budget_still_lock_at_the_fifth(settings, clock, services, account, pages_at_once):
    """Bursts smaller than five add up across bursts; the lock still comes at exactly five checks."""
    admin = user_by_email(services, account.admin_email)
    checked = 0
    with pages(settings, clock, admin.password_hash) as (built, counter):
        while not events(services, "account_locked"):
            flows = [LoginFlow(kernel) for kernel in built[:pages_at_once]]
            for flow in flows:
                reach_password(flow, account.admin_email)
            counter.checks = 0
            results = all_at_once([lambda flow=flow: flow.submit_password(WRONG) for flow in flows])
            assert all(isinstance(r, InvalidCredentials) for r in results), results
            checked += counter.checks
    assert checked == MAX_FAILED_LOGINS
    assert user_by_email(services, account.admin_email).lock_count == 1
