"""Set Up Your Authentication: Cloud at once, or Domain after a test login (real OpenLDAP on loopback)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from connect_widgets.core import errors
from connect_widgets.core.adapters.ldap import DirectoryLoginRefused
from connect_widgets.core.tasks.catalogue import TaskState
from connect_widgets.core.tasks.user_authentication import UserAuthenticationTask
from connect_widgets.store.engine import new_session
from connect_widgets.store.models import Account, AdminUser
from tests.core.task_setup import audit_rows, connect_directory


@pytest.fixture
def auth(board_past_domains):  # type: ignore[no-untyped-def]
    return board_past_domains, UserAuthenticationTask(board_past_domains)


def synchronize(board, slapd) -> None:  # type: ignore[no-untyped-def]
    _task, tested = connect_directory(board, slapd)
    assert tested.state is TaskState.COMPLETE


def auth_mode(services) -> str:  # type: ignore[no-untyped-def]
    with new_session(services.engine) as db:
        return db.exec(select(Account.auth_mode)).one()


def test_cloud_only_completes_the_task_at_once(auth, services):
    board, task = auth
    status = task.choose_mode(version=board.start("user_authentication").version, mode="cloud")
    assert status.state is TaskState.COMPLETE and status.data["mode"] == "cloud"
    assert auth_mode(services) == "cloud"
    assert [e.detail for e in audit_rows(services, "auth_mode_changed")][-1].endswith("-> cloud")


def test_domain_is_enabled_after_a_successful_test_login_with_the_admins_directory_logon(auth, slapd, services):
    board, task = auth
    synchronize(board, slapd)
    assert task.directory_ready()
    status = task.choose_mode(version=board.start("user_authentication").version, mode="domain")
    assert status.step == "test_login"
    with pytest.raises(DirectoryLoginRefused):
        task.test_login(version=status.version, logon="jane", password="not her password")
    status = task.test_login(version=status.version, logon="jane", password=slapd.users["jane"])
    assert (status.step, status.data["tested_logon"]) == ("enable", "jane")
    status = task.enable(version=status.version)
    assert status.state is TaskState.COMPLETE and auth_mode(services) == "domain"
    with new_session(services.engine) as db:
        assert db.exec(select(AdminUser.directory_logon)).one() == "jane"
    assert [e.outcome for e in audit_rows(services, "domain_test_login")] == ["refused", "ok"]


def test_domain_is_refused_until_the_directory_is_synchronized(auth, services):
    board, task = auth
    status = board.start("user_authentication")
    with pytest.raises(errors.TaskLocked, match="^Domain needs Synchronize Your Directory complete"):
        task.choose_mode(version=status.version, mode="domain")
    assert auth_mode(services) == "cloud"  # as created: nothing changed


def test_enable_and_the_test_login_are_refused_before_their_step(auth, slapd):
    board, task = auth
    status = board.start("user_authentication")
    with pytest.raises(errors.StepNotOpen):  # a forged Enable on the first step
        task.enable(version=status.version)
    with pytest.raises(errors.StepNotOpen):
        task.test_login(version=status.version, logon="jane", password=slapd.users["jane"])


@pytest.mark.parametrize("mode", ["", "ldap", None, ["cloud"], {"mode": "cloud"}])
def test_a_mode_not_offered_is_refused_in_words(auth, mode):
    board, task = auth
    with pytest.raises(errors.InvalidInput, match="Choose Cloud only or Domain"):
        task.choose_mode(version=board.start("user_authentication").version, mode=mode)
